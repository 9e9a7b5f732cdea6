"""The one store of results worth keeping: caches and the resume state of runs, in JSON and ``.npz``.

A record is a JSON tree (``name.json``) whose numpy arrays and DataFrames live beside it in
``name.npz``; nothing is pickled. Cache entries are content-addressed: the key is a hash of the
canonical JSON of what decides the result (its spec's fields, the device's parameters, the inputs)
and of `SCHEMA_VERSION`, which is bumped whenever a stored result's meaning changes, so a changed
algorithm never serves an old result. A run folder's ``.state/`` holds the spec it was made with
(`RunState`); a resumed run with another spec is refused.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from compact_models.errors import ParameterError
from compact_models.io import atomic_write_text, jsonable

SCHEMA_VERSION = 6
"""Version of every stored result's meaning; part of every key and every record."""

_ARRAY, _FRAME = "$array", "$frame"


def canonical(obj) -> str:
    """Canonical JSON of ``obj`` (dataclasses as their fields, keys sorted): what keys are made of."""
    return json.dumps(jsonable(spec_fields(obj)), sort_keys=True, separators=(",", ":"), allow_nan=True)


def spec_fields(obj):
    """The fields of ``obj`` as a JSON-able tree (a dataclass becomes its type name and fields)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {"type": type(obj).__name__, **{f.name: spec_fields(getattr(obj, f.name)) for f in dataclasses.fields(obj)}}
    if isinstance(obj, dict):
        return {str(k): spec_fields(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [spec_fields(v) for v in obj]
    return obj


def content_key(*parts) -> str:
    """A content address (hex) of ``parts`` and the schema version."""
    return hashlib.sha256(canonical([SCHEMA_VERSION, *parts]).encode()).hexdigest()[:24]


def _encode(obj, arrays: dict):
    if isinstance(obj, pd.DataFrame):
        cols = []
        for c in obj.columns:
            key = f"a{len(arrays)}"
            values = obj[c].to_numpy()
            arrays[key] = values.astype(str) if values.dtype == object else values
            cols.append([str(c), key])
        return {_FRAME: cols}
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj.astype(str) if obj.dtype == object else obj
        return {_ARRAY: key}
    if isinstance(obj, dict):
        return {str(k): _encode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v, arrays) for v in obj]
    return jsonable(obj)


def _decode(obj, arrays):
    if isinstance(obj, dict):
        if _ARRAY in obj:
            return arrays[obj[_ARRAY]]
        if _FRAME in obj:
            return pd.DataFrame({c: arrays[k] for c, k in obj[_FRAME]})
        return {k: _decode(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    return obj


def write_record(stem: Path, obj) -> None:
    """Store ``obj`` (dicts, lists, numbers, strings, arrays, DataFrames) as ``stem.npz`` and ``stem.json``.

    Both are written to temporary names and renamed, the JSON last: its presence means a whole record.
    """
    stem = Path(stem)
    arrays: dict = {}
    tree = {"schema": SCHEMA_VERSION, "data": _encode(obj, arrays)}
    npz = stem.with_name(stem.name + ".npz")
    tmp = stem.with_name(f".{stem.name}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, npz)
    finally:
        if tmp.exists():
            tmp.unlink()
    atomic_write_text(stem.with_name(stem.name + ".json"), json.dumps(tree) + "\n")


def read_record(stem: Path):
    """What `write_record` stored at ``stem``, or None when there is no whole record of this schema."""
    stem = Path(stem)
    meta = stem.with_name(stem.name + ".json")
    if not meta.exists():
        return None
    tree = json.loads(meta.read_text())
    if tree.get("schema") != SCHEMA_VERSION:
        return None
    with np.load(stem.with_name(stem.name + ".npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return _decode(tree["data"], arrays)


class RunState:
    """An output folder owned by one run: its spec in ``out/.state/spec.json``, and its finished steps.

    ``spec`` is a JSON-able description of everything that decides the run's results. A folder made
    by another kind of run or with another spec is refused with the differing fields named, unless
    ``overwrite``, which clears that run's folder first; a folder holding files of no run is never
    taken. The same spec again resumes (or rewrites the same files).
    """

    def __init__(self, out: Path | None, kind: str, spec: dict, overwrite: bool = False):
        self.dir = None if out is None else Path(out) / ".state"
        if self.dir is None:
            return
        out = Path(out)
        meta = json.loads(json.dumps(jsonable({"kind": kind, "schema": SCHEMA_VERSION, "spec": spec})))
        path = self.dir / "spec.json"
        if path.exists():
            old = json.loads(path.read_text())
            if old != meta:
                if not overwrite:
                    raise ParameterError(f"--out {out} holds a run with other settings ({_diff(old, meta)}); choose a new "
                                         "--out, repeat that run's settings to resume it, or add --overwrite to clear it")
                _clear(out)
        elif out.exists() and any(p.name != ".state" for p in out.iterdir()):
            raise ParameterError(f"--out {out} holds files of no rram-cosim run; choose a new or empty folder")
        self.dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            atomic_write_text(path, json.dumps(meta, indent=2) + "\n")

    def load(self, name: str):
        """The step ``name`` stored earlier, or None."""
        return None if self.dir is None else read_record(self.dir / name)

    def save(self, name: str, obj) -> None:
        """Keep step ``name`` (a record, `write_record`)."""
        if self.dir is not None:
            (self.dir / name).parent.mkdir(parents=True, exist_ok=True)
            write_record(self.dir / name, obj)


def _clear(out: Path) -> None:
    """Remove everything in the run folder ``out`` (it holds a run's spec: nothing else lives there)."""
    import shutil

    for p in out.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def _diff(old: dict, new: dict) -> str:
    if old.get("kind") != new.get("kind"):
        return f"a {old.get('kind')!r} run there, not a {new.get('kind')!r} run"
    if old.get("schema") != new.get("schema"):
        return f"an older version of the toolkit (schema {old.get('schema')!r})"
    a, b = _flat(old.get("spec", {})), _flat(new.get("spec", {}))
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return ", ".join(f"{k}: {a.get(k)!r} there, {b.get(k)!r} now" for k in keys[:6])


def _flat(tree, prefix: str = "") -> dict:
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: tree}


def cache_record(kind: str, key: str) -> Path:
    """The stem of cache entry ``key`` of ``kind`` in the cache folder (`compact_models.io.cache_dir`)."""
    from compact_models.io import cache_dir

    return cache_dir(kind) / key
