"""Area laws given as measured tables (`compact_models.laws.TableLaw`): the law, its netlist in ngspice,
the nodal engine on it, and the device file that carries it.

The tabulated device here has hopping-like areas, I = V sinh(V / V1) / (R0 V / V1) (Rs: Table 1's R0 at
0 V, V1 = 0.27 V; Ri: R0 = 30 Mohm, V1 = 0.35 V), which no exponential law of Table 1's form describes:
its cell draws up to several times HT-RRAM's current along the DC sweep. Each check has an independent
computation: the table of an exponential law against that law, ngspice's DC sweep against the series
solve of `compact_models.fit.iv_currents_A` on the same tables, the nodal engine against ngspice.
"""
from dataclasses import replace

import numpy as np
import pytest

from compact_models.device_files import load_device, write_device_file
from compact_models.errors import ParameterError
from compact_models.ht_rram import HTRRAMParams
from compact_models.laws import ExponentialLaw, TableLaw

P = HTRRAMParams()
KNOTS_V = tuple(np.round(np.arange(0.0, 4.51, 0.25), 2))


def _hopping_ohm(v, r0_ohm: float, v1_V: float) -> np.ndarray:
    x = np.maximum(np.asarray(v, dtype=float) / v1_V, 1e-12)
    return r0_ohm * x / np.sinh(x)


def _tabulated() -> HTRRAMParams:
    """HT-RRAM's switches with hopping-like areas given as tables; the exponential keys through their ends."""
    values = {}
    for area, r0, v1 in (("rs", float(P.rs_ohm(0.0)), 0.27), ("ri", 3e7, 0.35)):
        r = _hopping_ohm(KNOTS_V, r0, v1)
        slope = (KNOTS_V[-1] - KNOTS_V[0]) / np.log(r[0] / r[-1])
        values |= {f"{area}_table_V": KNOTS_V, f"{area}_table_ohm": tuple(float(x) for x in r), f"{area}_slope_V": float(slope),
                   f"{area}_v0_V": 0.0, f"{area}_prefactor_ohm": float(r[0])}
    return replace(P, name="hopping", **values)


def test_a_table_of_an_exponential_law_is_that_law():
    law = ExponentialLaw(P.rs_prefactor_ohm, P.rs_v0_V, P.rs_slope_V)
    table = TableLaw(KNOTS_V, tuple(law.resistance_ohm(np.array(KNOTS_V))))
    v = np.linspace(-6.0, 6.0, 241)  # beyond the last point the last segment continues
    i, g = table.current_and_conductance(v)
    np.testing.assert_allclose(i, law.current_A(v), rtol=1e-12, atol=0)
    np.testing.assert_allclose(g, law.conductance_S(v), rtol=1e-12)
    assert table.min_slope_V == pytest.approx(P.rs_slope_V, rel=1e-12)
    # dI/dV by a central difference away from the points
    h, x = 1e-7, np.array([-2.1, -0.3, 0.6, 3.3])
    np.testing.assert_allclose(table.conductance_S(x), (table.current_A(x + h) - table.current_A(x - h)) / (2 * h), rtol=1e-6)


def test_tables_are_refused_unless_they_make_a_law():
    with pytest.raises(ParameterError, match="rs_table_ohm must fall from its first point to its last"):
        replace(P, rs_table_V=(0.0, 1.0), rs_table_ohm=(1e9, 2e9))
    with pytest.raises(ParameterError, match=r"ri_prefactor_ohm and ri_slope_V must be the exponential law through "
                                             r"ri_table_ohm's first and last points \(100000000 ohm and 0.5 V with ri_v0_V=0.0\)"):
        replace(P, ri_table_V=(0.0, 1.0, 2.0), ri_table_ohm=(1e8, 3e7, 1e8 * np.exp(-4)), ri_v0_V=0.0)


