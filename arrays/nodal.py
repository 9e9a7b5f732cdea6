"""A second array engine beside ngspice: the read-regime crossbar solved by nodal analysis in numpy/scipy.

The same circuit as `arrays.netlist.device_array_netlist` with ``static=True``: every cell is
Rc - (frozen switch bank || switching area) - insulator area - Rc, with the device's own
non-linear resistors (HT-RRAM's Rs and Ri of Table 1, HfOxSy's linear Gmin and Ri), the OFF-switch
leakage inside the frozen bank, and the same line and contact resistances and bitline bias.

Kirchhoff's laws are solved in two nested parts, both to far below ngspice's tolerances:

* inside a cell, the two internal node voltages by Newton's method on the cell's own two equations
  (vectorised over every cell of every read at once), started from each cell's solution interpolated
  on a grid of stack voltages (`GUESS_STEPS_PER_READ`), which halves the steps a write's voltages take
  and is exact at the read voltage (a cell whose switches moved since its table was solved is solved
  alone at its stack voltage first: a write's moving cells then cost a few elements' steps, not the
  whole batch's);
* across the array, by a chord (fixed-Jacobian) Newton iteration on the nodal equations of the
  wordline and bitline nodes: the Jacobian of the lines, contacts and the cells at their read
  conductance, a scipy.sparse matrix factorised once per array (SuperLU) and applied to every read of
  a batch at once. When the lines barely load the cells (the largest line drop with every cell at
  its read current per volt below 0.05 V, as for HT-RRAM's nS cells), the lines' part is solved in
  closed form instead: each line is a chain fed from one end, so its node voltages are cumulative sums
  of the cell currents, and the cell voltages follow by a fixed-point iteration. Cells at 0 V in
  every read of a batch (a write's unselected rows and columns, an inference's silent wordlines) sit
  at the microvolts of the line drops: they run on their zero-bias conductance where their laws'
  `zero_bias_deviation` bounds the change this makes below the solve's tolerance, and only the
  others run their laws.

Reads that repeat (an SNN's time steps share few distinct spike patterns) are solved once.
ngspice stays the reference: the tests compare the two on the same arrays.
"""
from __future__ import annotations

import copy

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from arrays.netlist import CrossbarParams
from compact_models.errors import ConvergenceError, ParameterError

WEAK_COUPLING = 0.05
"""Below this line loading (V of line drop per V of read) the lines are solved in closed form."""
CELL_NEWTON_STEPS = 100
"""Steps the closed-form lines' iteration may add for the cells' own Newton steps, which it takes in
the same loop (each cell solve had this many of its own when the two loops were nested)."""
GUESS_STEPS_PER_READ = 16
"""Each cell's table of internal voltages, the guesses Newton starts from, has this many points per
read voltage: the read itself is a point, where a read's or an inference's guess is the solution."""
REFACTOR_RATIO = 0.3
"""The chord iteration factorises its Jacobian again when an update shrinks by less than this."""


def _resistance(r_ohm: float) -> float:
    """As the netlist: a zero resistance becomes 1 micro-ohm."""
    return max(float(r_ohm), 1e-6)


def nodal_matrix(g_cells: np.ndarray, r_wl_ohm: float, r_bl_ohm: float, r_c_ohm: float):
    """Sparse nodal (conductance) matrix of a crossbar's lines and contacts with linear cells ``g_cells`` (S).

    Unknowns: the wordline nodes w_ij (index i n + j), then the bitline nodes b_ij (m n + i n + j);
    wordline i is fed at column 0 and bitline j leaves below the last row, each through ``r_c_ohm``.
    """
    m, n = g_cells.shape
    w = np.arange(m * n).reshape(m, n)
    b = w + m * n
    a = [w[:, :-1].ravel(), b[:-1].ravel(), w.ravel()]
    c = [w[:, 1:].ravel(), b[1:].ravel(), b.ravel()]
    g = [np.full(m * (n - 1), 1 / r_wl_ohm), np.full((m - 1) * n, 1 / r_bl_ohm), np.ravel(g_cells)]
    a, c, g = np.concatenate(a), np.concatenate(c), np.concatenate(g)
    rows = np.concatenate([a, c, a, c, w[:, 0], b[-1]])
    cols = np.concatenate([a, c, c, a, w[:, 0], b[-1]])
    vals = np.concatenate([g, g, -g, -g, np.full(m + n, 1 / r_c_ohm)])
    return scipy.sparse.csc_matrix((vals, (rows, cols)), shape=(2 * m * n, 2 * m * n))


