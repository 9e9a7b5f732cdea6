"""Layer 2 of the SNN on the simulated array, in ngspice.

The hidden spikes of one image drive the 24 wordlines (1 V for a spike, 0 V otherwise), every
bitline is held at 0 V, and the class is the output with the largest accumulated differential
current (positive bitline c minus negative bitline 10 + c). Two modes run the same read-regime
netlist (switch banks frozen: at 1 V no switch can move):

* ``transient``: the spikes as PWL pulses, one transient per image; the reference, and what the
  power integrator needs (the simulator's own time points).
* ``quasi-static``: one DC sweep over the time-step index, the wordline drivers selecting each step's
  spikes; capacitors carry no current, so each step's currents are the transient's plateau currents
  without the edges. Far cheaper (`benchmarks/README.md`); validated against the transient in the tests. The sweep
  visits each distinct spike pattern once (an image's 25 steps hold about 16), ordered so that each
  point starts Newton from the most similar pattern before it (`sweep_points`).

In both, the wordlines that never spike in the image (about two thirds of them) carry their cells at
microvolts, where HT-RRAM's non-linear resistors equal their zero-bias values: those cells get plain
resistors when the nodal engine bounds the change in every bitline current below 1e-6 of it
(`arrays.nodal.quiet_rows`), each one resistor (`quiet_cell_ohm`), which spares ngspice most of its matrix-load
work and a third of its equations. Where the bound also holds with the quiet wordlines' own contact
and segments left out (HT-RRAM: their cells draw about 1e-13 A, their line nodes sit within 1e-11
V of the source), those cells hang from the wordline's source node: the quiet rows then no longer
tie the bitlines into one resistive mesh, and ngspice's LU has a fraction of the fill-in (a 24 x 24
transient about three times as fast). Their top electrodes' vectors ``v(w<i>_<j>)`` are then
``v(wl<i>)``, and the power integrator's currents of these devices (from the line drops along their
wordline) zero: at the bitlines' microvolts they dissipate about 1e-18 W each.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arrays.netlist import CrossbarParams, device_array_netlist
from arrays.nodal import quiet_row_sets
from compact_models import osdi, simulator
from compact_models.waveforms import pwl_text

MODES = ("transient", "quasi-static")

POINTS_PER_PLATEAU = 2
"""The inference transient's maximum step is a spike plateau over this. ngspice's own rule after each
breakpoint (a tenth of the step before it, doubling from there) already puts about 22 points in a
step, at the four corners of its spikes and between them, so the cap hardly ever binds: against a
1 us step the plateau currents agree within 3e-4 and the power within 2e-3, the edges' trapezoids
(`tests/snn/test_inference.py`)."""


@dataclass(frozen=True, kw_only=True)
class SpikeTiming:
    """Timing of the spike pulses of one inference transient."""

    step_s: float = 1e-3
    """Length of one time step, s."""
    pulse_s: float = 0.5e-3
    """Plateau of a spike, s."""
    edge_s: float = 20e-6
    """Rise and fall of a spike, s."""

    @property
    def duty(self) -> float:
        """A spike's share of its step at full power: the plateau, and each edge at a third (V^2 on a ramp)."""
        return (self.pulse_s + 2 * self.edge_s / 3) / self.step_s

    def __post_init__(self):
        import math

        from compact_models.errors import ParameterError

        if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in (self.step_s, self.pulse_s, self.edge_s)):
            raise ParameterError("spike step, plateau and edge must be finite numbers")
        if not (self.pulse_s > 0 and self.edge_s > 0 and 3 * self.edge_s + self.pulse_s <= self.step_s):
            raise ParameterError(f"a spike of {self.pulse_s * 1e3:g} ms plateau and {self.edge_s * 1e6:g} us edges does not fit "
                                 f"its {self.step_s * 1e3:g} ms step: both must be > 0 and plateau + 3 edges <= the step")


