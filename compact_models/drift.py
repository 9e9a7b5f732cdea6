"""Conductance drift after programming: a power law with a per-device exponent.

G(t) = G(t0) (t / t0)^-nu for t >= t0, the form of the drift models of the behavioural simulators
paper 000 uses (aihwkit's PCM and ReRAM models), with t0 the first read after programming. Every
device draws its own nu from a Gaussian of mean `nu_mean` and spread `nu_std_rel` * `nu_mean`,
clipped at 0 (no device grows), so a global rescaling (drift compensation) corrects the mean loss
but not the spread.

Two presets span paper 000's section 3:

* ``measured``: the HfOxSy/HfS2 devices' own retention, under 3 % over the studied span; the mean
  exponent loses 3 % of the conductance from t0 = 1 s to one year.
* ``worst``: the ReRAMWan2022 model's HfO2 arrays, about 30 % over the same span, which paper 000
  takes as its worst-case baseline.

The spread of nu is our choice (paper 000 gives the loss, not its distribution): half the mean.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from compact_models.errors import ParameterError

YEAR_S = 3.15e7
"""The studied span of paper 000's drift figures, s (one year)."""


@dataclass(frozen=True, kw_only=True)
class DriftModel:
    """Power-law conductance drift with a per-device exponent."""

    nu_mean: float = 0.0
    """Mean drift exponent (0: no drift)."""
    nu_std_rel: float = 0.5
    """Device-to-device spread of the exponent, relative to its mean."""
    t0_s: float = 1.0
    """Time of the first read after programming, s: the conductances are as programmed then."""

    def __post_init__(self):
        if not (math.isfinite(self.nu_mean) and 0 <= self.nu_mean < 1):
            raise ParameterError(f"drift nu_mean={self.nu_mean!r} must be within 0..1")
        if not (math.isfinite(self.nu_std_rel) and 0 <= self.nu_std_rel <= 5):
            raise ParameterError(f"drift nu_std_rel={self.nu_std_rel!r} must be within 0..5")
        if not (math.isfinite(self.t0_s) and self.t0_s > 0):
            raise ParameterError(f"drift t0_s={self.t0_s!r} must be > 0 s")

    @classmethod
    def losing(cls, fraction: float, over_s: float = YEAR_S, **kw) -> "DriftModel":
        """The model whose mean exponent loses ``fraction`` of the conductance from t0 to ``over_s``."""
        t0 = kw.get("t0_s", 1.0)
        if not 0 <= fraction < 1 or over_s <= t0:
            raise ParameterError(f"a drift loss of {fraction!r} over {over_s!r} s must be within 0..1, after t0")
        return cls(nu_mean=-math.log1p(-fraction) / math.log(over_s / t0), **kw)

    def draw_nu(self, rng: np.random.Generator, size) -> np.ndarray:
        """Each device's exponent (>= 0)."""
        if self.nu_mean == 0:
            return np.zeros(size)
        return np.maximum(rng.normal(self.nu_mean, self.nu_std_rel * self.nu_mean, size), 0.0)

    def factor(self, nu: np.ndarray, t_s: float) -> np.ndarray:
        """G(t) / G(t0) of devices with exponents ``nu`` at time ``t_s`` (1 before t0)."""
        if not (math.isfinite(t_s) and t_s > 0):
            raise ParameterError(f"drift time {t_s!r} must be > 0 s")
        return np.power(max(t_s, self.t0_s) / self.t0_s, -np.asarray(nu, dtype=float))

    def mean_loss(self, t_s: float) -> float:
        """The fraction of the conductance the mean exponent has lost at ``t_s``."""
        return float(1.0 - self.factor(self.nu_mean, t_s))


DRIFT_PRESETS = {
    "none": DriftModel(),
    "measured": DriftModel.losing(0.03),
    "worst": DriftModel.losing(0.30),
}
"""Named drift models (module docstring): no drift, the devices' measured < 3 %, the worst case ~30 %."""


def drift_model(name: str) -> DriftModel:
    """The preset ``name``; a one-line error naming the choices otherwise."""
    try:
        return DRIFT_PRESETS[name]
    except KeyError:
        raise ParameterError(f"--drift {name!r} is unknown; choose one of {', '.join(DRIFT_PRESETS)}") from None
