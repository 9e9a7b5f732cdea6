"""Transfer figures of paper 001 drawn from the transfer DataFrame; each takes an axis."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from compact_models.plots import panel_letters

__all__ = ["panel_letters", "plot_conductance_by_level", "plot_energy_map", "plot_energy_split", "plot_error_violins",
           "plot_weight_map"]


def plot_conductance_by_level(ax, cells: pd.DataFrame, title: str = ""):
    """Transferred conductance of every used cell against its weight level, G+ and G- apart (Fig. 8)."""
    used = cells[cells.side != "unused"]
    rng = np.random.default_rng(0)
    for side, marker, color in (("positive", "o", "C3"), ("negative", "s", "C0")):
        grp = used[used.side == side]
        x = grp.level + rng.uniform(-0.2, 0.2, len(grp)) + (0.1 if side == "negative" else -0.1)
        ax.scatter(x, grp.final_nS, s=9, marker=marker, color=color, alpha=0.6, label=f"$G^{'+' if side == 'positive' else '-'}$ cells")
    for g in sorted(used.target_nS.round(1).unique()):
        ax.axhline(g, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel("weight level")
    ax.set_ylabel("conductance at the read voltage (nS)")
    ax.set_xticks(range(-7, 8))
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def plot_error_violins(ax, cells: pd.DataFrame, side: str, title: str = ""):
    """Transfer error (read minus target) per weight level of one side's cells, RMSE and MAE annotated (Fig. 9).

    Cells written at that level are coloured, cells left reset at it (partners, zeros) grey; the axis
    spans +-4 nS (paper 001's truncation) or the largest error if that is larger.
    """
    used = cells[cells.side == side]
    if used.empty:
        ax.set_title(f"{title} (no cells)")
        return ax
    levels = sorted(used.level.unique())
    data = [used.error_nS[used.level == k].to_numpy() for k in levels]
    parts = ax.violinplot(data, positions=levels, showmedians=True, widths=0.8)
    written_at = {k: bool(used.written[used.level == k].any()) for k in levels}
    for k, body in zip(levels, parts["bodies"]):
        body.set_facecolor("C3" if side == "positive" and written_at[k] else "C0" if written_at[k] else "0.6")
        body.set_alpha(0.6)
    limit = max(4.0, 1.05 * float(used.error_nS.abs().max()))
    ax.set_ylim(-limit, limit)
    ax.axhline(0.0, color="k", lw=0.6)
    for bound in (-2.0, 2.0):
        ax.axhline(bound, color="0.6", lw=0.6, ls="--")
    ax.set_xticks(levels)
    ax.set_xlabel("weight level")
    ax.set_ylabel("transfer error, $G - G_{target}$ (nS)")
    w = used.error_nS[used.written].to_numpy()
    a = used.error_nS.to_numpy()
    text = (f"written ({w.size}): RMSE {np.sqrt(np.mean(w ** 2)):.2f} nS, MAE {np.mean(np.abs(w)):.2f} nS\n" if w.size else "")
    text += f"all ({a.size}): RMSE {np.sqrt(np.mean(a ** 2)):.2f} nS, MAE {np.mean(np.abs(a)):.2f} nS"
    ax.text(0.02, 0.97, text, transform=ax.transAxes, va="top", fontsize=7,
            bbox=dict(boxstyle="round", fc="white", ec="0.8"))
    ax.set_title(title)
    handles = [Patch(color="C3" if side == "positive" else "C0", alpha=0.6, label="written"),
               Patch(color="0.6", alpha=0.6, label="left reset (HRS)")]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    return ax


def plot_weight_map(ax, weights_nS: np.ndarray, title: str = "", vmax: float | None = None):
    """A 24 x 10 map of differential weights G+ - G- in nS (Fig. 10)."""
    vmax = vmax or max(1.0, float(np.abs(weights_nS).max()))
    im = ax.imshow(weights_nS, cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    ax.set_xlabel("output class")
    ax.set_ylabel("hidden neuron (wordline)")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, label="$G^+ - G^-$ (nS)")
    return ax



def plot_energy_map(ax, cells: pd.DataFrame, title: str = ""):
    """Programming energy of every cell of the array, selected and half-selected together, nJ."""
    rows, cols = int(cells.wordline.max()) + 1, int(cells.bitline.max()) + 1
    energy = np.zeros((rows, cols))
    energy[cells.wordline, cells.bitline] = cells.selected_energy_nJ + cells.half_selected_energy_nJ
    im = ax.imshow(energy, cmap="magma", aspect="auto")
    ax.set_xlabel("bitline")
    ax.set_ylabel("wordline")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, label="programming energy (nJ)")
    return ax


def plot_energy_split(ax, summary: dict, title: str = ""):
    """Where a transfer's programming energy goes: selected cells, half-selected cells, lines (nJ)."""
    parts = {"selected cells": summary["programming_energy_selected_nJ"],
             "half-selected cells": summary["programming_energy_half_selected_nJ"],
             "lines and contacts": summary["programming_energy_lines_nJ"]}
    bars = ax.bar(list(parts), list(parts.values()), color=["C3", "C1", "0.5"])
    for bar, value in zip(bars, parts.values()):
        ax.annotate(f"{value:.3g} nJ", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("energy (nJ)")
    ax.set_title(title or f"{summary['programming_energy_nJ']:.4g} nJ from the sources in {summary['programming_time_s'] * 1e3:.4g} ms")
    return ax
