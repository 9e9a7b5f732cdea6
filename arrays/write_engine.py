"""The write regime by nodal analysis: a write transient's switch states and energy without ngspice.

A transfer's outcome is decided by each cell's stack voltage against its switches' thresholds, and
the stacks' 0.1 fF capacitors settle within nanoseconds against pulses of microseconds to
milliseconds: at every instant of a write the array is at DC. So a phase is solved by the nodal
engine (`arrays.nodal`) at the corners of its PWL sources and, on their ramps, at the time points
ngspice would take (a pulse width over `arrays.writes.POINTS_PER_PULSE`). At each point the switches
follow ngspice's ``SW`` rule against their state at the previous point (close above VT + VH, open below
VT - VH) until the states and the voltages agree, as ngspice's Newton loop does at a time point.

Two pulses are solved in one batch where they can be (`PREDICTED_PULSES`; else one): every point in the switch states its cells' nominal
voltages (wordline minus bitline source) predict through the hysteresis, each point where they move
once more in the states before it, and the batch kept when its own voltages confirm every state
(`_predicted`); else point by point as above.

The result carries the vectors of `arrays.energy.power_vectors`, so the switch replay and the
programming energy are computed by the same code as for ngspice's transient. ngspice stays the
reference: the tests compare the switch states of both on both devices and schemes.
"""
from __future__ import annotations

import numpy as np

from arrays.nodal import NodalArray
from compact_models.errors import ConvergenceError
from compact_models.simulator import SimResult

MAX_FIXED_POINT = 50
"""Switch-state updates at one time point at most before the engine gives up."""


