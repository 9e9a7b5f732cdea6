"""The crossbar netlist is right: resistive arrays against G.V and an independent nodal solve."""
import shutil
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from arrays.netlist import CrossbarParams, device_array_netlist, main, resistive_array_netlist
from arrays.readout import frame_to_map, read_conductance_map
from compact_models import simulator
from compact_models.base import SwitchCell
from compact_models.errors import ParameterError
from compact_models.ht_rram import HTRRAMParams

pytestmark = pytest.mark.ngspice


def nodal_bitline_currents(g, v_wl, r_wl, r_bl, r_c):
    """Independent reference: modified nodal analysis of the same resistive crossbar with scipy.

    Unknowns are the wordline nodes w(i,j) and bitline nodes b(i,j); sources are ideal, so each
    wordline driver enters as a conductance 1/r_c to a known voltage and each bitline leaves
    through 1/r_c to 0 V. Returns the current into each bitline sense source.
    """
    m, n = g.shape
    W = lambda i, j: i * n + j  # noqa: E731
    B = lambda i, j: m * n + i * n + j  # noqa: E731
    A = sp.lil_matrix((2 * m * n, 2 * m * n))
    rhs = np.zeros(2 * m * n)

    def stamp(a, b, cond):
        A[a, a] += cond
        if b is not None:
            A[b, b] += cond
            A[a, b] -= cond
            A[b, a] -= cond

    for i in range(m):
        stamp(W(i, 0), None, 1 / r_c)
        rhs[W(i, 0)] += v_wl[i] / r_c
        for j in range(n - 1):
            stamp(W(i, j), W(i, j + 1), 1 / r_wl)
    for j in range(n):
        for i in range(m - 1):
            stamp(B(i, j), B(i + 1, j), 1 / r_bl)
        stamp(B(m - 1, j), None, 1 / r_c)
    for i in range(m):
        for j in range(n):
            stamp(W(i, j), B(i, j), g[i, j])
    x = spsolve(A.tocsr(), rhs)
    return np.array([x[B(m - 1, j)] / r_c for j in range(n)])


def _op_currents(xbar, g, v_wl):
    net = resistive_array_netlist(xbar, g, [f"DC {v:.12g}" for v in v_wl], ["0"] * xbar.cols)
    res = simulator.run(net, ".op", save=[f"i(vbl{j})" for j in range(xbar.cols)])
    return np.array([res[f"i(vbl{j})"][0] for j in range(xbar.cols)])


@pytest.fixture
def random_map():
    rng = np.random.default_rng(7)
    return rng.uniform(10e-9, 80e-9, size=(24, 24)), rng.uniform(0, 1, size=24)


def test_resistive_array_without_line_resistance_is_g_dot_v(random_map):
    g, v = random_map
    xbar = CrossbarParams(r_wire_wl_ohm=0, r_wire_bl_ohm=0, r_contact_ohm=0)
    i_bl = _op_currents(xbar, g, v)
    np.testing.assert_allclose(i_bl, v @ g, rtol=1e-6)


@pytest.mark.parametrize("r_wire,r_c,g_scale", [(1.0, 10.0, 1.0), (10.0, 10.0, 1.0), (10.0, 50.0, 2e4)])
def test_resistive_array_with_line_resistance_matches_nodal_solution(random_map, r_wire, r_c, g_scale):
    g, v = random_map
    g = g * g_scale  # 2e4 x puts cells near 1 mS (HfOxSy range), where the wires matter
    xbar = CrossbarParams(r_wire_wl_ohm=r_wire, r_wire_bl_ohm=r_wire, r_contact_ohm=r_c)
    i_bl = _op_currents(xbar, g, v)
    ref = nodal_bitline_currents(g, v, r_wire, r_wire, r_c)
    np.testing.assert_allclose(i_bl, ref, rtol=1e-6)
    if g_scale > 1:
        assert np.max(np.abs(ref / (v @ g) - 1)) > 0.01, "at 1 mS the line resistance must matter"


