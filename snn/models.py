"""Trained networks with their metadata, cached so that repeated runs do not retrain.

The cache key is a content address (`compact_models.store`) of the training configuration and the
training data's identity (a hash of the labels and pixels); the cache folder is ``$RRAM_COSIM_CACHE``
or ``~/.cache/rram-cosim``. Each variant is a store record: its levels and scales with its metadata
(variant, seed, data, accuracies).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from compact_models.store import cache_record, content_key, read_record, write_record
from snn.data import MNIST
from snn.network import QuantisedNet, TrainConfig, make_variant, train_float

logger = logging.getLogger(__name__)


def data_fingerprint(x: np.ndarray, y: np.ndarray) -> str:
    """A hash of the labels and the pixels (at 8 bits): the training data's identity."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(y).tobytes())
    h.update(np.ascontiguousarray((x * 255).round().astype(np.uint8)).tobytes())
    return h.hexdigest()[:16]


def save_net(stem: Path, net: QuantisedNet) -> None:
    """Store ``net`` as a record at ``stem`` (``stem.npz`` and ``stem.json``)."""
    write_record(stem, {"levels1": net.levels1, "scale1": float(net.scale1), "levels2": net.levels2,
                        "scale2": float(net.scale2), "variant": net.variant, "meta": net.meta})


def load_net(stem: Path) -> QuantisedNet | None:
    """The network `save_net` stored at ``stem``, or None."""
    r = read_record(stem)
    if r is None:
        return None
    return QuantisedNet(r["levels1"], r["scale1"], r["levels2"], r["scale2"], r["variant"], {"variant": r["variant"], **r["meta"]})


def trained_variants(data: MNIST, cfg: TrainConfig = TrainConfig(), variants=("qt", "qtpr"), progress=None) -> dict:
    """The quantised variants trained on ``data.train_*``, from the cache when there."""
    key = content_key("network", cfg, data_fingerprint(data.train_x, data.train_y))
    stems = {v: cache_record("networks", f"{key}-{v}") for v in variants}
    out = {v: load_net(stems[v]) for v in variants}
    missing = [v for v in variants if out[v] is None]
    if missing:
        if progress:
            progress(f"training the 784x24x10 network on {data.train_source} ({len(data.train_y)} digits)")
        w1, w2 = train_float(data.train_x, data.train_y, cfg)
        float_acc = float(np.mean((np.maximum(data.test_x @ w1, 0) @ w2).argmax(1) == data.test_y))
        for v in missing:
            if progress:
                progress(f"variant {v}: quantising{' and pruning' if v == 'qtpr' else ''}, fine-tuning")
            net = make_variant(w1, w2, data.train_x, data.train_y, v, cfg)
            net.meta.update({
                "seed": cfg.seed,
                "train_data": data.train_source,
                "train_fingerprint": data_fingerprint(data.train_x, data.train_y),
                "test_data": data.test_source,
                "float_test_accuracy": float_acc,
                "test_accuracy": net.accuracy(data.test_x, data.test_y),
                "n_test": int(len(data.test_y)),
                "zero_fraction_layer1": float(np.mean(net.levels1 == 0)),
                "zero_fraction_layer2": float(np.mean(net.levels2 == 0)),
            })
            save_net(stems[v], net)
            out[v] = load_net(stems[v])
    logger.info("networks %s from %s", ", ".join(variants), stems[variants[0]].parent)
    return out
