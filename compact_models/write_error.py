"""The write errors of both device families, each a truncated Gaussian added at every write, with a sigma
per state where a device's measurements say it depends on the state: amplitude-ladder devices' program
and verify (paper 001, `ProgrammingError`) and pulse-train devices' cycle-to-cycle noise (paper 000,
`CycleToCycleError`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from compact_models.errors import ParameterError


def truncated_std(t: float) -> float:
    """The standard deviation of a Gaussian of sigma 1 truncated at +-``t``: what the spread of the draws is of
    their sigma."""
    from scipy.stats import truncnorm

    return float(truncnorm.std(-t, t))


def state_sigmas(per_state: tuple, states, size, what: str) -> np.ndarray:
    """The sigmas ``per_state`` (states 1..N) of cells in ``states``, shaped ``size`` (None: as ``states``)."""
    if states is None:
        raise ParameterError(f"this {what} depends on the state: draw_nS needs the cells' states")
    sigma = np.asarray(per_state, dtype=float)[np.asarray(states, dtype=int) - 1]
    return sigma if size is None else sigma.reshape(size)


@dataclass(frozen=True, kw_only=True)
class ProgrammingError:
    """Write error of paper 001: an independent Gaussian added to a cell's conductance at every write.

    Measured devices land within +-2 nS of target 94 % of the time and always within +-4 nS; the
    paper models this as sigma = 1.06 nS, truncated at +-4 nS. Set sigma_nS = 0 to switch it off.
    """

    sigma_nS: float = 1.06
    """Standard deviation of the write error, nS (paper 001, section 4.3)."""
    truncate_nS: float = 4.0
    """Errors are truncated to +-truncate_nS, nS (paper 001, Fig. 4b)."""
    per_state_nS: tuple = ()
    """Sigma of each state 1..N, nS, where it depends on the state; empty: sigma_nS in every state."""

    def __post_init__(self):
        if not (math.isfinite(self.sigma_nS) and 0 <= self.sigma_nS <= 20):
            raise ParameterError(f"programming error sigma_nS={self.sigma_nS!r} must be within 0..20 nS")
        if not all(math.isfinite(v) and 0 <= v <= 20 for v in self.per_state_nS):
            raise ParameterError(f"programming error per_state_nS={self.per_state_nS!r}: every sigma must be within 0..20 nS")
        if not (math.isfinite(self.truncate_nS) and self.truncate_nS > 0):
            raise ParameterError(f"programming error truncate_nS={self.truncate_nS!r} must be > 0 nS")

    def draw_nS(self, rng: np.random.Generator, size=None, states=None):
        """Write errors in nS (truncated Gaussian) of cells written to ``states`` (1..N, shape ``size``);
        zeros where sigma is 0. Without a per-state sigma the states do not matter."""
        from scipy.stats import truncnorm

        if self.per_state_nS:
            sigma = state_sigmas(self.per_state_nS, states, size, "write error")
            out = np.zeros(np.shape(sigma))
            live = sigma > 0
            t = self.truncate_nS / sigma[live]
            out[live] = sigma[live] * truncnorm.rvs(-t, t, size=int(live.sum()), random_state=rng)
            return out
        if self.sigma_nS == 0:
            return np.zeros(size) if size is not None else 0.0
        t = self.truncate_nS / self.sigma_nS
        return self.sigma_nS * truncnorm.rvs(-t, t, size=size, random_state=rng)


@dataclass(frozen=True, kw_only=True)
class CycleToCycleError:
    """The state a train leaves carries the last pulse's cycle-to-cycle deviation (paper 000, Fig. 2f)."""

    sigma_nS: float = 23.7e3
    """Standard deviation, nS (paper 000: 23.7 uS)."""
    truncate_sigma: float = 3.0
    """Deviations are truncated at this many sigma."""
    per_state_nS: tuple = ()
    """Sigma of each state 1..N, nS, where it depends on the state; empty: sigma_nS in every state."""

    def __post_init__(self):
        if not all(math.isfinite(v) and 0 <= v <= 1e6 for v in (self.sigma_nS, *self.per_state_nS)):
            raise ParameterError(f"cycle-to-cycle sigma_nS={self.sigma_nS!r}, per_state_nS={self.per_state_nS!r}: "
                                 "every sigma must be within 0..1e6 nS")

    def draw_nS(self, rng: np.random.Generator, size=None, states=None):
        """Deviations in nS of cells written to ``states`` (1..N, shape ``size``); zeros when sigma is 0.
        Without a per-state sigma the states do not matter."""
        from scipy.stats import truncnorm

        t = self.truncate_sigma
        if self.per_state_nS:
            sigma = state_sigmas(self.per_state_nS, states, size, "cycle-to-cycle error")
            return sigma * truncnorm.rvs(-t, t, size=sigma.shape, random_state=rng)
        if self.sigma_nS == 0:
            return np.zeros(size) if size is not None else 0.0
        return self.sigma_nS * truncnorm.rvs(-t, t, size=size, random_state=rng)
