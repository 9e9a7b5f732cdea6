"""HT-RRAM (Pt/Ti/HfO2/TiOx/Pt, non-filamentary) compact model of paper 001, Table 1 and Fig. 5.

Circuit, per cell::

    TE -Rc- a -[S1..SN || Rs || Cs]- b -[Ri || Ci]- c -Rc- BE

* Rs, Ri are the paper's non-linear resistors (B-sources), Cs, Ci 0.1 fF, Rc 100 ohm.
* S1..SN are ngspice ``SW`` switches controlled by the whole-stack voltage V(TE, BE). Controlling
  them by V(a, b) would stop a set after the first level, because V(a, b) collapses once a switch
  closes; the stack voltage does not. With VH = 2.4 V a switch with threshold VT closes above
  VT + VH (3.26..3.94 V: the set pulses of Fig. 5b) and opens below its reset threshold (-1.08..-1.01
  V, below). Reads at 1 V and half-select pulses (at most 2.1 V, -0.8 V) therefore never switch a cell.
* Reset (Fig. 4a: "the abrupt current drop in the LTD region"): each switch has its own hysteresis, so
  that its set threshold stays VT + VH while the reset thresholds are bunched within 70 mV below
  -1.01 V, the strongest switches first (`reset_threshold_V`): a reset pulse of -1.05 V opens all
  but the first 7 switches at once and -1.1 V the rest. With one VH for all they would spread over
  0.68 V (-1.54..-0.86 V) and the depression would be a linear ramp. Half of the -1.6 V reset pulse
  (a half-selected cell) stays above every reset threshold.
* N = 28 switches, thresholds VT 0.8625..1.5375 V spaced 25 mV, half a step off the ISPP grid,
  so every 25 mV set pulse closes exactly one more switch and the read current climbs in 28 steps
  from the HRS (about 1.3 nA) to about 80 nA (Fig. 5b).
* The ON resistances are not free: they are solved from the read-regime I-V so that the 1 V read
  conductance after k closed switches passes exactly through the 8 states G1..G8 = 10..80 nS at
  k = 1, 5, 9, 13, 17, 21, 25, 28 (`switch_ron_ohm`), with the switch conductance growing
  geometrically between those anchors (equal ratios keep the DC set gradual near the 80 nA ceiling,
  where the needed conductance grows steeply). The first switch alone is G1 (61.6 Mohm, Table 1's
  upper bound) and the last is 87 kohm (Table 1: 30 kohm and up); seven of the early
  switches come out weaker than 62 Mohm allows because the ISPP staircase needs steps of a few nS.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from compact_models.base import SwitchDeviceMixin, read_only
from compact_models.errors import ParameterError
from compact_models.laws import ExponentialLaw, TableLaw, exp_law_expr, table_law_expr
from compact_models.write_error import ProgrammingError

N_SWITCHES = 28
VT_MIN_V = 0.8625
VT_STEP_V = 0.025
VH_V = 2.4
G_LEVELS_NS = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0)
LEVEL_SWITCH_COUNTS = (1, 5, 9, 13, 17, 21, 25, 28)
RESET_V = -1.6
"""Reset pulse amplitude, V (paper 001: -1.6 V, below every switch's reset threshold)."""
RESET_TOP_V = -1.01
RESET_BUNCH_V = 0.07
RESET_SIGMA_NS = 0.2
"""Spread of the reset state's read, nS. Paper 001 gives no number: its Fig. 8 shows the cells left in
the HRS "near 0 nS regardless of the weight level", a band far narrower than the 1.06 nS write error;
0.2 nS (truncated at half the HRS) keeps them within about +-0.6 nS of it. Realised per cell as a
scale of the switching-area law (`compact_models.base.area_scale_for_read`)."""


@dataclass(frozen=True, kw_only=True)
class HTRRAMParams(SwitchDeviceMixin):
    """Parameters of the HT-RRAM compact model (paper 001, Table 1 unless stated)."""

    name: str = "ht-rram"
    """Name of the device (a built-in's registry name, or a device file's ``name``)."""
    citation: str = "paper 001: HT-RRAM (Pt/Ti/HfO2/TiOx/Pt) compact model, Table 1 and Fig. 5"
    """Where the parameters come from."""
    model_prefix = "htsw"
    natural_tile = (24, 24)
    """The tile a layer is mapped on unless told (`arrays.tiles`): paper 001's 24 x 24 array."""
    threshold_digits = 9
    write_scheme = "ladder"
    protocols = ("ispp", "dc", "states")
    """Characterisation protocols (`compact_models.protocols`); the first is the default."""
    dc_sweep_V = (4.2, -1.6)
    """The DC sweep's extremes, V (paper 001, Fig. 5a)."""

    rs_prefactor_ohm: float = 51e5
    """Rs = rs_prefactor_ohm * exp(-(|V_ab| - rs_v0_V) / rs_slope_V), ohm (Table 1)."""
    rs_v0_V: float = 2.52
    """Voltage offset of Rs, V (Table 1)."""
    rs_slope_V: float = 0.35
    """Exponential slope of Rs, V (Table 1)."""
    ri_prefactor_ohm: float = 87e2
    """Ri = ri_prefactor_ohm * exp(-(|V_bc| - ri_v0_V) / ri_slope_V), ohm (Table 1)."""
    ri_v0_V: float = 4.52
    """Voltage offset of Ri, V (Table 1)."""
    ri_slope_V: float = 0.485
    """Exponential slope of Ri, V (Table 1)."""
    rs_table_V: tuple = ()
    """|V_ab| of a measured Rs table (rising, at least two points), V; empty: Rs is the exponential law."""
    rs_table_ohm: tuple = ()
    """Rs at `rs_table_V`, ohm: ln Rs linear between the points and beyond the ends (`TableLaw`); the
    exponential keys are then the law through the table's first and last points."""
    ri_table_V: tuple = ()
    """|V_bc| of a measured Ri table, V; empty: Ri is the exponential law."""
    ri_table_ohm: tuple = ()
    """Ri at `ri_table_V`, ohm, as `rs_table_ohm`."""
    rc_ohm: float = 100.0
    """Contact resistance at the top and at the bottom, ohm (Table 1)."""
    cs_F: float = 0.1e-15
    """Switching-area capacitance, F (Table 1)."""
    ci_F: float = 0.1e-15
    """Insulator-area capacitance, F (Table 1)."""
    n_switches: int = N_SWITCHES
    """Number of parallel switches (our calibration, see module docstring)."""
    vt_min_V: float = VT_MIN_V
    """Threshold of the first switch, V (Table 1 range 0.85-1.55 V)."""
    vt_step_V: float = VT_STEP_V
    """Threshold spacing, V: the 25 mV ISPP step of Fig. 5b."""
    vt_table_V: tuple = ()
    """Each switch's threshold VT, V, where they are not evenly spaced (as `compact_models.fit` finds them in
    a staircase); vt_min_V and vt_step_V are then its first value and mean spacing. Empty: the ladder."""
    vh_V: float = VH_V
    """Hysteresis voltage of the set side, V (Table 1): a switch closes above VT + VH."""
    reset_top_V: float = RESET_TOP_V
    """Reset threshold of the strongest switch, V: the reset thresholds are bunched below it (Fig. 4a)."""
    reset_bunch_V: float = RESET_BUNCH_V
    """Span of the reset thresholds below ``reset_top_V``, V; the weakest switch opens last."""
    reset_table_V: tuple = ()
    """Each switch's reset threshold (it opens below it), V, where a reset staircase measured them one by
    one (`compact_models.fit`); reset_top_V and reset_bunch_V are then its top and span. Empty: bunched."""
    roff_ohm: float = 1e12
    """OFF resistance of a switch, ohm (Table 1)."""
    read_V: float = 1.0
    """Read voltage, V (paper 001)."""
    reset_V: float = RESET_V
    """Reset pulse amplitude, V (paper 001)."""
    g_levels_nS: tuple = G_LEVELS_NS
    """The 8 programmable states G1..G8 at the 1 V read, nS (paper 001, Fig. 4b)."""
    level_switch_counts: tuple = LEVEL_SWITCH_COUNTS
    """Closed switches that realise each state of g_levels_nS."""
    switch_reads_nS: tuple = ()
    """The read after each switch closes (1..n_switches closed from reset), nS, where a staircase measured
    it switch by switch (`compact_models.fit`): every switch's ON resistance is solved from its own read,
    and g_levels_nS are its values at level_switch_counts. Empty: geometric steps between the states."""
    write_sigma_nS: float = 1.06
    """Standard deviation of the write error, nS (paper 001, section 4.3: 94 % of writes within 2 nS)."""
    write_truncate_nS: float = 4.0
    """The write error is truncated at +-this, nS (paper 001, Fig. 4b: every write within 4 nS)."""
    write_sigma_per_state_nS: tuple = ()
    """The write error's sigma of each state of g_levels_nS, nS, where it depends on the state (as
    `compact_models.fit` finds it in program-and-verify outcomes); empty: write_sigma_nS in every state."""
    reset_sigma_nS: float = RESET_SIGMA_NS
    """Spread of a reset (unwritten) cell's 1 V read around the HRS, nS (assumed; see `RESET_SIGMA_NS`)."""
    d2d_ron_sigma_rel: float = 0.0
    """Device-to-device spread of each switch's ln(RON), drawn once per device (`device_variation`; 0: identical devices)."""
    d2d_vt_sigma_V: float = 0.0
    """Device-to-device spread of each switch's threshold, V, drawn once per device (0: identical devices)."""

    def __post_init__(self):
        self.check_finite()
        positive = {
            "rs_prefactor_ohm": self.rs_prefactor_ohm,
            "rs_slope_V": self.rs_slope_V,
            "ri_prefactor_ohm": self.ri_prefactor_ohm,
            "ri_slope_V": self.ri_slope_V,
            "cs_F": self.cs_F,
            "ci_F": self.ci_F,
            "vt_step_V": self.vt_step_V,
            "vh_V": self.vh_V,
            "roff_ohm": self.roff_ohm,
            "read_V": self.read_V,
        }
        for name, value in positive.items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ParameterError(f"HT-RRAM parameter {name}={value!r} must be a finite number > 0")
        if not 0 <= self.write_sigma_nS <= 20 or not self.write_truncate_nS > 0:
            raise ParameterError(f"HT-RRAM parameters write_sigma_nS={self.write_sigma_nS!r}, write_truncate_nS="
                                 f"{self.write_truncate_nS!r} must be within 0..20 nS and > 0 nS")
        self._check_vt_table()
        self._check_area_tables()
        self._check_switch_reads()
        self._check_reset_table()
        per_state = tuple(self.write_sigma_per_state_nS)
        if per_state and (len(per_state) != len(self.g_levels_nS) or not all(0 <= s <= 20 for s in per_state)):
            raise ParameterError(f"HT-RRAM parameter write_sigma_per_state_nS={per_state!r} must be empty or one sigma "
                                 f"within 0..20 nS for each of the {len(self.g_levels_nS)} states of g_levels_nS")
        if not 0 <= self.rc_ohm <= 1e6:
            raise ParameterError(f"HT-RRAM parameter rc_ohm={self.rc_ohm!r} must be within 0..1e6 ohm")
        if not (isinstance(self.n_switches, int) and 2 <= self.n_switches <= 200):
            raise ParameterError(f"HT-RRAM parameter n_switches={self.n_switches!r} must be an integer in 2..200")
        if not (self.reset_top_V < self.reset_V / 2 < 0):
            raise ParameterError(f"HT-RRAM parameter reset_top_V={self.reset_top_V!r} must lie below half the reset pulse "
                                 f"({self.reset_V / 2:g} V, what a half-selected cell sees)")
        if not 0 <= self.reset_bunch_V:
            raise ParameterError(f"HT-RRAM parameter reset_bunch_V={self.reset_bunch_V!r} must be >= 0 V")
        if not (math.isfinite(self.reset_V) and self.reset_V < self.reset_top_V - self.reset_bunch_V):
            raise ParameterError(f"HT-RRAM parameter reset_V={self.reset_V!r} must lie below every switch's reset threshold "
                                 f"({self.reset_top_V - self.reset_bunch_V:g} V)")
        if self.read_V >= self.vt_min_V + self.vh_V or self.read_V > 1.5:
            raise ParameterError(
                f"HT-RRAM parameter read_V={self.read_V!r} must stay below 1.5 V and below the first set threshold"
            )
        if len(self.g_levels_nS) != len(self.level_switch_counts):
            raise ParameterError("g_levels_nS and level_switch_counts must have the same length")
        counts = list(self.level_switch_counts)
        if counts != sorted(set(counts)) or counts[0] < 1 or counts[-1] > self.n_switches:
            raise ParameterError(
                f"level_switch_counts={self.level_switch_counts!r} must increase strictly within 1..n_switches"
            )

    def _check_area_tables(self) -> None:
        """An area table's points make a `TableLaw`, and its exponential keys pass through its ends."""
        for area in ("rs", "ri"):
            table_V, table_ohm = getattr(self, f"{area}_table_V"), getattr(self, f"{area}_table_ohm")
            if not (table_V or table_ohm):
                continue
            try:
                self._table_law(area)
            except ParameterError as exc:
                raise ParameterError(f"HT-RRAM parameters {area}_table_V and {area}_table_ohm: {exc}") from None
            if not table_ohm[-1] < table_ohm[0]:
                raise ParameterError(f"HT-RRAM parameter {area}_table_ohm must fall from its first point to its last "
                                     f"(a conduction that grows faster than ohmic), got {table_ohm[0]!r}..{table_ohm[-1]!r}")
            ends = np.array([table_V[0], table_V[-1]])
            if not np.allclose(self._exp_law(area).resistance_ohm(ends), [table_ohm[0], table_ohm[-1]], rtol=1e-6):
                slope = (ends[1] - ends[0]) / math.log(table_ohm[0] / table_ohm[-1])
                prefactor = table_ohm[0] * math.exp((ends[0] - getattr(self, f"{area}_v0_V")) / slope)
                raise ParameterError(f"HT-RRAM parameters {area}_prefactor_ohm and {area}_slope_V must be the exponential "
                                     f"law through {area}_table_ohm's first and last points ({prefactor:.9g} ohm and "
                                     f"{slope:.9g} V with {area}_v0_V={getattr(self, f'{area}_v0_V')!r}) when the table is given")

    def _check_reset_table(self) -> None:
        """A reset table holds one threshold per switch, and reset_top_V and reset_bunch_V its top and span."""
        table = tuple(self.reset_table_V)
        if not table:
            return
        if len(table) != self.n_switches:
            raise ParameterError(f"HT-RRAM parameter reset_table_V must be empty or {self.n_switches} thresholds "
                                 f"(n_switches), got {len(table)}")
        if abs(self.reset_top_V - max(table)) > 1e-9 or abs(self.reset_bunch_V - (max(table) - min(table))) > 1e-9:
            raise ParameterError(f"HT-RRAM parameters reset_top_V={self.reset_top_V!r} and reset_bunch_V={self.reset_bunch_V!r} "
                                 f"must be reset_table_V's top ({max(table):.9g} V) and span ({max(table) - min(table):.9g} V) "
                                 "when the table is given")

    def _check_switch_reads(self) -> None:
        """Switch reads rise, one per switch, and hold the states where level_switch_counts put them."""
        reads = tuple(self.switch_reads_nS)
        if not reads:
            return
        if len(reads) != self.n_switches or np.any(np.diff(reads) <= 0) or reads[0] <= 0:
            raise ParameterError(f"HT-RRAM parameter switch_reads_nS must be empty or {self.n_switches} reads (n_switches) "
                                 f"that rise from above 0 nS, got {len(reads)}")
        at_counts = np.asarray(reads)[np.asarray(self.level_switch_counts) - 1]
        if not np.allclose(at_counts, self.g_levels_nS, rtol=1e-9, atol=1e-9):
            raise ParameterError(f"HT-RRAM parameter g_levels_nS={self.g_levels_nS!r} must be switch_reads_nS at "
                                 f"level_switch_counts ({', '.join(f'{g:.6g}' for g in at_counts)}) when the reads are given")

    def _check_vt_table(self) -> None:
        """A threshold table holds one rising VT per switch, and the ladder keys say where it starts and its mean spacing."""
        table = tuple(self.vt_table_V)
        if not table:
            return
        n = self.n_switches
        if len(table) != n or np.any(np.diff(table) <= 0):
            raise ParameterError(f"HT-RRAM parameter vt_table_V must be empty or {n} thresholds (n_switches) that rise, "
                                 f"got {len(table)}")
        mean_step = (table[-1] - table[0]) / (n - 1)
        if abs(self.vt_min_V - table[0]) > 1e-9 or abs(self.vt_step_V - mean_step) > 1e-9:
            raise ParameterError(f"HT-RRAM parameters vt_min_V={self.vt_min_V!r} and vt_step_V={self.vt_step_V!r} must be "
                                 f"vt_table_V's first threshold ({table[0]:.9g} V) and mean spacing ({mean_step:.9g} V) "
                                 "when the table is given")

    @property
    def vt_V(self) -> np.ndarray:
        """Switch thresholds VT, V: switch k closes above VT_k + VH. Table 1's ladder (vt_min_V + k
        vt_step_V), or each switch's own where `vt_table_V` is given."""
        if self.vt_table_V:
            return np.asarray(self.vt_table_V, dtype=float)
        return self.vt_min_V + self.vt_step_V * np.arange(self.n_switches)

    @property
    def reset_threshold_V(self) -> np.ndarray:
        """Stack voltage below which each switch opens, V: bunched within ``reset_bunch_V`` below
        ``reset_top_V``, quadratically, so most of the state's conductance goes in one pulse; or each
        switch's own where `reset_table_V` is given."""
        if self.reset_table_V:
            return np.asarray(self.reset_table_V, dtype=float)
        x = 1.0 - np.arange(self.n_switches) / max(self.n_switches - 1, 1)
        return self.reset_top_V - self.reset_bunch_V * x**2

    @functools.cached_property
    def switch_vt_V(self) -> np.ndarray:
        """ngspice VT of each switch: the middle of its set and reset thresholds, V."""
        return read_only((self.vt_V + self.vh_V + self.reset_threshold_V) / 2)

    @functools.cached_property
    def switch_vh_V(self) -> np.ndarray:
        """ngspice VH of each switch: half the span of its set and reset thresholds, V."""
        return read_only((self.vt_V + self.vh_V - self.reset_threshold_V) / 2)



    def set_amplitude_V(self, level: int) -> float:
        """Set-pulse amplitude that closes exactly the switches of state ``level`` (1..8) from reset."""
        k = self._level_count(level)
        return float(round(self.set_threshold_V[k - 1] + self._gap_above_V(k - 1) / 2, 6))

    def _gap_above_V(self, k: int) -> float:
        """The gap from switch k's threshold to the next one's (the last switch: the gap below it), V."""
        if not self.vt_table_V:
            return self.vt_step_V
        vt = self.vt_V
        return float(vt[k + 1] - vt[k]) if k + 1 < len(vt) else float(vt[k] - vt[k - 1])

    def _level_count(self, level: int) -> int:
        return len(self.closed_for_level(level))

    def switching_area_lines(self, name: str, a: str, b: str, linear: bool = False, scale: float = 1.0) -> list:
        """Rs (B-source) and Cs across the switching area; ``linear``: Rs at zero bias, a plain resistor.
        ``scale`` multiplies Rs's conductance (a cell's `SwitchCell.area_scale`)."""
        if linear:
            return [f"R{name}s {a} {b} {self.rs_ohm(0.0) / scale:.15g}", f"C{name}s {a} {b} {self.cs_F:.6g}"]
        if self.rs_table_V:
            rs = table_law_expr(a, b, self.area_laws()[0], scale)
        else:
            rs = exp_law_expr(a, b, self.rs_prefactor_ohm / scale, self.rs_v0_V, self.rs_slope_V)
        return [f"B{name}s {a} {b} I={rs}", f"C{name}s {a} {b} {self.cs_F:.6g}"]

    def insulator_area_lines(self, name: str, b: str, c: str, linear: bool = False) -> list:
        """Ri (B-source) and Ci across the insulator area; ``linear``: Ri at zero bias, a plain resistor."""
        if linear:
            return [f"R{name}i {b} {c} {self.ri_ohm(0.0):.15g}", f"C{name}i {b} {c} {self.ci_F:.6g}"]
        ri = table_law_expr(b, c, self.area_laws()[1]) if self.ri_table_V else \
            exp_law_expr(b, c, self.ri_prefactor_ohm, self.ri_v0_V, self.ri_slope_V)
        return [f"B{name}i {b} {c} I={ri}", f"C{name}i {b} {c} {self.ci_F:.6g}"]

    def osdi_area_lines(self, name: str, a: str, b: str, c: str, scale: float = 1.0) -> tuple:
        """(switching area, insulator area): Rs and Ri as the compiled Verilog-A ``rram_exp_area``
        (`compact_models.osdi`), with Cs and Ci; an area given by a table stays a B-source."""
        switching = self.switching_area_lines(name, a, b, scale=scale) if self.rs_table_V else \
            [f"N{name}s {a} {b} {self.model_prefix}_rs scale={scale:.15g}", f"C{name}s {a} {b} {self.cs_F:.6g}"]
        insulator = self.insulator_area_lines(name, b, c) if self.ri_table_V else \
            [f"N{name}i {b} {c} {self.model_prefix}_ri", f"C{name}i {b} {c} {self.ci_F:.6g}"]
        return switching, insulator

    def osdi_model_lines(self) -> list:
        """The ``.model`` lines of `osdi_area_lines` (none for an area given by a table)."""
        return [f".model {self.model_prefix}_{area} rram_exp_area r0={getattr(self, f'{area}_prefactor_ohm'):.15g} "
                f"v0={getattr(self, f'{area}_v0_V'):.15g} slope={getattr(self, f'{area}_slope_V'):.15g}"
                for area in ("rs", "ri") if not getattr(self, f"{area}_table_V")]

    def area_laws(self) -> tuple:
        """(switching area, insulator area): Rs and Ri of Table 1 as exponential laws, or their tables."""
        return self._laws

    @functools.cached_property
    def _laws(self) -> tuple:
        return tuple(self._table_law(a) if getattr(self, f"{a}_table_V") else self._exp_law(a) for a in ("rs", "ri"))

    def _table_law(self, area: str) -> TableLaw:
        """Area ``area`` (``rs`` or ``ri``) by its table."""
        return TableLaw(tuple(getattr(self, f"{area}_table_V")), tuple(getattr(self, f"{area}_table_ohm")))

    def _exp_law(self, area: str) -> ExponentialLaw:
        """Area ``area`` (``rs`` or ``ri``) by its exponential keys."""
        return ExponentialLaw(*(getattr(self, f"{area}_{k}") for k in ("prefactor_ohm", "v0_V", "slope_V")))

    def zero_bias_deviation(self, v_V):
        """Largest relative gap between the cell's current and its zero-bias (linearised) current while
        the stack voltage stays within +-``v_V``: each area's conductance grows at most as exp(|V| / slope)."""
        return np.expm1(np.abs(v_V) / min(law.min_slope_V for law in self.area_laws()))

    def rs_ohm(self, v_ab):
        """Non-linear switching-area resistance at V_ab, ohm."""
        return self._laws[0].resistance_ohm(v_ab)

    def ri_ohm(self, v_bc):
        """Non-linear insulator-area resistance at V_bc, ohm."""
        return self._laws[1].resistance_ohm(v_bc)

    def current_A(self, g_switch_S: float, v: float, area_scale: float = 1.0) -> float:
        """DC current through the cell at stack voltage ``v`` with switch conductance ``g_switch_S``.

        Solves the series circuit Rc + (Gsw || Rs / area_scale) + Ri + Rc; capacitors carry no DC current.
        """
        if v == 0:
            return 0.0
        sign = 1.0 if v > 0 else -1.0
        va = abs(v)

        def mismatch(v_bc):
            i = v_bc / self.ri_ohm(v_bc)
            v_ab = va - v_bc - 2 * self.rc_ohm * i
            return v_ab * (g_switch_S + area_scale / self.rs_ohm(v_ab)) - i

        v_bc = brentq(mismatch, 0.0, va, xtol=1e-15, rtol=1e-13, maxiter=200)
        return sign * v_bc / self.ri_ohm(v_bc)

    def read_conductance_S(self, g_switch_S: float, area_scale: float = 1.0) -> float:
        """Conductance read at `read_V` for a switching-area conductance ``g_switch_S``, S."""
        return self.current_A(g_switch_S, self.read_V, area_scale) / self.read_V

    def switch_conductance_for_read_S(self, g_read_S: float, area_scale: float = 1.0) -> float:
        """Inverse of `read_conductance_S`: the switching-area conductance that reads ``g_read_S``."""
        i = g_read_S * self.read_V
        if i >= self.max_read_conductance_S * self.read_V:
            raise ParameterError(
                f"a read conductance of {g_read_S * 1e9:.3f} nS is above the device's ceiling "
                f"{self.max_read_conductance_S * 1e9:.3f} nS"
            )
        v_bc = brentq(lambda v: v / self.ri_ohm(v) - i, 1e-12, self.read_V, xtol=1e-15, rtol=1e-13)
        v_ab = self.read_V - v_bc - 2 * self.rc_ohm * i
        return i / v_ab - area_scale / self.rs_ohm(v_ab)

    @property
    def max_read_conductance_S(self) -> float:
        """Read conductance with the switching area shorted: the 80 nA ceiling of paper 001."""
        v = self.read_V
        return float(brentq(lambda i: i - (v - 2 * self.rc_ohm * i) / self.ri_ohm(v - 2 * self.rc_ohm * i), 0, v / 1e3) / v)

    @property
    def transfer_max_passes(self) -> int:
        """Write passes of a weight transfer at most (paper 001: write, then verify-and-rewrite)."""
        return 3

    @property
    def default_passes(self) -> int:
        """Write passes of a weight transfer unless told: 1, paper 001's open-loop array model."""
        return 1

    @property
    def transfer_tolerance_nS(self) -> float:
        """Verify tolerance of a weight transfer, nS (paper 001: 2 nS)."""
        return 2.0

    @property
    def weight_ladder_nS(self) -> tuple:
        """The evenly spaced states a weight is mapped on: G1..G8, nS (paper 001's 3-bit differential pairs)."""
        return tuple(float(g) for g in self.g_levels_nS)

    def write_error(self, sigma_nS: float | None = None) -> "ProgrammingError":
        """The write error of paper 001 (`write_sigma_nS`, or `write_sigma_per_state_nS` where the file has it,
        truncated at `write_truncate_nS`); a given ``sigma_nS`` holds in every state."""
        if sigma_nS is not None:
            return ProgrammingError(sigma_nS=sigma_nS, truncate_nS=self.write_truncate_nS)
        return ProgrammingError(sigma_nS=self.write_sigma_nS, truncate_nS=self.write_truncate_nS,
                                per_state_nS=tuple(self.write_sigma_per_state_nS))

    def ladder_write_error(self) -> "ProgrammingError":
        """The write error of weight-ladder positions 1..8: the states' own (`write_error`)."""
        return self.write_error()

    def reset_error(self, sigma_nS: float | None = None) -> "ProgrammingError":
        """The spread of a reset cell's read around the HRS (`reset_sigma_nS` unless given)."""
        sigma = self.reset_sigma_nS if sigma_nS is None else sigma_nS
        return ProgrammingError(sigma_nS=sigma, truncate_nS=min(4.0, 0.5 * self.hrs_conductance_S * 1e9) if sigma > 0 else 4.0)

    @property
    def hrs_conductance_S(self) -> float:
        """Read conductance with every switch open (the reset state), S."""
        return self.read_conductance_S(self.n_switches / self.roff_ohm)

    @functools.cached_property
    def switch_ron_ohm(self) -> np.ndarray:
        """ON resistance of each switch, solved so that the read follows the state curve (or `switch_reads_nS`)."""
        return _switch_ron(self)

    def read_curve_S(self) -> np.ndarray:
        """Read conductance after k = 0..N closed switches (from reset), S."""
        g_on = np.cumsum(1.0 / self.switch_ron_ohm)
        open_leak = (self.n_switches - np.arange(1, self.n_switches + 1)) / self.roff_ohm
        return np.array([self.hrs_conductance_S] + [self.read_conductance_S(g) for g in g_on + open_leak])


@functools.lru_cache(maxsize=32)
def _switch_ron(params: HTRRAMParams) -> np.ndarray:
    # Closed-switch conductance at each state anchor, then geometric steps between anchors: near the
    # 80 nA ceiling the needed conductance grows steeply, and equal ratios keep every DC-sweep step
    # gradual where equal read steps would put a x5 jump on the last switch.
    # Where every switch's read is given, each one is its own anchor.
    k = np.arange(1, params.n_switches + 1)
    if params.switch_reads_nS:
        gsw = np.array([params.switch_conductance_for_read_S(g * 1e-9) for g in params.switch_reads_nS])
    else:
        ks = np.array(params.level_switch_counts)
        g_anchor = np.array([params.switch_conductance_for_read_S(g * 1e-9) for g in params.g_levels_nS])
        gsw = np.exp(np.interp(k, ks, np.log(g_anchor)))
        head = k < ks[0]
        gsw[head] = g_anchor[0] * k[head] / ks[0]
    # A closed switch conducts 1/RON; each open one still leaks 1/ROFF.
    g_closed = gsw - (params.n_switches - k) / params.roff_ohm
    steps = np.diff(np.concatenate([[0.0], g_closed]))
    if np.any(steps <= 0):
        raise ParameterError("the state curve is not increasing: the switch ON resistances would be negative")
    return read_only(1.0 / steps)
