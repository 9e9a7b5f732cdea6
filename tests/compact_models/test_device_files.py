"""Device files: the built-ins as files, round trips, every command's --device PATH, and malformed files."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from compact_models import device_files
from compact_models.device_files import SECTIONS, builtin_path, device_file_text, load_device
from compact_models.devices import DEVICES, resolve_device
from compact_models.errors import ParameterError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(DEVICES))
def test_builtin_files_are_the_presets(name):
    """The shipped files hold exactly the presets (``python -m compact_models.device_files --write-builtins``)."""
    assert load_device(builtin_path(name)) == DEVICES[name]()
    assert builtin_path(name).read_text() == device_file_text(DEVICES[name]())


@pytest.mark.parametrize("model", list(SECTIONS))
def test_every_parameter_has_one_place_in_the_file(model):
    fields = {f.name for f in dataclasses.fields(device_files.MODELS[model])} - {"name", "citation"}
    keys = [k for keys in SECTIONS[model].values() for k in keys]
    assert sorted(keys) == sorted(fields)


def _edited(tmp_path, name="ht-rram", section=None, key=None, value=None, drop=None, rename=None, suffix=".toml"):
    import tomli_w
    import tomllib

    doc = tomllib.loads(builtin_path(name).read_text())
    doc["name"] = "my-device"
    if key is not None:
        doc[section][key] = value
    if drop is not None:
        del doc[section][drop]
    if rename is not None:
        doc[section][rename[1]] = doc[section].pop(rename[0])
    path = tmp_path / f"device{suffix}"
    path.write_text(json.dumps(doc) if suffix == ".json" else tomli_w.dumps(doc))
    return path


def test_a_file_device_is_its_values(tmp_path):
    path = _edited(tmp_path, section="contacts", key="rc_ohm", value=250.0)
    dev = resolve_device(str(path))
    assert dev.name == "my-device" and dev.rc_ohm == 250.0
    assert dataclasses.replace(dev, name="ht-rram", rc_ohm=100.0) == DEVICES["ht-rram"]()
    # JSON holds the same
    assert resolve_device(str(_edited(tmp_path, suffix=".json", section="contacts", key="rc_ohm", value=250.0))) == dev
    # an edited file is read again
    path.write_text(path.read_text().replace("rc_ohm = 250.0", "rc_ohm = 300.0"))
    assert resolve_device(str(path)).rc_ohm == 300.0
    # a write error per state
    by_state = resolve_device(str(_edited(tmp_path, section="errors", key="write_sigma_per_state_nS", value=[1, 1, 1, 1, 2, 2, 2, 3])))
    assert by_state.write_error().per_state_nS == (1, 1, 1, 1, 2, 2, 2, 3)


def test_a_pulse_train_device_with_a_cycle_to_cycle_sigma_per_state(tmp_path):
    """The per-state sigma of a file serves every draw: the states a write reaches (codes 1..8 at their switch
    counts), the reset spread (state 0) and the weight ladder (the linear states); 20 000 draws per state
    give each spread within 4 % (3 standard errors of a sample deviation, 1.5 %, and the truncation at
    3 sigma, 0.9866 of sigma, computed by scipy)."""
    from scipy.stats import truncnorm

    sigma = [5.0 + 2.0 * k for k in range(21)]
    dev = resolve_device(str(_edited(tmp_path, name="hfoxsy", section="errors", key="sigma_c2c_per_state_uS", value=sigma)))
    counts = dev.level_switch_counts
    assert dev.write_error().per_state_nS == tuple(1e3 * sigma[k] for k in counts)
    assert dev.reset_error().sigma_nS == 1e3 * sigma[0] and dev.reset_error().per_state_nS == ()
    assert dev.ladder_write_error().per_state_nS == tuple(1e3 * sigma[k] for k in dev.linear_state_counts)
    assert dev.write_error(500.0).per_state_nS == () and dev.write_error(500.0).sigma_nS == 500.0
    states = np.repeat(np.arange(1, 9), 20000)
    draws = dev.write_error().draw_nS(np.random.default_rng(0), states.size, states=states)
    spread = [draws[states == s].std() for s in range(1, 9)]
    expected = truncnorm.std(-3, 3) * 1e3 * np.asarray([sigma[k] for k in counts])
    np.testing.assert_allclose(spread, expected, rtol=0.04)
    with pytest.raises(ParameterError, match="needs the cells' states"):
        dev.write_error().draw_nS(np.random.default_rng(0), 3)


@pytest.mark.parametrize("edit, message", [
    (dict(drop="vt_step_V", section="switches"), r"\[switches\] vt_step_V is missing"),
    (dict(rename=("vt_step_V", "vt_step_mV"), section="switches"), r"unknown key 'vt_step_mV'; did you mean vt_step_V\?"),
    (dict(section="switches", key="vt_step_V", value="25 mV"), r"\[switches\] vt_step_V = '25 mV' must be a finite number"),
    (dict(section="switches", key="n_switches", value=2.5), r"\[switches\] n_switches = 2.5 must be a whole number"),
    (dict(section="switches", key="vt_step_V", value=-0.025), r"vt_step_V=-0.025 must be a finite number > 0"),
    (dict(section="states", key="level_switch_counts", value=[1, 5, 9, 13, 17, 21, 28, 25]),
     r"level_switch_counts=.* must increase strictly"),
    (dict(section="states", key="level_switch_counts", value=[1, 5, 9, 13, 17, 21, 25, 40]), r"within 1..n_switches"),
    (dict(section="areas", key="rs_prefactor_ohm", value=[1.0]), r"rs_prefactor_ohm = \[1.0\] must be a finite number"),
    (dict(section="states", key="g_levels_nS", value=[10, 20, 30, 40, 50, 60, 70, 96]),
     r"\[states\] cannot be reached by the switches: a read conductance of 96.000 nS is above the device's ceiling 80.996 nS"),
    (dict(name="hfoxsy", section="switches", key="step_uS", value=2000.0), r"\[states\] cannot be reached by the switches"),
    (dict(section="errors", key="write_sigma_per_state_nS", value=[1.0, 2.0]),
     r"write_sigma_per_state_nS=\(1.0, 2.0\) must be empty or one sigma within 0..20 nS for each of the 8 states"),
    (dict(section="errors", key="write_sigma_per_state_nS", value="1 nS"), r"write_sigma_per_state_nS = '1 nS' must be a list"),
    (dict(section="states", key="g_levels_nS", value=[]), r"g_levels_nS = \[\] must be a non-empty list"),
    (dict(name="hfoxsy", section="errors", key="sigma_c2c_per_state_uS", value=[20.0] * 20),
     r"sigma_c2c_per_state_uS must be empty or 21 sigmas >= 0 uS \(the reset state and each of n_switches closed\)"),
    (dict(name="hfoxsy", section="errors", key="sigma_c2c_per_state_uS", value=[20.0] * 20 + [-1.0]),
     r"sigma_c2c_per_state_uS must be empty or 21 sigmas >= 0 uS"),
    (dict(name="hfoxsy", section="errors", key="sigma_c2c_per_state_uS", value=[40.0] + [20.0] * 20),
     r"sigma_c2c_per_state_uS\[0\]=40.0 must be at most the state's read / c2c_truncate_sigma \(33.49 uS\)"),
    (dict(section="switches", key="vt_table_V", value=[0.9, 0.95]), r"vt_table_V must be empty or 28 thresholds"),
    (dict(section="states", key="switch_reads_nS", value=[10.0, 20.0]), r"switch_reads_nS must be empty or 28 reads"),
    (dict(section="switches", key="reset_table_V", value=[-1.1, -1.2]), r"reset_table_V must be empty or 28 thresholds"),
    (dict(section="switches", key="reset_table_V", value=[-1.2] * 28),
     r"reset_top_V=-1.01 and reset_bunch_V=0.07 must be reset_table_V's top \(-1.2 V\)"),
    (dict(section="states", key="switch_reads_nS", value=[2.5 * k for k in range(1, 29)]),
     r"g_levels_nS=.* must be switch_reads_nS at level_switch_counts \(2.5, 12.5"),
    (dict(section="switches", key="vt_table_V", value=[0.8625 + 0.025 * k for k in range(27)] + [0.9]),
     r"vt_table_V must be empty or 28 thresholds \(n_switches\) that rise"),
    (dict(section="switches", key="vt_table_V", value=[0.9 + 0.025 * k for k in range(28)]),
     r"vt_min_V=0.8625 and vt_step_V=0.025 must be vt_table_V's first threshold \(0.9 V\)"),
    (dict(name="hfoxsy", section="switches", key="switch_reads_uS", value=[200.0, 300.0]),
     r"switch_reads_uS must be empty or 20 reads \(n_switches\) that rise from the reset read \(100.469 uS\), got 2"),
    (dict(name="hfoxsy", section="switches", key="switch_reads_uS", value=[200.0 + 60 * k for k in range(19)] + [1200.0]),
     r"switch_reads_uS must be empty or 20 reads"),
    (dict(name="hfoxsy", section="switches", key="switch_reads_uS", value=[200.0 + 60 * k for k in range(20)]),
     r"step_uS=80.79\d* and end_steps_uS=\(40.0, 60.0\) must be switch_reads_uS's mean linear step \(60\) and mean end "
     r"steps \(79.7656387, 60\)"),
    (dict(section="areas", key="rs_table_V", value=[0.0, 1.0]),
     r"rs_table_V and rs_table_ohm: an area table needs at least two points .* got 2 voltages and 0 resistances"),
    (dict(section="areas", key="ri_table_V", value=[0.0]), r"ri_table_V and ri_table_ohm: an area table needs at least two"),
    (dict(section="areas", key="rs_table_V", value=[1.0, 0.5]), r"rs_table_V and rs_table_ohm: .* that rise"),
    (dict(section="areas", key="rs_table_ohm", value=[1e9, 2e9]), r"got 0 voltages and 2 resistances"),
])
def test_malformed_files_name_the_key(tmp_path, edit, message):
    path = _edited(tmp_path, **edit)
    with pytest.raises(ParameterError, match=message) as err:
        resolve_device(str(path))
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_files_that_are_not_device_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\nmodel = [\n")
    with pytest.raises(ParameterError, match="is not valid TOML"):
        resolve_device(str(bad))
    bad.write_text("name = 'x'\nmodel = 'vteam'\n")
    with pytest.raises(ParameterError, match="model = 'vteam' is not a compact model here; choose one of ht-rram, hfoxsy"):
        resolve_device(str(bad))
    bad.write_text("name = 'My Device'\nmodel = 'hfoxsy'\n")
    with pytest.raises(ParameterError, match="name = 'My Device' must be"):
        resolve_device(str(bad))
    bad.write_text("name = 'x'\nmodel = 'hfoxsy'\n")
    with pytest.raises(ParameterError, match=r"section \[areas\] is missing"):
        resolve_device(str(bad))
    with pytest.raises(ParameterError, match="does not exist"):
        resolve_device(str(tmp_path / "none.toml"))
    with pytest.raises(ParameterError, match="is unknown; choose one of ht-rram, hfoxsy or give a device file"):
        resolve_device("ht_rram")


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_every_command_refuses_a_malformed_file_in_one_line(tmp_path):
    path = _edited(tmp_path, drop="rc_ohm", section="contacts")
    commands = [("compact_models.characterize", "--protocol", "dc"), ("arrays.netlist",),
                ("arrays.transfer", "--weights", "random"), ("snn.infer",), ("arrays.sweep",)]
    for cmd in commands:
        out = tmp_path / f"out-{cmd[0]}"
        res = _run(*cmd, "--device", str(path), "--out", str(out), cwd=ROOT)
        assert res.returncode == 2, cmd  # a mistake in the command (README: exit codes)
        assert res.stderr.strip().count("\n") == 0 and "[contacts] rc_ohm is missing" in res.stderr, (cmd, res.stderr)
        assert "Traceback" not in res.stderr and not out.exists(), cmd


@pytest.mark.ngspice
def test_file_devices_run_in_ngspice_and_their_values_count(tmp_path):
    """A device file with another contact resistance: characterise and netlist through --device PATH."""
    from compact_models import protocols

    path = _edited(tmp_path, name="hfoxsy", section="contacts", key="rc_ohm", value=40.0)
    own = protocols.run_protocol(resolve_device(str(path)), "dc")
    base = protocols.run_protocol(resolve_device("hfoxsy"), "dc")
    # 2 x 30 ohm more in series (2 Rc + Ri: 70 -> 130 ohm): the peak current falls, but by less than a
    # series-only path would (70 / 130), since the switching area adds its own resistance
    ratio = own.trace.current_nA.abs().max() / base.trace.current_nA.abs().max()
    assert 70 / 130 < ratio < 0.99
    res = _run("compact_models.characterize", "--device", str(path), "--protocol", "dc", "--out", str(tmp_path / "c"),
               cwd=ROOT)
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert summary["device"] == "my-device"
    res = _run("arrays.netlist", "--device", str(path), "--out", str(tmp_path / "n.cir"), cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "Rc0_0t w0_0 c0_0_a 80" in (tmp_path / "n.cir").read_text()  # both 40 ohm contacts in one resistor
    assert np.isfinite(summary.get("max_step_ratio", 1.0))


def test_a_copy_of_a_builtin_under_another_name_transfers_alike(tmp_path):
    """The transfer of a layer on a file device equal to HT-RRAM but for its name: the same cells
    (the nodal write engine; its agreement with ngspice is tests/arrays/test_write_engine.py's)."""
    from arrays.mapping import random_levels
    from arrays.transfer import TransferSpec, transfer_layer

    levels = random_levels(2)
    path = _edited(tmp_path)
    own = transfer_layer(levels, TransferSpec(device=str(path), engine="nodal"), cache=False)
    base = transfer_layer(levels, TransferSpec(device="ht-rram", engine="nodal"), cache=False)
    assert own.spec.params.name == "my-device"
    np.testing.assert_array_equal(own.cells.final_nS, base.cells.final_nS)
    # the file's values are the key: an edited file is another transfer
    (tmp_path / "wider").mkdir()
    edited = _edited(tmp_path / "wider", section="errors", key="write_sigma_nS", value=2.0)
    spread = transfer_layer(levels, TransferSpec(device=str(edited), engine="nodal"), cache=False)
    assert not np.array_equal(spread.cells.final_nS, base.cells.final_nS)


def test_a_file_s_device_to_device_spread_is_drawn_unless_another_is_given(tmp_path):
    from arrays.transfer import TransferSpec
    from compact_models.base import DeviceVariation
    from compact_models.protocols import _device_cell

    path = str(_edited(tmp_path, section="errors", key="d2d_ron_sigma_rel", value=0.1))
    assert TransferSpec(device=path).variation == DeviceVariation(ron_sigma_rel=0.1)
    assert TransferSpec(device=path, variation=DeviceVariation()).variation == DeviceVariation()  # identical devices, asked for
    assert TransferSpec().variation is None  # the built-ins have none
    dev = resolve_device(path)
    assert _device_cell(dev, 0, None).ron_factor is not None and _device_cell(dev, 0, DeviceVariation()).ron_factor is None
    with pytest.raises(ParameterError, match="d2d_ron_sigma_rel=3.0"):
        resolve_device(str(_edited(tmp_path, section="errors", key="d2d_ron_sigma_rel", value=3.0)))


def test_a_threshold_table_sets_each_switch_and_the_set_amplitudes(tmp_path):
    """Uneven thresholds: each switch's ngspice VT follows its own, a state's set amplitude sits half the gap
    to the next switch above its last one, and an even table is the ladder exactly."""
    from compact_models.ht_rram import HTRRAMParams

    base = HTRRAMParams()
    even = dataclasses.replace(base, vt_table_V=tuple(base.vt_V))
    assert [even.set_amplitude_V(k) for k in range(1, 9)] == [base.set_amplitude_V(k) for k in range(1, 9)]
    np.testing.assert_array_equal(even.switch_vt_V, base.switch_vt_V)
    table = base.vt_min_V + np.concatenate([[0.0], np.cumsum(np.linspace(0.02, 0.03, 27))])
    uneven = dataclasses.replace(base, vt_table_V=tuple(table), vt_step_V=float((table[-1] - table[0]) / 27))
    np.testing.assert_allclose(uneven.vt_V, table)
    k = uneven.level_switch_counts[2]  # state 3 closes switches 1..k
    assert uneven.set_amplitude_V(3) == pytest.approx(table[k - 1] + uneven.vh_V + (table[k] - table[k - 1]) / 2, abs=1e-6)
    path = tmp_path / "uneven.toml"
    from compact_models.device_files import write_device_file

    write_device_file(dataclasses.replace(uneven, name="uneven"), path)
    assert resolve_device(str(path)).vt_table_V == pytest.approx(tuple(table))