class NodalArray:
    """A frozen crossbar ready to solve many reads: cell laws vectorised, the line coupling factorised once."""

    def __init__(self, device, xbar: CrossbarParams, g_switch_S: np.ndarray, area_scale: np.ndarray | None = None):
        self.device, self.xbar = device, xbar
        self.g_sw = np.asarray(g_switch_S, dtype=float)
        if self.g_sw.shape != xbar.shape:
            raise ParameterError(f"switch conductances are {self.g_sw.shape}, the array is {xbar.shape}")
        self.area_scale = np.ones(xbar.shape) if area_scale is None else np.asarray(area_scale, dtype=float)
        self.rc2 = 2.0 * float(device.rc_ohm)
        self.r_c, self.r_wl, self.r_bl = (_resistance(x) for x in (xbar.r_contact_ohm, xbar.r_wire_wl_ohm, xbar.r_wire_bl_ohm))
        self._wl_ohm, self._bl_ohm = self._transfer_ohm()
        self._switching, self._insulator = device.area_laws()
        self._table, self._table_top_V, self._table_g = None, 0.0, None
        v_ref = np.full((1,) + xbar.shape, abs(device.read_V))
        _, self._split, g_read = self._cells(v_ref, None)
        self._split = self._split[:, 0] / v_ref[0]  # internal voltages per volt at the read: the next guesses
        # Line loading: the largest drop across a cell when every cell draws its read current at 1 V
        # (the row sums of R G_read, R the lines' non-negative transfer resistances).
        self.coupling = float(np.abs(self._line_drops(g_read)).max())
        self._lines = self._jacobian(np.zeros(xbar.shape))
        self._lu = None if self.coupling < WEAK_COUPLING else scipy.sparse.linalg.splu(self._jacobian(g_read[0]))

    @classmethod
    def from_cells(cls, device, xbar: CrossbarParams, cells) -> "NodalArray":
        """The array in the states ``cells`` (a rows x cols list of `SwitchCell`)."""
        g = np.array([[c.switch_conductance_S(device) for c in row] for row in cells], dtype=float)
        if g.shape != xbar.shape:
            raise ParameterError(f"cells are {g.shape}, the array is {xbar.shape}")
        return cls(device, xbar, g, np.array([[c.area_scale for c in row] for row in cells], dtype=float))

    def _jacobian(self, g_cells: np.ndarray):
        """Sparse nodal matrix of the lines and contacts plus the cells at conductances ``g_cells`` (`nodal_matrix`)."""
        return nodal_matrix(g_cells, self.r_wl, self.r_bl, self.r_c)

    def _cells(self, v, guess, tol_V: float = 1e-13, max_iter: int = 100):
        """Currents, internal voltages (v_switching, v_insulator) and dI/dV of cells at stack voltages ``v``."""
        if guess is None:
            g0_s, g0_i = self._zero_bias_S(self.g_sw)
            r_total = 1 / g0_s + 1 / g0_i + self.rc2
            guess = np.stack([v / (g0_s * r_total), v / (g0_i * r_total)])
        split = guess
        for _ in range(max_iter):
            i_i, split, step, parts = self._cell_step(v, split)
            if step < tol_V:
                return i_i, split, self._cell_conductance(parts)
        raise ConvergenceError(f"a cell's internal voltages did not converge in {max_iter} Newton steps")

    def _cell_step(self, v, split, g_sw=None, area_scale=None) -> tuple:
        """One Newton step on every cell's two internal voltages at stack voltages ``v``.

        Returns the cells' currents after it, the internal voltages, the largest update (V), and the parts
        of their dI/dV (`_cell_conductance`).
        ``g_sw`` and ``area_scale`` default to the array's cells.
        """
        g_sw = self.g_sw if g_sw is None else g_sw
        area_scale = self.area_scale if area_scale is None else area_scale
        v1, v2 = split[0], split[1]
        i_s, g_s = self._switching.current_and_conductance(v1)
        i_i, g_i = self._insulator.current_and_conductance(v2)
        a = g_sw + area_scale * g_s
        f1 = g_sw * v1 + area_scale * i_s - i_i
        f2 = v1 + v2 + self.rc2 * i_i - v
        d = 1 + self.rc2 * g_i
        det = a * d + g_i
        d2 = (f1 - a * f2) / det
        d1 = -f2 - d * d2
        # Newton on an exponential law can overshoot from a far guess: no internal voltage leaves |v|.
        bound = np.abs(v) + 1e-12
        low = -bound
        v1 = np.minimum(np.maximum(v1 + d1, low), bound)
        v2 = np.minimum(np.maximum(v2 + d2, low), bound)
        step = float(np.max(np.abs(d1) + np.abs(d2), initial=0.0))
        # The current and dI/dV at the new voltages, to first order from the old ones' derivatives.
        i_new = i_i + g_i * d2
        return i_new, np.stack([v1, v2]), step, (g_i, a, d)

    @staticmethod
    def _cell_conductance(parts) -> np.ndarray:
        """dI/dV of cells from the (g_insulator, a, d) that `_cell_step` returns."""
        g_i, a, d = parts
        return g_i * a / (g_i + a * d)

    def _line_offsets(self, current: np.ndarray) -> tuple:
        """(wordline node minus its source, bitline node minus its source) at every cell, V, from cell
        currents (batch x rows x cols): each line is a chain fed from one end, so every node's offset is
        the line's transfer resistances (`_transfer_ohm`) times the cells' currents."""
        return -(current @ self._wl_ohm), self._bl_ohm @ current

    def _transfer_ohm(self) -> tuple:
        """(wordline, bitline) transfer resistances, ohm: cell k's current drops r_c + r_wl min(j, k) at
        wordline node j (fed at column 0), and r_c + r_bl (rows - 1 - max(i, k)) at bitline node i (fed below
        the last row)."""
        m, n = self.xbar.shape
        cols, rows = np.arange(n), np.arange(m)
        return (self.r_c + self.r_wl * np.minimum.outer(cols, cols),
                self.r_c + self.r_bl * (m - 1 - np.maximum.outer(rows, rows)))

    def _line_drops(self, current: np.ndarray) -> np.ndarray:
        """Wordline minus bitline node voltage at every cell from cell currents (batch x rows x cols), sources at 0 V."""
        wl, bl = self._line_offsets(current)
        return wl - bl

    def solve(self, wl_V: np.ndarray, bl_V: np.ndarray | None = None) -> np.ndarray:
        """Cell currents (A, batch x rows x cols) for wordline sources ``wl_V`` (batch x rows, or rows).

        Bitline sources ``bl_V`` (cols) default to 0 V.
        """
        return self.solve_cells(wl_V, bl_V)[1]

    def solve_cells(self, wl_V: np.ndarray, bl_V: np.ndarray | None = None, tol_V: float = 1e-13, max_iter: int = 60):
        """(voltage across each cell, its current): wordline minus bitline node in V, and A; batch x rows x cols."""
        vw, vb, current = self.solve_nodes(wl_V, bl_V, tol_V, max_iter)
        return vw - vb, current

    def solve_nodes(self, wl_V: np.ndarray, bl_V: np.ndarray | None = None, tol_V: float = 1e-13, max_iter: int = 60,
                    g_switch_S: np.ndarray | None = None):
        """(wordline node, bitline node, cell current) at every cell, V, V and A; batch x rows x cols.

        ``bl_V`` is one bitline vector (cols) for every read, or one per read (batch x cols).
        ``g_switch_S`` (batch x rows x cols) gives every read switch conductances of its own (a write's
        points, each in its switch states); only where the lines are solved in closed form (`closed_form`).
        """
        m, n = self.xbar.shape
        wl_V = np.atleast_2d(np.asarray(wl_V, dtype=float))
        bl_V = np.zeros(n) if bl_V is None else np.asarray(bl_V, dtype=float)
        if wl_V.shape[1] != m or bl_V.shape[-1] != n or bl_V.ndim > 2:
            raise ParameterError(f"{wl_V.shape[1]} wordline and {bl_V.shape[-1]} bitline voltages for a {m} x {n} array")
        bl_V = np.broadcast_to(bl_V, (len(wl_V), n))
        if g_switch_S is not None and (not self.closed_form or np.shape(g_switch_S) != (len(wl_V), m, n)):
            raise ParameterError("per-read switch conductances need the closed-form lines and one rows x cols "
                                 "array per read")
        if self._lu is not None:
            return self._solve_sparse(wl_V, bl_V, tol_V, max_iter)
        g_sw = self.g_sw[None] if g_switch_S is None else np.asarray(g_switch_S, dtype=float)
        applied = wl_V[:, :, None] - bl_V[:, None, :]
        live = np.any(applied != 0, axis=0).ravel()
        if np.any(self.device.zero_bias_deviation(1.0)) and not live.all():
            solved = self._solve_lines(wl_V, bl_V, applied, g_sw, tol_V, max_iter, np.flatnonzero(live))
            if solved is not None:
                return solved
        return self._solve_lines(wl_V, bl_V, applied, g_sw, tol_V, max_iter, None)

    @property
    def closed_form(self) -> bool:
        """Whether the lines are solved in closed form (`WEAK_COUPLING`), not by the sparse chord iteration."""
        return self._lu is None

    def _solve_lines(self, wl_V, bl_V, applied, g_switch, tol_V, max_iter, live):
        """The closed-form lines' solve: one Newton step inside the cells per update of the lines, both
        converging together.

        With ``live`` (flat indices), only those cells run their laws; the others, at 0 V in every
        read of the batch, sit at the microvolts of the line drops and run on their zero-bias
        conductance. That is kept only if it moves no node by more than ``tol_V`` (the cells' current
        errors, bounded by `zero_bias_deviation`, times the largest transfer resistance); else None.
        """
        batch, (m, n) = len(applied), self.xbar.shape
        per_read = g_switch.reshape(len(g_switch), -1)
        if live is None:
            live = np.arange(m * n)
            g0 = np.zeros((1, m * n))
        else:
            g0 = 1.0 / self._zero_bias_ohm(g_switch).reshape(len(g_switch), -1)
        g_sw, area = per_read[:, live], self.area_scale.ravel()[live]
        v = applied.copy()
        split = self._guess(applied.reshape(batch, -1)[:, live], live, g_sw)
        steps = max_iter + CELL_NEWTON_STEPS
        for _ in range(steps):
            flat = v.reshape(batch, -1)
            current = flat * g0
            current[:, live], split, step, _ = self._cell_step(flat[:, live], split, g_sw, area)
            current = current.reshape(batch, m, n)
            wl, bl = self._line_offsets(current)
            dv = v - applied - (wl - bl)
            v = v - dv
            if max(step, float(np.max(np.abs(dv)))) < tol_V:
                break
        else:
            raise self._diverged(steps, dv)
        if len(live) < m * n:
            quiet = np.ones(m * n, dtype=bool)
            quiet[live] = False
            vq = v.reshape(batch, -1)[:, quiet]
            shift_A = np.abs(vq * g0[:, quiet]) * self.device.zero_bias_deviation(np.abs(vq).max(axis=0))
            if shift_A.sum(axis=1).max(initial=0.0) * max(self._wl_ohm.max(), self._bl_ohm.max()) > tol_V:
                return None
        return wl_V[:, :, None] + wl, bl_V[:, None, :] + bl, current

    def _zero_bias_ohm(self, g_switch: np.ndarray) -> np.ndarray:
        """Every cell's resistance at zero bias, ohm (... x rows x cols): contacts, switch bank (``g_switch``, S)
        || switching area, insulator area."""
        g_ab, g_i = self._zero_bias_S(g_switch)
        return self.rc2 + 1.0 / g_ab + 1.0 / g_i

    def _zero_bias_S(self, g_switch: np.ndarray) -> tuple:
        """(switch bank ``g_switch`` || switching area, insulator area) conductances of every cell at zero bias, S."""
        zero = np.zeros(self.g_sw.shape)
        return g_switch + self.area_scale * self._switching.conductance_S(zero), self._insulator.conductance_S(zero)

    def _solve_sparse(self, wl_V, bl_V, tol_V, max_iter):
        """Chord Newton on the full nodal system, its Jacobian at the read factorised once (scipy.sparse).

        Where the iteration slows (a write's cells conduct far more than at the read), the Jacobian is
        factorised again at the cells' present conductances (their mean over the batch) and kept.
        """
        m, n = self.xbar.shape
        batch = len(wl_V)
        source = np.zeros((batch, 2, m, n))
        source[:, 0, :, 0] = wl_V / self.r_c
        source[:, 1, -1, :] = bl_V / self.r_c
        source = source.reshape(batch, -1)
        x = np.zeros((batch, 2, m, n))
        x[:, 0] = wl_V[:, :, None]
        x[:, 1] = bl_V[:, None, :]
        x = x.reshape(batch, -1)
        split = None
        last = np.inf
        for _ in range(max_iter):
            nodes = x.reshape(batch, 2, m, n)
            v = nodes[:, 0] - nodes[:, 1]
            split = self._guess(v) if split is None else split
            current, split, g_cell = self._cells(v, split)
            kcl = (self._lines @ x.T).T - source + np.stack([current, -current], axis=1).reshape(batch, -1)
            dx = self._lu.solve(np.ascontiguousarray(kcl.T)).T
            x = x - dx
            step = np.max(np.abs(dx))
            if step < tol_V:
                nodes = x.reshape(batch, 2, m, n)
                return nodes[:, 0], nodes[:, 1], self._cells(nodes[:, 0] - nodes[:, 1], split)[0]
            if step > REFACTOR_RATIO * last:
                self._lu = scipy.sparse.linalg.splu(self._jacobian(g_cell.mean(axis=0)))
            last = step
        raise self._diverged(max_iter, dx)

    def with_switches(self, g_switch_S: np.ndarray) -> "NodalArray":
        """The same array with other switch conductances: the laws, line coupling, factorised Jacobian
        and guess table are kept (the chord iteration refreshes the Jacobian when it no longer fits;
        `_guess` refines the guesses of cells whose switches moved since their table was solved)."""
        other = copy.copy(self)
        other.g_sw = np.asarray(g_switch_S, dtype=float)
        return other

    def _guess(self, v: np.ndarray, cells=None, g_switch=None) -> np.ndarray:
        """Internal voltages (2 x batch x rows x cols) for Newton to start from at stack voltages ``v``:
        each cell's solution interpolated in its table (`GUESS_STEPS_PER_READ`; the laws are odd).
        With ``cells`` (flat indices), ``v`` is batch x those cells, and so is the guess; ``g_switch``
        (broadcast to ``v``) are the reads' switch conductances, by default the array's. Where they are
        not those the table was solved with (a cell's switches moved since), the cell alone (its
        contacts, no lines) is solved by Newton at ``v`` from the table's guess instead."""
        top = float(np.max(np.abs(v), initial=0.0))
        dv = self._guess_step_V
        if self._table is None or top > self._table_top_V:
            self._table_top_V = dv * (np.ceil(1.25 * max(top, abs(float(self.device.read_V))) / dv) + 1)
            self._table = self._table_split(self._table_top_V, *np.indices(self.g_sw.shape))
            self._table_g = self.g_sw.copy()
        rows, cols = np.indices(self.g_sw.shape) if cells is None else np.unravel_index(cells, self.g_sw.shape)
        x = np.abs(v) / dv
        k = np.minimum(x.astype(int), self._table.shape[1] - 2)
        f = x - k
        lo, hi = self._table[:, k, rows, cols], self._table[:, k + 1, rows, cols]
        guess = np.sign(v) * (lo + f * (hi - lo))
        g = self.g_sw[rows, cols] if g_switch is None else g_switch
        moved = np.nonzero(np.broadcast_to(g != self._table_g[rows, cols], v.shape))
        if moved[0].size:
            split = guess[(slice(None), *moved)]
            g_moved = np.broadcast_to(g, v.shape)[moved]
            area = np.broadcast_to(self.area_scale[rows, cols], v.shape)[moved]
            for _ in range(CELL_NEWTON_STEPS):
                _, split, step, _ = self._cell_step(v[moved], split, g_moved, area)
                if step < 1e-13:
                    break
            else:
                raise ConvergenceError(f"a cell's internal voltages did not converge in {CELL_NEWTON_STEPS} Newton steps")
            guess[(slice(None), *moved)] = split
        return guess

    @property
    def _guess_step_V(self) -> float:
        """The guess table's spacing, V: the read voltage over `GUESS_STEPS_PER_READ`."""
        return abs(float(self.device.read_V)) / GUESS_STEPS_PER_READ

    def _table_split(self, top_V: float, rows, cols) -> np.ndarray:
        """The internal voltages of cells (``rows``, ``cols``) on the guess grid 0..``top_V``: 2 x points x cells."""
        dv = self._guess_step_V
        grid = (dv * np.arange(int(round(top_V / dv)) + 1)).reshape((-1,) + (1,) * np.ndim(rows))
        v = grid * np.ones(np.shape(rows))
        g_sw, area = self.g_sw[rows, cols], self.area_scale[rows, cols]
        split = self._split[:, rows, cols][:, None] * v[None]
        for _ in range(CELL_NEWTON_STEPS):
            _, split, step, _ = self._cell_step(v, split, g_sw, area)
            if step < 1e-13:
                return split
        raise ConvergenceError(f"a cell's internal voltages did not converge in {CELL_NEWTON_STEPS} Newton steps")

    @staticmethod
    def _diverged(max_iter, update):
        return ConvergenceError(f"the nodal solve did not converge in {max_iter} iterations (largest voltage update "
                                f"{np.max(np.abs(update)):.3g} V): the lines load the cells too strongly for the "
                                "chord iteration; use --engine spice for this array")

    def bitline_currents_A(self, wl_V: np.ndarray, bl_V: np.ndarray | None = None) -> np.ndarray:
        """Current out of the array into each bitline source (the sign of ngspice's ``i(vbl<j>)``), batch x cols."""
        return self.solve(wl_V, bl_V).sum(axis=1)

    def step_currents_A(self, spikes: np.ndarray, volts: float, chunk: int = 4096) -> np.ndarray:
        """Bitline currents (... x steps x cols) for spike rasters (... x steps x wordlines) at ``volts``.

        Distinct spike patterns are solved once, in chunks of ``chunk`` reads.
        """
        return self._per_pattern(spikes, volts, chunk, lambda v, i: i.sum(axis=1), self.xbar.cols)

    def step_power_W(self, spikes: np.ndarray, volts: float, counted: np.ndarray | None = None,
                     chunk: int = 4096) -> np.ndarray:
        """Power (W) of the ``counted`` devices (default all), V x I summed, at every step (... x steps)."""
        mask = np.ones(self.xbar.shape, dtype=bool) if counted is None else np.asarray(counted, dtype=bool)
        return self._per_pattern(spikes, volts, chunk, lambda v, i: (v * i * mask).sum(axis=(1, 2))[:, None], 1)[..., 0]

    def step_currents_and_power(self, spikes: np.ndarray, volts: float, counted: np.ndarray | None = None,
                                chunk: int = 4096) -> tuple:
        """`step_currents_A` and `step_power_W` of the same rasters from one solve of each distinct pattern."""
        mask = np.ones(self.xbar.shape, dtype=bool) if counted is None else np.asarray(counted, dtype=bool)
        cols = self.xbar.cols
        both = self._per_pattern(spikes, volts, chunk, lambda v, i: np.concatenate(
            [i.sum(axis=1), (v * i * mask).sum(axis=(1, 2))[:, None]], axis=1), cols + 1)
        return both[..., :cols], both[..., cols]

    def _per_pattern(self, spikes, volts, chunk, reduce, width):
        spikes = np.asarray(spikes, dtype=bool)
        m = self.xbar.rows
        if spikes.shape[-1] > m:
            raise ParameterError(f"{spikes.shape[-1]} spike inputs for an array of {m} wordlines")
        flat = spikes.reshape(-1, spikes.shape[-1])
        patterns, inverse = np.unique(flat, axis=0, return_inverse=True)
        wl = np.zeros((len(patterns), m))
        wl[:, : patterns.shape[1]] = patterns * volts
        out = np.zeros((len(patterns), width))
        live = np.flatnonzero(patterns.any(axis=1))
        for s in range(0, len(live), chunk):
            part = live[s: s + chunk]
            out[part] = reduce(*self.solve_cells(wl[part]))
        return out[np.ravel(inverse)].reshape(spikes.shape[:-1] + (width,))


