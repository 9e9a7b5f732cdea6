"""The characterisation command: outputs, and bad input that writes nothing."""
import json
import subprocess
import sys

import pytest

from compact_models.characterize import main

pytestmark = pytest.mark.ngspice


def test_ispp_writes_summary_csv_and_plot(tmp_path, capsys):
    out = tmp_path / "ispp"
    assert main(["--device", "ht-rram", "--protocol", "ispp", "--cycles", "3", "--seed", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["read_current_nA"]) == 186
    assert len(summary["cycle_max_nA"]) == 3 and len(summary["cycle_min_nA"]) == 3
    assert all(70 <= v <= 90 for v in summary["cycle_max_nA"])
    for name in ("reads.csv", "trace.csv", "ispp.png"):
        assert (out / name).stat().st_size > 0
    assert "cycle_max_nA" in capsys.readouterr().out


def test_dc_writes_a_log_iv_plot(tmp_path):
    out = tmp_path / "dc"
    assert main(["--device", "hfoxsy", "--protocol", "dc", "--out", str(out)]) == 0
    assert (out / "iv.png").exists() and json.loads((out / "summary.json").read_text())["protocol"] == "dc"


@pytest.mark.slow
def test_hfoxsy_pulse_train_summary_keys(tmp_path):
    out = tmp_path / "pt"
    assert main(["--device", "hfoxsy", "--protocol", "pulse-train", "--cycles", "10", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    for key in ("step_potentiation_uS", "step_depression_uS", "r2_potentiation", "r2_depression",
                "sigma_uS", "n_bins", "bin_width_over_sigma"):
        assert key in s
    assert (out / "pulse_trains.png").exists()


@pytest.mark.parametrize(
    "args,match",
    [
        (["--device", "memristor9"], "device 'memristor9' is unknown; choose one of ht-rram, hfoxsy or give a device file"),
        (["--protocol", "fancy"], "invalid choice: 'fancy'"),
        (["--cycles", "0"], "--cycles 0 is not allowed"),
        (["--cycles", "-3"], "--cycles -3 is not allowed"),
        (["--d2d-vt-sigma-V", "2"], "vt_sigma_V=2.0 must be within 0..0.5 V"),
        (["--seed", "-1"], "--seed -1 must be a whole number of at least 0"),
        (["--device", "hfoxsy", "--protocol", "ispp"], "protocol 'ispp' does not apply to hfoxsy"),
        (["--device", "ht-rram", "--protocol", "pulse-train"], "choose one of ispp, dc, states"),
    ],
)
def test_bad_input_exits_nonzero_with_one_line_and_writes_nothing(tmp_path, args, match):
    out = tmp_path / "never"
    proc = subprocess.run([sys.executable, "-m", "compact_models.characterize", *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2  # a mistake in the command (README: exit codes)
    assert match in proc.stderr
    assert "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith(("error:", "python -m"))]
    assert not out.exists()


def test_unwritable_out_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--protocol", "dc", "--out", str(blocker)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
