"""Every registered device implements the `Device` protocol, and protocols it does not list are refused."""
import numpy as np
import pytest

from compact_models import protocols
from compact_models.device import Device
from compact_models.devices import DEVICES, device_params
from compact_models.errors import ParameterError

SCHEME_MEMBERS = {"ladder": ("set_amplitude_V",), "trains": ("train_pulse", "max_train_pulses", "step_uS", "widths_s")}


@pytest.mark.parametrize("name", sorted(DEVICES))
def test_registered_devices_implement_the_protocol(name):
    d = device_params(name)
    assert isinstance(d, Device) and d.name == name
    for member in SCHEME_MEMBERS[d.write_scheme]:
        assert hasattr(d, member), f"{name} is written by {d.write_scheme} and lacks {member}"
    assert set(d.protocols) <= set(protocols.PROTOCOLS) and "dc" in d.protocols
    # The reset opens every switch; the read ceiling lies above the highest state.
    assert d.reset_V < float(np.min(d.vt_V - d.vh_V))
    assert d.max_read_conductance_S > max(d.g_levels_nS) * 1e-9 > d.hrs_conductance_S
    # The area laws the nodal engine uses are those of the netlist at zero bias: V / R(0).
    switching, insulator = d.area_laws()
    v = np.array([1e-6])  # HT-RRAM's laws move by exp(|V| / slope) - 1: 3e-6 here
    for law, lines in ((switching, d.switching_area_lines("x", "a", "b", linear=True)),
                       (insulator, d.insulator_area_lines("x", "b", "c", linear=True))):
        r0 = float(lines[0].split()[-1])
        assert law.current_A(v)[0] * r0 / v[0] == pytest.approx(1.0, rel=1e-5, abs=0)


@pytest.mark.parametrize("name, protocol", [("hfoxsy", "ispp"), ("hfoxsy", "states"), ("ht-rram", "pulse-train")])
def test_a_protocol_the_device_does_not_list_is_refused(name, protocol):
    with pytest.raises(ParameterError, match=f"protocol '{protocol}' does not apply to {name}.*choose one of"):
        protocols.run_protocol(name, protocol)


def test_an_unknown_device_names_the_registry():
    with pytest.raises(ParameterError, match="device 'nope' is unknown; choose one of ht-rram, hfoxsy"):
        device_params("nope")
