"""The toolkit's exception hierarchy.

Every error names the offending value and what is allowed, so that the command-line tools can print
one line and exit non-zero. Exceptions pickle (they cross joblib process boundaries).
"""


class RRAMError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class ParameterError(RRAMError, ValueError):
    """A parameter is outside its physical or allowed range."""


class InputFileError(RRAMError, ValueError):
    """A user-supplied file (weights, data) is malformed."""


class NetlistError(RRAMError):
    """ngspice rejected a netlist."""


class SimulationError(RRAMError):
    """ngspice ran but the analysis failed (for example it did not converge)."""


class ConvergenceError(SimulationError):
    """The analysis stopped because ngspice could not converge."""


class SimulatorNotFoundError(RRAMError):
    """Neither the ngspice shared library nor the ngspice binary can be found."""
