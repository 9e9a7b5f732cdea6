"""A network layer written into a simulated array: the spec of a transfer, its cached result.

`transfer_layer` maps a 24 x 10 level map onto the array (`arrays.mapping`), writes it by the
spec's scheme in ngspice (`arrays.programming`) and keeps the result in the store
(`compact_models.store`) under a content address of the levels, the spec and the device's
parameters, so a repeated transfer is loaded instead of simulated again.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.mapping import ZERO_STATES, level_of_cells, target_states
from arrays.netlist import R_CONTACT_OHM, R_WIRE_OHM, CrossbarParams
from arrays.programming import ENGINES, TransferConfig, TransferResult, say, transfer_states
from arrays.schemes import SCHEMES, Phase
from arrays.state import ArrayState
from arrays.statistics import error_statistics
from compact_models.base import DeviceVariation, SwitchCell
from compact_models.devices import is_device_file, resolve_device
from compact_models.errors import ParameterError
from compact_models.store import cache_record, content_key, read_record, write_record
from compact_models.waveforms import Waveform

TRANSFER_COLUMNS = ["wordline", "bitline", "level", "side", "state", "target_nS", "final_nS", "error_nS", "pulses",
                    "written", "selected_energy_nJ", "half_selected_energy_nJ"]
"""Columns of the per-cell transfer CSVs."""


@dataclass(frozen=True, kw_only=True)
class TransferSpec:
    """Everything that decides the outcome of a layer's transfer: the argument of `transfer_layer` and its cache key."""

    device: str = "ht-rram"
    """Device of the array: a built-in's name or a device file's path (`compact_models.devices.resolve_device`;
    the cache key holds the device's parameters, so an edited file is a new transfer)."""
    scheme: str = "fast"
    """``fast`` (triangular pulses, paper 001 Fig. 7b) or ``half-bias`` (V/2 ISPVA, Fig. 7a)."""
    seed: int = 0
    """Seed of the write errors and the device-to-device variation."""
    sigma_nS: float | None = None
    """Write-error sigma, nS; None takes the device's (HT-RRAM 1.06 nS, paper 001; HfOxSy 23.7 uS, paper 000)."""
    reset_sigma_nS: float | None = None
    """Spread of the cells left reset around the reset state, nS; None takes the device's (HT-RRAM 0.2 nS)."""
    zero_state: str = "hrs"
    """What a zero weight and the partner of a non-zero weight hold: ``hrs`` (paper 001, Fig. 8) or ``g1`` (`arrays.mapping`)."""
    max_passes: int | None = None
    """Write passes at most; None takes the device's `default_passes`: HT-RRAM 1, paper 001's open-loop
    array model (one write, its error standing for the device's program-and-verify); HfOxSy 10, its
    trains lengthened by the verify against the lines' IR drop. More passes verify, reset and rewrite
    the cells outside the tolerance, beyond paper 001."""
    r_wire_ohm: float = R_WIRE_OHM
    """Line resistance per segment, ohm (wordlines and bitlines)."""
    r_contact_ohm: float = R_CONTACT_OHM
    """Contact/driver resistance at each line's end, ohm."""
    size: int = 24
    """The array is size x size; the layer sits in its corner, the rest stays reset."""
    variation: DeviceVariation | None = None
    """Device-to-device spread drawn per cell; None takes the device's own (`device_variation`: none for
    the built-ins), an inactive one means identical devices."""
    engine: str = "spice"
    """Who solves the write transients and read-outs: ``spice`` (ngspice, the reference) or ``nodal``
    (`arrays.write_engine`: the array at DC at ngspice's time points, validated against ngspice)."""

    def __post_init__(self):
        if is_device_file(self.device):  # a file by its absolute path: the same file wherever the spec is used
            object.__setattr__(self, "device", str(Path(self.device).expanduser().resolve()))
        resolve_device(self.device)
        if self.scheme not in SCHEMES:
            raise ParameterError(f"scheme {self.scheme!r} is unknown; choose one of {', '.join(SCHEMES)}")
        if self.engine not in ENGINES:
            raise ParameterError(f"engine {self.engine!r} is unknown; choose one of {', '.join(ENGINES)}")
        if self.zero_state not in ZERO_STATES:
            raise ParameterError(f"zero_state {self.zero_state!r} is unknown; choose one of {', '.join(ZERO_STATES)}")
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or self.seed < 0:
            raise ParameterError(f"seed {self.seed!r} must be a whole number of at least 0")
        if self.max_passes is not None and not (isinstance(self.max_passes, int) and 1 <= self.max_passes <= 20):
            raise ParameterError(f"max_passes {self.max_passes!r} must be a whole number within 1..20")
        for name in ("r_wire_ohm", "r_contact_ohm"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1e6):
                raise ParameterError(f"{name}={v!r} must be within 0..1e6 ohm")
        if not isinstance(self.size, (int, np.integer)) or not 24 <= self.size <= 512:
            raise ParameterError(f"size={self.size!r} must be a whole number of lines within 24..512 (the layer needs 24 x 20)")
        params = self.params
        if self.max_passes is None:
            object.__setattr__(self, "max_passes", params.default_passes)
        if self.sigma_nS is not None and params.write_error(self.sigma_nS) == params.write_error(None):
            object.__setattr__(self, "sigma_nS", None)  # the device's own error: one cache entry, however named
        if self.reset_sigma_nS is not None and params.reset_error(self.reset_sigma_nS) == params.reset_error(None):
            object.__setattr__(self, "reset_sigma_nS", None)
        if self.variation is None and params.device_variation.active:
            object.__setattr__(self, "variation", params.device_variation)  # the device's measured spread
        if self.variation is not None and not self.variation.active and not params.device_variation.active:
            object.__setattr__(self, "variation", None)  # identical devices either way: one cache entry

    @property
    def params(self):
        """The device's parameter object (a built-in's, or a device file's)."""
        return resolve_device(self.device)

    @property
    def crossbar(self) -> CrossbarParams:
        """The array the layer is written into."""
        return CrossbarParams(rows=self.size, cols=self.size, r_wire_wl_ohm=self.r_wire_ohm, r_wire_bl_ohm=self.r_wire_ohm,
                              r_contact_ohm=self.r_contact_ohm)


