"""ANN -> SNN conversion and rate coding (paper 001, section 4.2), in software.

* Inputs: pixels in [0, 1] become spikes of identical amplitude over ``T`` = 25 steps by an
  integrate-and-fire encoder (accumulate the pixel, spike and subtract 1 when the sum reaches 1):
  a brighter pixel fires more often, deterministically.
* Hidden layer: integrate-and-fire neurons with reset by subtraction and a threshold set from the
  data (a percentile of the ReLU activations on the training set, `THRESHOLD_PERCENTILE`), so a
  neuron's rate follows its ReLU activation.
* Output layer: the hidden spikes drive the second layer; the class is the output with the
  largest accumulated (differential) input. `ideal_output` does it with exact weights; the array
  does it in `snn.inference`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_STEPS = 25
THRESHOLD_PERCENTILE = 99.99
"""Percentile of the positive ReLU activations (training set) that sets the hidden threshold. Paper 001
does not state it; 99.99 puts the QT power study at paper 001's 243 nW with the same accuracy as
99.9, which fires about a quarter more hidden spikes (and draws about that much more power)."""


def encode(x: np.ndarray, steps: int = N_STEPS) -> np.ndarray:
    """Rate-code pixels (n x 784 in [0, 1]) into spikes (n x steps x 784, bool)."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    acc = np.zeros_like(x)
    out = np.zeros((x.shape[0], steps, x.shape[1]), dtype=bool)
    for t in range(steps):
        acc += x
        fire = acc >= 1.0 - 1e-9
        acc[fire] -= 1.0
        out[:, t] = fire
    return out


@dataclass
class SpikingNet:
    """The converted network: first-layer weights and threshold, second-layer integer levels."""

    w1: np.ndarray
    threshold: float
    levels2: np.ndarray
    steps: int = N_STEPS

    def hidden_spikes(self, x: np.ndarray) -> np.ndarray:
        """Hidden spikes (n x steps x hidden, bool) of the integrate-and-fire layer."""
        s_in = encode(x, self.steps)
        v = np.zeros((x.shape[0], self.w1.shape[1]))
        out = np.zeros((x.shape[0], self.steps, self.w1.shape[1]), dtype=bool)
        for t in range(self.steps):
            v += s_in[:, t].astype(np.float64) @ self.w1
            fire = v >= self.threshold
            v[fire] -= self.threshold
            out[:, t] = fire
        return out

    def ideal_output(self, hidden: np.ndarray) -> np.ndarray:
        """Accumulated second-layer input with exact weights (n x classes), in level units."""
        return hidden.sum(axis=1).astype(np.float64) @ self.levels2


def convert(net, train_x: np.ndarray, percentile: float = THRESHOLD_PERCENTILE) -> SpikingNet:
    """Convert a `QuantisedNet` with a data-based threshold on the hidden layer."""
    act = np.maximum(train_x @ net.w1, 0.0)
    positive = act[act > 0]
    threshold = float(np.percentile(positive, percentile)) if positive.size else 1.0
    return SpikingNet(net.w1.astype(np.float64), threshold, np.asarray(net.levels2, dtype=int))
