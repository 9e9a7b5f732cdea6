"""The simulator layer: both backends, errors with remedies, bounded memory, no PySpice noise."""
import os
import subprocess
import sys

import numpy as np
import pytest

from compact_models import simulator
from compact_models.errors import ConvergenceError, NetlistError, ParameterError, SimulatorNotFoundError

pytestmark = pytest.mark.ngspice

DIVIDER = "* divider\nV1 in 0 PWL(0 0 1m 2)\nR1 in out 3k\nR2 out 0 1k\n"
BACKENDS = simulator.available_backends()


@pytest.mark.parametrize("backend", BACKENDS)
def test_divider_transient_matches_ohms_law(backend):
    res = simulator.run(DIVIDER, ".tran 0.1m 1m", save=["v(out)", "i(v1)"], backend=backend)
    v_in = 2.0 * res.time / 1e-3
    # Linear circuit: ngspice solves it to its reltol (1e-3) or better; we allow 1e-9 absolute.
    np.testing.assert_allclose(res["v(out)"], v_in / 4, atol=1e-9)
    np.testing.assert_allclose(-res["i(v1)"], v_in / 4e3, atol=1e-12)
    assert res.backend == backend


def test_backends_agree():
    if len(BACKENDS) < 2:
        pytest.skip("needs both the shared library and the ngspice binary")
    a = simulator.run(DIVIDER, ".tran 0.1m 1m", backend="shared")
    b = simulator.run(DIVIDER, ".tran 0.1m 1m", backend="subprocess")
    np.testing.assert_allclose(a["v(out)"], b["v(out)"], rtol=1e-12)
    assert set(a.vectors) == set(b.vectors)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rejected_netlist_names_the_element(backend):
    with pytest.raises(NetlistError, match=r"(?i)unknown subckt.*x1"):
        simulator.run("* bad\nV1 in 0 1\nX1 in 0 nosuchcell\n", ".op", backend=backend)
    with pytest.raises(NetlistError, match=r"(?i)q1 in 0 0 nomodel"):
        simulator.run("* bad\nV1 in 0 1\nQ1 in 0 0 nomodel\n", ".op", backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_convergence_is_reported_with_a_remedy(backend):
    with pytest.raises(ConvergenceError, match=r"singular matrix.*v1#branch.*loop"):
        simulator.run("* loop\nV1 a 0 1\nV2 a 0 2\nR1 a 0 1k\n", ".tran 1u 1m", backend=backend)
    # R1 floats at both ends: Sparse 1.3 names node b, KLU node c.
    with pytest.raises(ConvergenceError, match=r"singular matrix.*node [bc].*ground"):
        simulator.run("* float\nV1 a 0 1\nR1 b c 1k\n", ".op", backend=backend)


def test_unknown_backend_and_analysis():
    with pytest.raises(ParameterError, match=r"backend 'gpu' is not one of auto, shared, subprocess"):
        simulator.run(DIVIDER, ".op", backend="gpu")
    with pytest.raises(ParameterError, match=r"analysis '.ac dec 10 1 1k' is not supported"):
        simulator.run(DIVIDER, ".ac dec 10 1 1k")


def test_missing_binary_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NGSPICE_BINARY", "/nonexistent/ngspice")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SimulatorNotFoundError, match=r"ngspice program is not on PATH.*apt-get install ngspice libngspice0"):
        simulator.run(DIVIDER, ".op", backend="subprocess")


def _python(code, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=120)


def test_missing_shared_library_is_a_clear_error():
    code = (
        "from compact_models import simulator\n"
        "from compact_models.errors import SimulatorNotFoundError\n"
        "try:\n    simulator.run('* x\\nR1 a 0 1\\n', '.op', backend='shared')\n"
        "except SimulatorNotFoundError as e:\n    print('NOTFOUND', e)\n"
    )
    proc = _python(code, NGSPICE_LIBRARY_PATH="/nonexistent/libngspice.so")
    assert "NOTFOUND cannot load the ngspice shared library" in proc.stdout
    assert "libngspice0" in proc.stdout


def test_no_pyspice_noise_on_stderr():
    code = "from compact_models import simulator\nr = simulator.run('* x\\nV1 a 0 1\\nR1 a 0 1k\\n', '.op', backend='shared')\nprint(r['v(a)'][0])"
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.strip()) == pytest.approx(1.0)
    assert "Unsupported" not in proc.stderr and "Ngspice" not in proc.stderr
    assert proc.stderr.strip() == ""