def test_a_table_device_round_trips_through_its_file(tmp_path):
    device = _tabulated()
    assert load_device(write_device_file(device, tmp_path / "hopping.toml")) == device
    lines = device.cell_lines(_cell(), "x", "te", "0", compiled=True)[0]
    # a tabulated area stays a B-source where the others are compiled
    assert any(ln.startswith("Bxs ") and "pwl(abs(V(x_a,x_b))" in ln for ln in lines)
    assert any(ln.startswith("Bxi ") for ln in lines) and device.osdi_model_lines() == []
    only_rs = replace(P, **{k: getattr(device, k) for k in ("rs_table_V", "rs_table_ohm", "rs_slope_V", "rs_v0_V",
                                                           "rs_prefactor_ohm")})
    assert [ln.split()[1] for ln in only_rs.osdi_model_lines()] == ["htsw_ri"]


def _cell():
    from compact_models.base import SwitchCell

    return SwitchCell(closed=(0, 1, 2), area_scale=1.3)


@pytest.mark.ngspice
def test_ngspice_runs_the_tables_as_the_series_solve_does():
    """The DC sweep (+4.2 V / -1.6 V, switches by their hysteresis) in ngspice against the Python series solve
    on the same tables: within the sweep's own 1e-3 of the range (as for the built-ins, `test_fit`)."""
    from compact_models import protocols
    from compact_models.fit import iv_currents_A

    device = _tabulated()
    sweep = protocols.dc_sweep(device).trace
    v, spice = sweep.voltage_V.to_numpy(), sweep.current_nA.to_numpy() * 1e-9
    solve = iv_currents_A(device, v)
    assert np.sqrt(np.mean((solve - spice) ** 2)) < 1e-3 * np.ptp(spice)
    # and the tables matter: HT-RRAM's own exponential laws give another I-V
    assert np.sqrt(np.mean((iv_currents_A(P, v) - spice) ** 2)) > 0.05 * np.ptp(spice)


@pytest.mark.ngspice
def test_nodal_engine_reads_and_writes_a_table_device_as_ngspice():
    """A 12 x 12 fast transfer (1 ohm lines) on the tabulated device: the same switch state in every cell
    as ngspice and read-outs within 1e-4, as `tests/arrays/test_write_engine.py` asks of the built-ins; every
    written cell within the write error's truncation (4 nS) of its state."""
    from arrays.netlist import CrossbarParams
    from arrays.programming import transfer_states
    from arrays.schemes import TransferConfig

    device = _tabulated()
    targets = np.random.default_rng(1).integers(0, 9, (12, 12))
    xbar = CrossbarParams(rows=12, cols=12, r_wire_wl_ohm=1.0, r_wire_bl_ohm=1.0)
    runs = {e: transfer_states(device, targets, TransferConfig(scheme="fast", max_passes=1), xbar=xbar, engine=e)
            for e in ("spice", "nodal")}
    states = {e: [[c.closed for c in row] for row in r.state.cells] for e, r in runs.items()}
    assert states["nodal"] == states["spice"]
    np.testing.assert_allclose(runs["nodal"].cells.final_nS, runs["spice"].cells.final_nS, rtol=1e-4)
    written = targets > 0
    assert np.all(np.abs(runs["spice"].cells.error_nS.to_numpy()[written.ravel()]) <= device.write_truncate_nS)


