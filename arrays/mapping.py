"""Weight mapping of the 24 x 10 second layer onto differential pairs (paper 001, Fig. 6c).

Wordline i carries hidden neuron i; output class c uses bitline c (positive column) and bitline
10 + c (negative column). A weight level k in -7..7 is a pair of states:

* ``zero_state="hrs"`` (the main job's default, `arrays.transfer.TransferSpec`): the partner of a
  non-zero weight and both cells of a zero stay in the reset HRS (about 1.6 nS, "near 0 nS regardless
  of the weight level" in paper 001's Fig. 8); k > 0 is G(k) - HRS. Only the cells of non-zero weights
  are written, and the array draws about half the power of ``g1``, at the price of a 1.6 nS offset
  per weight.
* ``zero_state="g1"`` (SPEC 2, the default of `target_states`): k > 0 is G(k+1) - G1, k < 0 is
  G1 - G(|k|+1), 0 is G1 - G1; so +5 is G6 - G1 = 60 nS - 10 nS (paper 001, section 4.2) and the
  differential weight is exactly 10 k nS.

State codes in the target map: 0 = reset (HRS, not written), 1..8 = G1..G8.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from compact_models.errors import InputFileError, ParameterError

N_HIDDEN = 24
N_CLASSES = 10
MAX_LEVEL = 7
ZERO_STATES = ("g1", "hrs")


def load_levels(path: Path, shape: tuple = (N_HIDDEN, N_CLASSES)) -> np.ndarray:
    """Read a CSV of integer weight levels (rows = hidden neurons, columns = classes).

    Lines starting with ``#`` are comments; a first line of non-numeric column names is allowed.
    Errors name the file, the row and the value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"weight file {path} does not exist; give a CSV of {shape[0]} rows x {shape[1]} integer levels in -7..7")
    try:
        rows = _level_rows(path, shape)
    except UnicodeDecodeError:
        raise InputFileError(f"{path} is not a text CSV (not UTF-8); give a CSV of {shape[0]} rows x {shape[1]} "
                             "integer levels in -7..7") from None
    except csv.Error as exc:
        raise InputFileError(f"{path} is not a readable CSV ({exc}); give {shape[0]} rows x {shape[1]} integer levels") from None
    if len(rows) != shape[0]:
        raise InputFileError(f"{path}: {len(rows)} rows of levels; expected {shape[0]} (one per hidden neuron)")
    return np.array(rows, dtype=int)


def _level_rows(path: Path, shape: tuple) -> list:
    rows = []
    seen_line = False
    with path.open(newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh), 1):
            if not row or row[0].lstrip().startswith("#") or all(not c.strip() for c in row):
                continue
            if not seen_line and not any(_is_number(c) for c in row):
                seen_line = True  # a header of column names
                continue
            seen_line = True
            values = []
            for col, cell in enumerate(row, 1):
                text = cell.strip()
                if not _is_number(text):
                    raise InputFileError(f"{path}: row {lineno}, column {col}: {text!r} is not a number; levels are integers in -7..7")
                value = float(text)
                if not value.is_integer():
                    raise InputFileError(f"{path}: row {lineno}, column {col}: {text!r} is not a whole number; levels are integers in -7..7")
                if abs(value) > MAX_LEVEL:
                    raise InputFileError(f"{path}: row {lineno}, column {col}: level {int(value)} is outside -7..7")
                values.append(int(value))
            if len(values) != shape[1]:
                raise InputFileError(f"{path}: row {lineno} has {len(values)} values; expected {shape[1]} (one per class)")
            rows.append(values)
    return rows


def _is_number(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False


def save_levels(path: Path, levels: np.ndarray) -> None:
    """Write a level map as CSV (no header), atomically."""
    from compact_models.io import atomic_write_text

    atomic_write_text(Path(path), "".join(",".join(str(int(v)) for v in row) + "\n" for row in levels))


def random_levels(seed: int, shape: tuple = (N_HIDDEN, N_CLASSES)) -> np.ndarray:
    """A seeded random level map, uniform over -7..7."""
    return np.random.default_rng(seed).integers(-MAX_LEVEL, MAX_LEVEL + 1, size=shape)


def target_states(levels: np.ndarray, array_shape: tuple = (24, 24), zero_state: str = "g1") -> np.ndarray:
    """The state code (0 = reset, 1..8 = G1..G8) of every array cell for a level map.

    Positive columns on bitlines 0..C-1, negative on C..2C-1; further bitlines stay reset.
    """
    if zero_state not in ZERO_STATES:
        raise ParameterError(f"zero_state={zero_state!r} must be one of {', '.join(ZERO_STATES)}")
    raw = np.asarray(levels)
    if raw.ndim != 2 or not np.issubdtype(raw.dtype, np.number) or not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
        raise ParameterError("levels must be a 2-D map of whole numbers in -7..7 (no fractions, NaN or text)")
    levels = raw.astype(int)
    n_in, n_out = levels.shape
    if n_in > array_shape[0] or 2 * n_out > array_shape[1]:
        raise ParameterError(f"a {n_in}x{n_out} layer needs at least {n_in}x{2 * n_out} cells; the array is {array_shape}")
    if np.abs(levels).max(initial=0) > MAX_LEVEL:
        raise ParameterError(f"levels must lie in -7..7, got {levels.min()}..{levels.max()}")
    states = np.zeros(array_shape, dtype=int)
    pos = np.where(levels > 0, levels, 0)
    neg = np.where(levels < 0, -levels, 0)
    if zero_state == "g1":
        states[:n_in, :n_out] = pos + 1
        states[:n_in, n_out : 2 * n_out] = neg + 1
    else:
        states[:n_in, :n_out] = pos
        states[:n_in, n_out : 2 * n_out] = neg
    return states


def weights_from_conductance(g_nS: np.ndarray, n_out: int = N_CLASSES, n_in: int = N_HIDDEN) -> np.ndarray:
    """Differential weights G+ - G- (nS) of the layer from an array conductance map (nS)."""
    return g_nS[:n_in, :n_out] - g_nS[:n_in, n_out : 2 * n_out]


def level_of_cells(levels: np.ndarray, array_shape: tuple = (24, 24)) -> np.ndarray:
    """The signed weight level each array cell belongs to (0 for unused cells), for plots."""
    n_in, n_out = levels.shape
    out = np.zeros(array_shape, dtype=int)
    out[:n_in, :n_out] = levels
    out[:n_in, n_out : 2 * n_out] = levels
    return out


def counted_devices(xbar, levels: np.ndarray) -> np.ndarray:
    """The devices of the layer: every wordline's 2 x n_classes connected devices (paper 001: 20)."""
    mask = np.zeros(xbar.shape, dtype=bool)
    rows, n_out = levels.shape
    mask[:rows, : 2 * n_out] = True
    return mask
