"""The nodal engine against ngspice on the same arrays: read-outs, operating points, inference steps."""
import numpy as np
import pytest

from arrays import nodal, readout
from arrays.mapping import random_levels, target_states
from arrays.netlist import CrossbarParams, device_array_netlist
from arrays.state import ArrayState, apply_programming_error, apply_reset_spread, ideal_cells
from compact_models import simulator
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams
from snn.inference import bitline_step_currents

pytestmark = pytest.mark.ngspice

DEVICES = {"ht-rram": HTRRAMParams(), "hfoxsy": HfOxSyParams()}


def _random_cells(device, xbar, seed):
    """Random state codes with each cell's write error drawn, and each reset cell's spread (so every cell
    has its own conductance, the reset ones through a scaled switching-area law)."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 9, xbar.shape)
    state = ArrayState(device, xbar, ideal_cells(device, targets))
    apply_programming_error(state, list(zip(*np.nonzero(targets))), device.write_error(), rng)
    apply_reset_spread(state, list(zip(*np.nonzero(targets == 0))), device.reset_error(), rng)
    assert any(c.area_scale != 1.0 for row in state.cells for c in row)
    return state.cells


def _xbar(size, r):
    return CrossbarParams(rows=size, cols=size, r_wire_wl_ohm=r, r_wire_bl_ohm=r, r_contact_ohm=10 * r)


@pytest.mark.parametrize("name", DEVICES)
@pytest.mark.parametrize("r", [1.0, 10.0])
def test_read_out_agrees_with_ngspice_on_24x24(name, r):
    device, xbar = DEVICES[name], _xbar(24, r)
    cells = _random_cells(device, xbar, 3)
    spice = readout.read_conductance_S(device, xbar, cells)
    fast = nodal.read_conductance_S(device, xbar, cells)
    # ngspice's DC solution meets reltol 1e-3 per Newton step but lands far closer: 1e-4 is the target.
    np.testing.assert_allclose(fast, spice, rtol=1e-4)
    if name == "hfoxsy" and r == 10.0:
        # Lines matter for HfOxSy: the read through 10 ohm segments is well off the cells' own values.
        own = np.array([[device.read_conductance_of(c) for c in row] for row in cells])
        assert np.max(np.abs(fast / own - 1)) > 0.05


@pytest.mark.slow
@pytest.mark.parametrize("name", DEVICES)
@pytest.mark.parametrize("r", [1.0, 10.0])
def test_operating_point_agrees_with_ngspice_on_64x64(name, r):
    """All wordlines at the read voltage at once: the heaviest load on the lines."""
    device, xbar = DEVICES[name], _xbar(64, r)
    cells = _random_cells(device, xbar, 4)
    net = device_array_netlist(device, xbar, cells, [f"DC {device.read_V:g}"] * xbar.rows, ["0"] * xbar.cols, static=True)
    res = simulator.run(net, ".op", save=[f"i(vbl{j})" for j in range(xbar.cols)])
    spice = np.array([res[f"i(vbl{j})"][0] for j in range(xbar.cols)])
    arr = nodal.NodalArray.from_cells(device, xbar, cells)
    fast = arr.bitline_currents_A(np.full(xbar.rows, device.read_V))[0]
    np.testing.assert_allclose(fast, spice, rtol=1e-4)


def test_inference_steps_agree_with_ngspice_quasi_static():
    device, xbar = DEVICES["ht-rram"], CrossbarParams()
    state = ArrayState(device, xbar, ideal_cells(device, target_states(random_levels(5))))
    spikes = np.random.default_rng(6).random((25, 24)) < 0.3
    spice = bitline_step_currents(device, xbar, state.cells, spikes, mode="quasi-static")
    fast = nodal.step_currents_A(device, xbar, state.cells, spikes, device.read_V)
    np.testing.assert_allclose(fast, spice, rtol=1e-4, atol=1e-4 * np.abs(spice).max())


def test_quiet_rows_are_the_unspiked_wordlines_within_the_bound():
    device, xbar = DEVICES["ht-rram"], _xbar(24, 1.0)
    cells = _random_cells(device, xbar, 5)
    wl = np.zeros((6, 24))
    wl[:, :10] = (np.random.default_rng(6).random((6, 10)) < 0.5) * device.read_V
    wl[0] = 0.0  # an all-quiet step is fine
    assert nodal.quiet_rows(device, xbar, cells, wl) == tuple(range(10, 24))
    # 1 ohm lines put the quiet cells at microvolts: each bitline moves by 1e-11..1e-10 of itself. Ten
    # times the line resistance gives ten times the voltage and the law's deviation, 100 times the change.
    assert nodal.quiet_rows(device, xbar, cells, wl, rel_tol=1e-10) == tuple(range(10, 24))
    assert nodal.quiet_rows(device, xbar, cells, wl, rel_tol=1e-11) == ()
    assert nodal.quiet_rows(device, _xbar(24, 10.0), cells, wl) == tuple(range(10, 24))
    assert nodal.quiet_rows(device, _xbar(24, 10.0), cells, wl, rel_tol=1e-10) == ()
    assert nodal.quiet_rows(device, xbar, cells, np.full((2, 24), device.read_V)) == ()
    hf = DEVICES["hfoxsy"]  # the V^5 term of its quiet cells, at the millivolts of mS cells in 1 ohm lines, is < 1e-9
    hf_wl = wl * abs(hf.read_V) / device.read_V
    assert nodal.quiet_rows(hf, xbar, _random_cells(hf, xbar, 5), hf_wl) == tuple(range(10, 24))
    assert nodal.quiet_rows(hf, xbar, _random_cells(hf, xbar, 5), hf_wl, rel_tol=1e-14) == ()


def test_quiet_rows_hang_from_their_sources_where_their_own_drops_are_in_the_bound():
    """Ideal quiet wordlines: HT-RRAM's quiet cells draw about 1e-13 A, so their line nodes sit within
    1e-11 V of the source, a 1e-12 change; HfOxSy's mS cells drop millivolts in the quiet lines."""
    device, xbar = DEVICES["ht-rram"], _xbar(24, 1.0)
    cells = _random_cells(device, xbar, 5)
    wl = np.zeros((6, 24))
    wl[:, :10] = (np.random.default_rng(6).random((6, 10)) < 0.5) * device.read_V
    assert nodal.quiet_rows(device, xbar, cells, wl, ideal_lines=True) == tuple(range(10, 24))
    assert nodal.quiet_rows(device, xbar, cells, wl, rel_tol=1e-10, ideal_lines=True) == tuple(range(10, 24))
    hf = DEVICES["hfoxsy"]
    hf_wl = wl * abs(hf.read_V) / device.read_V
    hf_cells = _random_cells(hf, xbar, 5)
    assert nodal.quiet_rows(hf, xbar, hf_cells, hf_wl) == tuple(range(10, 24))
    assert nodal.quiet_rows(hf, xbar, hf_cells, hf_wl, ideal_lines=True) == ()
