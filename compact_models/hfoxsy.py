"""HfOxSy/HfS2 compact model (paper 000, section 2 and Fig. 2), in the parallel-switch family.

Circuit, per cell::

    TE -Rc- a -[S1..S20 || Gmin || Cs]- b -[Ri || Ci]- c -Rc- BE

* 20 switches, one per pulse of the tailored trains (0.7 -> 0.995 V, 20 pulses, a step of
  15.53 mV). Switch k closes above VT_k + VH and opens below VT_k - VH; with VH = 0.7 + 9 steps
  (0.8397 V) and VT_k = (k - 10.5) steps, potentiation pulse j closes switch j and depression
  pulse j opens switch 21 - j, so the trains walk the states up and down one by one, and the
  -0.1 V reads never switch (every threshold lies beyond +-0.69 V).
* The pulse widths (160 -> 350 ns) ride along in the waveforms; a threshold switch does not
  depend on them, which is the model's main simplification.
* The switching area conducts Gmin V + g V^5 (`G_PROGRAMMING_US`): ohmic at the read, about 3.5 times
  the read's energy at the programming pulses, as paper 000's 23.74 nJ per cycle requires.
* Gmin = 100 uS (10 kohm) is the reset-state conductance we chose: paper 000 gives no absolute
  value, it must exceed the cycle-to-cycle noise (23.7 uS) several times so a state never reads
  negative, and it puts the 16 linear states in the 0.3..1.5 mS range of Fig. 2d.
* Read conductances at -0.1 V: Gmin, then two small end steps (the non-linear ends of Fig. 2d),
  then 16 linear states (switches 3..18) 80.80 uS apart (the mean of the paper's 81.077 uS and
  80.520 uS), then two small end steps. The ON resistances are solved through the series
  Rc + Ri so that this curve is what a read sees (`switch_ron_ohm`).
* Cycle-to-cycle noise: every programming pulse draws a fresh Gaussian deviation (sigma
  23.7 uS, truncated at 3 sigma; a measured device may give each state its own,
  `sigma_c2c_per_state_uS`) of the cell's parallel conductance, applied in the transient by a
  B-source whose gain follows a PWL control voltage (`noise_lines`).
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np

from compact_models.base import SwitchCell, SwitchDeviceMixin, read_only
from compact_models.errors import ParameterError
from compact_models.laws import LinearLaw, QuinticLaw, TableLaw, table_law_expr
from compact_models.write_error import CycleToCycleError

N_PULSES = 20
V_START_V = 0.7
V_STOP_V = 0.995
W_START_S = 160e-9
W_STOP_S = 350e-9
STEP_POT_US = 81.077
STEP_DEP_US = 80.520
SIGMA_C2C_US = 23.7
G_PROGRAMMING_US = 12141.0
"""The switching area's V^5 conduction at 1 V, uS. Paper 000 measures 23.74 +- 1.26 nJ per complete
potentiation/depression cycle; a cell ohmic at its read conductance draws 6.7 nJ, so the cell conducts
about 3.5 times more energy at the 0.7-1 V pulses than its read conductance gives. This value puts one
noiseless cycle of the pulse-train protocol at 23.74 nJ (`tests/compact_models/calibrate_hfoxsy_energy.py`
finds it); at the -0.1 V read it adds 1.2 uS to every state, which the switch calibration absorbs, and at
a half-select (0.5 V) 0.76 mS, which the arrays' IR drop and half-select energy carry."""


