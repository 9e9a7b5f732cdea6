"""``compact_models.fit``: both built-in devices' characterisation fitted back, and malformed pulse tables."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compact_models import protocols
from compact_models.fit import fit_device, pulse_table
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams

pytestmark = pytest.mark.ngspice

ROOT = Path(__file__).resolve().parents[2]
RMSE_OF_RANGE = 0.02
"""The issue's bound on the re-simulated reads: RMSE under 2 % of the measured range, per phase."""


@pytest.fixture(scope="module")
def ht_fit():
    P = HTRRAMParams()
    return P, fit_device(pulse_table(protocols.ispp(P, cycles=2), P), name="ht-back")


def test_ht_rram_ispp_fits_back_to_its_switches_and_states(ht_fit):
    P, fit = ht_fit
    d = fit.device
    # 25 mV steps on a 25 mV threshold ladder: each rise is one switch, its threshold the step's middle
    assert d.n_switches == P.n_switches
    assert d.vt_min_V == pytest.approx(P.vt_min_V, abs=1e-9) and d.vt_step_V == pytest.approx(P.vt_step_V, abs=1e-9)
    assert d.vt_table_V == ()  # evenly spaced: a ladder, not a table
    assert d.level_switch_counts == P.level_switch_counts
    np.testing.assert_allclose(d.g_levels_nS, P.g_levels_nS, rtol=1e-6)
    np.testing.assert_allclose(d.switch_ron_ohm, P.switch_ron_ohm, rtol=1e-5)
    # the reset ladder's 50 mV steps place the reset thresholds to within a step
    assert abs(d.reset_top_V - P.reset_top_V) <= 0.05 and abs(d.reset_bunch_V - P.reset_bunch_V) <= 0.05
    for phase, stats in fit.report["agreement"].items():
        assert stats["rmse_of_range"] < RMSE_OF_RANGE, phase
    assert "rs_prefactor_ohm" in fit.report["assumed"] and "vt_step_V" in fit.report["fitted"]


@pytest.mark.slow
def test_the_fitted_ht_rram_transfers_like_the_original(ht_fit, tmp_path):
    """A 24 x 24 transfer of a random layer on the fitted device (nodal write engine, as a file): its
    statistics within the sampling spread of the original's (211 cells: RMSE +-0.1 nS, 2 x its
    standard error sigma / sqrt(2 n); the share within 2 nS +-2 x sqrt(p (1 - p) / n) = +-0.033)."""
    from arrays.mapping import random_levels
    from arrays.transfer import TransferSpec, transfer_layer
    from compact_models.device_files import write_device_file

    _P, fit = ht_fit
    path = write_device_file(fit.device, tmp_path / "fitted.toml")
    levels = random_levels(4)
    own = transfer_layer(levels, TransferSpec(device=str(path), engine="nodal"), cache=False).summary
    base = transfer_layer(levels, TransferSpec(device="ht-rram", engine="nodal"), cache=False).summary
    assert own["device"] == "ht-back" and own["n_cells"] == base["n_cells"]
    assert abs(own["rmse_nS"] - base["rmse_nS"]) <= 0.1
    assert abs(own["within_2nS_fraction"] - base["within_2nS_fraction"]) <= 0.033


def test_hfoxsy_pulse_trains_fit_back_within_their_noise():
    H = HfOxSyParams()
    fit = fit_device(pulse_table(protocols.pulse_trains(H, cycles=20, seed=3), H), name="hf-back")
    d = fit.device
    assert (d.n_switches, d.n_linear_states, d.n_weight_states) == (H.n_switches, H.n_linear_states, H.n_weight_states)
    assert (d.v_start_V, d.v_stop_V) == (H.v_start_V, H.v_stop_V)
    assert d.width_start_s == pytest.approx(H.width_start_s) and d.width_stop_s == pytest.approx(H.width_stop_s)
    # 20 cycles of reads with sigma 23.7 uS: each pulse's mean is off by ~5.3 uS, the linear step (16 of
    # them averaged) by ~0.5 uS, the sigma itself by ~3.6 % (400 reads): bounds of 3-4 standard errors
    assert abs(d.step_uS - H.step_uS) < 2.0
    assert abs(d.sigma_c2c_uS - H.sigma_c2c_uS) < 0.11 * H.sigma_c2c_uS
    assert abs(d.g_min_uS - H.g_min_uS) < 4 * 23.7 / np.sqrt(20)
    assert d.switch_reads_uS == ()  # the linear step and end steps describe the built-in's curve
    assert d.sigma_c2c_per_state_uS == ()  # one sigma in every state, as the built-in's
    for phase, stats in fit.report["agreement"].items():
        assert stats["rmse_of_range"] < RMSE_OF_RANGE, phase


