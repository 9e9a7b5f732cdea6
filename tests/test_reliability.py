"""No silent wrong result, no traceback for a user mistake: the cases of the reliability issue, command by command.

CLI cases go through ``main(argv)`` (or a subprocess where the exit or a signal is what is tested), each
with the message it must print; the refusals happen before any work, so these tests are fast unless marked.
"""
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from compact_models import protocols
from compact_models.base import SwitchCell
from compact_models.characterize import main as characterize
from compact_models.errors import ParameterError
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams
from compact_models.store import RunState
from power.main_job import main as main_job
from power.sweep import main as sweep
from snn.infer import main as infer

ROOT = Path(__file__).resolve().parents[1]
UNWRITABLE = Path("/sys/kernel")  # exists, and refuses new files even to root


def _one_line_error(capsys, match: str) -> str:
    err = capsys.readouterr().err
    assert match in err, err
    assert "Traceback" not in err
    return err


# Silent wrong results: a resumed folder holds the spec it was made with -------------------------------

def test_a_run_folder_refuses_another_spec_and_overwrite_clears_it(tmp_path):
    out = tmp_path / "run"
    state = RunState(out, "sweep", {"parameter": "r_wire_ohm", "n_images": 20})
    state.save("point_1.0_0", {"accuracy": 0.9})
    (out / "sweep.csv").write_text("old")
    assert RunState(out, "sweep", {"parameter": "r_wire_ohm", "n_images": 20}).load("point_1.0_0") == {"accuracy": 0.9}
    with pytest.raises(ParameterError, match=r"holds a run with other settings \(parameter: 'r_wire_ohm' there, "
                                             r"'sigma_nS' now\).*--overwrite"):
        RunState(out, "sweep", {"parameter": "sigma_nS", "n_images": 20})
    with pytest.raises(ParameterError, match="n_images: 20 there, 1000 now"):
        RunState(out, "sweep", {"parameter": "r_wire_ohm", "n_images": 1000})
    with pytest.raises(ParameterError, match="a 'sweep' run there, not a 'transfer' run"):
        RunState(out, "transfer", {"parameter": "r_wire_ohm", "n_images": 20})
    fresh = RunState(out, "sweep", {"parameter": "sigma_nS", "n_images": 20}, overwrite=True)
    assert fresh.load("point_1.0_0") is None and not (out / "sweep.csv").exists()
    assert json.loads((out / ".state" / "spec.json").read_text())["spec"]["parameter"] == "sigma_nS"


