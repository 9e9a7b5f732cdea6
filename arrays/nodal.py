"""A second array engine beside ngspice: the read-regime crossbar solved by sparse nodal analysis.

The same circuit as `arrays.netlist.device_array_netlist` with ``static=True``: every cell is
Rc - (frozen switch bank || switching area) - insulator area - Rc, with the device's own
non-linear resistors (HT-RRAM's Rs and Ri of Table 1, HfOxSy's linear Gmin and Ri), the OFF-switch
leakage inside the frozen bank, and the same line and contact resistances. Unknowns are the five
node voltages of every cell (wordline, bitline and three internal nodes); Kirchhoff's current law
at every node is solved by Newton's method with a sparse LU (scipy) to a residual far below
ngspice's tolerances. ngspice stays the reference: the tests compare the two.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from arrays.netlist import CrossbarParams
from compact_models.errors import ConvergenceError, ParameterError


def _branch_law(device, area: str):
    """(current, conductance) of a cell's switching or insulator area, as vectorised functions of V."""
    if area == "switching" and hasattr(device, "rs_ohm"):
        p, v0, s = device.rs_prefactor_ohm, device.rs_v0_V, device.rs_slope_V
    elif area == "insulator" and hasattr(device, "ri_ohm") and callable(device.ri_ohm):
        p, v0, s = device.ri_prefactor_ohm, device.ri_v0_V, device.ri_slope_V
    else:
        g = device.g_min_uS * 1e-6 if area == "switching" else 1.0 / device.ri_ohm
        return (lambda v: g * v), (lambda v: np.full_like(v, g))

    def current(v):
        return v * np.exp((np.abs(v) - v0) / s) / p

    def conductance(v):
        return np.exp((np.abs(v) - v0) / s) / p * (1.0 + np.abs(v) / s)

    return current, conductance


