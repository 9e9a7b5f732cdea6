"""Figures of the SNN runs (paper 001, Fig. 11b, c); each takes an axis."""
from __future__ import annotations

import numpy as np


def plot_confusion(ax, confusion: np.ndarray, title: str = ""):
    """Confusion matrix (Fig. 11b, c)."""
    im = ax.imshow(confusion, cmap="Blues")
    for (i, j), v in np.ndenumerate(confusion):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                    color="white" if v > confusion.max() / 2 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, label="images")
    return ax