ZERO_BIAS_REL_TOL = 1e-6
"""How much running quiet wordlines' cells on their zero-bias resistors may move a bitline current, relative."""


def quiet_rows(device, xbar: CrossbarParams, cells, wl_V: np.ndarray, rel_tol: float = ZERO_BIAS_REL_TOL,
               ideal_lines: bool = False) -> tuple:
    """Wordlines at 0 V in every read of ``wl_V`` (reads x rows) whose cells may run on zero-bias resistors.

    Such cells sit at the microvolts of the line drops. Every read is solved here, and each quiet
    cell's current times its device's `zero_bias_deviation` bounds what linearising it changes; the
    rows are returned only if that moves no bitline current by more than ``rel_tol`` of itself in any
    read (else none). The reads are a transient's plateaus or a sweep's points: a transient's edges
    ramp all of a step's sources together from 0 V, through smaller currents and line drops.

    With ``ideal_lines`` the quiet wordlines also lose their own resistances (their cells hang from
    the wordline source: `arrays.netlist.device_array_netlist`'s ``ideal_rows``). That moves each quiet
    cell's top electrode by its wordline node's voltage, its row's currents through the line; that
    voltage over the cell's zero-bias resistance joins the bound.
    """
    linear, ideal = quiet_row_sets(device, xbar, cells, wl_V, rel_tol)
    return ideal if ideal_lines else linear


