"""Trained networks with their metadata, cached so that repeated runs do not retrain.

The cache key is the training configuration and the training data's identity (source and a hash of
the labels and pixels); the cache folder is ``$RRAM_COSIM_CACHE`` or ``~/.cache/rram-cosim``. Each
variant is saved as ``.npz`` (levels and scales) with a ``.json`` of its metadata (variant, seed,
data, accuracies), and its second layer as the 24 x 10 level CSV that ``arrays.transfer`` reads.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from snn.data import MNIST
from snn.network import QuantisedNet, TrainConfig, make_variant, train_float

logger = logging.getLogger(__name__)


def cache_dir() -> Path:
    from compact_models.io import cache_dir as shared

    return shared("networks")


def data_fingerprint(x: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(y).tobytes())
    h.update(np.ascontiguousarray((x * 255).round().astype(np.uint8)).tobytes())
    return h.hexdigest()[:16]


def _key(cfg: TrainConfig, data: MNIST) -> str:
    text = json.dumps({"cfg": asdict(cfg), "train": data_fingerprint(data.train_x, data.train_y), "v": 1}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_net(path: Path, net: QuantisedNet) -> None:
    """Write ``path``.npz and ``path``.json atomically."""
    from compact_models.io import atomic_write_json

    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, levels1=net.levels1, scale1=net.scale1, levels2=net.levels2, scale2=net.scale2)
    os.replace(tmp, path.with_suffix(".npz"))
    atomic_write_json(path.with_suffix(".json"), {"variant": net.variant, **net.meta})


def load_net(path: Path) -> QuantisedNet:
    z = np.load(path.with_suffix(".npz"))
    meta = json.loads(path.with_suffix(".json").read_text())
    return QuantisedNet(z["levels1"], float(z["scale1"]), z["levels2"], float(z["scale2"]), meta["variant"], meta)


def trained_variants(data: MNIST, cfg: TrainConfig = TrainConfig(), variants=("qt", "qtpr"), progress=None) -> dict:
    """The quantised variants trained on ``data.train_*``, from the cache when there."""
    folder = cache_dir() / _key(cfg, data)
    out = {}
    missing = [v for v in variants if not folder.joinpath(v).with_suffix(".json").exists()]
    if missing:
        folder.mkdir(parents=True, exist_ok=True)
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
            save_net(folder / v, net)
    for v in variants:
        out[v] = load_net(folder / v)
        logger.info("network %s from %s", v, folder)
    return out