@dataclass
class NodalArray:
    """A frozen crossbar ready to solve: the linear part factorised once, the device laws vectorised."""

    device: object
    xbar: CrossbarParams
    g_switch_S: np.ndarray

    def __post_init__(self):
        m, n = self.xbar.shape
        k = m * n
        self.k = k
        idx = np.arange(k).reshape(m, n)
        self.w, self.b, self.a, self.mid, self.c = (idx + q * k for q in range(5))
        self.n_nodes = 5 * k
        rows, cols, vals = [], [], []

        def branch(p, q, g):
            p, q = np.ravel(p), np.ravel(q)
            g = np.broadcast_to(np.ravel(g) if np.ndim(g) else g, p.shape)
            rows.extend([p, q, p, q])
            cols.extend([p, q, q, p])
            vals.extend([g, g, -g, -g])

        def to_source(p, g):
            p = np.ravel(p)
            rows.append(p)
            cols.append(p)
            vals.append(np.broadcast_to(g, p.shape).ravel())

        r = lambda v: 1.0 / max(v, 1e-6)  # noqa: E731 - as the netlist: a zero resistance becomes 1 uohm
        x = self.xbar
        to_source(self.w[:, 0], r(x.r_contact_ohm))
        branch(self.w[:, :-1], self.w[:, 1:], r(x.r_wire_wl_ohm))
        branch(self.b[:-1, :], self.b[1:, :], r(x.r_wire_bl_ohm))
        to_source(self.b[-1, :], r(x.r_contact_ohm))
        g_rc = 1.0 / max(self.device.rc_ohm, 1e-3)
        branch(self.w, self.a, g_rc)
        branch(self.a, self.mid, self.g_switch_S)
        branch(self.c, self.b, g_rc)
        self.g_contact = r(x.r_contact_ohm)
        self._f_floor = 64 * np.finfo(float).eps * max(r(x.r_contact_ohm), r(x.r_wire_wl_ohm), r(x.r_wire_bl_ohm), g_rc)
        self.linear = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                    shape=(self.n_nodes, self.n_nodes))
        self.i_s, self.g_s = _branch_law(self.device, "switching")
        self.i_i, self.g_i = _branch_law(self.device, "insulator")
        self._pairs = (self.a.ravel(), self.mid.ravel(), self.c.ravel())

    @classmethod
    def from_cells(cls, device, xbar: CrossbarParams, cells) -> "NodalArray":
        """The array in the states ``cells`` (a rows x cols list of `SwitchCell`)."""
        g = np.array([[c.switch_conductance_S(device) for c in row] for row in cells], dtype=float)
        if g.shape != xbar.shape:
            raise ParameterError(f"cells are {g.shape}, the array is {xbar.shape}")
        return cls(device, xbar, g)

    def _jacobian(self, va_m, vm_c):
        a, m, c = self._pairs
        gs, gi = self.g_s(va_m), self.g_i(vm_c)
        rows = np.concatenate([a, m, a, m, m, c, m, c])
        cols = np.concatenate([a, m, m, a, m, c, c, m])
        vals = np.concatenate([gs, gs, -gs, -gs, gi, gi, -gi, -gi])
        return self.linear + sp.csc_matrix((vals, (rows, cols)), shape=self.linear.shape)

    def solve(self, wl_V: np.ndarray, bl_V: np.ndarray | None = None, tol_V: float = 1e-13, max_iter: int = 60):
        """Node voltages for wordline sources ``wl_V`` (rows) and bitline sources ``bl_V`` (cols, default 0 V)."""
        m, n = self.xbar.shape
        wl_V = np.asarray(wl_V, dtype=float)
        bl_V = np.zeros(n) if bl_V is None else np.asarray(bl_V, dtype=float)
        rhs = np.zeros(self.n_nodes)
        rhs[self.w[:, 0]] = self.g_contact * wl_V
        rhs[self.b[-1, :]] = self.g_contact * bl_V
        a, mid, c = self._pairs
        x = np.zeros(self.n_nodes)
        for _ in range(max_iter):
            va_m, vm_c = x[a] - x[mid], x[mid] - x[c]
            i_s, i_i = self.i_s(va_m), self.i_i(vm_c)
            f = self.linear @ x - rhs
            np.add.at(f, a, i_s)
            np.add.at(f, mid, i_i - i_s)
            np.add.at(f, c, -i_i)
            dx = splu(self._jacobian(va_m, vm_c)).solve(-f)
            x += dx
            # Converged when the update is below tol_V, or when rounding holds the update up but Kirchhoff's
            # law holds to what double precision allows across the stiffest element (lines of ~1 S).
            if np.max(np.abs(dx)) < tol_V or np.max(np.abs(f)) < self._f_floor * max(np.max(np.abs(x)), 1e-3):
                return x
        raise ConvergenceError(f"the nodal solve did not converge in {max_iter} Newton steps "
                               f"(largest current residual {np.max(np.abs(f)):.3g} A)")

    def bitline_currents_A(self, x: np.ndarray, bl_V: np.ndarray | None = None) -> np.ndarray:
        """Current out of the array into each bitline source (the sign of ngspice's ``i(vbl<j>)``)."""
        bl_V = np.zeros(self.xbar.cols) if bl_V is None else np.asarray(bl_V, dtype=float)
        return self.g_contact * (x[self.b[-1, :]] - bl_V)


def read_conductance_S(device, xbar: CrossbarParams, cells) -> np.ndarray:
    """The read-out of `arrays.readout.read_conductance_S`, by the nodal engine: rows x cols in S."""
    arr = NodalArray.from_cells(device, xbar, cells)
    out = np.empty(xbar.shape)
    for i in range(xbar.rows):
        wl = np.zeros(xbar.rows)
        wl[i] = device.read_V
        out[i] = arr.bitline_currents_A(arr.solve(wl)) / device.read_V
    return out


def step_currents_A(device, xbar: CrossbarParams, cells, spikes: np.ndarray, volts: float) -> np.ndarray:
    """Bitline currents (steps x cols) for a steps x wordlines spike raster at ``volts`` (quasi-static)."""
    arr = NodalArray.from_cells(device, xbar, cells)
    steps = np.asarray(spikes, dtype=bool)
    padded = np.zeros((steps.shape[0], xbar.rows), dtype=bool)
    padded[:, : steps.shape[1]] = steps
    out = np.empty((steps.shape[0], xbar.cols))
    zero = np.zeros(xbar.cols)
    for k, row in enumerate(padded):
        out[k] = zero if not row.any() else arr.bitline_currents_A(arr.solve(row * volts))
    return out
