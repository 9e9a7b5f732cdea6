"""Device files: a device described by a human-readable TOML (or JSON) file, and read back.

A file names the compact model its device follows and gives every parameter of that model, each in
the section of what it describes and with its unit in its key::

    name = "my-rram"
    model = "ht-rram"        # exponential areas written by an amplitude ladder (paper 001)
    citation = "where the data come from"

    [areas]
    rs_prefactor_ohm = 5100000.0
    ...

The models are `MODELS`: ``ht-rram`` (`compact_models.ht_rram.HTRRAMParams`) and ``hfoxsy``
(`compact_models.hfoxsy.HfOxSyParams`, a field-activated area written by pulse trains, paper 000).
The built-in devices ship as such files in `BUILTIN_DIR`, written from the presets by
``python -m compact_models.device_files`` and checked against them by the tests. Every key is
required; a file that is not right gets one `ParameterError` line naming the file, the key, the
value and what is allowed, before anything is simulated.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from pathlib import Path

from compact_models.errors import ParameterError
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams

MODELS = {"ht-rram": HTRRAMParams, "hfoxsy": HfOxSyParams}
"""Compact model name -> its parameter class."""

SECTIONS = {
    "ht-rram": {
        "areas": ("rs_prefactor_ohm", "rs_v0_V", "rs_slope_V", "rs_table_V", "rs_table_ohm", "ri_prefactor_ohm", "ri_v0_V",
                  "ri_slope_V", "ri_table_V", "ri_table_ohm", "cs_F", "ci_F"),
        "contacts": ("rc_ohm",),
        "switches": ("n_switches", "vt_min_V", "vt_step_V", "vt_table_V", "vh_V", "reset_top_V", "reset_bunch_V",
                     "reset_table_V", "roff_ohm"),
        "read": ("read_V",),
        "write": ("reset_V",),
        "states": ("g_levels_nS", "level_switch_counts", "switch_reads_nS"),
        "errors": ("write_sigma_nS", "write_truncate_nS", "write_sigma_per_state_nS", "reset_sigma_nS",
                   "d2d_ron_sigma_rel", "d2d_vt_sigma_V"),
    },
    "hfoxsy": {
        "areas": ("g_min_uS", "g_programming_uS", "area_table_V", "area_table_uS", "ri_ohm", "cs_F", "ci_F"),
        "contacts": ("rc_ohm",),
        "switches": ("n_switches", "step_uS", "end_steps_uS", "switch_reads_uS", "roff_ohm"),
        "read": ("read_V", "read_width_s", "read_gap_s"),
        "write": ("v_start_V", "v_stop_V", "width_start_s", "width_stop_s"),
        "states": ("n_linear_states", "n_weight_states"),
        "errors": ("sigma_c2c_uS", "sigma_c2c_per_state_uS", "c2c_truncate_sigma", "d2d_ron_sigma_rel", "d2d_vt_sigma_V"),
    },
}
"""Per model, the file's sections and the parameters each holds (every field of the class but its name
and citation, which head the file)."""

MAY_BE_EMPTY = ("write_sigma_per_state_nS", "sigma_c2c_per_state_uS", "vt_table_V", "reset_table_V", "switch_reads_nS", "switch_reads_uS",
                "rs_table_V", "rs_table_ohm", "ri_table_V", "ri_table_ohm", "area_table_V", "area_table_uS")
"""List keys whose empty list means "not given": the write error's sigma is the same in every state, the
thresholds a ladder, the reset thresholds bunched, the switches' reads geometric steps between the states
(HfOxSy: the linear step and end steps), an area its exponential law."""

BUILTIN_DIR = Path(__file__).resolve().parent / "device_files"
"""Where the built-in devices' files are."""

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")

HEADER = """\
# rram-cosim device file: one memristor as the parallel-switch compact model `model`.
# Units are part of every key (_V, _ohm, _F, _s, _nS, _uS); every key is required.
# Use it with any command's --device PATH (python -m compact_models.device_files lists the keys).
"""


def load_device(path) -> object:
    """The device of the file at ``path`` (TOML, or JSON by its ``.json`` suffix)."""
    path = Path(path)
    where = f"device file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"{where} cannot be read ({exc.strerror}); give the path of a .toml or .json device file") from None
    return device_from_mapping(_parse(text, path.suffix.lower(), where), where)


def _parse(text: str, suffix: str, where: str) -> dict:
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParameterError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"{where} is not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{where} must hold a table of keys at its top level")
    return data


