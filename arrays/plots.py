"""Transfer figures of paper 001 drawn from the transfer DataFrame; each takes an axis."""
from __future__ import annotations

import numpy as np
import pandas as pd


def plot_conductance_by_level(ax, cells: pd.DataFrame, title: str = ""):
    """Transferred conductance of every used cell against its weight level, G+ and G- apart (Fig. 8)."""
    used = cells[cells.side != "unused"]
    rng = np.random.default_rng(0)
    for side, marker, color in (("positive", "o", "C3"), ("negative", "s", "C0")):
        grp = used[used.side == side]
        x = grp.level + rng.uniform(-0.2, 0.2, len(grp)) + (0.1 if side == "negative" else -0.1)
        ax.scatter(x, grp.final_nS, s=9, marker=marker, color=color, alpha=0.6, label=f"G{'+' if side == 'positive' else '-'} cells")
    for g in sorted(used.target_nS.round(1).unique()):
        ax.axhline(g, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel("weight level")
    ax.set_ylabel("conductance at 1 V (nS)")
    ax.set_xticks(range(-7, 8))
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def plot_violins(ax, cells: pd.DataFrame, side: str, title: str = ""):
    """Violins of the transferred conductance per target state, with the targets marked (Fig. 9)."""
    used = cells[(cells.side == side) & cells.written]
    groups = [(t, g.final_nS.to_numpy()) for t, g in used.groupby(used.target_nS.round(3))]
    if not groups:
        ax.set_title(f"{title} (no written cells)")
        return ax
    pos = np.arange(len(groups))
    parts = ax.violinplot([g for _t, g in groups], positions=pos, showmedians=True, widths=0.8)
    for body in parts["bodies"]:
        body.set_alpha(0.5)
    ax.scatter(pos, [t for t, _g in groups], marker="_", s=300, color="k", label="target", zorder=3)
    ax.set_xticks(pos)
    ax.set_xticklabels([f"{t:.0f}" for t, _g in groups])
    ax.set_xlabel("target (nS)")
    ax.set_ylabel("transferred (nS)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def plot_weight_map(ax, weights_nS: np.ndarray, title: str = "", vmax: float | None = None):
    """A 24 x 10 map of differential weights G+ - G- in nS (Fig. 10)."""
    vmax = vmax or max(1.0, float(np.abs(weights_nS).max()))
    im = ax.imshow(weights_nS, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    ax.set_xlabel("output class")
    ax.set_ylabel("hidden neuron (wordline)")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, label="G+ - G- (nS)")
    return ax
