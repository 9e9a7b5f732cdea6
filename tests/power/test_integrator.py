"""The power integrator on ngspice transients: energy conservation, the analytic V^2 G, the HT-RRAM array."""
import numpy as np
import pytest

from arrays.netlist import CrossbarParams, device_array_netlist, resistive_array_netlist
from compact_models import simulator
from compact_models.base import SwitchCell
from compact_models.errors import ParameterError
from compact_models.ht_rram import HTRRAMParams
from power.integrator import integrate_power, power_vectors
from snn.inference import SpikeTiming, spike_pwl

pytestmark = pytest.mark.ngspice


def _transient(net, xbar, end_s, step_s):
    return simulator.run(net, f".tran {step_s:.6g} {end_s:.9g} 0 {step_s:.6g}", save=power_vectors(xbar))


def test_resistive_array_conserves_energy_to_1e_6():
    xbar = CrossbarParams(rows=6, cols=5, r_wire_wl_ohm=200.0, r_wire_bl_ohm=300.0, r_contact_ohm=1000.0)
    g = np.random.default_rng(0).uniform(10e-6, 1e-3, xbar.shape)  # large G: the lines dissipate a lot
    spikes = np.random.default_rng(1).random((8, xbar.rows)) < 0.5
    wl = spike_pwl(spikes, 1.0)
    bl = ["0", "DC 0.05", "0", "PWL(0 0 3m 0.1 8m 0)", "0"]
    res = _transient(resistive_array_netlist(xbar, g, wl, bl), xbar, 8e-3, 0.25e-3)
    rep = integrate_power(res, xbar)
    s = rep.summary
    assert s["line_loss_nW"] > 1e-3 * s["array_power_nW"], "the lines must dissipate for this to mean something"
    assert s["array_power_nW"] + s["line_loss_nW"] == pytest.approx(s["source_power_nW"], rel=1e-6)
    # Pointwise too, and the per-device energies add up to the array's.
    pt = rep.per_time
    np.testing.assert_allclose(pt.array_power_nW + pt.line_loss_nW, pt.source_power_nW, rtol=1e-6, atol=1e-9)
    assert rep.per_device.average_power_nW.sum() == pytest.approx(s["array_power_nW"], rel=1e-12)
    assert rep.per_wordline.array_power_nW.sum() == pytest.approx(s["array_power_nW"], rel=1e-12)
    assert len(pt) == s["n_time_points"] == len(res.time)


def test_constant_volt_on_one_wordline_gives_v2g():
    xbar = CrossbarParams(rows=4, cols=6)  # 1 ohm segments, 10 ohm contacts: drops of ~2 uV at 210 nA
    g = np.full(xbar.shape, 1e-9)
    g[2] = np.array([10, 20, 30, 40, 50, 60]) * 1e-9
    wl = ["0", "0", "DC 1", "0"]
    res = _transient(resistive_array_netlist(xbar, g, wl, ["0"] * xbar.cols), xbar, 1e-3, 0.1e-3)
    rep = integrate_power(res, xbar)
    assert rep.summary["array_power_nW"] == pytest.approx(210.0, rel=1e-5)  # sum of G * (1 V)^2
    np.testing.assert_allclose(rep.per_wordline.array_power_nW, [0, 0, 210.0, 0], rtol=1e-5, atol=1e-9)
    row = rep.per_device[rep.per_device.wordline == 2].average_power_nW.to_numpy()
    np.testing.assert_allclose(row, g[2] * 1e9, rtol=1e-5)
    # Counting only some devices: the rest is reported apart.
    counted = np.zeros(xbar.shape, dtype=bool)
    counted[:, :3] = True
    part = integrate_power(res, xbar, counted=counted).summary
    assert part["array_power_nW"] == pytest.approx(60.0, rel=1e-5)
    assert part["uncounted_devices_power_nW"] == pytest.approx(150.0, rel=1e-5)


def test_ht_rram_array_power_is_spike_weighted_v2g_and_conserved():
    """A 6 x 4 HT-RRAM array at read: the average power follows sum(G V^2 x duty), energy is conserved."""
    p = HTRRAMParams()
    xbar = CrossbarParams(rows=6, cols=4)
    rng = np.random.default_rng(4)
    levels = rng.integers(1, 9, xbar.shape)
    cells = [[SwitchCell(closed=p.closed_for_level(int(levels[i, j]))) for j in range(xbar.cols)] for i in range(xbar.rows)]
    spikes = rng.random((6, xbar.rows)) < 0.5
    timing = SpikeTiming()
    net = device_array_netlist(p, xbar, cells, spike_pwl(spikes, p.read_V, timing), ["0"] * xbar.cols, static=True)
    res = _transient(net, xbar, 6 * timing.step_s, timing.pulse_s / 2)
    s = integrate_power(res, xbar).summary
    assert s["array_power_nW"] + s["line_loss_nW"] == pytest.approx(s["source_power_nW"], rel=1e-6)
    g = np.array([[p.read_conductance_of(c) for c in row] for row in cells])
    # Plateaus at 1 V carry G V^2; each edge adds less than its full-voltage share (V^2 G < G there).
    plateau = (spikes.astype(float) @ g).sum() * timing.pulse_s / (6 * timing.step_s) * 1e9
    upper = plateau * (timing.pulse_s + 2 * timing.edge_s) / timing.pulse_s
    assert plateau < s["array_power_nW"] < upper
    assert s["line_loss_nW"] < 1e-4 * s["array_power_nW"]  # ~12 Mohm cells on 1 ohm lines