def test_device_array_reads_the_programmed_states():
    p = HTRRAMParams()
    xbar = CrossbarParams(rows=4, cols=5)
    levels = np.arange(20).reshape(4, 5) % 9
    cells = [[SwitchCell(closed=p.closed_for_level(lv)) if lv else SwitchCell() for lv in row] for row in levels]
    g = frame_to_map(read_conductance_map(p, xbar, cells))
    expected = np.array([[p.g_levels_nS[lv - 1] if lv else p.hrs_conductance_S * 1e9 for lv in row] for row in levels])
    # HT-RRAM cells are >= 12 Mohm: 10 ohm contacts and 1 ohm segments shift reads by < 1e-5 relative.
    np.testing.assert_allclose(g, expected, rtol=1e-4, atol=0.02)


def test_frozen_switch_banks_read_what_every_live_switch_reads():
    from arrays.netlist import selector_drivers
    from arrays.readout import READ_OPTIONS, read_conductance_S
    from compact_models.base import DeviceVariation

    p = HTRRAMParams()
    xbar = CrossbarParams(rows=3, cols=4)
    rng = np.random.default_rng(1)
    var = DeviceVariation(ron_sigma_rel=0.3, vt_sigma_V=0.05)
    cells = [[var.draw(p, rng, SwitchCell(closed=p.closed_for_level(1 + (i * 4 + j) % 8), g_scale=1.02))
              for j in range(4)] for i in range(3)]
    frozen = read_conductance_S(p, xbar, cells)
    net = device_array_netlist(p, xbar, cells, None, ["0"] * 4, drivers=selector_drivers(xbar, p.read_V))
    assert net.count("\nS") == 12 * 28
    res = simulator.run(net, ".dc vsel 0 2 1", save=[f"i(vbl{j})" for j in range(4)], options=READ_OPTIONS)
    live = np.array([res[f"i(vbl{j})"] for j in range(4)]).T / p.read_V
    # The same conductances in a different element order: equal up to where Newton stops (~1e-8 seen).
    np.testing.assert_allclose(frozen, live, rtol=1e-6)


def test_netlist_text_is_deterministic():
    p = HTRRAMParams()
    xbar = CrossbarParams(rows=2, cols=3)
    cells = [[SwitchCell()] * 3] * 2
    a = device_array_netlist(p, xbar, cells, ["0", "0"], ["0"] * 3)
    assert a == device_array_netlist(p, xbar, cells, ["0", "0"], ["0"] * 3)
    assert "Rwc0 wl0 w0_0 10" in a and "Rb0_2 b0_2 b1_2 1" in a and "Rbc2 b1_2 bl2 10" in a
    assert a.count("Sc1_2_") == p.n_switches


@pytest.mark.skipif(shutil.which("ngspice") is None, reason="needs the ngspice binary")
def test_cli_writes_a_plain_netlist_that_runs_in_ngspice_batch(tmp_path):
    out = tmp_path / "array.cir"
    assert main(["--device", "ht-rram", "--size", "6x5", "--out", str(out)]) == 0
    proc = subprocess.run(["ngspice", "-b", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "error" not in proc.stdout.lower()
    # Every cell is reset: each bitline collects 6 wordlines x the HRS read at 1 V.
    hrs_nA = HTRRAMParams().hrs_conductance_S * 1e9
    for j in range(5):
        line = next(ln for ln in proc.stdout.splitlines() if ln.strip().lower().startswith(f"ibl{j} "))
        current_nA = float(line.split("=")[1].split()[0]) * 1e9
        assert current_nA == pytest.approx(6 * hrs_nA, rel=1e-3)


def test_bad_geometry_is_refused(capsys):
    with pytest.raises(ParameterError, match=r"crossbar rows=0 must be a whole number in 1..512"):
        CrossbarParams(rows=0)
    with pytest.raises(ParameterError, match=r"r_wire_wl_ohm=-1 must be within 0..1e6 ohm"):
        CrossbarParams(r_wire_wl_ohm=-1)
    assert main(["--size", "24by24", "--out", "/tmp/never.cir"]) == 2
    assert "--size '24by24' is not ROWSxCOLS" in capsys.readouterr().err
