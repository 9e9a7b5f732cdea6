"""HT-RRAM compact model against the targets of SPEC 1a, in ngspice."""
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compact_models import protocols, simulator
from compact_models.base import DeviceVariation, SwitchCell, scale_for_read
from compact_models.errors import ParameterError
from compact_models.ht_rram import HTRRAMParams, ProgrammingError

pytestmark = pytest.mark.ngspice

P = HTRRAMParams()
GOLDEN = Path(__file__).resolve().parents[1] / "golden"


@pytest.fixture(scope="module")
def ispp_result():
    return protocols.ispp(P, cycles=3)


def test_ispp_climbs_to_80nA_and_resets_each_cycle(ispp_result):
    s = ispp_result.summary
    assert len(s["read_current_nA"]) == 3 * (49 + 13)
    for top in s["cycle_max_nA"]:
        assert 70 <= top <= 90
    for bottom in s["cycle_min_nA"]:
        assert bottom <= 5
    assert max(s["cycle_max_nA"]) - min(s["cycle_max_nA"]) <= 5


def test_ispp_set_is_gradual_and_reset_returns_to_hrs(ispp_result):
    reads = ispp_result.reads
    first = reads[(reads.cycle == 1) & (reads.phase == "set")].read_current_nA.to_numpy()
    # Monotone climb, in many small steps: no set pulse adds more than 10 nA (one state).
    assert np.all(np.diff(first) >= -1e-6)
    assert np.diff(first).max() <= 10.0
    assert (np.diff(first) > 0.5).sum() >= 20
    last_reset = reads[(reads.cycle == 1) & (reads.phase == "reset")].read_current_nA.iloc[-1]
    assert last_reset <= 5


def test_dc_sweep_sets_gradually_and_resets():
    res = protocols.dc_sweep(P, cycles=1)
    # The set region (from 0.1 V below the first set threshold, rising): each 10 mV closes about one
    # switch, the current up to doubling per step near the 80 nA ceiling, never more than x3.
    assert 1.2 < res.summary["set_region_max_step_ratio"] <= 3.0
    assert res.summary["max_step_ratio"] <= 3.0
    t = res.trace
    up = t[(t.time_s < t.time_s[t.voltage_V.idxmax()]) & (t.voltage_V > 0)]
    down = t[(t.time_s > t.time_s[t.voltage_V.idxmax()]) & (t.voltage_V > 0)]
    i_up = np.interp(1.0, up.voltage_V, up.current_nA)
    i_down = np.interp(1.0, down.voltage_V[::-1], down.current_nA[::-1])
    assert i_up < 5 and 70 < i_down < 90, "set: HRS on the way up, LRS on the way down at 1 V"
    assert (t[t.voltage_V < 0].current_nA < 0).all()


def test_state_curve_hits_the_eight_levels_from_the_device_equations():
    curve = P.read_curve_S() * 1e9
    np.testing.assert_allclose(curve[list(P.level_switch_counts)], P.g_levels_nS, atol=1e-6)
    assert P.hrs_conductance_S * 1e9 < 2.0
    assert 80.0 < P.max_read_conductance_S * 1e9 < 81.5
    assert P.switch_ron_ohm.min() >= 30e3
    assert P.switch_ron_ohm[0] <= 62e6


@pytest.mark.slow
def test_states_reachable_and_stable_under_reads_and_half_select():
    res = protocols.state_stability(P, n_reads=1000, n_half_select=100)
    s = res.summary
    np.testing.assert_allclose(s["after_write_nS"], P.g_levels_nS, atol=0.5)
    assert s["max_read_disturb_nS"] < 0.5
    assert s["max_half_select_disturb_nS"] < 0.5


def test_programming_error_statistics():
    err = ProgrammingError()
    draws = err.draw_nS(np.random.default_rng(1), size=200_000)
    assert np.abs(draws).max() <= 4.0
    # Truncated N(0, 1.06): P(|e| <= 2) = 0.9408; 200k draws give a standard error of 0.0005.
    assert abs(np.mean(np.abs(draws) <= 2.0) - 0.9408) < 0.003
    assert np.std(draws) == pytest.approx(1.06, rel=0.02)
    again = err.draw_nS(np.random.default_rng(1), size=10)
    np.testing.assert_array_equal(again, draws[:10])
    assert np.all(ProgrammingError(sigma_nS=0).draw_nS(np.random.default_rng(0), size=5) == 0)


