"""A trained network deployed on tiled arrays the way paper 000 deploys it (section 3).

* **Mapping.** A weight w of a layer becomes a number of programming pulses p = round(|w| / scale)
  on the device's linear ladder (`weight_ladder_nS`: HfOxSy's 16 linear states, HT-RRAM's G1..G8);
  the partner stays at 0 pulses, the start of the linear range, as does a zero weight. G+ - G- then
  takes 31 bins on HfOxSy and 15 on HT-RRAM. The scale of each layer minimises the squared error of
  its weights on the bins. Paper 000 simulates both programming modes: in **potentiation** the
  pulses raise G+ (w > 0) or G- (w < 0) from the bottom of the ladder; in **depression** they lower
  G- (w > 0) or G+ (w < 0) from its top, where the partner and the zero weights then sit.
* **Programming noise.** Every device's conductance carries the device's cycle-to-cycle (write)
  error: HfOxSy's 23.7 uS truncated at 3 sigma, HT-RRAM's 1.06 nS truncated at 4 nS.
* **Device-to-device variation.** Each device's update, its step per pulse, is scaled by its own
  factor 1 + sigma * N(0, 1) (paper 000: sigma = 30 %), clipped at 0.
* **Converters.** An 8-bit DAC quantises each layer's inputs on a range calibrated on training
  inputs (the pixels' 0..1, the hidden activations' 99.99th percentile); an 8-bit ADC digitises
  each tile's differential partial sums on a range calibrated at programming time, and the partial
  sums are added digitally.
* **Drift** (`compact_models.drift`): every device drifts with its own exponent after programming.
* **Global drift compensation.** A reference read (every input at full scale) at programming time
  and at the time of inference gives each layer one factor that rescales its outputs.

The tiles are solved by `arrays.tiles` (IR drop included when the lines have resistance).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from arrays.tiles import TiledLayer, TileSpec
from compact_models.drift import DriftModel
from compact_models.errors import ParameterError
from snn.network import best_scale

PROGRAMMING_MODES = ("potentiation", "depression")
"""How the weights are written (module docstring)."""
INPUT_PERCENTILE = 99.99
"""The hidden layers' DAC range: this percentile of their activations on the calibration inputs."""


