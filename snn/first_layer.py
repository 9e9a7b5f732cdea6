"""Paper 001's first layer (784 x 24) on tiles of arrays: the hidden neurons fed by bitline currents.

The quantised first layer's levels (-7..7) go on tiles of the device (`arrays.tiles`; default the
device's `natural_tile`, 24 x 24 for HT-RRAM: 33 x 2 tiles) as 3-bit differential pairs
(`snn.analog.map_weights`: level k on G(k+1) - G1, as `arrays.mapping` with ``zero_state="g1"``),
each device programmed with the device's write error. Every time step, the rate-coded pixel spikes
are read pulses at the spike voltage on the wordlines; the tiles' differential bitline currents,
divided by the current of one level (spike voltage x the ladder's step), are the hidden neurons'
input, and the integrate-and-fire neurons of `snn.spiking` (the same threshold and reset) spike
from them. The cells are linear at their read conductance (each spike is a read at that
voltage), so the tiles' IR drop is exact and the step's source power is v Y v
(`arrays.tiles.TiledLayer.source_power_W`).
"""
from __future__ import annotations

import numpy as np

from arrays.tiles import TiledLayer, TileSpec
from snn import analog
from snn.spiking import SpikingNet, encode


class TiledFirstLayer:
    """A quantised network's first layer programmed on tiles."""

    def __init__(self, net, device, spec: TileSpec, rng: np.random.Generator, spike_V: float):
        self.device, self.spec, self.spike_V = device, spec, float(spike_V)
        self.mapping = analog.map_weights([net.w1], device, scales=[net.scale1])
        cfg = analog.AnalogConfig(c2c=True, d2d_sigma_rel=0.0, dac_bits=0, adc_bits=0)
        (self.g_plus_S, self.g_minus_S), = analog.program(self.mapping, device, cfg, rng)
        self.layer = TiledLayer(self.g_plus_S, self.g_minus_S, spec, device.hrs_conductance_S)
        self.level_A = self.spike_V * float(np.mean(np.diff(self.mapping.ladder_S)))

    def hidden_spikes(self, snn: SpikingNet, x: np.ndarray, chunk: int = 500) -> tuple:
        """(hidden spikes, n x steps x hidden; the first layer's mean source power per image, W) of images ``x``."""
        spikes, power = [], []
        for s in range(0, len(x), chunk):
            s_in = encode(x[s: s + chunk], snn.steps)
            v = np.zeros((len(s_in), snn.w1.shape[1]))
            out = np.zeros((len(s_in), snn.steps, snn.w1.shape[1]), dtype=bool)
            p = np.zeros(len(s_in))
            for t in range(snn.steps):
                volts = s_in[:, t] * self.spike_V
                v += self.layer.partial_currents_A(volts).sum(axis=1) / self.level_A * self.mapping.scales[0]
                fire = v >= snn.threshold
                v[fire] -= snn.threshold
                out[:, t] = fire
                p += self.layer.source_power_W(volts)
            spikes.append(out)
            power.append(p / snn.steps)
        return np.concatenate(spikes), np.concatenate(power)

    def spice_check(self, x_image: np.ndarray, steps: int) -> float:
        """Largest relative difference of a bitline current between ngspice and the tile solve, over every
        tile and every time step of one image (one DC sweep over the steps per tile)."""
        v_rows = self.layer.row_tile_inputs(encode(x_image[None], steps)[0] * self.spike_V)  # steps x row tiles x rows
        worst = 0.0
        rows, cols = self.layer.cells_S.shape[:2]
        for r in range(rows):
            live = v_rows[:, r].any(axis=1)
            if live.any():
                worst = max([worst] + [self.layer.spice_rel_error(r, c, v_rows[live, r]) for c in range(cols)])
        return worst
