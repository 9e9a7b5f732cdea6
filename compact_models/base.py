"""What every parallel-switch device shares: the cell state, its area laws, its netlist text and its models.

A device is a frozen parameter dataclass that mixes in `SwitchDeviceMixin` and implements the
`compact_models.device.Device` protocol. The cell is::

    TE -Rc- a -[S1..SN || switching area]- b -[insulator area]- c -Rc- BE

with every switch controlled by the stack voltage V(TE, BE). The netlist puts both contacts in one
resistor of 2 Rc at TE (``TE -2Rc- a ... b -[insulator area]- BE``): one current flows through a
series chain, so the order of its elements changes nothing at the terminals, and each cell has one
node fewer for the simulator to solve.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from compact_models.errors import ParameterError


@dataclass(frozen=True, kw_only=True)
class SwitchCell:
    """The state of one cell: which switches are closed, and its per-device deviations.

    ``g_scale`` multiplies every switch conductance of the cell; it is how a write's programming
    error is realised (solved so that the read lands on the drawn conductance).
    ``ron_factor`` and ``vt_offset_V`` are the device-to-device variation, one entry per switch.
    ``area_scale`` multiplies the switching area's conductance (its law, not the switches): how the
    reset state's own spread is realised in a cell that is not written (`arrays.state`).
    """

    closed: tuple = field(default_factory=tuple)
    g_scale: float = 1.0
    area_scale: float = 1.0
    ron_factor: tuple | None = None
    vt_offset_V: tuple | None = None

    def __post_init__(self):
        closed = tuple(self.closed)
        if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 for k in closed) or len(set(closed)) < len(closed):
            raise ParameterError(f"closed={self.closed!r} must list distinct switch indices, whole numbers from 0")
        if not (isinstance(self.g_scale, (int, float)) and math.isfinite(self.g_scale) and self.g_scale > 0):
            raise ParameterError(f"g_scale={self.g_scale!r} must be a finite number > 0")
        if not (isinstance(self.area_scale, (int, float)) and math.isfinite(self.area_scale) and 0.01 <= self.area_scale <= 100):
            raise ParameterError(f"area_scale={self.area_scale!r} must be a finite number within 0.01..100")
        for name in ("ron_factor", "vt_offset_V"):
            values = getattr(self, name)
            if values is not None and not np.all(np.isfinite(np.asarray(values, dtype=float))):
                raise ParameterError(f"{name}={values!r} must hold finite numbers")

    def check_for(self, params) -> None:
        """Refuse switch indices and per-switch deviations that do not fit ``params``'s switches."""
        n = params.n_switches
        if self.closed and max(self.closed) >= n:
            raise ParameterError(f"switch index {max(self.closed)} is outside 0..{n - 1}: {params.name} has {n} switches")
        for name in ("ron_factor", "vt_offset_V"):
            values = getattr(self, name)
            if values is not None and len(values) != n:
                raise ParameterError(f"{name} has {len(values)} entries; {params.name} has {n} switches")

    @property
    def is_custom(self) -> bool:
        return self.g_scale != 1.0 or self.ron_factor is not None or self.vt_offset_V is not None

    def switch_conductance_S(self, params, which=None) -> float:
        """Conductance of the closed switches (plus the leakage of the open ones), S.

        ``which`` limits the sum to those switches (0-based indices); None takes all. Kept per cell for
        the last device asked, since every netlist of an array asks again for each of its cells.
        """
        key = None if which is None else tuple(which)
        kept = self.__dict__.setdefault("_conductance_S", {})
        hit = kept.get(key)
        if hit is not None and hit[0] is params:
            return hit[1]
        g = np.full(params.n_switches, 1.0 / params.roff_ohm)
        closed = list(self.closed)
        g[closed] = self.on_conductances_S(params)[closed]
        value = float(g.sum() if which is None else g[list(which)].sum())
        kept[key] = (params, value)
        return value

    def on_conductances_S(self, params) -> np.ndarray:
        """Each switch's conductance when closed, with this cell's RON factors and write scale, S."""
        self.check_for(params)
        ron = np.asarray(params.switch_ron_ohm, dtype=float)
        if self.ron_factor is not None:
            ron = ron * np.asarray(self.ron_factor)
        return self.g_scale / ron

    def thresholds_V(self, params) -> tuple:
        """(set, reset) thresholds of every switch, V, with this cell's offsets."""
        self.check_for(params)
        if self.vt_offset_V is None:
            return params.switch_thresholds_V
        vt = np.asarray(params.switch_vt_V, dtype=float) + np.asarray(self.vt_offset_V)
        vh = np.asarray(params.switch_vh_V, dtype=float)
        return vt + vh, vt - vh


