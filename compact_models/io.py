"""Result writing that never leaves half-written files: write a temporary name, then rename."""
from __future__ import annotations

import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def _atomic(path: Path, suffix: str = ".tmp"):
    """Yield a new temporary file name beside ``path``; on success rename it to ``path``, on failure remove it.

    The file is created with mode 0o666, so the process's umask gives it the usual permissions.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextmanager
def staged_results(out: Path):
    """Yield a hidden folder in ``out`` to write a run's results into; they are moved into ``out`` only when
    every one is written, so a failure (a full disk) leaves none of them, not some."""
    import shutil

    out = Path(out)
    stage = out / f".incoming-{secrets.token_hex(4)}"
    stage.mkdir()
    try:
        yield stage
        for p in sorted(stage.iterdir()):
            target = out / p.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(p, target)
        stage.rmdir()
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    with _atomic(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)


def jsonable(obj):
    """``obj`` with numpy scalars and arrays turned into plain Python numbers and lists."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def atomic_write_json(path: Path, data) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(jsonable(data), indent=2, sort_keys=False) + "\n")


def atomic_write_csv(path: Path, frame) -> None:
    """Write a DataFrame as CSV, atomically."""
    atomic_write_text(path, frame.to_csv(index=False))


def atomic_save_figure(path: Path, fig) -> None:
    """Save a matplotlib figure as PNG, atomically."""
    with _atomic(path, ".png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")


def cache_dir(kind: str) -> Path:
    """``$RRAM_COSIM_CACHE/kind`` (default ``~/.cache/rram-cosim/kind``): results worth keeping between runs."""
    d = Path(os.environ.get("RRAM_COSIM_CACHE", Path.home() / ".cache" / "rram-cosim")) / kind
    d.mkdir(parents=True, exist_ok=True)
    return d


def new_figure(*subplots, **kw):
    """A matplotlib `Figure` and its axes, without pyplot: no backend is chosen or changed."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=kw.pop("figsize", (7, 4.5)), layout=kw.pop("layout", None))
    axes = fig.subplots(*subplots, **kw) if subplots else fig.subplots(**kw)
    return fig, axes