@pytest.mark.ngspice
def test_a_compiled_cell_with_one_tabulated_area_gives_the_b_source_cell():
    """Rs as a table (a B-source) beside a compiled Ri: the DC sweep of the mixed cell is the B-source cell's."""
    from compact_models import osdi, simulator
    from compact_models.capabilities import build_info

    if not build_info()["osdi"] or osdi.compiler() is None:
        pytest.skip("this ngspice has no OSDI, or openvaf-r is missing")
    device = _tabulated()
    mixed = replace(P, **{k: getattr(device, k) for k in ("rs_table_V", "rs_table_ohm", "rs_slope_V", "rs_v0_V", "rs_prefactor_ohm")})

    def deck(compiled):
        lines = mixed.cell_lines(_cell(), "x", "te", "0", live=(), compiled=compiled)[0]
        return "\n".join(["Vin te 0 DC 0", *lines, *(mixed.osdi_model_lines() if compiled else [])])

    assert "\nNxi " in deck(True) and "\nBxs " in deck(True)
    runs = [simulator.run(deck(c), ".dc vin -2 4 0.05", save=["i(vin)"], backend="subprocess",
                          options=".options reltol=1e-9")["i(vin)"] for c in (False, True)]
    big = np.abs(runs[0]) > 1e-15
    np.testing.assert_allclose(runs[1][big], runs[0][big], rtol=1e-6)


def _tabulated_hfoxsy():
    """HfOxSy with its switching area as a table: Gmin cosh(V / 0.25 V), another field activation than V^4."""
    from compact_models.hfoxsy import HfOxSyParams

    h = HfOxSyParams()
    v = tuple(np.round(np.arange(0.0, 1.21, 0.05), 2))
    g = tuple(float(h.g_min_uS * np.cosh(x / 0.25)) for x in v)
    g5 = (g[-1] - g[0]) / (v[-1] ** 4 - v[0] ** 4)
    return replace(h, name="cosh-area", area_table_V=v, area_table_uS=g, g_min_uS=g[0] - g5 * v[0] ** 4, g_programming_uS=g5)


def test_hfoxsy_area_tables_are_checked():
    from compact_models.hfoxsy import HfOxSyParams

    h = HfOxSyParams()
    with pytest.raises(ParameterError, match="area_table_uS must rise from its first point to its last"):
        replace(h, area_table_V=(0.0, 1.0), area_table_uS=(100.0, 90.0))
    with pytest.raises(ParameterError, match=r"g_min_uS=100.0 and g_programming_uS=12141.0? must be the law Gmin \+ g V\^4 "
                                             r"through area_table_uS's first and last points \(100 and 200 uS\)"):
        replace(h, area_table_V=(0.0, 1.0), area_table_uS=(100.0, 300.0))
    with pytest.raises(ParameterError, match="area_table_uS must hold conductances > 0 uS"):
        replace(h, area_table_V=(0.0, 1.0), area_table_uS=(0.0, 300.0))
    device = _tabulated_hfoxsy()
    assert device.osdi_model_lines() == []
    assert device.switching_area_lines("x", "a", "b")[0].startswith("Bxg a b I=V(a,b)*exp(-pwl(")


@pytest.mark.ngspice
def test_hfoxsy_trains_on_a_table_area_read_what_the_series_solve_says(tmp_path):
    """Noise-free trains of the tabulated HfOxSy in ngspice read each state of the device's own curve (the
    series solve on the same table) within 1e-4, the read-outs' bar between engines (the built-in's
    quintic law lands within 2e-5 of its curve the same way: the transient's tolerances); its file round-trips, and a fit from it (the base's table
    scaled to the reset read) gives back that table and re-simulates within 2 % of the range."""
    from compact_models import protocols
    from compact_models.fit import fit_device, pulse_table

    device = _tabulated_hfoxsy()
    assert load_device(write_device_file(device, tmp_path / "cosh.toml")) == device
    res = protocols.pulse_trains(device, cycles=2, noise=False)
    table = pulse_table(res, device)
    pot = table[table.phase == "potentiation"].groupby("pulse").conductance_S.mean().to_numpy()
    np.testing.assert_allclose(pot, device.read_curve_S()[1:], rtol=1e-4)
    fit = fit_device(table, name="cosh-fit", base=device)
    np.testing.assert_allclose(fit.device.area_table_uS, device.area_table_uS, rtol=1e-4)  # scaled by the reset read
    for phase, stats in fit.report["agreement"].items():
        assert stats["rmse_of_range"] < 0.02, phase