def test_bad_window_and_mask_are_clear_errors():
    xbar = CrossbarParams(rows=2, cols=2)
    res = _transient(resistive_array_netlist(xbar, np.full((2, 2), 1e-6), ["DC 1", "0"], ["0", "0"]), xbar, 1e-3, 0.1e-3)
    with pytest.raises(ParameterError, match="window"):
        integrate_power(res, xbar, window=(0.0, 2e-3))
    with pytest.raises(ParameterError, match="counted mask"):
        integrate_power(res, xbar, counted=np.ones((3, 2), dtype=bool))
    with pytest.raises(ParameterError, match="at least 1 mOhm"):
        integrate_power(res, CrossbarParams(rows=2, cols=2, r_wire_wl_ohm=0.0))


def test_hfoxsy_array_draws_microwatts_and_its_lines_matter():
    """HfOxSy/HfS2 cells of ~0.3-1.4 mS at 0.1 V spikes: microwatts, and the 1 ohm / 10 ohm lines
    take a share of the source power that HT-RRAM's never does (SPEC 7)."""
    from compact_models.hfoxsy import HfOxSyParams
    from power.images import infer_image_power

    h = HfOxSyParams()
    xbar = CrossbarParams()
    rng = np.random.default_rng(5)
    codes = rng.integers(1, 9, (24, 20))
    cells = [[SwitchCell(closed=h.closed_for_level(int(codes[i, j]))) if j < 20 else SwitchCell() for j in range(24)]
             for i in range(24)]
    spikes = rng.random((8, 24)) < 0.4
    counted = np.zeros(xbar.shape, dtype=bool)
    counted[:, :20] = True
    r = infer_image_power(h, xbar, cells, spikes, counted=counted)
    p = r["power"]
    assert 1e3 < p["array_power_nW"] < 1e6  # microwatts to a milliwatt
    assert p["array_power_nW"] + p["uncounted_devices_power_nW"] + p["line_loss_nW"] == pytest.approx(p["source_power_nW"], rel=1e-6)
    assert p["line_loss_nW"] > 0.01 * p["array_power_nW"]
    # The IR drop lowers every cell's voltage: below the ideal sum of G V^2 over the plateaus and edges.
    g = np.array([[h.read_conductance_of(c) for c in row] for row in cells])
    timing = SpikeTiming()
    ideal = (spikes.astype(float) @ (g * counted)).sum() * 0.1**2 / (8 * timing.step_s) * 1e9
    assert 0.4 * ideal * timing.pulse_s < p["array_power_nW"] < ideal * (timing.pulse_s + 2 * timing.edge_s)


def test_nodal_quasi_static_power_matches_the_spice_transient():
    """The sweep's power (nodal DC steps, V^2 ramps) against `integrate_power` over ngspice's transient."""
    from arrays.mapping import counted_devices, random_levels, target_states
    from arrays.nodal import NodalArray
    from arrays.state import ArrayState, ideal_cells
    from power.images import infer_image_power
    from power.integrator import quasi_static_power_nW

    device, xbar = HTRRAMParams(), CrossbarParams()
    levels = random_levels(5)
    cells = ArrayState(device, xbar, ideal_cells(device, target_states(levels))).cells
    counted = counted_devices(xbar, levels)
    spikes = np.random.default_rng(1).random((25, 24)) < 0.1
    spice = infer_image_power(device, xbar, cells, spikes, counted=counted)["power"]["array_power_nW"]
    nodal = quasi_static_power_nW(NodalArray.from_cells(device, xbar, cells).step_power_W(spikes, 1.0, counted))
    # The plateaus agree to 1e-4; the ramps differ by the trapezoid over ngspice's 4 points per edge
    # against the exact V^2 third (measured 0.45 %): 1 %.
    assert nodal == pytest.approx(spice, rel=0.01)
    assert nodal != pytest.approx(spice, rel=1e-4), "the ramps must be there for this to mean something"