class SwitchDeviceMixin:
    """Netlist text shared by the parallel-switch devices."""

    name = "device"
    model_prefix = "sw"
    threshold_digits = 6
    """Significant digits of VT and VH in the ``.model`` lines."""

    @functools.cached_property
    def switch_vt_V(self) -> np.ndarray:
        """Each switch's ngspice VT, V: the device's thresholds VT."""
        return read_only(np.array(self.vt_V, dtype=float))

    @functools.cached_property
    def switch_vh_V(self) -> np.ndarray:
        """Each switch's ngspice VH, V: the device's one hysteresis voltage."""
        return read_only(np.full(self.n_switches, float(self.vh_V)))

    @functools.cached_property
    def switch_thresholds_V(self) -> tuple:
        """(set, reset) thresholds of every switch, V: VT + VH and VT - VH of ngspice's switches."""
        vt, vh = np.asarray(self.switch_vt_V, dtype=float), np.asarray(self.switch_vh_V, dtype=float)
        return read_only(vt + vh), read_only(vt - vh)

    @property
    def set_threshold_V(self) -> np.ndarray:
        """Stack voltage above which each switch closes (VT + VH), V."""
        return self.switch_vt_V + self.switch_vh_V

    @property
    def reset_threshold_V(self) -> np.ndarray:
        """Stack voltage below which each switch opens (VT - VH), V."""
        return self.switch_vt_V - self.switch_vh_V

    def cell_lines(self, cell: SwitchCell, name: str, te: str, be: str, live=None, linear: bool = False,
                   compiled: bool = False) -> tuple:
        """Netlist lines of one cell between ``te`` and ``be``, and the ``.model`` lines it alone needs.

        ``live`` lists the switches (0-based) that may move; the others are frozen into one linear
        resistor of their conductance in their present state, which is exactly what a switch that
        does not move is (None: every switch is live). ``linear`` puts the areas' resistors at their
        zero-bias value, for cells that stay within microvolts of 0 V (`zero_bias_deviation` bounds
        the error); with every switch frozen as well, the cell is one resistor (`quiet_cell_ohm`).
        ``compiled`` puts the areas' laws as the compiled Verilog-A devices of
        `osdi_area_lines` (their ``.model`` lines: `osdi_model_lines`) instead of B-sources. Cells without
        per-device deviations share the models of `shared_model_lines`.
        """
        if linear and live is not None and not live:
            return [f"R{name} {te} {be} {self.quiet_cell_ohm(cell):.15g}"], []
        a, b, c = f"{name}_a", f"{name}_b", be
        rc = f"{2 * max(self.rc_ohm, 1e-3):.12g}"
        live = range(self.n_switches) if live is None else sorted(live)
        frozen = sorted(set(range(self.n_switches)) - set(live))
        lines = [f"R{name}t {te} {a} {rc}"]
        if compiled and not linear:
            switching, insulator = self.osdi_area_lines(name, a, b, c, scale=cell.area_scale)
        else:
            switching = self.switching_area_lines(name, a, b, linear=linear, scale=cell.area_scale)
            insulator = self.insulator_area_lines(name, b, c, linear=linear)
        lines += switching
        if frozen:
            lines.append(f"R{name}w {a} {b} {1.0 / cell.switch_conductance_S(self, frozen):.12g}")
        lines += insulator
        closed = set(cell.closed)
        models = []
        for k in live:
            model = f"{self.model_prefix}{k + 1}_{name}" if cell.is_custom else f"{self.model_prefix}{k + 1}"
            lines.append(f"S{name}_{k + 1} {a} {b} {te} {be} {model} {'ON' if k in closed else 'OFF'}")
            if cell.is_custom:
                models.append(self.switch_model_line(k, model, cell))
        return lines, models

    def quiet_cell_ohm(self, cell: SwitchCell) -> float:
        """A frozen cell at microvolts as one resistor: both contacts, the switch bank beside the switching
        area at zero bias, and the insulator area at zero bias, in series, ohm.

        Its two capacitors are left out: at the microvolts of a quiet line they carry C dV/dt, about
        1e-16 F x 1e-6 V / 1e-6 s = 1e-16 A, a billionth of the array's read currents.
        """
        g0_switching, g0_insulator = self.zero_bias_conductances_S
        g_ab = cell.switch_conductance_S(self) + cell.area_scale * g0_switching
        return 2 * max(self.rc_ohm, 1e-3) + 1.0 / g_ab + 1.0 / g0_insulator

    @functools.cached_property
    def zero_bias_conductances_S(self) -> tuple:
        """(switching area, insulator area) conductances at zero bias, S."""
        switching, insulator = self.area_laws()
        return float(switching.conductance_S(0.0)), float(insulator.conductance_S(0.0))

    def static_cell_lines(self, cell: SwitchCell, name: str, te: str, be: str) -> list:
        """The cell in the read regime: its switch bank frozen into one linear conductance.

        Valid while the stack voltage stays between the reset and set thresholds of every switch
        (reads and inference), where no switch can move; the non-linear resistors and capacitors stay.
        """
        return self.cell_lines(cell, name, te, be, live=())[0]

    def switch_model_line(self, k: int, model: str, cell: SwitchCell | None = None) -> str:
        """The ``.model`` line of switch ``k`` (0-based), with a cell's deviations applied."""
        ron = float(self.switch_ron_ohm[k])
        vt = float(self.switch_vt_V[k])
        vh = float(self.switch_vh_V[k])
        d = self.threshold_digits
        if cell is not None:
            if cell.ron_factor is not None:
                ron *= cell.ron_factor[k]
            if cell.vt_offset_V is not None:
                vt += cell.vt_offset_V[k]
            ron /= cell.g_scale
        return f".model {model} SW(VT={vt:.{d}g} VH={vh:.{d}g} RON={ron:.8g} ROFF={self.roff_ohm:.6g})"

    def shared_model_lines(self) -> list:
        """The ``.model`` lines shared by cells without per-device deviations."""
        return [self.switch_model_line(k, f"{self.model_prefix}{k + 1}") for k in range(self.n_switches)]

    def subcircuit_text(self, subckt: str | None = None, closed=()) -> str:
        """A ``.subckt NAME te be`` of one cell (switches in state ``closed``) and its models."""
        subckt = subckt or self.name.replace("-", "")
        lines, _ = self.cell_lines(SwitchCell(closed=tuple(closed)), "x", "te", "be")
        return f".subckt {subckt} te be\n" + "\n".join(lines) + f"\n.ends {subckt}\n" + "\n".join(self.shared_model_lines()) + "\n"

    def pyspice_subcircuit(self, subckt: str | None = None, closed=()):
        """The cell as a PySpice `SubCircuit`, for users who compose circuits with PySpice.

        Add the models with ``circuit.raw_spice += '\\n'.join(params.shared_model_lines())``.
        """
        from PySpice.Spice.Netlist import SubCircuit

        subckt = subckt or self.name.replace("-", "")
        sub = SubCircuit(subckt, "te", "be")
        lines, _ = self.cell_lines(SwitchCell(closed=tuple(closed)), "x", "te", "be")
        sub.raw_spice = "\n".join(lines)
        return sub

    def read_conductance_of(self, cell: SwitchCell) -> float:
        """The read conductance of ``cell`` at ``read_V`` from the device equations, S."""
        return self.read_conductance_S(cell.switch_conductance_S(self), cell.area_scale)

    def closed_for_level(self, level: int) -> tuple:
        """Switches closed in state ``level`` (1-based) when written from the reset state."""
        n = len(self.level_switch_counts)
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 1 <= level <= n:
            raise ParameterError(f"level={level!r} must be a whole number within 1..{n}")
        return tuple(range(self.level_switch_counts[level - 1]))

    def check_finite(self) -> None:
        """Refuse a NaN or infinite number in any numeric field, naming it (a NaN passes every range test)."""
        import dataclasses

        for f in dataclasses.fields(self):
            values = getattr(self, f.name)
            for v in values if isinstance(values, tuple) else (values,):
                if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and not math.isfinite(v):
                    raise ParameterError(f"{self.name} parameter {f.name}={values!r} must be a finite number")
        if not 0 <= self.d2d_ron_sigma_rel <= 2 or not 0 <= self.d2d_vt_sigma_V <= 0.5:
            raise ParameterError(f"{self.name} parameters d2d_ron_sigma_rel={self.d2d_ron_sigma_rel!r}, d2d_vt_sigma_V="
                                 f"{self.d2d_vt_sigma_V!r} must be within 0..2 and 0..0.5 V")

    @property
    def device_variation(self) -> "DeviceVariation":
        """The device-to-device spread the device's own parameters give (`d2d_ron_sigma_rel`, `d2d_vt_sigma_V`):
        what transfers and protocols draw when they are not given another."""
        return DeviceVariation(ron_sigma_rel=self.d2d_ron_sigma_rel, vt_sigma_V=self.d2d_vt_sigma_V)


