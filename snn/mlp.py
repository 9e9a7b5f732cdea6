"""Paper 000's 784-500-10 network (Fig. 3a): training, and hardware-aware fine-tuning.

numpy only. ReLU hidden layer, biases added digitally after each layer's converters (as aihwkit, the
simulator of paper 000, keeps them by default), He initialisation, SGD with momentum and a cosine
learning rate on the cross-entropy, seeded. The 4 000-digit training sample is
augmented with its copies shifted by one pixel up, down, left and right (five copies in all), which
is what lifts a 500-unit network from about 95 % to about 97 % on the official test set; paper
000's 98.07 % was trained on the 60 000 digits of the full training set.

Hardware-aware training (paper 000: 5 further epochs) runs the same loop with the deployed weights
of a `perturb` callable in the forward pass (the mapping's bins, programming noise and
device-to-device variation, drawn afresh for every batch) and the gradient passed straight through
to the float weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compact_models.errors import ParameterError


@dataclass(frozen=True, kw_only=True)
class MLPConfig:
    """Network and training hyper-parameters (our choices where paper 000 gives none)."""

    sizes: tuple = (784, 500, 10)
    """Layer widths (paper 000, Fig. 3a)."""
    epochs: int = 30
    """Float training epochs (paper 000: 30)."""
    hwat_epochs: int = 5
    """Hardware-aware fine-tuning epochs (paper 000: 5)."""
    lr: float = 0.05
    """SGD learning rate at the start of the cosine schedule."""
    hwat_lr: float = 0.05
    """Learning rate at the start of the hardware-aware epochs' own cosine schedule: the training's own,
    chosen on the held-out sample against 0.01 (README, paper 000's study)."""
    momentum: float = 0.9
    """SGD momentum."""
    batch: int = 100
    """Mini-batch size."""
    weight_decay: float = 1e-4
    """L2 weight decay."""
    shift_copies: bool = True
    """Train on the sample and its four one-pixel shifts."""
    seed: int = 0
    """Seed of initialisation and shuffling."""

    def __post_init__(self):
        sizes = tuple(self.sizes)
        if len(sizes) < 2 or sizes[0] != 784 or sizes[-1] != 10 or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ParameterError(f"--network {'-'.join(map(str, sizes))} must start at 784 and end at 10, e.g. 784-500-10")
        for name in ("lr", "hwat_lr"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and 0 < v <= 1):
                raise ParameterError(f"--{name.replace('_', '-')} {v!r} must be a learning rate in (0, 1]")
        for name in ("epochs", "hwat_epochs"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ParameterError(f"{name}={getattr(self, name)!r} must be a whole number >= 0")


def parse_network(text: str) -> tuple:
    """``"784-500-10"`` as a tuple of layer widths."""
    try:
        return tuple(int(p) for p in str(text).split("-"))
    except ValueError:
        raise ParameterError(f"--network {text!r} must be layer widths joined by '-', e.g. 784-500-10") from None


def shifted_copies(x: np.ndarray, y: np.ndarray) -> tuple:
    """The digits and their copies shifted by one pixel up, down, left and right (zero fill)."""
    imgs = x.reshape(-1, 28, 28)
    out = [imgs]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        s = np.roll(imgs, step, axis=axis)
        edge = (slice(None), 0 if step == 1 else -1) if axis == 1 else (slice(None), slice(None), 0 if step == 1 else -1)
        s[edge] = 0
        out.append(s)
    return np.concatenate(out).reshape(-1, 784).astype(np.float32), np.tile(y, 5)


@dataclass
class Network:
    """Float weights (n_in x n_out per layer) and digital biases."""

    weights: list
    biases: list


def forward(net: Network, x: np.ndarray) -> np.ndarray:
    """Logits of the float network."""
    h = x
    for k, (w, b) in enumerate(zip(net.weights, net.biases)):
        h = h @ w + b
        if k < len(net.weights) - 1:
            h = np.maximum(h, 0)
    return h


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == y))


def train(x: np.ndarray, y: np.ndarray, cfg: MLPConfig = MLPConfig(), start: Network | None = None,
          perturb=None, epochs: int | None = None, lr: float | None = None, progress=None) -> Network:
    """The network trained on (x, y): from He initialisation, or fine-tuned from ``start``.

    ``perturb(k, w, rng)`` gives layer k's weights as deployed for the forward pass (hardware-aware
    training); ``progress(epoch, epochs)`` is called after each epoch.
    """
    rng = np.random.default_rng([cfg.seed, 101 if perturb is None else 102, 1])
    if cfg.shift_copies:
        x, y = shifted_copies(x, y)
    x = np.asarray(x, dtype=np.float32)
    if start is None:
        pairs = list(zip(cfg.sizes[:-1], cfg.sizes[1:]))
        start = Network([rng.normal(0, np.sqrt(2.0 / a), (a, b)) for a, b in pairs], [np.zeros(b) for _, b in pairs])
    weights = [np.array(w, dtype=np.float32) for w in start.weights]
    biases = [np.array(b, dtype=np.float32) for b in start.biases]
    epochs = cfg.epochs if epochs is None else epochs
    lr = cfg.lr if lr is None else lr
    velocity = [np.zeros_like(w) for w in weights + biases]
    n = len(x)
    for epoch in range(epochs):
        step = lr * 0.5 * (1 + np.cos(np.pi * epoch / max(epochs, 1)))
        order = rng.permutation(n)
        for start in range(0, n, cfg.batch):
            idx = order[start: start + cfg.batch]
            used = weights if perturb is None else [perturb(k, w, rng).astype(np.float32) for k, w in enumerate(weights)]
            params = weights + biases
            for k, g in enumerate(_gradients(used, biases, x[idx], y[idx])):
                decay = cfg.weight_decay * params[k] if k < len(weights) else 0.0
                velocity[k] = cfg.momentum * velocity[k] - step * (g + decay)
                params[k] = params[k] + velocity[k]
            weights, biases = params[: len(weights)], params[len(weights):]
        if progress:
            progress(epoch + 1, epochs)
    return Network(weights, biases)


def _gradients(weights: list, biases: list, xb: np.ndarray, yb: np.ndarray) -> list:
    """Cross-entropy gradients of every layer's weights, then of its biases, for one batch."""
    acts = [xb]
    for k, (w, b) in enumerate(zip(weights, biases)):
        z = acts[-1] @ w + b
        acts.append(np.maximum(z, 0) if k < len(weights) - 1 else z)
    z = acts[-1] - acts[-1].max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(yb)), yb] -= 1
    delta = p / len(yb)
    grads = [None] * (2 * len(weights))
    for k in range(len(weights) - 1, -1, -1):
        grads[k] = acts[k].T @ delta
        grads[len(weights) + k] = delta.sum(axis=0)
        if k:
            delta = (delta @ weights[k].T) * (acts[k] > 0)
    return grads
