"""Training, quantisation, pruning and the SNN conversion."""
import numpy as np
import pytest

from arrays.mapping import load_levels, save_levels
from snn import models
from snn.data import load_mnist
from snn.network import TrainConfig, best_scale, make_variant, quantise, train_float
from snn.spiking import encode


def test_rate_coding_follows_pixel_value():
    s = encode(np.array([[0.0, 0.2, 0.5, 1.0]]), steps=25)
    assert s.shape == (1, 25, 4)
    assert s[0].sum(axis=0).tolist() == [0, 5, 12, 25]
    np.testing.assert_array_equal(s, encode(np.array([[0.0, 0.2, 0.5, 1.0]]), steps=25))


def test_quantisation_levels_are_3_bit():
    w = np.random.default_rng(0).normal(size=(50, 20))
    s = best_scale(w)
    q = quantise(w, s)
    assert q.min() >= -7 and q.max() <= 7 and len(np.unique(q)) == 15
    assert np.sqrt(np.mean((q * s - w) ** 2)) < 0.25 * w.std()


def test_same_seed_same_network():
    d = load_mnist()
    cfg = TrainConfig(epochs=2, finetune_epochs=1)
    a = make_variant(*train_float(d.train_x[:600], d.train_y[:600], cfg), d.train_x[:600], d.train_y[:600], "qtpr", cfg)
    b = make_variant(*train_float(d.train_x[:600], d.train_y[:600], cfg), d.train_x[:600], d.train_y[:600], "qtpr", cfg)
    np.testing.assert_array_equal(a.levels1, b.levels1)
    np.testing.assert_array_equal(a.levels2, b.levels2)
    assert np.mean(a.levels1 == 0) >= 0.40 and np.mean(a.levels2 == 0) >= 0.40


@pytest.mark.slow
def test_trained_variants_meet_ann_targets_and_are_cached(mnist_dir, tmp_path, monkeypatch):
    if mnist_dir is None:
        pytest.skip("needs the official test set in ../shared/data/mnist")
    monkeypatch.setenv("RRAM_COSIM_CACHE", str(tmp_path))
    data = load_mnist(mnist_dir)
    nets = models.trained_variants(data)
    # Paper 001 keeps every variant >= 90 %; the issue: QT >= 0.92, QT & PR >= 0.90 on all 10 000 images.
    assert nets["qt"].accuracy(data.test_x, data.test_y) >= 0.92
    assert nets["qtpr"].accuracy(data.test_x, data.test_y) >= 0.90
    assert nets["qt"].meta["variant"] == "qt" and nets["qt"].meta["seed"] == 0
    assert nets["qtpr"].meta["test_data"].endswith("t10k-images-idx3-ubyte.gz")
    monkeypatch.setattr(models, "train_float", lambda *a, **k: pytest.fail("retrained despite the cache"))
    again = models.trained_variants(data)
    np.testing.assert_array_equal(again["qt"].levels2, nets["qt"].levels2)
    save_levels(tmp_path / "l2.csv", nets["qtpr"].levels2)
    np.testing.assert_array_equal(load_levels(tmp_path / "l2.csv"), nets["qtpr"].levels2)