def test_a_saturating_train_gets_a_read_per_switch():
    """A pulse-train device whose steps shrink from 166 to 16 uS (saturating potentiation), 20 cycles with
    the built-in's cycle-to-cycle noise: the fit gives each switch its pulse's mean read, within 4 standard
    errors of a mean of 20 reads (`TRAIN_MISS_SEM`, 21 uS), and both phases re-simulate within 2 % of their range."""
    from compact_models.fit.model import TRAIN_MISS_SEM
    from compact_models.hfoxsy import curve_steps

    H = HfOxSyParams()
    g0 = H.read_conductance_S(0.0) * 1e6
    k = np.arange(1, H.n_switches + 1)
    reads = g0 + 1300 * (1 - np.exp(-k / 8)) / (1 - np.exp(-H.n_switches / 8))
    step, ends = curve_steps(g0, reads, len(H.end_steps_uS))
    truth = dataclasses.replace(H, name="saturating", switch_reads_uS=tuple(reads), step_uS=step, end_steps_uS=ends)
    fit = fit_device(pulse_table(protocols.pulse_trains(truth, cycles=20, seed=3), truth), name="saturating-fit")
    d = fit.device
    assert len(d.switch_reads_uS) == H.n_switches
    np.testing.assert_allclose(d.switch_reads_uS, reads, atol=TRAIN_MISS_SEM * H.sigma_c2c_uS / np.sqrt(20))
    np.testing.assert_allclose(d.read_curve_S()[1:] * 1e6, d.switch_reads_uS)
    for phase, stats in fit.report["agreement"].items():
        assert stats["rmse_of_range"] < RMSE_OF_RANGE, phase


def test_a_state_dependent_cycle_to_cycle_noise_gets_a_sigma_per_state():
    """A pulse-train device whose cycle-to-cycle sigma grows from 8 uS (reset) to 38 uS (every switch closed),
    20 cycles in ngspice: the fit finds the spreads unequal and gives each state its own sigma, within 3
    standard errors of a sample deviation, 3 / sqrt(2 dof): 19 degrees of freedom in the end states (one
    phase), 38 in the others (both phases); the pooled sigma stays the reads' spread."""
    H = HfOxSyParams()
    sigma = 8.0 + 1.5 * np.arange(H.n_switches + 1)
    truth = dataclasses.replace(H, name="growing-noise", sigma_c2c_per_state_uS=tuple(float(s) for s in sigma))
    fit = fit_device(pulse_table(protocols.pulse_trains(truth, cycles=20, seed=3), truth), name="growing-fit")
    fitted = np.asarray(fit.device.sigma_c2c_per_state_uS)
    dof = np.full(sigma.size, 38.0)
    dof[[0, -1]] = 19.0
    assert fitted.size == sigma.size
    assert np.all(np.abs(fitted / sigma - 1) < 3 / np.sqrt(2 * dof))
    assert any("Brown-Forsythe" in note and "sigma per state" in note for note in fit.report["notes"])
    for phase, stats in fit.report["agreement"].items():
        assert stats["rmse_of_range"] < RMSE_OF_RANGE, phase


