"""`switch_states_after`: ngspice's SW hysteresis replayed over a voltage trace, switch by switch."""
import numpy as np
import pytest

from compact_models.base import DeviceVariation, SwitchCell, switch_states_after
from compact_models.devices import device_params


def replay_one_switch_at_a_time(params, cell, v):
    """Each switch in turn, sample by sample: closes above VT + VH, opens below VT - VH."""
    v_on, v_off = cell.thresholds_V(params)
    closed = set(cell.closed)
    for k in range(params.n_switches):
        for x in v:
            if x > v_on[k]:
                closed.add(k)
            elif x < v_off[k]:
                closed.discard(k)
    return tuple(sorted(closed))


@pytest.mark.parametrize("name", ["ht-rram", "hfoxsy"])
def test_replay_follows_each_switch_through_the_trace(name):
    params = device_params(name)
    rng = np.random.default_rng(7)
    reach = 1.3 * max(np.max(np.abs(params.set_threshold_V)), np.max(np.abs(params.reset_threshold_V)))
    moved = 0
    for trial in range(200):
        cell = SwitchCell(closed=tuple(int(k) for k in np.flatnonzero(rng.random(params.n_switches) < 0.5)))
        if trial % 2:
            cell = DeviceVariation(vt_sigma_V=0.02).draw(params, rng, cell)
        # triangles of random height and sign, as the writes apply them, or a quiet trace
        peaks = rng.uniform(-reach, reach, rng.integers(1, 4)) * (trial % 5 != 0)
        v = np.concatenate([np.interp(np.linspace(0, 2, 41), [0, 1, 2], [0, p, 0]) for p in peaks])
        got = switch_states_after(params, cell, v)
        assert got == replay_one_switch_at_a_time(params, cell, v)
        moved += got != tuple(sorted(cell.closed))
    assert moved > 50
    assert switch_states_after(params, SwitchCell(closed=(0, 2)), np.array([])) == (0, 2)