class _Switches:
    """Every switch of every cell: thresholds, conductances in both states, and which are closed."""

    def __init__(self, device, cells):
        on, off, g_on, closed = [], [], [], []
        n = device.n_switches
        for row in cells:
            for c in row:
                v_on, v_off = c.thresholds_V(device)
                on.append(v_on)
                off.append(v_off)
                g_on.append(c.on_conductances_S(device))
                mask = np.zeros(n, dtype=bool)
                mask[list(c.closed)] = True
                closed.append(mask)
        shape = (len(cells), len(cells[0]), n)
        self.v_on, self.v_off = np.reshape(on, shape), np.reshape(off, shape)
        self.g_on, self.g_off = np.reshape(g_on, shape), 1.0 / float(device.roff_ohm)
        self.closed = np.reshape(closed, shape)

    def conductance_S(self, closed: np.ndarray) -> np.ndarray:
        return np.where(closed, self.g_on, self.g_off).sum(axis=-1)

    def after(self, closed: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The states after a point at cell voltages ``v`` (rows x cols), from ``closed`` before it."""
        return _hysteresis(v[..., None], self.v_on, self.v_off, closed)

    def moves(self, closed: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Per point of ``v`` (points x rows x cols), whether any switch would change from ``closed``."""
        return self.reached(closed, v).any(axis=(1, 2))

    def reached(self, closed: np.ndarray, v: np.ndarray, bounds=None) -> np.ndarray:
        """Per point and cell of ``v`` (points x rows x cols), whether a switch would change from ``closed``:
        the cell is above the lowest threshold of its open switches or below the highest of its closed
        ones (``bounds``: those two, `bounds` of ``closed``)."""
        lowest_on, highest_off = self.bounds(closed) if bounds is None else bounds
        return (v > lowest_on) | (v < highest_off)

    def bounds(self, closed: np.ndarray) -> tuple:
        """(lowest set threshold of the open switches, highest reset threshold of the closed ones) per cell, V."""
        return np.where(closed, np.inf, self.v_on).min(axis=-1), np.where(closed, self.v_off, -np.inf).max(axis=-1)


def _hysteresis(v, v_on, v_off, closed):
    """ngspice's ``SW`` rule: closed above ``v_on``, open below ``v_off``, else as ``closed`` was."""
    return np.where(v > v_on, True, np.where(v < v_off, False, closed))


def sample_times_s(phase, max_step_s: float) -> np.ndarray:
    """The time points of ``phase``: every corner of its sources, and points at most ``max_step_s``
    apart on the intervals where a source ramps (the array is at DC; flat intervals need no point)."""
    t = np.unique(np.concatenate([np.asarray(w.times, dtype=float) for w in phase.wl + phase.bl]))
    src = _sources_V(phase, t)
    pieces = [t[:1]]
    for k in range(1, len(t)):
        a, b = t[k - 1], t[k]
        if np.any(src[:, k] != src[:, k - 1]):
            inner = int(np.ceil((b - a) / max_step_s - 1e-9))
            if inner > 1:
                pieces.append(a + (b - a) * np.arange(1, inner) / inner)
        pieces.append(t[k: k + 1])
    return np.concatenate(pieces)


def _sources_V(phase, t: np.ndarray) -> np.ndarray:
    """Wordline then bitline source voltages at times ``t``: (rows + cols) x len(t)."""
    return np.array([np.interp(t, w.times, w.values) for w in phase.wl + phase.bl])


def nodal_transient(device, xbar, cells, phase, max_step_s: float) -> SimResult:
    """The write transient of ``phase`` from ``cells``, solved point by point by the nodal engine.

    Returns the time points and the vectors of `arrays.energy.power_vectors` (``backend`` "nodal").
    Consecutive points without a switch change are solved as one batch; a point where switches move
    is solved again until they settle (`_settle`), and kept as it settled, as ngspice keeps a time
    point once its Newton loop has converged.
    """
    m = xbar.rows
    t = sample_times_s(phase, max_step_s)
    src = _sources_V(phase, t)
    sw = _Switches(device, cells)
    closed = sw.closed
    arr = NodalArray.from_cells(device, xbar, cells)
    out = _Points()
    k = 0
    while k < len(t):
        if arr.closed_form:
            ahead = None
            for pulses in dict.fromkeys((PREDICTED_PULSES, 1)):
                stop = _segment_end(t, src, k, pulses=pulses)
                ahead = _predicted(sw, arr, closed, src[:, k:stop], m)
                if ahead is not None:
                    break
            if ahead is not None:
                closed, arr, sol = ahead
                out.add(t[k:stop], src[:, k:stop], *sol)
                k = stop
                continue
        end = _segment_end(t, src, k)
        w, b, i = arr.solve_nodes(src[:m, k:end].T, src[m:, k:end].T)
        moved = np.flatnonzero(sw.moves(closed, w - b))
        stop = k + (int(moved[0]) + 1 if moved.size else end - k)
        kept = stop - k - (1 if moved.size else 0)
        out.add(t[k: k + kept], src[:, k: k + kept], w[:kept], b[:kept], i[:kept])
        if moved.size:
            q = stop - 1 - k
            closed, arr, sol = _settle(sw, arr, closed, (w[q: q + 1], b[q: q + 1], i[q: q + 1]), src[:, stop - 1],
                                       m, phase.name, t[stop - 1])
            out.add(t[stop - 1: stop], src[:, stop - 1: stop], *sol)
        k = stop
    return out.result(m)


PREDICTED_PULSES = 2
"""Pulses `_predicted` solves in one batch (one where that fails)."""


def _predicted(sw: _Switches, arr, closed, src, m):
    """A batch solved in one go from switch states predicted by each cell's nominal voltage (its sources'
    difference) through the hysteresis, and kept only if it is what the point-by-point solve gives.

    Every point is solved in its predicted states, and every point where they change once more in the
    states before it. That is the point-by-point outcome when each point's states are a fixed point
    of the hysteresis at its solution and, where they change, one update from the states before it
    reaches them (`_settle` stops there). Only the cells whose nominal voltage reaches a threshold
    are replayed; every other cell must keep its states at its solved voltages. Returns (states after
    the batch, the array in them, the batch's solution), or None where the line drops move a cell
    across a threshold the nominal voltages do not.
    """
    nominal = src[:m].T[:, :, None] - src[m:].T[:, None, :]
    bounds = sw.bounds(closed)
    rows, cols = np.nonzero(sw.reached(closed, nominal, bounds).any(axis=0))
    n = len(nominal)
    states = np.empty((n, len(rows), closed.shape[-1]), dtype=bool)
    before = closed[rows, cols]
    on, off = sw.v_on[rows, cols], sw.v_off[rows, cols]
    for q in range(n):
        states[q] = before = _hysteresis(nominal[q, rows, cols][:, None], on, off, before)
    previous = np.concatenate([closed[rows, cols][None], states[:-1]])
    moves = np.flatnonzero((states != previous).any(axis=(1, 2)))
    g = np.repeat(arr.g_sw[None], n + len(moves), axis=0)
    g_on = sw.g_on[rows, cols]
    g[:, rows, cols] = np.where(np.concatenate([states, previous[moves]]), g_on, sw.g_off).sum(axis=-1)
    w, b, i = arr.solve_nodes(np.concatenate([src[:m].T, src[:m, moves].T]),
                              np.concatenate([src[m:].T, src[m:, moves].T]), g_switch_S=g)
    v = (w - b)[:, rows, cols][..., None]
    settled = _hysteresis(v, on, off, np.concatenate([states, previous[moves]]))
    if not (np.array_equal(settled[:n], states) and np.array_equal(settled[n:], states[moves])):
        return None
    others = sw.reached(closed, w[:n] - b[:n], bounds)
    others[:, rows, cols] = False
    if others.any():
        return None
    after = closed.copy()
    after[rows, cols] = states[-1]
    if not np.array_equal(after, closed):
        arr = arr.with_switches(sw.conductance_S(after))
    return after, arr, (w[:n], b[:n], i[:n])


def _settle(sw: _Switches, arr, closed, sol, src_e, m, name, t_e):
    """The switch states at one point, updated until they agree with the voltages they give.

    Each update follows the hysteresis from the states of the update before: a switch that has moved
    at this point stays moved unless its cell crosses the other threshold (a cell exactly at its
    threshold, pulled back a little by its own new current, keeps the state it took).
    """
    w, b, i = sol
    state = closed
    for _ in range(MAX_FIXED_POINT):
        nxt = sw.after(state, (w - b)[0])
        if np.array_equal(nxt, state):
            return state, arr, (w, b, i)
        state = nxt
        arr = arr.with_switches(sw.conductance_S(state))
        w, b, i = arr.solve_nodes(src_e[None, :m], src_e[None, m:])
    raise ConvergenceError(f"{name}: the switch states at t = {t_e:.6g} s did not settle in {MAX_FIXED_POINT} "
                           "updates; use --engine spice for this transfer")


class _Points:
    """The solved points in time order: times, sources and node voltages and cell currents."""

    def __init__(self):
        self.parts = []

    def add(self, t, src, w, b, i):
        if len(t):
            self.parts.append((np.asarray(t, dtype=float), np.asarray(src), w, b, i))

    def result(self, m: int) -> SimResult:
        t, src, vw, vb, cur = (np.concatenate([p[k] for p in self.parts], axis=1 if k == 1 else 0) for k in range(5))
        n = vw.shape[2]
        vec = {"time": t}
        # Each node's samples contiguous, as ngspice's vectors are (time-major views would be strided).
        vw, vb = np.ascontiguousarray(vw.transpose(1, 2, 0)), np.ascontiguousarray(vb.transpose(1, 2, 0))
        for i in range(m):
            for j in range(n):
                vec[f"v(w{i}_{j})"] = vw[i, j]
                vec[f"v(b{i}_{j})"] = vb[i, j]
        for i in range(m):
            vec[f"v(wl{i})"] = src[i]
            vec[f"i(vwl{i})"] = -cur[:, i, :].sum(axis=1)  # ngspice's sign: + to - through the source
        for j in range(n):
            vec[f"v(bl{j})"] = src[m + j]
            vec[f"i(vbl{j})"] = cur[:, :, j].sum(axis=1)
        return SimResult("tran", vec, backend="nodal")


def _segment_end(t: np.ndarray, src: np.ndarray, k: int, batch: int = 64, pulses: int = 1) -> int:
    """End (exclusive) of the batch from point ``k``: up to ``batch`` points, ending after the
    ``pulses``-th next point where every source is at 0 V (the end of a pulse)."""
    rest = np.flatnonzero(~src[:, k + 1: k + batch].any(axis=0))
    return min(len(t), k + 1 + (int(rest[pulses - 1]) + 1 if rest.size >= pulses else batch - 1))
