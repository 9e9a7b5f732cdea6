"""Result writing that never leaves half-written files: write a temporary name, then rename."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def _atomic(path: Path, suffix: str = ".tmp"):
    """Yield a temporary file name beside ``path``; on success give it the usual permissions (mkstemp
    makes it private) and rename it to ``path``, on failure remove it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    with _atomic(path) as tmp, open(tmp, "w") as fh:
        fh.write(text)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def atomic_write_json(path: Path, data) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(_jsonable(data), indent=2, sort_keys=False) + "\n")


def atomic_write_csv(path: Path, frame) -> None:
    """Write a DataFrame as CSV, atomically."""
    atomic_write_text(path, frame.to_csv(index=False))


def atomic_save_figure(path: Path, fig) -> None:
    """Save a matplotlib figure as PNG, atomically."""
    with _atomic(path, ".png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")


def cache_dir(kind: str) -> Path:
    """``$RRAM_COSIM_CACHE/kind`` (default ``~/.cache/rram-cosim/kind``): results worth keeping between runs."""
    d = Path(os.environ.get("RRAM_COSIM_CACHE", Path.home() / ".cache" / "rram-cosim")) / kind
    d.mkdir(parents=True, exist_ok=True)
    return d


def atomic_pickle(path: Path, obj) -> None:
    """Pickle ``obj`` to ``path`` atomically."""
    import pickle

    with _atomic(path) as tmp, open(tmp, "wb") as fh:
        pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickle(path: Path):
    """What `atomic_pickle` wrote to ``path``."""
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)
