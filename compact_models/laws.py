"""The area laws of a parallel-switch cell: current and dI/dV of its switching and insulator areas.

Each law is a frozen dataclass with vectorised ``current_A(v)``, ``conductance_S(v)`` and
``current_and_conductance(v)`` (the nodal engine's Newton steps); the exponential and table laws also
give ``resistance_ohm(v)`` and ``min_slope_V``, the shortest voltage over which their conductance
changes e-fold (how far a linearised cell may stray: `HTRRAMParams.zero_bias_deviation`). `TableLaw` is a measured resistance table, written into
a netlist with `table_law_expr` (an exponential law: `exp_law_expr`).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from compact_models.errors import ParameterError


@dataclass(frozen=True)
class ExponentialLaw:
    """An area whose resistance is R(V) = prefactor * exp(-(|V| - v0) / slope) (paper 001, Table 1)."""

    prefactor_ohm: float
    v0_V: float
    slope_V: float

    @property
    def min_slope_V(self) -> float:
        """The voltage over which the conductance changes e-fold, V."""
        return self.slope_V

    def resistance_ohm(self, v):
        """V / I of the area at voltage ``v`` (vectorised), ohm."""
        return self.prefactor_ohm * np.exp(-(np.abs(v) - self.v0_V) / self.slope_V)

    def current_A(self, v):
        """Current through the area at voltage ``v`` (vectorised), A."""
        return v * np.exp((np.abs(v) - self.v0_V) / self.slope_V) / self.prefactor_ohm

    def conductance_S(self, v):
        """dI/dV of the area at voltage ``v`` (vectorised), S."""
        return np.exp((np.abs(v) - self.v0_V) / self.slope_V) / self.prefactor_ohm * (1.0 + np.abs(v) / self.slope_V)

    def current_and_conductance(self, v) -> tuple:
        """(`current_A`, `conductance_S`) at ``v`` from one exponential."""
        mag = np.abs(v)
        g = np.exp((mag - self.v0_V) / self.slope_V) / self.prefactor_ohm
        return v * g, g * (1.0 + mag / self.slope_V)


@dataclass(frozen=True)
class LinearLaw:
    """An ohmic area of conductance ``g_S``."""

    g_S: float

    def current_A(self, v):
        """Current through the area at voltage ``v`` (vectorised), A."""
        return self.g_S * v

    def conductance_S(self, v):
        """dI/dV of the area (vectorised), S."""
        return np.full_like(v, self.g_S, dtype=float)

    def current_and_conductance(self, v) -> tuple:
        """(`current_A`, `conductance_S`) at ``v``."""
        return self.g_S * v, np.full_like(v, self.g_S, dtype=float)


@dataclass(frozen=True)
class QuinticLaw:
    """An area with an ohmic and a steeply field-activated part: I(V) = g_S V + g5_S V^5 / (1 V)^4.

    The V^5 term is negligible at a small read voltage (1e-4 of it at 0.1 V) and dominates at the
    programming amplitudes near 1 V, as a superlinear (field-enhanced) conduction does.
    """

    g_S: float
    g5_S: float

    def current_A(self, v):
        """Current through the area at voltage ``v`` (vectorised), A."""
        return v * (self.g_S + self.g5_S * v**4)

    def conductance_S(self, v):
        """dI/dV of the area (vectorised), S."""
        return self.g_S + 5.0 * self.g5_S * np.asarray(v, dtype=float) ** 4

    def current_and_conductance(self, v) -> tuple:
        """(`current_A`, `conductance_S`) at ``v``."""
        v4 = np.asarray(v, dtype=float) ** 4
        return v * (self.g_S + self.g5_S * v4), self.g_S + 5.0 * self.g5_S * v4


@dataclass(frozen=True)
class TableLaw:
    """An area whose resistance is measured point by point: R at |V| = ``v_V`` (rising, at least two
    points) is ``r_ohm``, with ln R linear in |V| between the points and continuing the end segments
    beyond them, so each segment is an exponential law like `ExponentialLaw` (which a table of it
    reproduces exactly), and ngspice's ``pwl()`` of a B-source evaluates the same law (`table_law_expr`)."""

    v_V: tuple
    r_ohm: tuple

    def __post_init__(self):
        v, r = np.asarray(self.v_V, dtype=float), np.asarray(self.r_ohm, dtype=float)
        if len(v) < 2 or len(v) != len(r) or v[0] < 0 or np.any(np.diff(v) <= 0) or np.any(~(r > 0)) \
                or not np.all(np.isfinite(r)):
            raise ParameterError(f"an area table needs at least two points of |V| >= 0 V that rise and as many "
                                 f"resistances > 0 ohm, got {len(v)} voltages and {len(r)} resistances")

    @functools.cached_property
    def _knots(self) -> np.ndarray:
        return np.asarray(self.v_V, dtype=float)

    @functools.cached_property
    def _ln_r(self) -> np.ndarray:
        return np.log(np.asarray(self.r_ohm, dtype=float))

    @functools.cached_property
    def _ln_slopes(self) -> np.ndarray:
        """d ln R / d|V| of each segment, 1/V."""
        return np.diff(self._ln_r) / np.diff(self._knots)

    @property
    def min_slope_V(self) -> float:
        """The voltage over which the conductance changes e-fold on the table's steepest segment, V."""
        steepest = float(np.max(np.abs(self._ln_slopes)))
        return math.inf if steepest == 0 else 1.0 / steepest

    def _segments(self, v) -> tuple:
        """(|v|, ln R at |v|, d ln R / d|V| there)."""
        mag = np.abs(np.asarray(v, dtype=float))
        knots = self._knots
        k = np.clip(np.searchsorted(knots, mag, side="right") - 1, 0, len(knots) - 2)
        slope = self._ln_slopes[k]
        return mag, self._ln_r[k] + (mag - knots[k]) * slope, slope

    def resistance_ohm(self, v):
        """V / I of the area at voltage ``v`` (vectorised), ohm."""
        return np.exp(self._segments(v)[1])

    def current_A(self, v):
        """Current through the area at voltage ``v`` (vectorised), A."""
        return v * np.exp(-self._segments(v)[1])

    def conductance_S(self, v):
        """dI/dV of the area at voltage ``v`` (vectorised), S."""
        return self.current_and_conductance(v)[1]

    def current_and_conductance(self, v) -> tuple:
        """(`current_A`, `conductance_S`) at ``v``."""
        mag, ln_r, slope = self._segments(v)
        g = np.exp(-ln_r)
        return v * g, g * (1.0 - mag * slope)


def table_law_expr(a: str, b: str, law: TableLaw, scale: float = 1.0) -> str:
    """B-source current of ``law`` between nodes ``a`` and ``b``, its conductance times ``scale``:
    V * exp(-pwl(|V|, ...)) with ln(R / scale) at the table's points (ngspice's ``pwl()`` continues
    its end segments, as `TableLaw` does)."""
    v = f"V({a},{b})"
    points = ", ".join(f"{x:.15g}, {y:.15g}" for x, y in zip(law.v_V, law._ln_r - math.log(scale)))
    return f"{v}*exp(-pwl(abs({v}), {points}))"


def exp_law_expr(a: str, b: str, prefactor_ohm: float, v0_V: float, slope_V: float) -> str:
    """B-source current of R = prefactor * exp(-(|V| - v0) / slope), as V * exp(|V| / slope - const).

    The same law as V / R with the constants folded into one exponent: ngspice evaluates the
    expression and its derivatives at every Newton step of every cell, and the folded form has the
    fewest operations (`benchmarks/README.md` has what it saves).
    """
    v = f"V({a},{b})"
    return f"{v}*exp(abs({v})*{1 / slope_V:.15g}-{v0_V / slope_V + math.log(prefactor_ohm):.15g})"