@dataclass(frozen=True, kw_only=True)
class AnalogConfig:
    """The non-idealities of a deployment (paper 000's values as defaults)."""

    c2c: bool = True
    """Programming noise: the device's cycle-to-cycle write error on every device."""
    d2d_sigma_rel: float = 0.30
    """Device-to-device variation of the update step, relative (paper 000: 30 %)."""
    dac_bits: int = 8
    """Input converter resolution, bits (paper 000: 8)."""
    adc_bits: int = 8
    """Output converter resolution, bits (paper 000: 8); one ADC per tile output."""

    def __post_init__(self):
        if not (math.isfinite(self.d2d_sigma_rel) and 0 <= self.d2d_sigma_rel <= 2):
            raise ParameterError(f"--d2d {self.d2d_sigma_rel!r} must be within 0..2 (a relative spread)")
        for name in ("dac_bits", "adc_bits"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 24:
                raise ParameterError(f"--{name.replace('_bits', '')}-bits {v!r} must be a whole number in 0..24 (0: ideal)")


@dataclass
class Mapping:
    """A network's pulse numbers on a device: per layer the signed pulses and the weight per pulse."""

    pulses: list
    scales: list
    ladder_S: np.ndarray

    @property
    def levels(self) -> int:
        return len(self.ladder_S) - 1


def ladder_S(device) -> np.ndarray:
    """The device's weight ladder in S, checked to rise."""
    ladder = np.asarray(device.weight_ladder_nS, dtype=float) * 1e-9
    if len(ladder) < 2 or np.any(np.diff(ladder) <= 0):
        raise ParameterError(f"device {device.name}: its weight ladder must rise through at least 2 states")
    return ladder


def map_weights(weights: list, device, scales: list | None = None) -> Mapping:
    """Pulse numbers of every layer's weights (module docstring); ``scales`` default to the best per layer."""
    ladder = ladder_S(device)
    n = len(ladder) - 1
    scales = [best_scale(w, n_levels=n) for w in weights] if scales is None else list(scales)
    pulses = [_bins(w, s, n).astype(np.int16) for w, s in zip(weights, scales)]
    return Mapping(pulses, scales, ladder)


def _bins(w: np.ndarray, scale: float, n: int) -> np.ndarray:
    """Signed pulse numbers of weights ``w`` at ``scale`` per pulse, at most ``n`` either way."""
    return np.clip(np.round(w / scale), -n, n)


def program(mapping: Mapping, device, cfg: AnalogConfig, rng: np.random.Generator, mode: str = "potentiation") -> list:
    """Each layer's programmed (G+, G-) in S, written in ``mode`` (`PROGRAMMING_MODES`): the ladder, each
    device's factor on its update and its write error."""
    if mode not in PROGRAMMING_MODES:
        raise ParameterError(f"programming mode {mode!r}: choose one of {', '.join(PROGRAMMING_MODES)}")
    ladder = mapping.ladder_S
    start, states = (ladder[0], ladder) if mode == "potentiation" else (ladder[-1], ladder[::-1])
    floor = 0.01 * ladder[0]
    out = []
    for p in mapping.pulses:
        pair = []
        up, down = np.maximum(p, 0), np.maximum(-p, 0)
        for count in ((up, down) if mode == "potentiation" else (down, up)):
            g = states[count] - start
            if cfg.d2d_sigma_rel:
                g = g * np.maximum(1 + cfg.d2d_sigma_rel * rng.standard_normal(p.shape), 0)
            if cfg.c2c:
                position = count if mode == "potentiation" else len(ladder) - 1 - count
                g = g + 1e-9 * device.ladder_write_error().draw_nS(rng, p.shape, states=position + 1)
            pair.append(np.maximum(start + g, floor))
        out.append(tuple(pair))
    return out


def perturbed_weights(mapping: Mapping, device, cfg: AnalogConfig):
    """``perturb(k, w, rng)`` for `snn.mlp.train`: layer k's weights as one programming would deploy them
    (bins of the mapping's scale, device-to-device factors and write error, in weight units)."""
    step = float(np.mean(np.diff(mapping.ladder_S)))
    sigma_w = [math.sqrt(2) * device.write_error().sigma_nS * 1e-9 / step * s for s in mapping.scales]
    n = mapping.levels

    def perturb(k, w, rng):
        s = mapping.scales[k]
        q = _bins(w, s, n) * s
        if cfg.d2d_sigma_rel:
            q = q * np.maximum(1 + cfg.d2d_sigma_rel * rng.standard_normal(w.shape), 0)
        if cfg.c2c:
            q = q + sigma_w[k] * rng.standard_normal(w.shape)
        return q

    return perturb


def _quantise(x: np.ndarray, full_scale: float, bits: int, signed: bool) -> np.ndarray:
    """``x`` on a ``bits``-bit converter of range ``full_scale`` (0..fs unsigned, -fs..fs signed); bits 0: as is."""
    if bits == 0 or full_scale <= 0:
        return x
    top = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
    lo = -top if signed else 0
    return np.clip(np.round(x / full_scale * top), lo, top) * (full_scale / top)


class DeployedNetwork:
    """A network's layers on tiles, with its converters calibrated at programming time.

    ``programmed`` are the (G+, G-) of `program`; `at_time` gives the same devices after drift.
    """

    def __init__(self, mapping: Mapping, programmed: list, biases: list, device, spec: TileSpec, cfg: AnalogConfig,
                 input_ranges: list, fill_S: float):
        self.mapping, self.programmed, self.device, self.spec, self.cfg = mapping, programmed, device, spec, cfg
        self.biases = [np.asarray(b, dtype=float) for b in biases]
        self.input_ranges, self.fill_S = list(input_ranges), fill_S
        self.read_V = abs(float(device.read_V))
        self.step_S = float(np.mean(np.diff(mapping.ladder_S)))
        self.layers = [TiledLayer(gp, gm, spec, fill_S) for gp, gm in programmed]
        self.adc_ranges = [None] * len(self.layers)
        self.reference = None

    def calibrate(self, x: np.ndarray) -> None:
        """Set each tile ADC's range to the largest partial sum of the inputs ``x``, and take the reference read."""
        def set_range(k, volts, partial):
            self.adc_ranges[k] = float(np.abs(partial).max()) or 1.0

        self._forward(x, np.ones(len(self.layers)), set_range)
        self.reference = self.reference_read()

    def layer_inputs_V(self, x: np.ndarray) -> list:
        """Each layer's wordline voltages (batch x n_in, V) in the forward pass of inputs ``x``."""
        volts = []
        self._forward(x, np.ones(len(self.layers)), lambda k, v, partial: volts.append(v))
        return volts

    def _forward(self, x: np.ndarray, gains: np.ndarray, on_layer=None) -> np.ndarray:
        """The outputs of inputs ``x``, each layer's scaled by ``gains[k]``; ``on_layer(k, volts, partial)``
        sees each layer's DAC voltages and partial sums before its ADC."""
        h = np.asarray(x, dtype=float)
        for k, layer in enumerate(self.layers):
            volts = self._volts(k, h)
            partial = layer.partial_currents_A(volts)
            if on_layer:
                on_layer(k, volts, partial)
            h = self._layer_out(k, partial, gains[k]) + self.biases[k]
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0)
        return h

    def reference_read(self) -> np.ndarray:
        """Each layer's summed |output| with every input at full scale (the compensation's reference)."""
        return np.array([np.abs(self._layer_out(k, layer.partial_currents_A(np.full((1, layer.shape[0]), self.read_V)), 1.0)).sum()
                         for k, layer in enumerate(self.layers)])

    def at_time(self, drift: DriftModel, nu: list, t_s: float) -> "DeployedNetwork":
        """The same devices at ``t_s`` after programming (``nu``: each layer's (nu+, nu-) exponents);
        converter ranges and the reference read stay as calibrated."""
        drifted = [(gp * drift.factor(np_, t_s), gm * drift.factor(nm, t_s))
                   for (gp, gm), (np_, nm) in zip(self.programmed, nu)]
        other = DeployedNetwork(self.mapping, drifted, self.biases, self.device, self.spec, self.cfg, self.input_ranges,
                                self.fill_S * float(drift.factor(drift.nu_mean, t_s)))
        other.adc_ranges, other.reference = self.adc_ranges, self.reference
        return other

    def _volts(self, k: int, h: np.ndarray) -> np.ndarray:
        fs = self.input_ranges[k]
        return _quantise(np.clip(h, 0, fs), fs, self.cfg.dac_bits, signed=False) / fs * self.read_V

    def _layer_out(self, k: int, partial: np.ndarray, gain: float) -> np.ndarray:
        """The digital sum of the digitised partial sums, in the weights' units, times ``gain``."""
        if self.adc_ranges[k] is not None:
            partial = _quantise(partial, self.adc_ranges[k], self.cfg.adc_bits, signed=True)
        per_volt = self.read_V / self.input_ranges[k]
        return gain * partial.sum(axis=1) / per_volt / self.step_S * self.mapping.scales[k]

    def logits(self, x: np.ndarray, compensate: bool = False, chunk: int = 2000) -> np.ndarray:
        """Outputs for inputs ``x`` (batch x 784); ``compensate`` rescales each layer by the reference read."""
        gains = np.ones(len(self.layers))
        if compensate:
            now = self.reference_read()
            gains = np.where(now > 0, self.reference / now, 1.0)
        return np.concatenate([self._forward(x[s: s + chunk], gains) for s in range(0, len(x), chunk)])


def input_ranges(net, x: np.ndarray) -> list:
    """Each layer's DAC range: 1 for the pixels, then `INPUT_PERCENTILE` of the digital activations on ``x``."""
    ranges = [1.0]
    h = np.asarray(x, dtype=float)
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        h = np.maximum(h @ w + b, 0)
        ranges.append(float(np.percentile(h[h > 0], INPUT_PERCENTILE)) if np.any(h > 0) else 1.0)
    return ranges


def draw_nu(drift: DriftModel, programmed: list, rng: np.random.Generator) -> list:
    """Each device's drift exponent, per layer (nu+, nu-)."""
    return [(drift.draw_nu(rng, gp.shape), drift.draw_nu(rng, gm.shape)) for gp, gm in programmed]