def test_memory_is_bounded_over_500_runs():
    psutil = pytest.importorskip("psutil")
    proc = psutil.Process()
    net = "* rc\nV1 in 0 PWL(0 0 1u 1)\nR1 in out 1k\nC1 out 0 1n\n"
    for _ in range(20):
        simulator.run(net, ".tran 0.1u 10u", backend="shared")
    before = proc.memory_info().rss
    for _ in range(500):
        res = simulator.run(net, ".tran 0.1u 10u", backend="shared")
    growth_MB = (proc.memory_info().rss - before) / 2**20
    assert res["v(out)"][-1] > 0.99
    assert growth_MB < 50, f"resident memory grew {growth_MB:.1f} MB over 500 runs"


def test_rawfile_parser_reads_ascii_too(tmp_path):
    text = (
        "Title: t\nDate: x\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\nNo. Points: 2\n"
        "Variables:\n\t0\ttime\ttime\n\t1\tv(out)\tvoltage\nValues:\n 0\t0.0\n\t1.5\n 1\t1e-3\n\t2.5\n"
    )
    vec = simulator.parse_rawfile(text.encode())
    np.testing.assert_allclose(vec["time"], [0.0, 1e-3])
    np.testing.assert_allclose(vec["v(out)"], [1.5, 2.5])


def test_timestep_failure_output_is_classified_as_convergence():
    out = "doAnalyses: TRAN:  Timestep too small; time = 1e-3, timestep = 1e-20: trouble with node a"
    err = simulator._classify_failure(out, "the analysis")
    assert isinstance(err, ConvergenceError)
    assert "timestep too small" in str(err).lower() and "smaller time step" in str(err)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_netlist_starting_with_an_element_keeps_it(backend):
    """ngspice takes a deck's first line as its title: the runner puts its own there, so V1 is a source."""
    res = simulator.run("V1 a 0 DC 1\nR1 a 0 1k", ".op", backend=backend)
    assert res["v(a)"][0] == pytest.approx(1.0)
    assert simulator.complete_deck("V1 a 0 DC 1", ".op", None).splitlines()[0] == simulator.DECK_TITLE


@pytest.mark.parametrize("value", ["subprocesss", "", "SHARED"])
def test_an_unknown_backend_in_the_environment_is_an_error(monkeypatch, value):
    monkeypatch.setenv("RRAM_SPICE_BACKEND", value)
    with pytest.raises(ParameterError, match=f"RRAM_SPICE_BACKEND='{value}' is not one of shared, subprocess"):
        simulator.run(DIVIDER, ".op")


def test_a_library_that_is_not_libngspice_is_named():
    """NGSPICE_LIBRARY_PATH at another shared library: the error names the file and what it is not."""
    import ctypes.util

    libm = ctypes.util.find_library("m")
    code = ("from compact_models import simulator\n"
            "from compact_models.errors import SimulatorNotFoundError\n"
            "try:\n    simulator.run('* x\\nR1 a 0 1\\n', '.op', backend='shared')\n"
            "except SimulatorNotFoundError as e:\n    print('ERR', e)\n")
    out = _python(code, NGSPICE_LIBRARY_PATH=libm).stdout
    assert out.startswith("ERR") and "is not libngspice" in out and libm in out


@pytest.mark.slow
def test_memory_is_bounded_over_24x24_inference_transients():
    """PySpice keeps every output line unless told: 0.36 MB per 24 x 24 transient. The runner clears it; what
    remains must stay under 0.15 MB per run over 12 runs (the benchmark measures 500 runs against 50 MB)."""
    psutil = pytest.importorskip("psutil")
    from arrays.mapping import random_levels, target_states
    from arrays.netlist import CrossbarParams
    from arrays.state import ideal_cells
    from compact_models.ht_rram import HTRRAMParams
    from snn.inference import bitline_step_currents

    device, xbar = HTRRAMParams(), CrossbarParams()
    cells = ideal_cells(device, target_states(random_levels(1), xbar.shape))
    rng = np.random.default_rng(0)
    bitline_step_currents(device, xbar, cells, rng.random((25, 24)) < 0.3, backend="shared")
    before = psutil.Process().memory_info().rss
    runs = 12
    for _ in range(runs):
        bitline_step_currents(device, xbar, cells, rng.random((25, 24)) < 0.3, backend="shared")
    growth_MB = (psutil.Process().memory_info().rss - before) / 2**20
    assert growth_MB < 0.15 * runs, f"resident memory grew {growth_MB:.1f} MB over {runs} transients"