@dataclass(frozen=True, kw_only=True)
class DeviceVariation:
    """Device-to-device variation: a per-device, per-switch spread of RON and VT.

    Each switch's RON is multiplied by a log-normal factor exp(N(0, ron_sigma_rel)) and its VT
    shifted by N(0, vt_sigma_V), drawn once per device. Zero (the default) means identical devices.
    """

    ron_sigma_rel: float = 0.0
    """Standard deviation of ln(RON), dimensionless (0.3 is paper 000's 30 % baseline)."""
    vt_sigma_V: float = 0.0
    """Standard deviation of each threshold, V."""

    def __post_init__(self):
        if not 0 <= self.ron_sigma_rel <= 2:
            raise ParameterError(f"ron_sigma_rel={self.ron_sigma_rel!r} must be within 0..2")
        if not 0 <= self.vt_sigma_V <= 0.5:
            raise ParameterError(f"vt_sigma_V={self.vt_sigma_V!r} must be within 0..0.5 V")

    @property
    def active(self) -> bool:
        return self.ron_sigma_rel > 0 or self.vt_sigma_V > 0

    def draw(self, params, rng: np.random.Generator, cell: SwitchCell | None = None) -> SwitchCell:
        """``cell`` (default: reset) with this variation drawn for one device."""
        cell = cell or SwitchCell()
        if not self.active:
            return cell
        n = params.n_switches
        ron = tuple(np.exp(rng.normal(0.0, self.ron_sigma_rel, n))) if self.ron_sigma_rel > 0 else None
        vt = tuple(rng.normal(0.0, self.vt_sigma_V, n)) if self.vt_sigma_V > 0 else None
        return replace(cell, ron_factor=ron, vt_offset_V=vt)