def device_from_mapping(data: dict, where: str = "device file") -> object:
    """The device a parsed file describes; `ParameterError` naming the key for anything wrong."""
    model = data.get("model")
    if model not in MODELS:
        raise ParameterError(f"{where}: model = {model!r} is not a compact model here; choose one of {', '.join(MODELS)}")
    name = data.get("name")
    check_name(name, f"{where}: name =")
    citation = data.get("citation", "")
    if not isinstance(citation, str):
        raise ParameterError(f"{where}: citation = {citation!r} must be a string")
    sections = SECTIONS[model]
    _refuse_unknown(data, ("name", "model", "citation", *sections), where, "top level")
    cls = MODELS[model]
    types = {f.name: f.type for f in dataclasses.fields(cls)}
    values = {}
    for section, keys in sections.items():
        table = data.get(section)
        if not isinstance(table, dict):
            raise ParameterError(f"{where}: section [{section}] is missing; it holds {', '.join(keys)}")
        _refuse_unknown(table, keys, where, f"[{section}]")
        for key in keys:
            if key not in table:
                raise ParameterError(f"{where}: [{section}] {key} is missing")
            values[key] = _value(table[key], types[key], f"{where}: [{section}] {key}", key in MAY_BE_EMPTY)
    try:
        device = cls(name=name, citation=citation, **values)
    except ParameterError as exc:
        raise ParameterError(f"{where}: {exc}") from None
    try:  # the switches must reach every state: their ON resistances are solved from the states
        device.switch_ron_ohm
    except ParameterError as exc:
        raise ParameterError(f"{where}: [states] cannot be reached by the switches: {exc}") from None
    return device


def check_name(name, what: str) -> None:
    """Refuse a device name that is not `NAME_PATTERN`, as ``what`` names it."""
    if not (isinstance(name, str) and NAME_PATTERN.match(name)):
        raise ParameterError(f"{what} {name!r} must be 1-40 lower-case letters, digits, '-', '_' or '.'")


def _refuse_unknown(table: dict, allowed, where: str, place: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}? (units are part of the key)" if close else f"; allowed: {', '.join(allowed)}"
            raise ParameterError(f"{where}: {place} has an unknown key {key!r}{hint}")


def _value(value, kind, what: str, may_be_empty: bool = False):
    """``value`` as the field's type: a number (int or float), a whole number, or a list of numbers."""
    kind = str(kind)
    if kind == "tuple":
        if not isinstance(value, list) or not (value or may_be_empty):
            raise ParameterError(f"{what} = {value!r} must be a {'' if may_be_empty else 'non-empty '}list of numbers")
        return tuple(_number(v, what) for v in value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{what} = {value!r} must be a whole number")
        return value
    return float(_number(value, what))


def _number(value, what: str):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{what} = {value!r} must be a finite number")
    return value


def device_file_text(device) -> str:
    """The TOML text of ``device``'s file: `HEADER`, then name, model, citation and the sections."""
    import tomli_w

    model = next((m for m, cls in MODELS.items() if type(device) is cls), None)
    if model is None:
        raise ParameterError(f"a {type(device).__name__} has no device-file model; choose one of {', '.join(MODELS)}")
    doc = {"name": device.name, "model": model, "citation": device.citation}
    for section, keys in SECTIONS[model].items():
        doc[section] = {k: list(v) if isinstance(v := getattr(device, k), tuple) else v for k in keys}
    return HEADER + tomli_w.dumps(doc)


def write_device_file(device, path) -> Path:
    """Write ``device``'s file at ``path`` (atomically)."""
    from compact_models.io import atomic_write_text

    path = Path(path)
    atomic_write_text(path, device_file_text(device))
    return path


def builtin_path(name: str) -> Path:
    """The file of built-in device ``name``."""
    return BUILTIN_DIR / f"{name}.toml"


def main(argv=None) -> int:
    """``python -m compact_models.device_files [--write-builtins]``: list the keys of each model, or
    write the built-in devices' files from the presets."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m compact_models.device_files", description=main.__doc__.splitlines()[0])
    parser.add_argument("--write-builtins", action="store_true", help=f"write {BUILTIN_DIR}/<name>.toml from the presets")
    args = parser.parse_args(argv)
    if args.write_builtins:
        for cls in MODELS.values():
            print(f"wrote {write_device_file(cls(), builtin_path(cls().name))}")
        return 0
    for model, sections in SECTIONS.items():
        print(f"model = {model!r}")
        for section, keys in sections.items():
            print(f"  [{section}] {', '.join(keys)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
