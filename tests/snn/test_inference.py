"""Layer 2 on the simulated array: currents against G.V, the two modes, and the accuracy targets."""
import json

import numpy as np
import pytest

from arrays.mapping import random_levels, target_states
from arrays.netlist import CrossbarParams
from arrays.readout import read_conductance_S
from arrays.state import ArrayState, apply_programming_error
from compact_models.base import SwitchCell
from compact_models.ht_rram import HTRRAMParams, ProgrammingError
from compact_models.parallel import Parallelism
from power.images import infer_image_power
from power.integrator import integrate_power, power_vectors
from snn import inference, models
from snn.data import load_mnist
from snn.infer import main, run_inference
from snn.inference import bitline_step_currents, classify, inference_netlist

pytestmark = pytest.mark.ngspice

P = HTRRAMParams()
XBAR = CrossbarParams()


@pytest.fixture(scope="module")
def written_array():
    """A 24 x 24 array in the states of a random level map, each written cell with its drawn error."""
    targets = target_states(random_levels(3))
    state = ArrayState.fresh(P, XBAR)
    for i, j in zip(*np.nonzero(targets)):
        state.cells[i][j] = SwitchCell(closed=P.closed_for_level(int(targets[i, j])))
    apply_programming_error(state, list(zip(*np.nonzero(targets))), ProgrammingError(), np.random.default_rng(0))
    g_target = np.where(targets > 0, np.array([0.0, *P.g_levels_nS])[targets] * 1e-9, P.hrs_conductance_S)
    return state, targets, g_target


def test_output_currents_are_the_g_dot_v_sum_within_the_transfer_error(written_array):
    state, targets, g_target = written_array
    spikes = np.random.default_rng(1).random((25, 24)) < 0.35
    currents = bitline_step_currents(P, XBAR, state.cells, spikes, mode="quasi-static")
    g_read = read_conductance_S(P, XBAR, state.cells)
    # Against the array's own read-out: the same physics, 1 ohm lines at ~12 Mohm cells: 1e-4.
    np.testing.assert_allclose(currents, spikes.astype(float) @ g_read, rtol=1e-4, atol=1e-13)
    # Against the ideal targets: each spike adds at most its cell's write error (<= 4 nS) plus 1e-3.
    ideal = spikes.astype(float) @ g_target
    bound = spikes.astype(float) @ np.abs(g_read - g_target) + 1e-3 * ideal + 1e-12
    assert np.all(np.abs(currents - ideal) <= bound)
    err_nS = (g_read - g_target)[targets > 0] * 1e9
    assert 0.5 < np.sqrt(np.mean(err_nS**2)) < 1.5, "the write errors must be there for this to mean something"
    label, diff = classify(currents)
    assert label == int(np.argmax(diff)) and diff.shape == (10,)


