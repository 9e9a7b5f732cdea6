"""The device registry: names users type, device files, and the error for a device that is not there.

``--device`` of every command takes a built-in name (`DEVICES`) or the path of a device file
(`compact_models.device_files`); `resolve_device` turns either into the device. Adding a built-in
device is one line here and its file in ``compact_models/device_files/``.
"""
from __future__ import annotations

import functools
from pathlib import Path

from compact_models.errors import ParameterError
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams

DEVICES = {"ht-rram": HTRRAMParams, "hfoxsy": HfOxSyParams}
"""Registry name -> parameter class (a `compact_models.device.Device`)."""

DEVICE_HELP = f"device: a built-in ({', '.join(DEVICES)}) or the path of a device file (.toml or .json)"
"""The help text of every command's ``--device``."""


def device_params(name: str, **overrides):
    """The default parameter object of device ``name`` (a key of `DEVICES`), with overrides."""
    try:
        cls = DEVICES[name]
    except KeyError:
        raise ParameterError(f"device {name!r} is unknown; choose one of {', '.join(DEVICES)} or give a device file") from None
    try:
        return cls(**overrides)
    except TypeError as exc:
        raise ParameterError(f"bad parameter for device {name!r}: {exc}") from None


def is_device_file(text: str) -> bool:
    """Whether ``text`` names a device file rather than a built-in device (by its suffix)."""
    return str(text).lower().endswith((".toml", ".json"))


def resolve_device(text: str):
    """The device ``--device`` names: a built-in device, or the one a device file describes."""
    if not isinstance(text, str) or not text:
        raise ParameterError(f"device {text!r} must be a name ({', '.join(DEVICES)}) or a device file's path")
    if text in DEVICES:
        return device_params(text)
    if not is_device_file(text):
        raise ParameterError(f"device {text!r} is unknown; choose one of {', '.join(DEVICES)} or give a device file (.toml or .json)")
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise ParameterError(f"device file {text} does not exist")
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load(path: str, _mtime_ns: int, _size: int):
    """A device file's device, read again when the file changes (its time and size are part of the key)."""
    from compact_models.device_files import load_device

    return load_device(path)
