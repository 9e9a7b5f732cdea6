"""Deployment on tiles: the pulse-number mapping, the noise statistics, converters and compensation."""
import numpy as np
import pytest

from arrays.tiles import TileSpec
from compact_models.devices import resolve_device
from compact_models.drift import DriftModel
from compact_models.errors import ParameterError
from snn import analog, mlp

IDEAL = analog.AnalogConfig(c2c=False, d2d_sigma_rel=0.0, dac_bits=0, adc_bits=0)


def _net(rng, sizes=(784, 40, 10)):
    return mlp.Network([rng.normal(0, 0.05, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
                       [rng.normal(0, 0.01, b) for b in sizes[1:]])


@pytest.mark.parametrize("mode", analog.PROGRAMMING_MODES)
@pytest.mark.parametrize("name, bins", [("hfoxsy", 31), ("ht-rram", 15)])
def test_mapping_gives_the_papers_bins_and_zero_at_the_start_of_the_range(name, bins, mode):
    """Potentiation starts at the bottom of the ladder, depression at its top; G+ - G- is the weight either way."""
    device = resolve_device(name)
    w = np.linspace(-1, 1, 2001).reshape(1, -1)
    m = analog.map_weights([w], device)
    assert len(np.unique(m.pulses[0])) == bins
    gp, gm = analog.program(m, device, IDEAL, np.random.default_rng(0), mode)[0]
    ladder = np.asarray(device.weight_ladder_nS) * 1e-9
    start = ladder[0] if mode == "potentiation" else ladder[-1]
    zero = m.pulses[0] == 0
    np.testing.assert_allclose(gp[zero], start)
    np.testing.assert_allclose(gm[zero], start)
    up = m.pulses[0] > 0
    partner = np.where(up, gm, gp) if mode == "potentiation" else np.where(up, gp, gm)
    np.testing.assert_allclose(partner, start)  # potentiation raises G+ for w > 0, depression lowers G-
    np.testing.assert_allclose(gp - gm, m.pulses[0] * (ladder[1] - ladder[0]), atol=1e-15)


def test_an_unknown_programming_mode_is_refused():
    device = resolve_device("hfoxsy")
    m = analog.map_weights([np.ones((2, 2))], device)
    with pytest.raises(ParameterError, match="choose one of potentiation, depression"):
        analog.program(m, device, IDEAL, np.random.default_rng(0), "annealing")


@pytest.mark.parametrize("mode", analog.PROGRAMMING_MODES)
@pytest.mark.parametrize("name, tile", [("hfoxsy", TileSpec(rows=128, cols=128)), ("ht-rram", TileSpec(rows=24, cols=24))])
def test_noiseless_deployment_on_ideal_tiles_is_the_binned_network(name, tile, mode):
    """With ideal lines and converters and no noise, the tiles compute the network of binned weights exactly."""
    rng = np.random.default_rng(3)
    net, device = _net(rng), resolve_device(name)
    x = rng.uniform(0, 1, (20, 784))
    m = analog.map_weights(net.weights, device)
    deployed = analog.DeployedNetwork(m, analog.program(m, device, IDEAL, rng, mode), net.biases, device, tile, IDEAL,
                                      analog.input_ranges(net, x), device.hrs_conductance_S)
    binned = mlp.Network([p * s for p, s in zip(m.pulses, m.scales)], net.biases)
    np.testing.assert_allclose(deployed.logits(x), mlp.forward(binned, x), rtol=1e-9, atol=1e-9)


def test_programming_noise_has_the_devices_sigma_and_d2d_scales_the_update():
    device = resolve_device("hfoxsy")
    w = np.full((400, 500), 0.5)
    m = analog.map_weights([w], device, scales=[0.1])  # 5 pulses everywhere
    step = (device.weight_ladder_nS[1] - device.weight_ladder_nS[0]) * 1e-9
    gp, _ = analog.program(m, device, analog.AnalogConfig(d2d_sigma_rel=0.0), np.random.default_rng(1))[0]
    sigma = device.write_error().sigma_nS * 1e-9
    # a Gaussian truncated at 3 sigma has a standard deviation of 0.9866 sigma; 200 000 draws give it to 0.3 %
    assert np.std(gp) == pytest.approx(0.9866 * sigma, rel=0.01)
    gp, _ = analog.program(m, device, analog.AnalogConfig(c2c=False, d2d_sigma_rel=0.3), np.random.default_rng(1))[0]
    update = (gp - device.weight_ladder_nS[0] * 1e-9) / (5 * step)
    assert np.mean(update) == pytest.approx(1.0, abs=0.003)
    assert np.std(update) == pytest.approx(0.3, rel=0.01)


def test_compensation_undoes_a_uniform_drift_and_not_its_spread():
    rng = np.random.default_rng(4)
    net, device = _net(rng), resolve_device("hfoxsy")
    x = rng.uniform(0, 1, (30, 784))
    m = analog.map_weights(net.weights, device)
    prog = analog.program(m, device, IDEAL, rng)
    deployed = analog.DeployedNetwork(m, prog, net.biases, device, TileSpec(), IDEAL, analog.input_ranges(net, x),
                                      device.hrs_conductance_S)
    deployed.calibrate(x)
    t0 = deployed.logits(x)
    uniform = DriftModel(nu_mean=0.02, nu_std_rel=0.0)
    later = deployed.at_time(uniform, analog.draw_nu(uniform, prog, rng), 3.15e7)
    assert not np.allclose(later.logits(x), t0, rtol=1e-3)
    np.testing.assert_allclose(later.logits(x, compensate=True), t0, rtol=1e-9, atol=1e-9)
    spread = DriftModel(nu_mean=0.02, nu_std_rel=0.5)
    later = deployed.at_time(spread, analog.draw_nu(spread, prog, rng), 3.15e7)
    assert not np.allclose(later.logits(x, compensate=True), t0, rtol=1e-3)


def test_converters_quantise_to_their_bits():
    q = analog._quantise(np.linspace(-1, 1, 1001), 1.0, 8, signed=True)
    assert len(np.unique(q)) == 255
    q = analog._quantise(np.linspace(0, 1, 1001), 1.0, 8, signed=False)
    assert len(np.unique(q)) == 256
