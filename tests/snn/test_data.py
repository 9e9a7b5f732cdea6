"""MNIST loading: the embedded sample, IDX files, and clear errors for bad ones."""
import gzip
import hashlib

import numpy as np
import pytest

from compact_models.errors import InputFileError, ParameterError
from snn.data import images_per_class, load_mnist, read_idx

MD5 = {"t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
       "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}


def test_embedded_sample_splits_without_overlap(monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    d = load_mnist()
    assert d.train_x.shape == (4000, 784) and d.test_x.shape == (1000, 784)
    assert np.bincount(d.test_y).tolist() == [100] * 10
    assert 0.0 <= d.train_x.min() and d.train_x.max() <= 1.0
    train = {row.tobytes() for row in d.train_x}
    assert not any(row.tobytes() in train for row in d.test_x)


@pytest.mark.slow
def test_official_test_set_from_shared(mnist_dir, monkeypatch):
    if mnist_dir is None:
        pytest.skip("../shared/data/mnist is not here")
    for name, md5 in MD5.items():
        assert hashlib.md5((mnist_dir / name).read_bytes()).hexdigest() == md5
    d = load_mnist(mnist_dir)
    assert d.test_x.shape == (10000, 784) and d.train_x.shape == (4000, 784)
    assert np.bincount(d.test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    assert load_mnist().test_source == d.test_source
    monkeypatch.delenv("MNIST_DIR")
    # Same training digits with or without the test set: one network for every run.
    assert np.array_equal(load_mnist().train_x, d.train_x)


def _idx(dims, payload):
    head = bytes([0, 0, 8, len(dims)]) + b"".join(int(n).to_bytes(4, "big") for n in dims)
    return head + payload


def test_idx_files_gzipped_or_not(tmp_path):
    imgs = (np.arange(3 * 28 * 28) % 256).astype(np.uint8).reshape(3, 28, 28)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_idx((3, 28, 28), imgs.tobytes()))
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(_idx((3,), bytes([7, 1, 9])))
    d = load_mnist(tmp_path)
    assert d.test_y.tolist() == [7, 1, 9]
    np.testing.assert_allclose(d.test_x[1], imgs[1].ravel() / 255.0, rtol=1e-6)


def test_truncated_and_corrupt_idx_files_are_clear_errors(tmp_path):
    trunc = tmp_path / "t10k-images-idx3-ubyte"
    trunc.write_bytes(_idx((3, 28, 28), bytes(100)))
    with pytest.raises(InputFileError, match=r"t10k-images-idx3-ubyte: truncated: the header declares \[3, 28, 28\]"):
        read_idx(trunc)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x12\x34\x56\x78rest")
    with pytest.raises(InputFileError, match=r"bad: not an IDX file .*bad magic number"):
        read_idx(bad)
    broken_gz = tmp_path / "x.gz"
    broken_gz.write_bytes(gzip.compress(_idx((2,), bytes([1, 2])))[:-12])
    with pytest.raises(InputFileError, match=r"x.gz: cannot be read as gzip"):
        read_idx(broken_gz)


def test_missing_or_empty_mnist_dir(tmp_path):
    with pytest.raises(ParameterError, match=r"--mnist-dir .*nowhere is not a folder"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(InputFileError, match=r"no MNIST IDX files found"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_idx((1, 28, 28), bytes(784)))
    with pytest.raises(InputFileError, match=r"t10k-labels-idx1-ubyte\[.gz\] is missing"):
        load_mnist(tmp_path)


def test_images_per_class_is_seeded_and_balanced():
    y = np.repeat(np.arange(10), 30)
    a = images_per_class(y, 3, seed=4)
    assert np.bincount(y[a]).tolist() == [3] * 10
    np.testing.assert_array_equal(a, images_per_class(y, 3, seed=4))
    with pytest.raises(ParameterError, match="only 30 test images of class 0"):
        images_per_class(y, 31, seed=0)
