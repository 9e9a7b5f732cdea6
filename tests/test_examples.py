"""Every script in examples/ runs and prints what it promises."""
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ngspice

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_example_01_characterize_device(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "01_characterize_device.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 3
    for _cycle, low, high in rows:
        assert float(low) <= 5 and 70 <= float(high) <= 90
    assert (tmp_path / "ispp.png").stat().st_size > 0


def _run(name, out):
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line and not line.startswith("wrote"))


def test_example_02_transfer_weights(tmp_path):
    got = _run("02_transfer_weights.py", tmp_path)
    assert int(got["cells written"]) == 48
    assert float(got["within 2 nS"]) >= 0.94 and 0.3 < float(got["RMSE nS"]) <= 1.2
    assert (tmp_path / "conductance_by_level.png").stat().st_size > 0
    assert (tmp_path / "transfer.csv").read_text().count("\n") == 65


@pytest.mark.slow
def test_example_03_inference_power(tmp_path):
    got = _run("03_inference_power.py", tmp_path)
    assert 0 <= int(got["predicted"]) <= 9
    array, source = float(got["array power nW"]), float(got["source power nW"])
    assert 25 < array < 2500 and array < source < 1.05 * array
    assert (tmp_path / "power_trace.csv").read_text().count("\n") == int(got["time points"]) + 1
    assert (tmp_path / "power_trace.png").stat().st_size > 0


@pytest.mark.slow
def test_example_04_bring_your_own_device(tmp_path):
    """The issue's targets for a third device: thresholds within 10 mV, ON resistances within 5 %, the DC
    I-V within 5 % (RMSE of its range), the ISPP re-simulated within 2 % of the range; then the power study."""
    got = _run("04_bring_your_own_device.py", tmp_path)
    assert got["switches"].startswith("20 ") and got["switches"].endswith("each its own")  # uneven thresholds
    assert float(got["largest threshold error mV"]) < 10
    assert float(got["largest ON resistance error"]) < 0.05
    assert float(got["set RMSE of range"]) < 0.02 and float(got["reset RMSE of range"]) < 0.02
    assert float(got["DC I-V RMSE of range"]) < 0.05
    for key in ("rs_prefactor_ohm", "rs_slope_V", "ri_prefactor_ohm", "ri_slope_V"):
        assert abs(float(got[f"{key} fitted/true"]) - 1) < 0.02, key  # the I-V carries 1 % noise
    assert len(got["states nS"].split()) == 8
    qt, qtpr = float(got["QT power nW"]), float(got["QT & PR power nW"])
    assert 25 < qtpr < qt < 2500  # pruning removes conductance, so QT & PR draws less
    from compact_models.devices import resolve_device

    assert resolve_device(str(tmp_path / "device.toml")).name == "lab-device-fit"
    assert (tmp_path / "fit.png").stat().st_size > 10_000 and (tmp_path / "pulses.csv").exists()