@dataclass
class LayerTransfer:
    """A transferred layer: per-cell table, summary, and the simulated array state."""

    cells: pd.DataFrame
    summary: dict
    result: TransferResult
    levels: np.ndarray
    spec: TransferSpec
    loaded_s: float | None = None
    """Seconds it took to load from the cache; None when it was simulated in this call."""

    @property
    def crossbar(self) -> CrossbarParams:
        """The array the layer was written into."""
        return self.spec.crossbar

    def to_record(self) -> dict:
        """The layer as a store record (`compact_models.store`): arrays, frames and JSON, no pickles."""
        return _to_record(self)

    @classmethod
    def from_record(cls, record: dict, spec: TransferSpec) -> "LayerTransfer":
        """The layer `to_record` stored, transferred by ``spec``."""
        return _from_record(record, spec)


def transfer_layer(levels: np.ndarray, spec: TransferSpec = TransferSpec(), *, spice_backend: str = "auto",
                   processes: int = 1, progress=None, cache: bool = True) -> LayerTransfer:
    """Map a 24 x 10 level map onto the spec's array and write it in by the spec's scheme, in ngspice
    (or by the nodal engine: ``spec.engine``).

    ``processes`` ngspice processes may share each write transient (the result does not depend on it).
    With ``cache`` the result is kept in the cache folder under a content address of the levels, the
    spec and the device's parameters, and a repeated call loads it instead of simulating again.
    """
    levels = np.asarray(levels)
    params = spec.params
    stem = cache_record("transfers", content_key("transfer", levels.astype(int).tolist(), spec, params)) if cache else None
    if stem is not None:
        t0 = time.perf_counter()
        record = read_record(stem)
        if record is not None:
            layer = _from_record(record, spec)
            layer.loaded_s = time.perf_counter() - t0
            say(progress, f"{spec.scheme} transfer of this layer loaded from the cache in {layer.loaded_s:.2f} s ({stem.parent})")
            return layer
    layer = _simulate(levels, spec, spice_backend, processes, progress)
    if stem is not None:
        write_record(stem, _to_record(layer))
    return layer


def _simulate(levels, spec: TransferSpec, spice_backend, processes, progress) -> LayerTransfer:
    params = spec.params
    xbar = spec.crossbar
    targets = target_states(levels, xbar.shape, spec.zero_state)
    result = transfer_states(params, targets, TransferConfig(scheme=spec.scheme, max_passes=spec.max_passes), xbar=xbar,
                             error=params.write_error(spec.sigma_nS), variation=spec.variation, seed=spec.seed,
                             backend=spice_backend, progress=progress, processes=processes, stream=layer_stream(levels),
                             reset_error=params.reset_error(spec.reset_sigma_nS), engine=spec.engine)
    cells = _layer_cells(result.cells, levels, xbar)
    return LayerTransfer(cells, _layer_summary(result.summary, spec, cells), result, levels, spec)