def test_a_folder_of_other_files_is_never_taken(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="holds files of no rram-cosim run"):
        RunState(tmp_path, "transfer", {}, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_weights_transfer_into_a_main_job_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "main"
    RunState(out, "power-study", {"config": {}, "data": {}})
    (out / "summary.json").write_text("{}")
    assert main_job(["--weights", "random", "--out", str(out)]) == 2
    _one_line_error(capsys, "holds a run with other settings (a 'power-study' run there, not a 'transfer' run)")
    assert (out / "summary.json").read_text() == "{}"


@pytest.mark.slow
def test_a_sweep_resumed_with_another_parameter_or_images_is_refused(mnist_dir, tmp_path, capsys):
    """The reproduction of the issue: r_wire_ohm 1 then sigma_nS 1 into one folder, and 20 then 1000 images."""
    if mnist_dir is None:
        pytest.skip("needs the official test set in ../shared/data/mnist")
    out = tmp_path / "X"
    common = ["--values", "1", "--seeds", "1", "--mnist-dir", str(mnist_dir), "--out", str(out)]
    assert sweep(["--parameter", "r_wire_ohm", "--images", "20", *common]) == 0
    first = (out / "sweep.csv").read_text()
    assert sweep(["--parameter", "sigma_nS", "--images", "20", *common]) == 2
    _one_line_error(capsys, "parameter: 'r_wire_ohm' there, 'sigma_nS' now")
    assert sweep(["--parameter", "r_wire_ohm", "--images", "1000", *common]) == 2
    _one_line_error(capsys, "n_images: 20 there, 1000 now")
    assert (out / "sweep.csv").read_text() == first
    assert sweep(["--parameter", "sigma_nS", "--images", "20", "--overwrite", *common]) == 0
    assert "sigma_nS" in (out / "sweep.csv").read_text()


# Silent wrong results: API inputs ------------------------------------------------------------------------

@pytest.mark.parametrize("make, match", [
    (lambda: HTRRAMParams(vt_min_V=math.nan), "ht-rram parameter vt_min_V=nan must be a finite number"),
    (lambda: HTRRAMParams(rs_v0_V=math.nan), "ht-rram parameter rs_v0_V=nan must be a finite number"),
    (lambda: HfOxSyParams(step_uS=math.inf), "hfoxsy parameter step_uS=inf must be a finite number"),
    (lambda: SwitchCell(closed=(30,)).switch_conductance_S(HTRRAMParams()), "switch index 30 is outside 0..27"),
    (lambda: SwitchCell(closed=(20,)).thresholds_V(HfOxSyParams()), "switch index 20 is outside 0..19"),
    (lambda: SwitchCell(closed=(-1,)), r"closed=\(-1,\) must list distinct switch indices"),
    (lambda: SwitchCell(closed=(2.0,)), r"closed=\(2.0,\) must list distinct switch indices"),
    (lambda: HTRRAMParams().closed_for_level(2.5), "level=2.5 must be a whole number within 1..8"),
    (lambda: HTRRAMParams().set_amplitude_V(9), "level=9 must be a whole number within 1..8"),
    (lambda: protocols.run_protocol("ht-rram", "ispp", cycles=0), "--cycles 0 is not allowed"),
    (lambda: protocols.run_protocol("ht-rram", "dc", seed=-1), "--seed -1 must be a whole number of at least 0"),
])
def test_api_inputs_out_of_range_are_refused(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_float_levels_are_refused_not_truncated():
    from arrays.mapping import target_states

    levels = np.full((24, 10), 2)
    assert target_states(levels.astype(float)).max() == 3  # whole numbers as floats are fine
    with pytest.raises(ParameterError, match="whole numbers in -7..7"):
        target_states(levels + 0.5)


# Tracebacks for user mistakes: every argument checked before any work ------------------------------------

@pytest.mark.parametrize("command, args, match", [
    (main_job, ["--seed", "-1"], "seed -1 must be a whole number of at least 0"),
    (main_job, ["--weights", "random", "--seed", "-1"], "seed -1 must be a whole number of at least 0"),
    (main_job, ["--images-per-class", "500"], "only 100 test images of class 0"),
    (main_job, ["--max-passes", "0"], "max_passes 0 must be a whole number within 1..20"),
    (infer, ["--seed", "-1"], "seed -1 must be a whole number of at least 0"),
    (infer, ["--images-per-class", "500"], "only 100 test images of class 0"),
    (infer, ["--jobs", "0"], "--jobs 0 must be a whole number of at least 1"),
    (sweep, ["--images", "0"], "--images 0 must be at least 1"),
    (characterize, ["--seed", "-1"], "--seed -1 must be a whole number of at least 0"),
])
def test_bad_arguments_fail_before_any_work(command, args, match, tmp_path, capsys):
    out = tmp_path / "never"
    t0 = time.perf_counter()
    assert command(args + ["--out", str(out)]) == 2
    _one_line_error(capsys, match)
    assert not out.exists()
    assert time.perf_counter() - t0 < 10  # refused up front, not after training or a transfer


@pytest.mark.parametrize("command, args", [
    (main_job, []), (main_job, ["--weights", "random"]), (infer, []), (sweep, []), (characterize, []),
])
def test_an_out_folder_that_cannot_be_written_fails_before_any_work(command, args, capsys):
    if not UNWRITABLE.is_dir():
        pytest.skip("needs /sys/kernel")
    assert command(args + ["--out", str(UNWRITABLE)]) == 2
    _one_line_error(capsys, f"--out {UNWRITABLE} cannot be written")


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01", "1,2\n".encode("utf-16")])
def test_a_binary_or_non_utf8_weight_file_is_one_line(tmp_path, capsys, content):
    weights = tmp_path / "w.csv"
    weights.write_bytes(content)
    assert main_job(["--weights", str(weights), "--out", str(tmp_path / "o")]) == 2
    _one_line_error(capsys, "is not a text CSV (not UTF-8)")


@pytest.mark.parametrize("out, match", [
    ("{tmp}", "is a folder; name a file in it"),
    ("{tmp}/file.txt/x.cir", "file.txt is a file, not a folder"),
    ("{tmp}/missing/x.cir", "folder {tmp}/missing does not exist"),
    ("/proc/x.cir", "--out /proc/x.cir cannot be written"),
])
def test_netlist_out_mistakes_are_one_line(tmp_path, capsys, out, match):
    from arrays.netlist import main as netlist

    (tmp_path / "file.txt").write_text("x")
    assert netlist(["--out", out.format(tmp=tmp_path)]) == 2
    _one_line_error(capsys, match.format(tmp=tmp_path))


def test_a_full_disk_leaves_no_partial_set_of_results(tmp_path, monkeypatch, capsys):
    """ENOSPC while the figures are written: one line, exit 1, and none of the run's results in --out."""
    import errno

    from arrays.transfer import outputs

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "fig9_violins.png")

    monkeypatch.setattr(outputs, "atomic_save_figure", full)
    weights = tmp_path / "w.csv"
    weights.write_text("\n".join(",".join(["0"] * 10) for _ in range(24)))
    out = tmp_path / "o"
    assert main_job(["--weights", str(weights), "--max-passes", "1", "--sigma-nS", "0", "--out", str(out)]) == 1
    _one_line_error(capsys, "No space left on device")
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == []


# Interruption --------------------------------------------------------------------------------------------

def _interrupt(cmd, wait_for: str, env=None, after_s: float = 1.0):
    """Start ``cmd``, send SIGINT ``after_s`` after ``wait_for`` appears on its stderr; (rc, stderr, seconds to exit)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=env or os.environ.copy())
    err = ""
    deadline = time.time() + 300
    while wait_for not in err and time.time() < deadline and proc.poll() is None:
        err += proc.stderr.readline()
    time.sleep(after_s)
    t0 = time.time()
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    proc.wait(timeout=120)
    return proc.returncode, err + rest, time.time() - t0


@pytest.mark.slow
@pytest.mark.parametrize("module, args, wait_for", [
    ("compact_models.characterize", ["--device", "hfoxsy", "--cycles", "100"], "in ngspice"),
    ("snn.infer", ["--images-per-class", "20", "--jobs", "1"], "images through the array"),
    ("arrays.sweep", ["--values", "1", "--seeds", "2", "--images", "50", "--jobs", "1"], "sweep points"),
])
def test_ctrl_c_ends_every_command_with_one_line_and_130(module, args, wait_for, tmp_path):
    rc, err, _seconds = _interrupt([sys.executable, "-m", module, *args, "--out", str(tmp_path / "o")], wait_for)
    assert rc == 130, err
    assert "interrupted:" in err and "Traceback" not in err


@pytest.mark.slow
def test_the_main_job_interrupted_in_a_write_transient_resumes_to_the_same_summary(tmp_path):
    """SIGINT while the transfers' write transients run in ngspice (a fresh cache, so they are simulated):
    exit 130 within 5 s, then the same command resumes and writes the summary of an uninterrupted run."""
    env = dict(os.environ, RRAM_COSIM_CACHE=str(tmp_path / "cache"))
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "arrays.transfer", "--images-per-class", "1", "--out", str(out)]
    rc, err, seconds = _interrupt(cmd, "transferring", env=env, after_s=3.0)
    assert rc == 130 and seconds < 5, err
    assert "run the same command with the same --out to resume" in err and "Traceback" not in err
    assert not (out / "summary.json").exists()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, capture_output=True)
    reference = tmp_path / "reference"
    subprocess.run(cmd[:-1] + [str(reference)], check=True, cwd=ROOT, env=env, capture_output=True)

    def untimed(path):
        s = json.loads((path / "summary.json").read_text())
        for t in s["transfer"].values():
            t.pop("sim_wall_s")
        return s

    assert untimed(out) == untimed(reference)


@pytest.mark.slow
def test_flags_of_the_main_job_change_what_it_computes(tmp_path):
    """--max-passes 1 --zero-state hrs: open-loop transfers with partners in the HRS, written in the summary."""
    out = tmp_path / "run"
    assert main_job(["--images-per-class", "1", "--max-passes", "1", "--zero-state", "hrs", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    for t in s["transfer"].values():
        assert t["n_passes"] == 1 and t["zero_state"] == "hrs"
        assert t["n_cells"] < 480  # only the non-zero weights' cells are written


@pytest.mark.slow
def test_a_transfer_from_the_cache_says_so_instead_of_an_old_wall_time(tmp_path, capsys):
    args = ["--weights", "random", "--seed", "3", "--max-passes", "1"]
    assert main_job(args + ["--out", str(tmp_path / "a")]) == 0
    assert "ngspice wall time" in capsys.readouterr().out
    assert main_job(args + ["--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "loaded from the cache in" in out and "ngspice wall time" not in out
    assert (tmp_path / "a" / "transfer.csv").read_text() == (tmp_path / "b" / "transfer.csv").read_text()