def spike_pwl(spikes: np.ndarray, volts: float, timing: SpikeTiming = SpikeTiming()) -> list:
    """PWL specs (one per wordline) for a steps x wordlines spike raster.

    Every spike is a separate pulse with an explicit 0 V corner just before its rising edge.
    """
    steps, lines = spikes.shape
    e, w, T = timing.edge_s, timing.pulse_s, timing.step_s
    specs = []
    for i in range(lines):
        t, v = [0.0], [0.0]
        for k in np.flatnonzero(spikes[:, i]):
            t0 = k * T + e
            t += [t0, t0 + e, t0 + e + w, t0 + 2 * e + w]
            v += [0.0, volts, volts, 0.0]
        t.append(steps * T)
        v.append(0.0)
        specs.append(pwl_text(t, v))
    return specs


def write_spike_pwl(folder, hidden: np.ndarray, test_indices, volts: float, label: str = "",
                    timing: SpikeTiming = SpikeTiming()) -> None:
    """One include file per image (``image<index>.inc``) with the wordline sources of its inference."""
    from pathlib import Path

    from compact_models.io import atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for spikes, test_index in zip(hidden, test_indices):
        body = "".join(f"Vwl{i} wl{i} 0 {spec}\n" for i, spec in enumerate(spike_pwl(spikes, volts, timing)))
        atomic_write_text(folder / f"image{int(test_index):05d}.inc",
                          f"* {label}hidden spikes of test image {int(test_index)}, one source per wordline\n" + body)


def plateau_windows(steps: int, timing: SpikeTiming = SpikeTiming()) -> list:
    """(start, end) of the spike plateau of every step."""
    e, w, T = timing.edge_s, timing.pulse_s, timing.step_s
    return [(k * T + 2 * e, k * T + 2 * e + w) for k in range(steps)]


def spike_V(device) -> float:
    """Spike amplitude: the device's read voltage, taken positive (HfOxSy reads at -0.1 V; its cells are
    linear, and positive spikes keep the bitline currents positive for the class decision)."""
    return abs(device.read_V)


def inference_netlist(device, xbar: CrossbarParams, cells, spikes: np.ndarray, mode: str,
                      timing: SpikeTiming = SpikeTiming()) -> tuple:
    """The deck and analysis line of one image's inference."""
    return _inference_deck(device, xbar, cells, spikes, mode, timing)[:2]


def _inference_deck(device, xbar: CrossbarParams, cells, spikes: np.ndarray, mode: str, timing: SpikeTiming) -> tuple:
    """(deck, analysis line, the quiet wordlines that hang their cells from their source)."""
    steps = spikes.shape[0]
    points, _ = sweep_points(_pad(spikes, xbar.rows))
    # Both within `arrays.nodal.quiet_rows`' bound; the ideal rows where their own line drops stay within
    # it too (HT-RRAM's nS cells), none where they do not (HfOxSy's mS cells load their lines).
    linear, ideal = quiet_row_sets(device, xbar, cells, points * spike_V(device))
    quiet = {"static": True, "linear_rows": linear, "ideal_rows": ideal, "compiled": osdi.usable()}
    if mode == "transient":
        specs = spike_pwl(_pad(spikes, xbar.rows), spike_V(device), timing)
        net = device_array_netlist(device, xbar, cells, specs, ["0"] * xbar.cols, title="inference", **quiet)
        step = timing.pulse_s / POINTS_PER_PLATEAU
        return net, f".tran {step:.6g} {steps * timing.step_s:.9g} 0 {step:.6g}", ideal
    if mode == "quasi-static":
        drivers = ["Vsel sel 0 0", "Rsel sel 0 1"]
        for i in range(xbar.rows):
            terms = [f"((abs(V(sel)-{k})<0.5) ? {spike_V(device):.9g} : 0)" for k in np.flatnonzero(points[:, i])]
            drivers.append(f"Bwl{i} wl{i} 0 V={' + '.join(terms) if terms else '0'}")
        net = device_array_netlist(device, xbar, cells, None, ["0"] * xbar.cols, title="inference (quasi-static)",
                                   drivers=drivers, **quiet)
        return net, f".dc vsel 0 {len(points) - 1} 1", ideal
    from compact_models.errors import ParameterError

    raise ParameterError(f"mode {mode!r} is unknown; choose one of {', '.join(MODES)}")