def _table(tmp_path, frame, name="pulses.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def ispp_table():
    P = HTRRAMParams()
    return pulse_table(protocols.ispp(P, cycles=1), P)


@pytest.mark.parametrize("spoil, message", [
    (lambda t: t.drop(columns=["amplitude_V"]), "missing column(s) amplitude_V"),
    (lambda t: t.drop(columns=["read_current_A"]), "needs a read_current_A or a conductance_S column"),
    (lambda t: t.astype({"read_V": object}).assign(read_V=["1.0"] * 5 + ["one"] + ["1.0"] * (len(t) - 6)),
     "column read_V has a non-numeric value 'one' on data row 6"),
    (lambda t: t.iloc[:1], "1 row(s); a fit needs the pulses of at least one set and one reset phase"),
    (lambda t: t.assign(read_current_A=np.where(np.arange(len(t)) == 3, -1e-9, t.read_current_A)),
     "read_current_A -1e-09 on data row 4 has the opposite sign of its read_V 1"),
    (lambda t: t.assign(read_current_A=t.read_current_A.iloc[0]), "a set phase has no read that rises"),
    (lambda t: t[t.phase == "set"], "the fit needs a set (or potentiation) and a reset"),
])
def test_malformed_pulse_tables_are_one_line_and_write_nothing(tmp_path, ispp_table, spoil, message):
    path = _table(tmp_path, spoil(ispp_table.copy()))
    out = tmp_path / "never"
    res = subprocess.run([sys.executable, "-m", "compact_models.fit", "--pulses", str(path), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and res.stderr.strip().count("\n") == 0, res.stderr
    assert not out.exists()


def test_the_command_writes_the_device_the_report_and_the_figure(tmp_path, ispp_table):
    path = _table(tmp_path, ispp_table)
    out = tmp_path / "fit"
    res = subprocess.run([sys.executable, "-m", "compact_models.fit", "--pulses", str(path), "--name", "lab-7",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "fit_report.json").read_text())
    assert report["device"] == "lab-7" and set(report["agreement"]) == {"set", "reset"}
    assert (out / "fit.png").stat().st_size > 10_000
    from compact_models.devices import resolve_device

    assert resolve_device(str(out / "device.toml")).n_switches == 28
    assert pd.read_csv(path).shape[0] == report["n_pulses"]


def _iv(device, noise=0.0, seed=0):
    sweep = protocols.dc_sweep(device).trace
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"V": sweep.voltage_V, "I_A": sweep.current_nA * 1e-9 * (1 + rng.normal(0.0, noise, len(sweep)))})


def test_iv_replay_is_ngspice_s_dc_sweep():
    """The law fit's currents (each point at DC, switches by their hysteresis) against ngspice's sweep:
    the same within the sweep's own 1e-3 (ngspice's reltol) of the range."""
    from compact_models.fit import iv_currents_A

    for device in (HTRRAMParams(), HfOxSyParams()):
        iv = _iv(device)
        got = iv_currents_A(device, iv.V.to_numpy())
        assert np.sqrt(np.mean((got - iv.I_A) ** 2)) < 1e-3 * np.ptp(iv.I_A), device.name


def test_area_laws_fit_back_from_an_iv():
    """Other laws than the base's, recovered from a DC I-V with 1 % noise: each within 2 % (the noise
    averages over ~300 points; the prefactors and slopes are correlated), the I-V within 5 % of its range."""
    from dataclasses import replace

    truth = replace(HTRRAMParams(), rs_prefactor_ohm=4.0e6, rs_slope_V=0.32, ri_prefactor_ohm=9.5e3, ri_slope_V=0.52)
    fit = fit_device(pulse_table(protocols.ispp(truth, cycles=1), truth), name="laws", iv=_iv(truth, 0.01))
    for key in ("rs_prefactor_ohm", "rs_slope_V", "ri_prefactor_ohm", "ri_slope_V"):
        assert getattr(fit.device, key) == pytest.approx(getattr(truth, key), rel=0.02), key
    assert fit.report["iv"]["rmse_of_range_before"] > 0.1 > 0.05 > fit.report["iv"]["rmse_of_range"]
    h_truth = replace(HfOxSyParams(), g_programming_uS=1.5 * HfOxSyParams().g_programming_uS)
    h_fit = fit_device(pulse_table(protocols.pulse_trains(h_truth, cycles=2, noise=False), h_truth), name="hf-laws",
                       iv=_iv(h_truth, 0.01))
    assert h_fit.device.g_programming_uS == pytest.approx(h_truth.g_programming_uS, rel=0.02)


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"V": [0.1] * 20}), "missing column(s) I_A"),
    (pd.DataFrame({"V": np.linspace(0, 1, 5), "I_A": np.linspace(0, 1e-9, 5)}), "5 point(s); a law fit needs at least 10"),
    (pd.DataFrame({"V": np.linspace(0.1, 1, 12), "I_A": [1e-9] * 11 + [-1e-9]}), "I_A -1e-09 on data row 12 has the opposite sign"),
])
def test_malformed_iv_tables_are_one_line(tmp_path, ispp_table, frame, message):
    pulses, iv = _table(tmp_path, ispp_table), _table(tmp_path, frame, "iv.csv")
    out = tmp_path / "never"
    res = subprocess.run([sys.executable, "-m", "compact_models.fit", "--pulses", str(pulses), "--iv", str(iv), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and message in res.stderr and res.stderr.strip().count("\n") == 0, res.stderr
    assert not out.exists()


def test_write_error_from_verify_outcomes(ht_fit):
    """Outcomes drawn with another sigma (paper 001's model: a truncated Gaussian per write), 50 per
    state: the pooled sigma within 3 standard errors (sigma / sqrt(2 x 400) = 3.5 %) of the drawn one."""
    from compact_models.ht_rram import ProgrammingError

    P, fit = ht_fit
    rng = np.random.default_rng(8)
    draw = ProgrammingError(sigma_nS=1.8, truncate_nS=5.0)
    targets = np.repeat(np.arange(1, 9), 50)
    verify = pd.DataFrame({"target": targets, "final_conductance_S": (np.asarray(P.g_levels_nS)[targets - 1]
                                                                       + draw.draw_nS(rng, targets.size)) * 1e-9,
                           "pulses": 3})
    out = fit_device(fit.measured, name="verified", verify=verify)
    sigma_drawn = float(np.std(draw.draw_nS(np.random.default_rng(8), 100_000)))  # the truncated Gaussian's own sigma
    assert out.device.write_sigma_nS == pytest.approx(sigma_drawn, rel=3 * 0.035)
    assert out.device.write_truncate_nS <= 5.0 and len(out.report["verify"]["per_state"]) == 8
    assert out.device.write_error().sigma_nS == out.device.write_sigma_nS
    assert out.device.write_sigma_per_state_nS == () and not out.report["verify"]["sigma_per_state"]


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"target": [1, 1]}), "missing column(s) final_conductance_S"),
    (pd.DataFrame({"target": [1.5, 1.5], "final_conductance_S": [1e-8, 1e-8]}), "target must be a state number"),
    (pd.DataFrame({"target": [1, 2], "final_conductance_S": [1e-8, 2e-8]}), "every state needs at least 2 outcomes"),
    (pd.DataFrame({"target": [1, 1], "final_conductance_S": ["x", 1e-8]}), "non-numeric value 'x' on data row 1"),
])
def test_malformed_verify_tables_are_one_line(frame, message):
    from compact_models.errors import InputFileError
    from compact_models.fit import check_verify

    with pytest.raises(InputFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_verify(frame)



def test_a_state_dependent_write_error_gets_a_sigma_per_state(ht_fit):
    """Outcomes drawn with a sigma rising from 0.5 to 2.6 nS over the 8 states, 60 per state: the test finds
    the dependence, and each state's fitted sigma lies within 3 standard errors (sigma / sqrt(2 x 60) =
    9 %) of the drawn distribution's own; the write error of an array's cells then has each state's
    sigma (1 600 cells in G1 and in G7, clear of the 81 nS ceiling that caps G8's draws: within 15 %, the
    truncation at the largest error taking a little)."""
    from compact_models.ht_rram import ProgrammingError

    P, fit = ht_fit
    rng = np.random.default_rng(9)
    drawn = tuple(np.linspace(0.5, 2.6, 8))
    error = ProgrammingError(sigma_nS=1.0, truncate_nS=8.0, per_state_nS=drawn)
    targets = np.repeat(np.arange(1, 9), 60)
    verify = pd.DataFrame({"target": targets, "final_conductance_S": (np.asarray(P.g_levels_nS)[targets - 1]
                                                                       + error.draw_nS(rng, targets.size, targets)) * 1e-9})
    out = fit_device(fit.measured, name="by-state", verify=verify)
    assert out.report["verify"]["sigma_per_state"] and out.report["verify"]["state_dependence_p"] < 1e-6
    own = [np.sqrt(np.mean(error.draw_nS(np.random.default_rng(1), 50_000, np.full(50_000, k)) ** 2)) for k in range(1, 9)]
    np.testing.assert_allclose(out.device.write_sigma_per_state_nS, own, rtol=3 * 0.09)
    from arrays.netlist import CrossbarParams
    from arrays.state import ArrayState, apply_programming_error, ideal_cells

    targets = np.repeat([[1], [7]], 40, axis=0) * np.ones((80, 40), dtype=int)
    state = ArrayState(out.device, CrossbarParams(rows=80, cols=40), ideal_cells(out.device, targets))
    written = list(zip(*np.nonzero(targets)))
    apply_programming_error(state, written, out.device.write_error(), np.random.default_rng(2), [targets[c] for c in written])
    g_nS = state.nominal_conductance_S() * 1e9
    spread = [np.std(g_nS[targets == k] - out.device.g_levels_nS[k - 1]) for k in (1, 7)]
    np.testing.assert_allclose(spread, np.asarray(out.device.write_sigma_per_state_nS)[[0, 6]], rtol=0.15)


def test_a_write_error_per_state_needs_the_states_and_one_sigma_per_state():
    from compact_models.errors import ParameterError
    from compact_models.ht_rram import HTRRAMParams, ProgrammingError

    with pytest.raises(ParameterError, match="needs the cells' states"):
        ProgrammingError(per_state_nS=(1.0, 2.0)).draw_nS(np.random.default_rng(0), 3)
    with pytest.raises(ParameterError, match="one sigma within 0..20 nS for each of the 8 states"):
        HTRRAMParams(write_sigma_per_state_nS=(1.0, 2.0))


@pytest.mark.slow
def test_the_device_to_device_spread_from_a_device_column():
    """16 devices of HT-RRAM drawn with paper 000's kind of spread (each switch's threshold by N(0, 8 mV), its
    RON by a log-normal of sigma 0.15), one ISPP each on a 10 mV ladder with 0.05 nA read noise: the
    threshold spread from 16 x 28 deviations within 20 % (its standard error about 4 %, plus the ladder's
    quantisation), the RON spread from the 16 full-on reads within 3 standard errors of a spread from 16
    samples (sigma / sqrt(2 x 15) = 18 %: 55 %); cycles numbered within each device stay apart."""
    from compact_models.base import DeviceVariation
    from compact_models.ht_rram import HTRRAMParams

    truth = HTRRAMParams()
    var = DeviceVariation(ron_sigma_rel=0.15, vt_sigma_V=0.008)
    rng = np.random.default_rng(5)
    frames = []
    for d in range(16):
        tab = pulse_table(protocols.ispp(truth, cycles=1, set_V=(3.0, 4.2, 0.01), seed=d, variation=var), truth)
        tab["read_current_A"] += rng.normal(0, 0.05e-9, len(tab))
        frames.append(tab.assign(device=f"chip-{d}"))
    fit = fit_device(pd.concat(frames, ignore_index=True), name="sixteen")
    assert fit.device.n_switches == truth.n_switches and fit.report["n_cycles"] == 16
    assert fit.device.d2d_vt_sigma_V == pytest.approx(0.008, rel=0.2)
    assert fit.device.d2d_ron_sigma_rel == pytest.approx(0.15, rel=0.55)
    assert fit.report["device_spread"]["n_devices"] == 16


@pytest.mark.slow
def test_the_device_to_device_spread_of_pulse_train_devices():
    """8 HfOxSy devices whose switches' RON spread by a log-normal of sigma 0.2, 5 cycles each with the
    built-in's cycle-to-cycle noise: the squared spread of each switch's rise over 8 devices has a standard
    error of sqrt(2 / 7) times its total (spread plus noise, about 0.08), 0.0096 averaged over 20 switches,
    so sigma within 3 standard errors (36 %); the cycle-to-cycle sigma about each device's own mean read
    within 10 % (800 reads)."""
    from compact_models.base import DeviceVariation

    H = HfOxSyParams()
    var = DeviceVariation(ron_sigma_rel=0.2, vt_sigma_V=0.0)
    frames = [pulse_table(protocols.pulse_trains(H, cycles=5, seed=d, variation=var), H).assign(device=f"chip-{d}")
              for d in range(8)]
    fit = fit_device(pd.concat(frames, ignore_index=True), name="eight-trains")
    assert fit.device.d2d_ron_sigma_rel == pytest.approx(0.2, rel=0.36)
    assert fit.device.sigma_c2c_uS == pytest.approx(H.sigma_c2c_uS, rel=0.1)
    assert fit.report["device_spread"]["n_devices"] == 8 and fit.device.d2d_vt_sigma_V == 0.0


def test_switches_of_their_own_conductance_are_fitted_one_by_one():
    """A device whose switches conduct unevenly (every switch its own read, not geometric steps between
    the states), measured by a 25 mV ISPP with 0.05 nA read noise over 2 cycles: the fit gives each switch
    its own read, within 3 read-noise sigmas of the mean of 2 cycles (0.11 nS), and each ON resistance
    within 3 sigmas of its read step (the difference of two such means, 0.05 nS, over the step: 2-17 %)."""
    from compact_models.ht_rram import HTRRAMParams

    base = HTRRAMParams()
    k = np.arange(1, base.n_switches + 1)
    reads = np.asarray(base.read_curve_S()[1:]) * 1e9 + 1.0 * np.sin(1.3 * k)  # +-1 nS off the geometric steps
    counts = np.asarray(base.level_switch_counts)
    truth = dataclasses.replace(base, name="uneven", switch_reads_nS=tuple(reads), g_levels_nS=tuple(reads[counts - 1]))
    rng = np.random.default_rng(3)
    table = pulse_table(protocols.ispp(truth, cycles=2), truth)
    table["read_current_A"] += rng.normal(0, 0.05e-9, len(table))
    fit = fit_device(table, name="uneven-fit")
    assert len(fit.device.switch_reads_nS) == truth.n_switches
    np.testing.assert_allclose(fit.device.switch_reads_nS, reads, atol=3 * 0.05 / np.sqrt(2))
    step_nS = np.diff(np.concatenate([[truth.hrs_conductance_S * 1e9], reads]))
    assert np.all(np.abs(fit.device.switch_ron_ohm / truth.switch_ron_ohm - 1) <= 3 * 0.05 / step_nS)


def test_reset_thresholds_of_their_own_are_fitted_one_by_one():
    """Reset thresholds spread evenly from -1.30 V to -1.05 V (not bunched), measured on a 20 mV reset
    ladder with 0.05 nA read noise: each switch's reset threshold within half a step (10 mV), and the
    reset phase re-simulated within 0.5 % of its range."""
    from compact_models.ht_rram import HTRRAMParams

    base = HTRRAMParams()
    table = -1.05 - 0.25 * np.linspace(1, 0, base.n_switches)
    truth = dataclasses.replace(base, reset_table_V=tuple(table), reset_top_V=float(table.max()),
                                reset_bunch_V=float(np.ptp(table)))
    rng = np.random.default_rng(3)
    measured = pulse_table(protocols.ispp(truth, cycles=2, reset_V=(-1.0, -1.5, -0.02)), truth)
    measured["read_current_A"] += rng.normal(0, 0.05e-9, len(measured))
    fit = fit_device(measured, name="reset-table")
    assert len(fit.device.reset_table_V) == truth.n_switches
    assert np.max(np.abs(fit.device.reset_threshold_V - table)) <= 0.010 + 1e-9
    assert fit.report["agreement"]["reset"]["rmse_of_range"] < 0.005


def test_an_iv_fit_refuses_a_base_with_area_tables(ispp_table):
    """The I-V fit moves the exponential laws' keys; a base whose areas are tables would silently keep them."""
    from compact_models.errors import ParameterError

    P = HTRRAMParams()
    v = np.array([0.0, 1.0, 2.0])
    base = dataclasses.replace(P, ri_table_V=tuple(v), ri_table_ohm=tuple(P.ri_ohm(v)))
    iv = pd.DataFrame({"V": np.linspace(0, 4, 50), "I_A": np.linspace(0, 4, 50) * 1e-7})
    with pytest.raises(ParameterError, match="--iv fits the exponential area laws, but the base device gives ri_table_V"):
        fit_device(ispp_table, name="tables", base=base, iv=iv)