def switch_states_after(params, cell: SwitchCell, v_control: np.ndarray) -> tuple:
    """Closed switches after the stack voltage followed ``v_control`` (samples in time order).

    Replays ngspice's SW hysteresis: a switch closes where the control voltage exceeds VT + VH and
    opens where it falls below VT - VH. Used to carry states from one analysis to the next, since
    ngspice resets a switch to its instance flag at the start of every analysis.
    """
    v_on, v_off = cell.thresholds_V(params)
    lowest_on, highest_off = v_on.min(), v_off.max()
    v = np.asarray(v_control, dtype=float)
    # Most cells of a write (half-selected or at rest) reach no threshold: nothing to replay.
    if not v.size or (v.max() <= lowest_on and v.min() >= highest_off):
        return tuple(sorted(int(k) for k in cell.closed))
    closed = np.zeros(params.n_switches, dtype=bool)
    closed[list(cell.closed)] = True
    # Only the samples beyond the nearest thresholds can move a switch; their order is kept.
    v = v[(v > lowest_on) | (v < highest_off)]
    last_above = _last_true(v[None, :] > v_on[:, None])
    last_below = _last_true(v[None, :] < v_off[:, None])
    closed = np.where(last_above == last_below, closed, last_above > last_below)
    return tuple(int(k) for k in np.flatnonzero(closed))