def layer_stream(levels: np.ndarray) -> int:
    """The error stream of a layer: a number drawn from its levels, so that each layer (QT, QT & PR)
    carries errors of its own under one seed, and the same layer always the same ones (whatever the
    store's schema version)."""
    import hashlib

    text = "error stream " + ",".join(str(int(x)) for x in np.asarray(levels).ravel())
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def _layer_cells(cells: pd.DataFrame, levels, xbar) -> pd.DataFrame:
    cells = cells.copy()
    n_out = levels.shape[1]
    cells.insert(2, "level", level_of_cells(levels, xbar.shape).ravel())
    side = np.full(xbar.shape, "unused", dtype=object)
    side[: levels.shape[0], :n_out] = "positive"
    side[: levels.shape[0], n_out : 2 * n_out] = "negative"
    cells.insert(3, "side", side.ravel())
    return cells


def _layer_summary(summary: dict, spec: TransferSpec, cells: pd.DataFrame) -> dict:
    """The transfer's summary (its statistics over the written cells) with the layer's: every cell of
    the layer, written or left reset (partners and zeros), and the cells left reset alone."""
    layer = cells[cells.side != "unused"]
    return dict(summary, zero_state=spec.zero_state, seed=spec.seed, r_wire_ohm=spec.r_wire_ohm,
                r_contact_ohm=spec.r_contact_ohm, size=spec.size,
                all_layer_cells=error_statistics(layer.error_nS.to_numpy()),
                reset_layer_cells=error_statistics(layer.error_nS[~layer.written].to_numpy()))


def _to_record(layer: LayerTransfer) -> dict:
    r = layer.result
    cells = r.state.cells
    n = r.state.device.n_switches
    closed = np.zeros((len(cells), len(cells[0]), n), dtype=bool)
    g_scale = np.array([[c.g_scale for c in row] for row in cells])
    area_scale = np.array([[c.area_scale for c in row] for row in cells])
    ron = np.full(closed.shape, np.nan)
    vt = np.full(closed.shape, np.nan)
    for i, row in enumerate(cells):
        for j, c in enumerate(row):
            closed[i, j, list(c.closed)] = True
            if c.ron_factor is not None:
                ron[i, j] = c.ron_factor
            if c.vt_offset_V is not None:
                vt[i, j] = c.vt_offset_V
    phases = [{"name": p.name, "pulse_width_s": p.pulse_width_s, "n_pulses": p.n_pulses,
               "writes": [[i, list(cols), t, k] for (i, cols), t, k in p.writes],
               "wl": [_wave_record(w) for w in p.wl], "bl": [_wave_record(w) for w in p.bl]} for p in r.phases]
    return {"cells": layer.cells, "summary": layer.summary, "result_summary": r.summary, "levels": np.asarray(layer.levels),
            "closed": closed, "g_scale": g_scale, "area_scale": area_scale, "ron_factor": ron, "vt_offset_V": vt, "phases": phases,
            "netlists": r.netlists}


def _wave_record(w: Waveform) -> dict:
    return {"edge_s": w.edge_s, "times": np.asarray(w.times, dtype=float), "values": np.asarray(w.values, dtype=float),
            "marks": [list(m) for m in w.marks]}


def _from_record(rec: dict, spec: TransferSpec) -> LayerTransfer:
    closed, g_scale, ron, vt = rec["closed"], rec["g_scale"], rec["ron_factor"], rec["vt_offset_V"]
    area_scale = rec["area_scale"]
    cells = [[SwitchCell(closed=tuple(int(k) for k in np.flatnonzero(closed[i, j])), g_scale=float(g_scale[i, j]),
                         area_scale=float(area_scale[i, j]),
                         ron_factor=None if np.isnan(ron[i, j]).all() else tuple(float(x) for x in ron[i, j]),
                         vt_offset_V=None if np.isnan(vt[i, j]).all() else tuple(float(x) for x in vt[i, j]))
              for j in range(closed.shape[1])] for i in range(closed.shape[0])]
    state = ArrayState(spec.params, spec.crossbar, cells)
    phases = [Phase(p["name"], [_wave(w) for w in p["wl"]], [_wave(w) for w in p["bl"]], p["pulse_width_s"],
                    [((int(i), tuple(int(c) for c in cols)), t, int(k)) for i, cols, t, k in p["writes"]], p["n_pulses"])
              for p in rec["phases"]]
    layer_cells = rec["cells"]
    layer_cells["side"] = layer_cells["side"].astype(object)
    result_cells = layer_cells.drop(columns=["level", "side"])
    result = TransferResult(result_cells, rec["result_summary"], state, phases, rec["netlists"])
    return LayerTransfer(layer_cells, rec["summary"], result, np.asarray(rec["levels"]), spec)


def _wave(rec: dict) -> Waveform:
    return Waveform(rec["edge_s"], rec["times"].tolist(), rec["values"].tolist(), [tuple(m) for m in rec["marks"]])