@dataclass(frozen=True, kw_only=True)
class HfOxSyParams(SwitchDeviceMixin):
    """Parameters of the HfOxSy/HfS2 compact model (paper 000, section 2, unless stated)."""

    name: str = "hfoxsy"
    """Name of the device (a built-in's registry name, or a device file's ``name``)."""
    citation: str = "paper 000: HfOxSy/HfS2 memristor, pulse trains of Fig. 2c-f"
    """Where the parameters come from."""
    model_prefix = "hfsw"
    natural_tile = (128, 128)
    """The tile a layer is mapped on unless told (`arrays.tiles`): our choice: paper 000 simulates no array size."""
    write_scheme = "trains"
    protocols = ("pulse-train", "dc")
    """Characterisation protocols (`compact_models.protocols`); the first is the default."""
    dc_sweep_V = (1.05, -1.05)
    """The DC sweep's extremes, V (past the largest pulse amplitude both ways)."""

    n_switches: int = N_PULSES
    """Parallel switches, one per pulse of a 20-pulse train (paper 000)."""
    v_start_V: float = V_START_V
    """First (smallest) pulse amplitude of a train, V (paper 000, Fig. 2c)."""
    v_stop_V: float = V_STOP_V
    """Last (largest) pulse amplitude of a train, V (paper 000, Fig. 2c)."""
    width_start_s: float = W_START_S
    """First pulse width, s (paper 000, Fig. 2c)."""
    width_stop_s: float = W_STOP_S
    """Last pulse width, s (paper 000, Fig. 2c)."""
    g_min_uS: float = 100.0
    """Reset-state conductance, uS (our choice, see module docstring)."""
    g_programming_uS: float = G_PROGRAMMING_US
    """Field-activated conduction of the switching area, uS at 1 V: I = Gmin V + g V^5 / (1 V)^4
    (`G_PROGRAMMING_US`, calibrated on paper 000's programming energy)."""
    area_table_V: tuple = ()
    """|V| across the switching area of a measured conductance table (rising, at least two points), V;
    empty: the area is Gmin with its field-activated part."""
    area_table_uS: tuple = ()
    """The switching area's I / V at `area_table_V`, uS (rising): ln(V / I) linear between the points and
    beyond the ends (`compact_models.laws.TableLaw`); g_min_uS and g_programming_uS are then the law
    Gmin + g V^4 through the table's first and last points."""
    step_uS: float = (STEP_POT_US + STEP_DEP_US) / 2
    """Conductance step between linear states at the read, uS (paper 000: 81.077 / 80.520)."""
    end_steps_uS: tuple = (40.0, 60.0)
    """Read-conductance steps of the first two and (mirrored) last two switches, uS."""
    switch_reads_uS: tuple = ()
    """The read after each switch closes (pulse 1..N of a potentiation train from reset), uS: a measured
    potentiation curve that one linear step and the end steps do not describe (empty: they do). When
    given, `step_uS` and `end_steps_uS` must be its mean linear step and mean end steps (`curve_steps`)."""
    n_linear_states: int = 16
    """States in the linear region (paper 000, Fig. 2e)."""
    sigma_c2c_uS: float = SIGMA_C2C_US
    """Cycle-to-cycle standard deviation of a programmed state, uS (paper 000, Fig. 2f)."""
    sigma_c2c_per_state_uS: tuple = ()
    """Cycle-to-cycle sigma of each state, after 0..N closed switches (N + 1 values, the reset state first),
    uS, where it depends on the state; empty: sigma_c2c_uS in every state."""
    c2c_truncate_sigma: float = 3.0
    """Cycle-to-cycle deviations are truncated at this many sigma."""
    d2d_ron_sigma_rel: float = 0.0
    """Device-to-device spread of each switch's ln(RON), drawn once per device (`device_variation`; 0: identical devices)."""
    d2d_vt_sigma_V: float = 0.0
    """Device-to-device spread of each switch's threshold, V, drawn once per device (0: identical devices)."""
    rc_ohm: float = 10.0
    """Contact resistance at the top and at the bottom, ohm (our choice)."""
    ri_ohm: float = 50.0
    """Insulator-area (HfS2 and oxide) series resistance, ohm (our choice)."""
    cs_F: float = 0.1e-15
    """Switching-area capacitance, F."""
    ci_F: float = 0.1e-15
    """Insulator-area capacitance, F."""
    roff_ohm: float = 1e12
    """OFF resistance of a switch, ohm."""
    read_V: float = -0.1
    """Read voltage, V (paper 000: -0.1 V, 30 us)."""
    read_width_s: float = 30e-6
    """Read pulse width, s (paper 000)."""
    read_gap_s: float = 20e-6
    """Time between a programming pulse and its read, s (paper 000)."""
    n_weight_states: int = 8
    """States a 3-bit layer uses (codes 1..8): every other linear state, 161.6 uS apart, so the
    cycle-to-cycle noise (23.7 uS) stays well inside half a step."""

    def __post_init__(self):
        self.check_finite()
        for name in ("v_start_V", "v_stop_V", "width_start_s", "width_stop_s", "g_min_uS", "step_uS",
                     "sigma_c2c_uS", "ri_ohm", "cs_F", "ci_F", "roff_ohm", "read_width_s", "read_gap_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ParameterError(f"HfOxSy parameter {name}={value!r} must be a finite number > 0")
        if not self.v_start_V < self.v_stop_V <= 2.0:
            raise ParameterError(
                f"HfOxSy parameters v_start_V={self.v_start_V!r}, v_stop_V={self.v_stop_V!r} must satisfy "
                "0 < v_start_V < v_stop_V <= 2 V"
            )
        if not (isinstance(self.n_switches, int) and self.n_switches == self.n_linear_states + 2 * len(self.end_steps_uS)):
            raise ParameterError(
                f"HfOxSy parameter n_switches={self.n_switches!r} must equal n_linear_states + 2 * len(end_steps_uS)"
            )
        if not 0 <= self.rc_ohm <= 1e4:
            raise ParameterError(f"HfOxSy parameter rc_ohm={self.rc_ohm!r} must be within 0..1e4 ohm")
        if not -0.5 <= self.read_V < 0:
            raise ParameterError(f"HfOxSy parameter read_V={self.read_V!r} must be within -0.5..0 V (negative reads)")
        if not 0 <= self.g_programming_uS <= 1e5:
            raise ParameterError(f"HfOxSy parameter g_programming_uS={self.g_programming_uS!r} must be within 0..1e5 uS")
        if not self.sigma_c2c_per_state_uS and self.g_min_uS < self.c2c_truncate_sigma * self.sigma_c2c_uS:
            raise ParameterError(
                f"HfOxSy parameter g_min_uS={self.g_min_uS!r} must be at least c2c_truncate_sigma * sigma_c2c_uS "
                f"({self.c2c_truncate_sigma * self.sigma_c2c_uS:.1f} uS) so a state cannot read negative"
            )
        self._check_area_table()
        self._check_switch_reads()
        self._check_c2c_per_state()

    def _check_area_table(self) -> None:
        """An area table makes a `TableLaw` that conducts more at its last point, and the quintic keys pass through its ends."""
        table_V, table_uS = tuple(self.area_table_V), tuple(self.area_table_uS)
        if not (table_V or table_uS):
            return
        if not all(g > 0 for g in table_uS):
            raise ParameterError(f"HfOxSy parameter area_table_uS must hold conductances > 0 uS, got {table_uS!r}")
        try:
            self._table_law()
        except ParameterError as exc:
            raise ParameterError(f"HfOxSy parameters area_table_V and area_table_uS: {exc}") from None
        (v1, v2), (g1, g2) = (table_V[0], table_V[-1]), (table_uS[0], table_uS[-1])
        if not g2 > g1:
            raise ParameterError(f"HfOxSy parameter area_table_uS must rise from its first point to its last "
                                 f"(a conduction that grows faster than ohmic), got {g1!r}..{g2!r}")
        g5 = (g2 - g1) / (v2**4 - v1**4)
        if not np.allclose((self.g_min_uS, self.g_programming_uS), (g1 - g5 * v1**4, g5), rtol=1e-6):
            raise ParameterError(f"HfOxSy parameters g_min_uS={self.g_min_uS!r} and g_programming_uS={self.g_programming_uS!r} "
                                 f"must be the law Gmin + g V^4 through area_table_uS's first and last points "
                                 f"({g1 - g5 * v1**4:.9g} and {g5:.9g} uS) when the table is given")

    def _check_switch_reads(self) -> None:
        """A read table holds one rising read per switch, from above the reset read, and the step keys summarise it."""
        reads = tuple(self.switch_reads_uS)
        if not reads:
            return
        g0_uS = self.read_conductance_S(0.0) * 1e6
        if len(reads) != self.n_switches or not np.all(np.diff((g0_uS,) + reads) > 0):
            raise ParameterError(f"HfOxSy parameter switch_reads_uS must be empty or {self.n_switches} reads (n_switches) "
                                 f"that rise from the reset read ({g0_uS:.6g} uS), got {len(reads)}")
        step, ends = curve_steps(g0_uS, reads, len(self.end_steps_uS))
        if not np.allclose((self.step_uS, *self.end_steps_uS), (step, *ends), rtol=1e-6, atol=1e-9):
            raise ParameterError(f"HfOxSy parameters step_uS={self.step_uS!r} and end_steps_uS={self.end_steps_uS!r} must be "
                                 f"switch_reads_uS's mean linear step ({step:.9g}) and mean end steps "
                                 f"({', '.join(f'{e:.9g}' for e in ends)}) when the reads are given")

    def _check_c2c_per_state(self) -> None:
        """A per-state sigma has one value >= 0 per state, each at most the state's read / c2c_truncate_sigma."""
        sigma = tuple(self.sigma_c2c_per_state_uS)
        if not sigma:
            return
        if len(sigma) != self.n_switches + 1 or not all(math.isfinite(v) and v >= 0 for v in sigma):
            raise ParameterError(f"HfOxSy parameter sigma_c2c_per_state_uS must be empty or {self.n_switches + 1} sigmas >= 0 uS "
                                 f"(the reset state and each of n_switches closed), got {sigma!r}")
        reach = self.read_curve_S() * 1e6 / self.c2c_truncate_sigma
        if np.any(np.asarray(sigma) > reach):
            k = int(np.argmax(np.asarray(sigma) > reach))
            raise ParameterError(f"HfOxSy parameter sigma_c2c_per_state_uS[{k}]={sigma[k]!r} must be at most the state's read / "
                                 f"c2c_truncate_sigma ({reach[k]:.4g} uS) so the state cannot read negative")

    @property
    def pulse_step_V(self) -> float:
        return (self.v_stop_V - self.v_start_V) / (self.n_switches - 1)

    @property
    def amplitudes_V(self) -> np.ndarray:
        """Amplitudes of the 20 pulses of a train, V."""
        return np.linspace(self.v_start_V, self.v_stop_V, self.n_switches)

    @property
    def widths_s(self) -> np.ndarray:
        """Widths of the 20 pulses of a train, s."""
        return np.linspace(self.width_start_s, self.width_stop_s, self.n_switches)

    @property
    def vh_V(self) -> float:
        """Hysteresis voltage, V: puts the reset thresholds on the depression amplitudes."""
        return self.v_start_V + (self.n_switches - 2) * self.pulse_step_V / 2

    @property
    def vt_V(self) -> np.ndarray:
        """Switch thresholds, V (symmetric about 0)."""
        return (np.arange(1, self.n_switches + 1) - (self.n_switches + 1) / 2) * self.pulse_step_V



    @property
    def series_ohm(self) -> float:
        return 2 * self.rc_ohm + self.ri_ohm

    def read_curve_S(self) -> np.ndarray:
        """Target read conductance after k = 0..N closed switches, S (k = 0: Gmin through the series)."""
        if self.switch_reads_uS:
            return np.concatenate([[self.read_conductance_S(0.0)], 1e-6 * np.asarray(self.switch_reads_uS, dtype=float)])
        ends = list(self.end_steps_uS)
        steps = ends + [self.step_uS] * self.n_linear_states + ends[::-1]
        steps = steps[: self.n_switches]
        return self.read_conductance_S(0.0) + 1e-6 * np.concatenate([[0.0], np.cumsum(steps)])

    @property
    def linear_state_counts(self) -> np.ndarray:
        """Closed-switch counts of the 16 linear states (3..18 by default)."""
        first = len(self.end_steps_uS) + 1
        return np.arange(first, first + self.n_linear_states)

    @functools.cached_property
    def switch_ron_ohm(self) -> np.ndarray:
        """ON resistance of each switch, solved so that the read follows the state curve (or `switch_reads_uS`)."""
        return _switch_ron(self)

    def switching_area_lines(self, name: str, a: str, b: str, linear: bool = False, scale: float = 1.0) -> list:
        """The switching area's law (times ``scale``, a cell's `SwitchCell.area_scale`) and Cs; ``linear``:
        Gmin alone, its zero-bias conductance, a plain resistor."""
        cap = f"C{name}s {a} {b} {self.cs_F:.6g}"
        if self.area_table_V:
            law = self.area_laws()[0]
            if linear:
                return [f"R{name}g {a} {b} {float(law.resistance_ohm(0.0)) / scale:.15g}", cap]
            return [f"B{name}g {a} {b} I={table_law_expr(a, b, law, scale)}", cap]
        if linear or self.g_programming_uS == 0:
            return [f"R{name}g {a} {b} {1e6 / (self.g_min_uS * scale):.9g}", cap]
        v = f"V({a},{b})"
        g, g5 = self.g_min_uS * 1e-6 * scale, self.g_programming_uS * 1e-6 * scale
        return [f"B{name}g {a} {b} I={v}*({g:.9g}+{g5:.9g}*{v}*{v}*{v}*{v})", cap]

    def insulator_area_lines(self, name: str, b: str, c: str, linear: bool = False) -> list:
        """Ri and Ci across the insulator area (linear already)."""
        return [f"R{name}i {b} {c} {self.ri_ohm:.6g}", f"C{name}i {b} {c} {self.ci_F:.6g}"]

    def osdi_area_lines(self, name: str, a: str, b: str, c: str, scale: float = 1.0) -> tuple:
        """(switching area, insulator area): the switching area as the compiled Verilog-A
        ``rram_quintic_area`` (`compact_models.osdi`) with Cs, or its B-source where a table gives it; Ri
        and Ci as they are (linear)."""
        switching = self.switching_area_lines(name, a, b, scale=scale) if self.area_table_V else \
            [f"N{name}g {a} {b} {self.model_prefix}_gs scale={scale:.15g}", f"C{name}s {a} {b} {self.cs_F:.6g}"]
        return switching, self.insulator_area_lines(name, b, c)

    def osdi_model_lines(self) -> list:
        """The ``.model`` line of `osdi_area_lines` (none where a table gives the area)."""
        if self.area_table_V:
            return []
        return [f".model {self.model_prefix}_gs rram_quintic_area g={self.g_min_uS * 1e-6:.15g} "
                f"g5={self.g_programming_uS * 1e-6:.15g}"]

    def noise_lines(self, name: str, control_node: str) -> list:
        """A B-source adding V(control_node) siemens of conductance across the cell's switching area."""
        a, b = f"{name}_a", f"{name}_b"
        return [f"B{name}n {a} {b} I=V({a},{b})*V({control_node})"]

    def area_laws(self) -> tuple:
        """(switching area, insulator area): Gmin with its field-activated part (or its table), and Ri (linear)."""
        return self._laws

    @functools.cached_property
    def _laws(self) -> tuple:
        switching = self._table_law() if self.area_table_V else QuinticLaw(self.g_min_uS * 1e-6, self.g_programming_uS * 1e-6)
        return switching, LinearLaw(1.0 / self.ri_ohm)

    def _table_law(self) -> TableLaw:
        """The switching area by its table (resistances from the table's conductances)."""
        return TableLaw(tuple(self.area_table_V), tuple(1e6 / g for g in self.area_table_uS))

    @property
    def max_read_conductance_S(self) -> float:
        """Read conductance with the switching area shorted: the series resistance alone, S."""
        return 1.0 / self.series_ohm

    def zero_bias_deviation(self, v_V):
        """Largest relative gap between the cell's current and its zero-bias current within +-``v_V``:
        the field-activated part against Gmin alone (the switches and Ri are ohmic); a table's steepest segment."""
        if self.area_table_V:
            return np.expm1(np.abs(np.asarray(v_V, dtype=float)) / self._laws[0].min_slope_V)
        return self.g_programming_uS / self.g_min_uS * np.asarray(v_V, dtype=float) ** 4

    def _area_current_A(self, v, area_scale: float = 1.0):
        if self.area_table_V:
            return area_scale * self._laws[0].current_A(v)
        return area_scale * (self.g_min_uS * 1e-6 + self.g_programming_uS * 1e-6 * v**4) * v

    def current_A(self, g_switch_S: float, v: float, area_scale: float = 1.0) -> float:
        """DC current through the cell at stack voltage ``v``: the series Rc + (Gsw || area) + Ri + Rc."""
        from scipy.optimize import brentq

        if v == 0:
            return 0.0
        va, r = abs(v), self.series_ohm
        v_ab = brentq(lambda x: g_switch_S * x + self._area_current_A(x, area_scale) - (va - x) / r, 0.0, va,
                      xtol=1e-16, rtol=1e-14, maxiter=200)
        return float(np.sign(v) * (va - v_ab) / r)

    def read_conductance_S(self, g_switch_S: float, area_scale: float = 1.0) -> float:
        """Read conductance for a switch conductance ``g_switch_S``, S."""
        return self.current_A(g_switch_S, abs(self.read_V), area_scale) / abs(self.read_V)

    def switch_conductance_for_read_S(self, g_read_S: float, area_scale: float = 1.0) -> float:
        """Inverse of `read_conductance_S`."""
        if g_read_S * self.series_ohm >= 1:
            raise ParameterError(f"a read conductance of {g_read_S * 1e6:.1f} uS is above the series ceiling")
        va = abs(self.read_V)
        i = g_read_S * va
        v_ab = va - i * self.series_ohm
        return (i - self._area_current_A(v_ab, area_scale)) / v_ab

    @property
    def level_switch_counts(self) -> tuple:
        """Closed switches (= potentiation pulses from reset) of weight-state codes 1..8: 3, 5, .., 17."""
        counts = self.linear_state_counts
        stride = max(len(counts) // self.n_weight_states, 1)
        return tuple(int(k) for k in counts[::stride][: self.n_weight_states])

    @property
    def g_levels_nS(self) -> tuple:
        """Read conductance of weight-state codes 1..8, nS."""
        return tuple(float(g) * 1e9 for g in self.read_curve_S()[list(self.level_switch_counts)])

    @property
    def weight_ladder_nS(self) -> tuple:
        """The evenly spaced states a weight is mapped on by its pulse number: the 16 linear states of
        Fig. 2e, nS (paper 000: 0 pulses at the start of the linear range; G+ - G- gives 31 bins)."""
        return tuple(float(g) * 1e9 for g in self.read_curve_S()[list(self.linear_state_counts)])

    @property
    def hrs_conductance_S(self) -> float:
        """Read conductance of the reset state (Gmin through the series resistance), S."""
        return float(self.read_curve_S()[0])

    @property
    def max_train_pulses(self) -> int:
        """Pulses a verify loop may extend a train to: the amplitude keeps its 15.5 mV steps past
        the 20th pulse (to make up for IR drop in an array) while half of it stays below every set
        threshold, so half-selected cells never switch."""
        cap = 2 * float(self.set_threshold_V.min()) - 0.02
        return int(np.floor((cap - self.v_start_V) / self.pulse_step_V)) + 1

    def train_pulse(self, p: int) -> tuple:
        """(amplitude_V, width_s) of pulse ``p`` (0-based) of a train, extended past the 20th pulse."""
        if not 0 <= p < self.max_train_pulses:
            raise ParameterError(f"pulse {p} is outside the train (0..{self.max_train_pulses - 1})")
        width = self.widths_s[min(p, self.n_switches - 1)]
        return self.v_start_V + p * self.pulse_step_V, float(width)

    @property
    def reset_V(self) -> float:
        """A depression pulse that opens every switch: the train's last depression amplitude, V."""
        return -self.v_stop_V

    @property
    def transfer_max_passes(self) -> int:
        """Write passes of a weight transfer at most (trains lengthened by the verify to make up for IR drop)."""
        return 10

    @property
    def default_passes(self) -> int:
        """Write passes of a weight transfer unless told: all of `transfer_max_passes`, since one write
        of its ~1 mS cells lands states short behind the lines' IR drop (paper 000 has no array circuit)."""
        return self.transfer_max_passes

    @property
    def transfer_tolerance_nS(self) -> float:
        """Verify tolerance of a weight transfer: half a linear step (40.4 uS), a quarter of the gap between
        weight states; with `switch_reads_uS`, a quarter of the smallest gap between weight states, nS."""
        if self.switch_reads_uS:
            return float(0.25 * np.diff(self.g_levels_nS).min())
        return 0.5 * self.step_uS * 1e3

    def c2c_sigma_uS(self, closed) -> np.ndarray:
        """Cycle-to-cycle sigma of states with ``closed`` switches (0..N), uS."""
        if self.sigma_c2c_per_state_uS:
            return np.asarray(self.sigma_c2c_per_state_uS, dtype=float)[np.asarray(closed, dtype=int)]
        return np.full(np.shape(closed), self.sigma_c2c_uS)

    def write_error(self, sigma_nS: float | None = None) -> CycleToCycleError:
        """The write error of weight-state codes 1..N: the cycle-to-cycle noise of the last pulse (a given
        ``sigma_nS`` holds in every state)."""
        return self._c2c_error(self.level_switch_counts, sigma_nS)

    def ladder_write_error(self) -> CycleToCycleError:
        """The write error of weight-ladder positions 1..L (the linear states)."""
        return self._c2c_error(self.linear_state_counts)

    def _c2c_error(self, counts, sigma_nS: float | None = None) -> CycleToCycleError:
        if sigma_nS is not None or not self.sigma_c2c_per_state_uS:
            return CycleToCycleError(sigma_nS=self.sigma_c2c_uS * 1e3 if sigma_nS is None else sigma_nS,
                                     truncate_sigma=self.c2c_truncate_sigma)
        return CycleToCycleError(sigma_nS=self.sigma_c2c_uS * 1e3, truncate_sigma=self.c2c_truncate_sigma,
                                 per_state_nS=tuple(float(g) * 1e3 for g in self.c2c_sigma_uS(list(counts))))

    def reset_error(self, sigma_nS: float | None = None) -> CycleToCycleError:
        """The spread of a reset cell's read: the cycle-to-cycle noise of the reset state (paper 000, Fig. 2f)."""
        sigma = float(self.c2c_sigma_uS(0)) * 1e3 if sigma_nS is None else sigma_nS
        return CycleToCycleError(sigma_nS=sigma, truncate_sigma=self.c2c_truncate_sigma)

    def draw_c2c_S(self, rng: np.random.Generator, size, closed=0) -> np.ndarray:
        """Cycle-to-cycle deviations of the parallel conductance of states with ``closed`` switches, S
        (truncated Gaussian)."""
        from scipy.stats import truncnorm

        t = self.c2c_truncate_sigma
        return 1e-6 * self.c2c_sigma_uS(closed) * truncnorm.rvs(-t, t, size=size, random_state=rng)


def curve_steps(g0_uS: float, reads_uS, n_ends: int) -> tuple:
    """(mean linear step, mean end steps) of a potentiation curve: reads after each switch from ``g0_uS``,
    uS; end step k is the mean of the k-th step from either end."""
    steps = np.diff(np.concatenate([[g0_uS], np.asarray(reads_uS, dtype=float)]))
    ends = tuple(float((steps[k] + steps[-1 - k]) / 2) for k in range(n_ends))
    return float(np.mean(steps[n_ends: len(steps) - n_ends])), ends


def read_table_changes(base: HfOxSyParams, reads_uS, **changes) -> dict:
    """``changes`` to ``base`` with the read table ``reads_uS`` (`switch_reads_uS`) and its summary, the mean
    linear step and end steps (`curve_steps`) from the reset read of ``base`` so changed."""
    g0_uS = dataclasses.replace(base, switch_reads_uS=(), **changes).read_conductance_S(0.0) * 1e6
    step, ends = curve_steps(g0_uS, reads_uS, len(base.end_steps_uS))
    return {**changes, "step_uS": step, "end_steps_uS": ends, "switch_reads_uS": tuple(reads_uS)}


@functools.lru_cache(maxsize=32)
def _switch_ron(params: HfOxSyParams) -> np.ndarray:
    curve = params.read_curve_S()
    g_off = 1.0 / params.roff_ohm
    gsw = np.array([params.switch_conductance_for_read_S(g) for g in curve])
    steps = np.diff(gsw)
    if np.any(steps <= 0):
        raise ParameterError("the HfOxSy state curve is not increasing")
    return read_only(1.0 / (steps + g_off))


__all__ = ["CycleToCycleError", "HfOxSyParams", "SwitchCell"]