def test_quiet_wordlines_on_zero_bias_resistors_change_nothing(written_array, monkeypatch):
    """Wordlines that never spike run their cells on plain resistors hung from their sources: the same
    currents and power in ngspice as the full deck."""
    state, _t, _g = written_array
    spikes = np.zeros((25, 24), dtype=bool)
    spikes[:, :8] = np.random.default_rng(4).random((25, 8)) < 0.35
    deck, _ = inference_netlist(P, XBAR, state.cells, spikes, "transient")
    # the non-linear areas: B-sources, or compiled Verilog-A devices (N) where ngspice has OSDI
    b_rows = {int(line[2:].split("_")[0]) for line in deck.splitlines() if line.startswith(("Bc", "Nc"))}
    assert b_rows == set(range(8)), "the 16 quiet wordlines' cells must be linear, the spiking ones not"
    wired = {int(line[3:].split()[0]) for line in deck.splitlines() if line.startswith("Rwc")}
    assert wired == set(range(8)), "the quiet wordlines' cells hang from their sources, without line resistances"
    fast = infer_image_power(P, XBAR, state.cells, spikes)
    monkeypatch.setattr(inference, "quiet_row_sets", lambda *a, **k: ((), ()))
    full = infer_image_power(P, XBAR, state.cells, spikes)
    # quiet_rows bounds the change in every bitline current by 1e-6 of it (measured: about 1e-11)
    scale = np.abs(full["diff_current_nA"]).max()
    np.testing.assert_allclose(fast["diff_current_nA"], full["diff_current_nA"], rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(fast["wordline_power_nW"], full["wordline_power_nW"], rtol=1e-6,
                               atol=1e-6 * full["wordline_power_nW"].max())
    assert fast["predicted"] == full["predicted"]


@pytest.mark.slow
def test_quasi_static_mode_matches_the_transient(written_array):
    state, _t, _g = written_array
    rng = np.random.default_rng(2)
    for _ in range(2):
        spikes = rng.random((25, 24)) < 0.3
        qs = bitline_step_currents(P, XBAR, state.cells, spikes, mode="quasi-static")
        tr = bitline_step_currents(P, XBAR, state.cells, spikes, mode="transient")
        # The transient's plateau currents are DC states up to the solver's tolerance (reltol 1e-3).
        np.testing.assert_allclose(qs, tr, rtol=1e-3, atol=1e-3 * np.abs(tr).max())


@pytest.fixture(scope="module")
def official(mnist_dir):
    if mnist_dir is None:
        pytest.skip("needs the official test set in ../shared/data/mnist")
    return load_mnist(mnist_dir)


@pytest.mark.slow
def test_qt_on_the_array_meets_the_targets_and_repeats(official):
    net = models.trained_variants(official, variants=("qt",))["qt"]
    run = run_inference(official, net, "qt", images_per_class=20, parallelism=Parallelism(jobs=2), mode="quasi-static")
    s = run.summary
    assert s["n_images"] == 200
    t = s["transfer"]
    assert 0.90 <= t["within_2nS_fraction"] <= 0.98 and t["within_4nS_fraction"] == 1.0 and 0.9 <= t["rmse_nS"] <= 1.2
    assert s["accuracy"] >= 0.92
    assert abs(s["accuracy"] - s["snn_ideal_accuracy"]) <= 0.02
    assert np.array(s["confusion"]).sum() == 200
    again = run_inference(official, net, "qt", mode="quasi-static", parallelism=Parallelism(jobs=2), layer=run.layer,
                          image_index=run.images.test_index.to_numpy()[:10])
    assert again.images.equals(run.images.iloc[:10].reset_index(drop=True))
    # The nodal engine on the same array and images: ngspice's DC steps to 1e-4, the same classes.
    nodal = run_inference(official, net, "qt", engine="nodal", layer=run.layer,
                          image_index=run.images.test_index.to_numpy())
    scale = np.abs(run.step_currents_nA).max()
    np.testing.assert_allclose(nodal.step_currents_nA, run.step_currents_nA, rtol=1e-4, atol=1e-4 * scale)
    np.testing.assert_array_equal(nodal.images.predicted, run.images.predicted)
    assert nodal.summary["accuracy"] == s["accuracy"] and nodal.summary["engine"] == "nodal"


@pytest.mark.slow
def test_full_test_set_through_the_nodal_engine(official, mnist_dir, tmp_path):
    out = tmp_path / "all"
    assert main(["--engine", "nodal", "--images", "all", "--mnist-dir", str(mnist_dir), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["n_images"] == 10000 and s["engine"] == "nodal" and np.array(s["confusion"]).sum() == 10000
    # Paper 001 (QT on the array, 92.7 %); the array keeps the ideal SNN's decisions on >= 98 % of images.
    assert s["accuracy"] >= 0.92 and s["agreement_with_ideal"] >= 0.98
    assert len(open(out / "images_qt.csv").readlines()) == 10001
    assert not (out / "pwl").exists()


@pytest.mark.slow
def test_qtpr_command_meets_the_targets(official, mnist_dir, tmp_path):
    out = tmp_path / "qtpr"
    assert main(["--variant", "qtpr", "--images-per-class", "20", "--mode", "quasi-static", "--jobs", "2",
                 "--mnist-dir", str(mnist_dir), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["n_images"] == 200 and s["ann_accuracy_n_images"] == 10000
    assert s["ann_accuracy"] >= 0.90
    assert s["accuracy"] >= 0.88
    assert abs(s["accuracy"] - s["snn_ideal_accuracy"]) <= 0.02
    assert len(s["confusion"]) == 10 and all(len(r) == 10 for r in s["confusion"])
    for name in ("confusion_qtpr.png", "images_qtpr.csv", "levels_qtpr.csv", "transfer_qtpr.csv",
                 "transfer_qtpr/fig10_weight_maps.png"):
        assert (out / name).exists(), name
    assert len(list((out / "pwl" / "qtpr").glob("image*.inc"))) == 200


def test_bad_arguments_exit_cleanly(tmp_path, capsys):
    assert main(["--images-per-class", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--images-per-class 0 must be at least 1" in capsys.readouterr().err
    assert main(["--mnist-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "y")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    for images in ("none", "0", "10001"):
        assert main(["--images", images, "--out", str(tmp_path / "z")]) == 2
        assert "--images" in capsys.readouterr().err
    assert main(["--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "w")]) == 2
    assert "--scheduler needs --backend dask" in capsys.readouterr().err
    assert not any((tmp_path / d).exists() for d in "xyzw")


@pytest.mark.slow
def test_transient_step_against_a_1us_step(written_array, monkeypatch):
    """The inference transient's step (`inference.POINTS_PER_PLATEAU`) against a 1 us step, 250 times finer."""
    state, _t, _g = written_array
    spikes = np.random.default_rng(5).random((6, 24)) < 0.35

    def run():
        currents, res = bitline_step_currents(P, XBAR, state.cells, spikes, save_extra=power_vectors(XBAR), return_result=True)
        return currents, len(res.time), integrate_power(res, XBAR, window=(0.0, 6e-3)).per_wordline.array_power_nW.to_numpy()

    chosen = run()
    monkeypatch.setattr(inference, "POINTS_PER_PLATEAU", 500)
    fine = run()
    assert fine[1] > 10 * chosen[1]
    # plateau currents: DC states up to ngspice's reltol (1e-3)
    np.testing.assert_allclose(chosen[0], fine[0], rtol=1e-3, atol=1e-3 * np.abs(fine[0]).max())
    # power: the 20 us edges hold (2/3 x 40 us) / (0.5 ms + 2/3 x 40 us) = 5 % of a spike's energy, and
    # ngspice's 4 intervals per edge integrate their convex V x I(V) to within a tenth of that
    np.testing.assert_allclose(chosen[2], fine[2], rtol=5e-3, atol=5e-3 * fine[2].max())
