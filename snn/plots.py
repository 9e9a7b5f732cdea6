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


NETWORK_LABELS = {"baseline": "deployed", "hwat": "deployed, HWAT"}
"""Legend names of a study's networks."""


def plot_repeats(ax, results, summary: dict, mode: str = ""):
    """Accuracy of every repeat at programming time against the digital network (paper 000, Fig. 3b), in
    programming mode ``mode``."""
    t0 = results[results.drift_model == "none"]
    width = 0.38
    for k, name in enumerate(("baseline", "hwat")):
        acc = t0[t0.network == name].sort_values("repeat")
        ax.bar(acc.repeat + (k - 0.5) * width, 100 * acc.accuracy, width, label=NETWORK_LABELS[name])
    ax.axhline(100 * summary["digital_accuracy"], color="k", ls="--", lw=1, label="digital")
    lo = 100 * min(t0.accuracy.min(), summary["digital_accuracy"])
    ax.set_ylim(max(0.0, lo - 1.0), 100.0)
    ax.set_xticks(sorted(t0.repeat.unique()))
    ax.set_xlabel("repeat")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{summary['device']} {summary['network']}{', ' + mode if mode else ''}: {summary['tile']} tiles, "
                 f"{summary['n_test_images']} images", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_drift(ax, results, model: str, digital: float, mode: str = ""):
    """Mean accuracy against time after programming, with and without compensation and HWAT, in programming
    mode ``mode`` (paper 000, Fig. 3c: potentiation, 3d: depression)."""
    part = results[results.drift_model == model]
    for colour, name in enumerate(("baseline", "hwat")):
        for comp, style in ((False, "--"), (True, "-")):
            g = part[(part.network == name) & (part.compensated == comp)].groupby("t_s").accuracy
            mean, std = g.mean(), g.std().fillna(0)
            label = f"{NETWORK_LABELS[name]}{', compensated' if comp else ''}"
            ax.errorbar(mean.index, 100 * mean, yerr=100 * std, ls=style, marker="o", ms=3, capsize=2, color=f"C{colour}",
                        label=label)
    ax.axhline(100 * digital, color="k", ls=":", lw=1, label="digital")
    ax.set_xscale("log")
    ax.set_xlabel("time after programming $t$ (s)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{mode + ', ' if mode else ''}drift model: {model}")
    ax.legend(fontsize=7)
    return ax
