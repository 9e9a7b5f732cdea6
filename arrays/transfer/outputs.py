"""Files and figures of a transferred layer: its per-cell table, summary, PWL files and Fig. 8-10."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from arrays import plots
from arrays.mapping import save_levels, weights_from_conductance
from arrays.pwl import write_pwl
from arrays.readout import frame_to_map
from arrays.transfer.layer import TRANSFER_COLUMNS, LayerTransfer
from compact_models.io import atomic_save_figure, atomic_write_csv, atomic_write_json, new_figure
from compact_models.simulator import ngspice_info


def write_figures(out: Path, layer: LayerTransfer) -> list:
    """The Fig. 8, 9 and 10 PNGs of a transfer; returns their names."""
    cells = layer.cells
    scheme = layer.summary["scheme"]
    fig, ax = new_figure(figsize=(7, 4.5))
    plots.plot_conductance_by_level(ax, cells, f"conductance by weight level ({scheme} transfer)")
    atomic_save_figure(out / "fig8_conductance_by_level.png", fig)
    fig, axes = new_figure(1, 2, figsize=(11, 4.2), sharey=True)
    plots.plot_error_violins(axes[0], cells, "positive", "positive weights ($G^+$ cells)")
    plots.plot_error_violins(axes[1], cells, "negative", "negative weights ($G^-$ cells)")
    plots.panel_letters(axes)
    atomic_save_figure(out / "fig9_violins.png", fig)
    target = weights_from_conductance(frame_to_map(cells, "target_nS"), *layer.levels.shape[::-1])
    final = weights_from_conductance(frame_to_map(cells, "final_nS"), *layer.levels.shape[::-1])
    vmax = float(np.abs(target).max()) or 1.0
    fig, axes = new_figure(1, 3, figsize=(13, 4.5))
    plots.plot_weight_map(axes[0], target, "target", vmax)
    plots.plot_weight_map(axes[1], final, "transferred (simulated)", vmax)
    plots.plot_weight_map(axes[2], final - target, "transferred - target", 4.0)
    plots.panel_letters(axes)
    fig.tight_layout()
    atomic_save_figure(out / "fig10_weight_maps.png", fig)
    fig, axes = new_figure(1, 2, figsize=(11, 4.2))
    plots.plot_energy_map(axes[0], cells, f"programming energy per cell ({scheme} transfer)")
    plots.plot_energy_split(axes[1], layer.summary)
    plots.panel_letters(axes)
    fig.tight_layout()
    atomic_save_figure(out / "fig_programming_energy.png", fig)
    return ["fig8_conductance_by_level.png", "fig9_violins.png", "fig10_weight_maps.png", "fig_programming_energy.png"]


def write_layer_tables(out: Path, layer: LayerTransfer, name: str) -> None:
    """``levels_<name>.csv`` and ``transfer_<name>.csv`` (one row per cell, `TRANSFER_COLUMNS`)."""
    save_levels(out / f"levels_{name}.csv", layer.levels)
    atomic_write_csv(out / f"transfer_{name}.csv", layer.cells[TRANSFER_COLUMNS])


def write_transfer(out: Path, layer: LayerTransfer, weights: str) -> dict:
    """A single transfer's results: ``levels.csv``, ``transfer.csv``, ``pwl/``, Fig. 8-10, then ``summary.json``."""
    save_levels(out / "levels.csv", layer.levels)
    atomic_write_csv(out / "transfer.csv", layer.cells[TRANSFER_COLUMNS])
    write_pwl(layer.result.phases, layer.result.netlists, out / "pwl")
    figures = write_figures(out, layer)
    summary = {"transfer": dict(layer.summary, weights=weights, pwl="pwl/", figures=figures), "simulator": ngspice_info()}
    atomic_write_json(out / "summary.json", summary)
    return summary
