"""The 784 x 24 x 10 network of paper 001 (Fig. 6): training, 3-bit quantisation, pruning.

numpy only. ReLU hidden layer, He initialisation, SGD with momentum on the cross-entropy, seeded.
No biases: the second layer lives on the crossbar, which has no bias line, and the first layer
follows so that the SNN conversion needs no constant input.

* ``qt``: 3-bit quantisation (levels -7..7 times a per-layer scale) of both layers, then
  quantisation-aware fine-tuning (straight-through estimator) at the fixed scales.
* ``qtpr``: 40 % unstructured magnitude pruning of each layer, fine-tuning with the mask, then the
  same 3-bit quantisation and quantisation-aware fine-tuning, keeping pruned weights at zero.

Small random shifts of the training digits (up to 2 px) make up for the 5 000-digit sample.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

import numpy as np

from compact_models.errors import ParameterError

logger = logging.getLogger(__name__)

VARIANTS = ("qt", "qtpr")
N_LEVELS = 7


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Training hyper-parameters (our choices; paper 001 gives the optimiser and the loss only)."""

    hidden: int = 24
    """Hidden neurons = wordlines (paper 001)."""
    epochs: int = 60
    """Float training epochs."""
    finetune_epochs: int = 25
    """Quantisation-aware (and pruning) fine-tuning epochs."""
    lr: float = 0.05
    """SGD learning rate."""
    momentum: float = 0.9
    """SGD momentum."""
    batch: int = 64
    """Mini-batch size."""
    weight_decay: float = 1e-4
    """L2 weight decay."""
    shift_px: int = 2
    """Largest random shift of a training digit, px."""
    prune_fraction: float = 0.40
    """Unstructured magnitude pruning for qtpr (paper 001: 40 %)."""
    seed: int = 0
    """Seed of initialisation, shuffling and augmentation."""


@dataclass
class QuantisedNet:
    """Integer levels and scales of both layers: weights = levels * scale."""

    levels1: np.ndarray
    scale1: float
    levels2: np.ndarray
    scale2: float
    variant: str
    meta: dict = field(default_factory=dict)

    @property
    def w1(self) -> np.ndarray:
        return self.levels1 * self.scale1

    @property
    def w2(self) -> np.ndarray:
        return self.levels2 * self.scale2

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.w1, 0) @ self.w2

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.logits(x).argmax(1) == y))


def he_init(rng, n_in, n_out):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def shift_batch(x: np.ndarray, rng, max_px: int) -> np.ndarray:
    """Shift each 28 x 28 digit by up to ``max_px`` pixels (zero fill)."""
    if max_px == 0:
        return x
    imgs = x.reshape(-1, 28, 28)
    out = np.zeros_like(imgs)
    dx = rng.integers(-max_px, max_px + 1, len(imgs))
    dy = rng.integers(-max_px, max_px + 1, len(imgs))
    for k, (a, b) in enumerate(zip(dy, dx)):
        src = imgs[k][max(0, -a): 28 - max(0, a), max(0, -b): 28 - max(0, b)]
        out[k][max(0, a): max(0, a) + src.shape[0], max(0, b): max(0, b) + src.shape[1]] = src
    return out.reshape(len(x), 784)


def quantise(w: np.ndarray, scale: float) -> np.ndarray:
    """Integer levels -7..7 of ``w`` at ``scale``."""
    return np.clip(np.round(w / scale), -N_LEVELS, N_LEVELS).astype(int)


def best_scale(w: np.ndarray, mask: np.ndarray | None = None, n_levels: int = N_LEVELS) -> float:
    """The scale that minimises the squared error of the kept weights on levels -n_levels..n_levels."""
    v = w[mask] if mask is not None else w.ravel()
    v = v[v != 0]
    top = np.abs(v).max()
    candidates = top * np.linspace(0.15, 1.0, 120) / n_levels
    errs = [np.mean((v - np.clip(np.round(v / s), -n_levels, n_levels) * s) ** 2) for s in candidates]
    return float(candidates[int(np.argmin(errs))])


def _train(w1, w2, x, y, cfg: TrainConfig, epochs: int, rng, lr: float,
           masks=(None, None), scales=(None, None)):
    """SGD epochs; with ``scales`` the forward pass uses quantised weights (straight-through)."""
    v1 = np.zeros_like(w1)
    v2 = np.zeros_like(w2)
    n = len(x)
    for epoch in range(epochs):
        step = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        order = rng.permutation(n)
        for start in range(0, n, cfg.batch):
            idx = order[start:start + cfg.batch]
            xb = shift_batch(x[idx], rng, cfg.shift_px)
            yb = y[idx]
            q1 = quantise(w1, scales[0]) * scales[0] if scales[0] else w1
            q2 = quantise(w2, scales[1]) * scales[1] if scales[1] else w2
            h_pre = xb @ q1
            h = np.maximum(h_pre, 0)
            z = h @ q2
            z -= z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            p /= len(yb)
            g2 = h.T @ p + cfg.weight_decay * w2
            g1 = xb.T @ ((p @ q2.T) * (h_pre > 0)) + cfg.weight_decay * w1
            v1 = cfg.momentum * v1 - step * g1
            v2 = cfg.momentum * v2 - step * g2
            w1 = w1 + v1
            w2 = w2 + v2
            if masks[0] is not None:
                w1 = w1 * masks[0]
                w2 = w2 * masks[1]
    return w1, w2


def train_float(x: np.ndarray, y: np.ndarray, cfg: TrainConfig = TrainConfig()):
    """Float weights (784 x H, H x 10) trained from He initialisation."""
    rng = np.random.default_rng(cfg.seed)
    w1 = he_init(rng, x.shape[1], cfg.hidden)
    w2 = he_init(rng, cfg.hidden, 10)
    return _train(w1, w2, x, y, cfg, cfg.epochs, rng, cfg.lr)


def make_variant(w1: np.ndarray, w2: np.ndarray, x: np.ndarray, y: np.ndarray, variant: str,
                 cfg: TrainConfig = TrainConfig()) -> QuantisedNet:
    """The ``qt`` or ``qtpr`` network from float weights, fine-tuned on (x, y)."""
    if variant not in VARIANTS:
        raise ParameterError(f"variant {variant!r} is unknown; choose one of {', '.join(VARIANTS)}")
    rng = np.random.default_rng([cfg.seed, VARIANTS.index(variant) + 1])
    masks = (None, None)
    lr = cfg.lr * 0.3
    if variant == "qtpr":
        masks = tuple(np.abs(w) > np.quantile(np.abs(w), cfg.prune_fraction) for w in (w1, w2))
        w1, w2 = _train(w1 * masks[0], w2 * masks[1], x, y, cfg, cfg.finetune_epochs, rng, lr, masks)
    scales = (best_scale(w1, masks[0]), best_scale(w2, masks[1]))
    w1, w2 = _train(w1, w2, x, y, cfg, cfg.finetune_epochs, rng, lr * 0.5, masks, scales)
    l1, l2 = quantise(w1, scales[0]), quantise(w2, scales[1])
    if masks[0] is not None:
        l1, l2 = l1 * masks[0], l2 * masks[1]
    return QuantisedNet(l1, scales[0], l2, scales[1], variant, {"config": asdict(cfg)})