def area_scale_for_read(params, cell: SwitchCell, g_read_S: float) -> float:
    """The ``area_scale`` that makes ``cell`` (switches as they are) read ``g_read_S``: how a reset cell
    carries the reset state's spread.

    The read current fixes the insulator's voltage (its law inverted) and the contacts' drop, so the
    switching area's voltage is what is left, and the scale is the current its law must add to the switches'.
    """
    from scipy.optimize import brentq

    switching, insulator = params.area_laws()
    va = abs(params.read_V)
    i = g_read_S * va
    v_bc = brentq(lambda x: float(insulator.current_A(x)) - i, 0.0, va, xtol=1e-16, rtol=1e-15, maxiter=200) \
        if 0 < i < float(insulator.current_A(va)) else va
    v_ab = va - v_bc - 2 * params.rc_ohm * i
    scale = (i - cell.switch_conductance_S(params) * v_ab) / float(switching.current_A(v_ab)) if v_ab > 0 else np.inf
    if not 0.01 <= scale <= 100.0:
        raise ParameterError(f"a reset cell cannot read {g_read_S * 1e9:.4g} nS with its switching area scaled within 0.01..100")
    return float(scale)


def read_only(a: np.ndarray) -> np.ndarray:
    """``a`` made read-only: cached arrays are shared by every caller, who must not change them."""
    a.setflags(write=False)
    return a


def _last_true(mask: np.ndarray) -> np.ndarray:
    """Per row, the index of the last True sample; -1 where there is none."""
    n = mask.shape[1]
    return np.where(mask.any(axis=1), n - 1 - np.argmax(mask[:, ::-1], axis=1), -1)


def live_switches(params, cell: SwitchCell, v_lo: float, v_hi: float) -> tuple:
    """Switches of ``cell`` that a stack voltage staying within [v_lo, v_hi] can move, V.

    An open switch moves only above its set threshold (VT + VH), a closed one only below its reset
    threshold (VT - VH); every other switch keeps its state and is a plain resistor.
    """
    v_on, v_off = cell.thresholds_V(params)
    closed = np.zeros(params.n_switches, dtype=bool)
    closed[list(cell.closed)] = True
    moves = np.where(closed, v_lo < v_off, v_hi > v_on)
    return tuple(int(k) for k in np.flatnonzero(moves))


def scale_for_read(params, cell, g_read_S: float) -> float:
    """The ``g_scale`` that makes ``cell`` (with its closed switches) read ``g_read_S``.

    A written cell's switch conductance is scaled so its read lands on the drawn value; this is
    how the per-write programming error enters the netlist (as the cell's own switch models).
    """
    base = replace(cell, g_scale=1.0)
    g_closed = base.switch_conductance_S(params) - (params.n_switches - len(cell.closed)) / params.roff_ohm
    if g_closed <= 0:
        raise ParameterError("a cell with no closed switch cannot carry a programming error")
    g_needed = params.switch_conductance_for_read_S(g_read_S, cell.area_scale) - (params.n_switches - len(cell.closed)) / params.roff_ohm
    if g_needed <= 0:
        raise ParameterError(f"a read of {g_read_S * 1e9:.3f} nS is below what closed switches can give")
    return g_needed / g_closed
