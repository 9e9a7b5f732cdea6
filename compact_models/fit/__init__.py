"""Fit a device file to measured pulse data: ``python -m compact_models.fit --pulses FILE.csv --out DIR``.

The input is what a device lab has after an ISPP or a pulse-train run, one row per pulse (`PULSE_COLUMNS`:
``cycle``, ``pulse``, ``amplitude_V``, ``width_s``, ``read_V`` and ``read_current_A`` or
``conductance_S``; ``phase`` optional, else the amplitude's sign). From it the fit places the switches
of the parallel-switch model and its states:

* ``ht-rram`` (one width, amplitudes stepped; paper 001's ISPP): every set pulse after which the read
  rises closes one more switch, its threshold the middle of that pulse's amplitude step; a line through
  the thresholds gives the first threshold and the spacing (each switch its own, ``vt_table_V``, where
  the line misses one by more than half the amplitude step), the count of rises the number of switches.
  The reset pulses place the reset thresholds (first and last fall). The states are the reads after
  the switch counts closest to an even spread of ``states`` conductances from the first to the last.
* ``hfoxsy`` (pulse trains of growing amplitude and width; paper 000): the train's amplitudes and
  widths are the write scheme, the reads after each pulse the state curve (Gmin, the end steps and the
  linear step), their spread over the cycles the cycle-to-cycle sigma.

With a DC I-V sweep (``--iv``: ``V``, ``I_A`` in sweep order; `compact_models.fit.laws`) the area laws
are fitted as well: every point's current is the cell's DC current with its switches where the sweep's
history has put them (their hysteresis, from reset), and least squares on the currents relative to their
size moves the laws' prefactors and slopes (HT-RRAM) or the field-activated conduction (HfOxSy). What the
data do not determine (the laws without an I-V, capacitances, contacts, the OFF leakage, the set
hysteresis split; HT-RRAM's write error without program-and-verify outcomes, ``--verify``) is taken
from a base device (``--base``, the model's built-in by default) and listed as assumed. The fitted
device is then run through the same protocol in ngspice, and `FitResult.report` holds the agreement
(RMSE and R^2 of the reads per phase, per state) with what was fitted and assumed. A ``device`` column
holds several devices (cycles numbered within each); with three or more devices their
device-to-device spread is fitted too (`compact_models.fit.spread`), and verify outcomes
give a write error per state where the states' spreads differ (`write_errors`).
"""
from compact_models.fit.laws import LAW_KEYS, fit_laws, iv_currents_A
from compact_models.fit.model import FitResult, agreement, fit_device, state_errors, write_errors
from compact_models.fit.plots import plot_fit
from compact_models.fit.tables import (
                                       IV_COLUMNS,
                                       PULSE_COLUMNS,
                                       VERIFY_COLUMNS,
                                       check_iv,
                                       check_pulses,
                                       check_verify,
                                       pulse_table,
                                       read_iv,
                                       read_pulses,
                                       read_verify,
)

__all__ = ["FitResult", "IV_COLUMNS", "LAW_KEYS", "PULSE_COLUMNS", "VERIFY_COLUMNS", "agreement", "check_iv", "check_pulses",
           "check_verify", "fit_device", "fit_laws", "iv_currents_A", "plot_fit", "pulse_table", "read_iv", "read_pulses",
           "read_verify", "state_errors", "write_errors"]