def sweep_points(spikes: np.ndarray) -> tuple:
    """The quasi-static sweep's points: (distinct spike patterns in sweep order, each step's point).

    A DC point depends only on its sources, so equal steps share one point. Starting from all
    wordlines off, each next point is the remaining pattern closest in Hamming distance to the last:
    Newton starts nearer its solution, in fewer iterations.
    """
    patterns, step_pattern = np.unique(np.asarray(spikes, dtype=bool), axis=0, return_inverse=True)
    left = list(range(len(patterns)))
    order = []
    last = np.zeros(patterns.shape[1], dtype=bool)
    while left:
        k = left.pop(int(np.argmin([np.count_nonzero(patterns[p] != last) for p in left])))
        order.append(k)
        last = patterns[k]
    position = np.empty(len(order), dtype=int)
    position[order] = np.arange(len(order))
    return patterns[order], position[np.ravel(step_pattern)]


def _pad(spikes: np.ndarray, rows: int) -> np.ndarray:
    if spikes.shape[1] == rows:
        return spikes
    out = np.zeros((spikes.shape[0], rows), dtype=bool)
    out[:, : spikes.shape[1]] = spikes
    return out


def bitline_step_currents(device, xbar: CrossbarParams, cells, spikes: np.ndarray, mode: str = "transient",
                          timing: SpikeTiming = SpikeTiming(), backend: str = "auto", save_extra=(), return_result=False):
    """Bitline currents (A) of every step (steps x bitlines): plateau means, or the DC points.

    With ``return_result`` the ngspice vectors come too (quasi-static: one point per `sweep_points`).
    """
    net, analysis, ideal = _inference_deck(device, xbar, cells, spikes, mode, timing)
    save = list(dict.fromkeys([f"i(vbl{j})" for j in range(xbar.cols)] + list(save_extra)))
    # An ideal wordline's cells hang from its source node: their top electrodes are v(wl<i>).
    tops = {f"v(w{i}_{j})": f"v(wl{i})" for i in ideal for j in range(xbar.cols)}
    asked = [name for name in save if name.lower() in tops]
    save = list(dict.fromkeys([name for name in save if name.lower() not in tops] +
                              [tops[name.lower()] for name in asked]))
    res = simulator.run(net, analysis, save=save, backend=backend)
    for name in asked:
        res.vectors[name.lower()] = res[tops[name.lower()]]
    if mode == "quasi-static":
        _, step_point = sweep_points(_pad(spikes, xbar.rows))
        currents = np.array([res[f"i(vbl{j})"] for j in range(xbar.cols)]).T[step_point]
    else:
        from compact_models.waveforms import sample_windows

        windows = plateau_windows(spikes.shape[0], timing)
        currents = np.array([sample_windows(res.time, res[f"i(vbl{j})"], windows) for j in range(xbar.cols)]).T
    return (currents, res) if return_result else currents


def classify(currents: np.ndarray, n_classes: int = 10) -> tuple:
    """Class and the accumulated differential currents (A) from steps x bitlines currents."""
    total = currents.sum(axis=0)
    diff = total[:n_classes] - total[n_classes: 2 * n_classes]
    return int(np.argmax(diff)), diff


def infer_image(device, xbar, cells, spikes, mode="transient", timing: SpikeTiming = SpikeTiming(), backend="auto") -> dict:
    """One image through the array: its class and accumulated differential currents."""
    currents = bitline_step_currents(device, xbar, cells, spikes, mode, timing, backend)
    label, diff = classify(currents)
    return {"predicted": label, "diff_current_nA": diff * 1e9, "step_currents_nA": currents * 1e9}