@pytest.mark.parametrize("level,error_nS", [(1, -3.5), (4, 1.7), (8, -2.2)])
def test_programming_error_lands_in_ngspice(level, error_nS):
    cell = SwitchCell(closed=P.closed_for_level(level))
    target = (P.g_levels_nS[level - 1] + error_nS) * 1e-9
    cell = replace(cell, g_scale=scale_for_read(P, cell, target))
    lines, models = P.cell_lines(cell, "d", "te", "0")
    res = simulator.run("\n".join(["* t", "Vte te 0 1", *lines, *models]), ".op", save=["i(vte)"])
    assert -res["i(vte)"][0] * 1e9 == pytest.approx(target * 1e9, abs=0.01)


def test_device_variation_is_seeded_and_shifts_thresholds():
    var = DeviceVariation(ron_sigma_rel=0.2, vt_sigma_V=0.02)
    a = var.draw(P, np.random.default_rng(3))
    b = var.draw(P, np.random.default_rng(3))
    assert a == b and a.is_custom
    v_on, _ = a.thresholds_V(P)
    assert 0 < np.abs(v_on - P.set_threshold_V).max() < 0.2
    res = protocols.ispp(P, cycles=1, seed=3, variation=var)
    assert 40 < res.summary["cycle_max_nA"][0] < 90


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"rc_ohm": -1.0}, r"rc_ohm=-1.0 must be within 0..1e6 ohm"),
        ({"vh_V": 0.0}, r"vh_V=0.0 must be a finite number > 0"),
        ({"n_switches": 1}, r"n_switches=1 must be an integer in 2..200"),
        ({"read_V": 2.0}, r"read_V=2.0 must stay below 1.5 V"),
    ],
)
def test_parameters_out_of_range_are_refused(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        HTRRAMParams(**kwargs)


def test_programming_error_and_variation_ranges_are_checked():
    with pytest.raises(ParameterError, match=r"sigma_nS=-1 must be within 0..20 nS"):
        ProgrammingError(sigma_nS=-1)
    with pytest.raises(ParameterError, match=r"vt_sigma_V=1.0 must be within 0..0.5 V"):
        DeviceVariation(vt_sigma_V=1.0)
    with pytest.raises(TypeError):
        HTRRAMParams(rc=1.0)


def test_subcircuit_text_matches_golden():
    """Golden-text netlist check, line by line. Regenerate deliberately, after a change to the cell's netlist:
    ``(GOLDEN / "htrram_subckt.cir").write_text(P.subcircuit_text())``."""
    golden = (GOLDEN / "htrram_subckt.cir").read_text().splitlines()
    text = P.subcircuit_text().splitlines()
    assert len(text) == len(golden)
    for got, want in zip(text, golden):
        assert got == want


def test_pyspice_subcircuit_renders_the_same_elements():
    sub = P.pyspice_subcircuit()
    text = str(sub)
    assert text.splitlines()[0].lower().startswith(".subckt htrram te be")
    assert "Bxs x_a x_b I=V(x_a,x_b)*exp(abs(V(x_a,x_b))*2.85714285714286-22.6447510976946)" in text


def _b_source_current(line: str, v: float) -> float:
    """The current of a B-source line ``B.. a b I=<expr of V(a,b)>`` at V(a,b) = v."""
    import math

    expr = line.split("I=", 1)[1]
    node_pair = expr[: expr.index(")") + 1]
    return eval(expr.replace(node_pair, repr(v)), {"exp": math.exp, "abs": abs})


@pytest.mark.parametrize("v", [-3.0, -0.4, 0.0, 1e-6, 0.5, 1.0, 2.9])
def test_folded_b_source_laws_are_table_1(v):
    """The B-source text (constants folded into one exponent) is V / Rs(V) and V / Ri(V) of Table 1."""
    for line, r_ohm in ((P.switching_area_lines("x", "a", "b")[0], P.rs_ohm(v)),
                        (P.insulator_area_lines("x", "b", "c")[0], P.ri_ohm(v))):
        assert _b_source_current(line, v) == pytest.approx(v / r_ohm, rel=1e-12, abs=0.0)


def test_live_switches_are_those_a_voltage_range_can_move():
    from compact_models.base import live_switches

    fresh = SwitchCell()
    for level in (1, 4, 8):
        n = P.level_switch_counts[level - 1]
        # a set pulse to level k from reset reaches the first n_k thresholds, and none beyond
        assert live_switches(P, fresh, 0.0, P.set_amplitude_V(level)) == tuple(range(n))
    g5 = SwitchCell(closed=P.closed_for_level(5))
    assert live_switches(P, g5, -0.8, 2.1) == ()  # half of a reset or of the strongest set moves nothing
    assert live_switches(P, g5, -1.6, 0.0) == g5.closed  # a reset reaches every closed switch
    assert live_switches(P, g5, -1.0, 1.0) == tuple(k for k in g5.closed if P.reset_threshold_V[k] > -1.0)
    lines, models = P.cell_lines(g5, "d", "te", "0", live=())
    assert lines == P.static_cell_lines(g5, "d", "te", "0") and models == []
    r = float(next(line for line in lines if line.startswith("Rdw")).split()[-1])
    assert r == pytest.approx(1 / g5.switch_conductance_S(P), rel=1e-11)


@pytest.mark.parametrize("v", [-0.3, -1e-4, 1e-6, 5e-5, 0.2])
def test_zero_bias_resistors_and_their_error_bound(v):
    """The linear lines carry Rs(0) and Ri(0); the law's current departs from them by at most
    `zero_bias_deviation` of the stack voltage (each area sees part of it)."""
    rs = P.switching_area_lines("x", "a", "b", linear=True)
    ri = P.insulator_area_lines("x", "b", "c", linear=True)
    assert rs[0].startswith("Rxs a b ") and ri[0].startswith("Rxi b c ") and rs[1:] + ri[1:] == [
        P.switching_area_lines("x", "a", "b")[1], P.insulator_area_lines("x", "b", "c")[1]]
    r0 = (float(rs[0].split()[-1]), float(ri[0].split()[-1]))
    laws = (P.switching_area_lines("x", "a", "b")[0], P.insulator_area_lines("x", "b", "c")[0])
    # the B-sources' own small-signal resistance, and their current at v against v / R(0)
    assert r0 == pytest.approx(tuple(1e-9 / _b_source_current(law, 1e-9) for law in laws), rel=1e-8)
    bound = P.zero_bias_deviation(v)
    for law, r_zero in zip(laws, r0):
        assert 0 <= _b_source_current(law, v) / (v / r_zero) - 1 <= bound * (1 + 1e-9)
    assert P.zero_bias_deviation(5e-6) < 2e-5  # the microvolts of a quiet wordline


def test_ispp_depression_is_abrupt_and_the_set_side_unchanged(ispp_result):
    """Fig. 4a: "the abrupt current drop in the LTD region". One reset pulse takes at least half the range."""
    s = ispp_result.summary
    assert s["largest_depression_drop_fraction"] >= 0.5
    reads = ispp_result.reads
    for _cyc, grp in reads.groupby("cycle"):
        reset = grp[grp.phase == "reset"].read_current_nA.to_numpy()
        assert (reset[-1] <= 5) and np.all(np.diff(reset) <= 1e-6)
    # the set side: every state G1..G8 is passed within 2 nS on the way up
    up = reads[(reads.cycle == 1) & (reads.phase == "set")].read_current_nA.to_numpy()
    for g in P.g_levels_nS:
        assert np.abs(up - g).min() <= 2.0, g


def test_switch_models_put_the_set_and_reset_thresholds_where_the_model_says():
    """Each switch's VT +- VH, read back from its .model line: Table 1's VT + VH on the set side, the
    bunched reset thresholds -1.01 - 0.07 (1 - k / 27)^2 V on the other."""
    k = np.arange(28)
    for line, kk in zip(P.shared_model_lines(), k):
        vt = float(line.split("VT=")[1].split()[0])
        vh = float(line.split("VH=")[1].split()[0])
        assert vt + vh == pytest.approx(0.8625 + 0.025 * kk + 2.4, abs=1e-8)
        assert vt - vh == pytest.approx(-1.01 - 0.07 * (1 - kk / 27) ** 2, abs=1e-8)


def test_ispp_cycles_differ_with_cycle_to_cycle_noise():
    res = protocols.ispp(P, cycles=2, c2c_ron_sigma_rel=0.3, seed=3)
    r = res.reads
    a = r[r.cycle == 1].read_current_nA.to_numpy()
    b = r[r.cycle == 2].read_current_nA.to_numpy()
    assert np.abs(a - b).max() > 1.0  # nA: the cycles are not copies
    assert res.summary["largest_depression_drop_fraction"] >= 0.5
    again = protocols.ispp(P, cycles=2, c2c_ron_sigma_rel=0.3, seed=3)
    pd.testing.assert_frame_equal(again.reads, r)