def quiet_row_sets(device, xbar: CrossbarParams, cells, wl_V: np.ndarray, rel_tol: float = ZERO_BIAS_REL_TOL) -> tuple:
    """(`quiet_rows`, `quiet_rows` with ``ideal_lines``) from one solve of the reads."""
    wl_V = np.atleast_2d(np.asarray(wl_V, dtype=float))
    quiet = np.flatnonzero(np.all(wl_V == 0, axis=0))
    if quiet.size == 0 or not np.any(device.zero_bias_deviation(1.0)):
        return (), ()
    rows = tuple(int(k) for k in quiet)
    driven = wl_V[wl_V.any(axis=1)]
    if not len(driven):
        return rows, rows
    arr = NodalArray.from_cells(device, xbar, cells)
    w, b, i = arr.solve_nodes(driven)
    v = w - b
    shift = (np.abs(i[:, quiet, :]) * device.zero_bias_deviation(v[:, quiet, :])).sum(axis=1)
    limit = rel_tol * np.abs(i.sum(axis=1))
    if np.any(shift > limit):
        return (), ()
    shift = shift + (np.abs(w[:, quiet, :]) / arr._zero_bias_ohm(arr.g_sw)[quiet]).sum(axis=1)
    return rows, (() if np.any(shift > limit) else rows)


def read_conductance_S(device, xbar: CrossbarParams, cells) -> np.ndarray:
    """The read-out of `arrays.readout.read_conductance_S`, by the nodal engine: rows x cols in S."""
    arr = NodalArray.from_cells(device, xbar, cells)
    return arr.bitline_currents_A(np.eye(xbar.rows) * device.read_V) / device.read_V


def step_currents_A(device, xbar: CrossbarParams, cells, spikes: np.ndarray, volts: float) -> np.ndarray:
    """Bitline currents (steps x cols) for a steps x wordlines spike raster at ``volts`` (quasi-static)."""
    return NodalArray.from_cells(device, xbar, cells).step_currents_A(spikes, volts)
