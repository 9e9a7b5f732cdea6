"""The device registry: names users type, and the error for a name that is not there.

Every ``--device`` choice list is built from `DEVICES`; adding a device is one line here.
"""
from __future__ import annotations

from compact_models.errors import ParameterError
from compact_models.hfoxsy import HfOxSyParams
from compact_models.ht_rram import HTRRAMParams

DEVICES = {"ht-rram": HTRRAMParams, "hfoxsy": HfOxSyParams}
"""Registry name -> parameter class (a `compact_models.device.Device`)."""


def device_params(name: str, **overrides):
    """The default parameter object of device ``name`` (a key of `DEVICES`), with overrides."""
    try:
        cls = DEVICES[name]
    except KeyError:
        raise ParameterError(f"device {name!r} is unknown; choose one of {', '.join(DEVICES)}") from None
    try:
        return cls(**overrides)
    except TypeError as exc:
        raise ParameterError(f"bad parameter for device {name!r}: {exc}") from None
