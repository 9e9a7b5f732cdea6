"""The measured tables the fit reads: pulses (one row per programming pulse) and DC I-V sweeps."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from compact_models.errors import InputFileError, ParameterError

PULSE_COLUMNS = ("cycle", "pulse", "amplitude_V", "width_s", "read_V")
"""Columns every pulse table needs, besides ``read_current_A`` or ``conductance_S``."""
SET_PHASES, RESET_PHASES = ("set", "potentiation"), ("reset", "depression")
VERIFY_COLUMNS = ("target", "final_conductance_S")
"""Columns of a program-and-verify table: the state aimed at (1..N) and the conductance read at the end."""
IV_COLUMNS = ("V", "I_A")
"""Columns of a DC I-V table, in sweep order (its history decides which switches are closed)."""


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path}: cannot be read as CSV ({exc})") from None


def _numeric(frame: pd.DataFrame, columns, where: str) -> pd.DataFrame:
    """A copy of ``frame`` with ``columns`` as finite numbers; the first value that is not one, named."""
    out = frame.copy()
    for col in columns:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
        if bad.size:
            raise InputFileError(f"{where}: column {col} has a non-numeric value {frame[col].iloc[bad[0]]!r} on data row {bad[0] + 1}")
        out[col] = values
    return out


def read_pulses(path) -> pd.DataFrame:
    """The pulse table of a CSV file, checked: one `InputFileError` line for anything wrong."""
    return check_pulses(_read_csv(Path(path)), str(path))


def check_pulses(frame: pd.DataFrame, where: str = "pulse table") -> pd.DataFrame:
    """``frame`` with ``conductance_S`` and ``phase``; `InputFileError` naming what is missing or wrong."""
    missing = [c for c in PULSE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{where}: missing column(s) {', '.join(missing)}; a pulse table has {', '.join(PULSE_COLUMNS)} "
                             "and read_current_A or conductance_S")
    reading = "conductance_S" if "conductance_S" in frame.columns else "read_current_A" if "read_current_A" in frame.columns else None
    if reading is None:
        raise InputFileError(f"{where}: needs a read_current_A or a conductance_S column")
    out = _numeric(frame, (*PULSE_COLUMNS, reading), where)
    if len(out) < 4:
        raise InputFileError(f"{where}: {len(out)} row(s); a fit needs the pulses of at least one set and one reset phase")
    if np.any(out.read_V == 0):
        raise InputFileError(f"{where}: read_V is 0 V on some rows; a read needs a voltage")
    if reading == "read_current_A":
        if np.any(np.sign(out.read_current_A) * np.sign(out.read_V) < 0):
            row = int(np.flatnonzero(np.sign(out.read_current_A) * np.sign(out.read_V) < 0)[0])
            raise InputFileError(f"{where}: read_current_A {float(out.read_current_A.iloc[row]):g} on data row {row + 1} has "
                                 f"the opposite sign of its read_V {float(out.read_V.iloc[row]):g}")
        out["conductance_S"] = out.read_current_A / out.read_V
    elif np.any(out.conductance_S <= 0):
        raise InputFileError(f"{where}: conductance_S must be > 0 on every row")
    if "phase" not in out.columns:
        out["phase"] = np.where(out.amplitude_V > 0, "set", "reset")
    phases = set(out.phase.astype(str))
    if not phases & set(SET_PHASES) or not phases & set(RESET_PHASES):
        raise InputFileError(f"{where}: phases {sorted(phases)}; the fit needs a set (or potentiation) and a reset "
                             "(or depression) phase")
    if "device" in out.columns:
        # cycles are numbered within each device: one cycle of the fit is one (device, cycle)
        out["device"] = out.device.astype(str)
        out["cycle"] = out.groupby(["device", "cycle"], sort=False).ngroup() + 1
    return out.sort_values(["cycle"], kind="stable").reset_index(drop=True)


def read_iv(path) -> pd.DataFrame:
    """The DC I-V table of a CSV file (`IV_COLUMNS`), checked."""
    return check_iv(_read_csv(Path(path)), str(path))


def check_iv(frame: pd.DataFrame, where: str = "I-V table") -> pd.DataFrame:
    """``frame``'s ``V`` and ``I_A`` as numbers; `InputFileError` naming what is missing or wrong."""
    missing = [c for c in IV_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{where}: missing column(s) {', '.join(missing)}; an I-V table has {', '.join(IV_COLUMNS)} in sweep order")
    out = frame[list(IV_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    bad = np.flatnonzero(~np.isfinite(out.to_numpy(dtype=float)).all(axis=1))
    if bad.size:
        raise InputFileError(f"{where}: a non-numeric value on data row {bad[0] + 1}")
    if len(out) < 10:
        raise InputFileError(f"{where}: {len(out)} point(s); a law fit needs at least 10")
    if np.any(np.sign(out.I_A) * np.sign(out.V) < 0):
        row = int(np.flatnonzero(np.sign(out.I_A) * np.sign(out.V) < 0)[0])
        raise InputFileError(f"{where}: I_A {float(out.I_A.iloc[row]):g} on data row {row + 1} has the opposite sign of its V "
                             f"{float(out.V.iloc[row]):g}: a passive cell conducts with the voltage")
    return out.reset_index(drop=True)


def pulse_table(result, device) -> pd.DataFrame:
    """The pulse table (`PULSE_COLUMNS`) of a protocol's result: what a lab would hand the fit."""
    reads = result.reads
    if result.protocol == "ispp":
        return pd.DataFrame({"cycle": reads.cycle, "phase": reads.phase, "pulse": reads.pulse, "amplitude_V": reads.amplitude_V,
                             "width_s": result.summary["pulse_width_s"], "read_V": device.read_V,
                             "read_current_A": reads.read_current_nA * 1e-9})
    if result.protocol == "pulse-train":
        return pd.DataFrame({"cycle": reads.cycle, "phase": reads.phase, "pulse": reads.pulse, "amplitude_V": reads.amplitude_V,
                             "width_s": reads.width_ns * 1e-9, "read_V": device.read_V, "conductance_S": reads.conductance_uS * 1e-6})
    raise ParameterError(f"protocol {result.protocol!r} has no pulse table; use ispp or pulse-train")


def read_verify(path) -> pd.DataFrame:
    """The program-and-verify table of a CSV file (`VERIFY_COLUMNS`; ``pulses`` optional), checked."""
    return check_verify(_read_csv(Path(path)), str(path))


def check_verify(frame: pd.DataFrame, where: str = "verify table") -> pd.DataFrame:
    """``frame``'s targets as whole state numbers and its conductances as positive numbers."""
    missing = [c for c in VERIFY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{where}: missing column(s) {', '.join(missing)}; a verify table has {', '.join(VERIFY_COLUMNS)} "
                             "(the state number aimed at, 1..N) and optionally pulses")
    out = _numeric(frame, VERIFY_COLUMNS, where)
    if np.any(out.target != np.round(out.target)) or np.any(out.target < 1):
        raise InputFileError(f"{where}: target must be a state number 1, 2, ... on every row")
    if np.any(out.final_conductance_S <= 0):
        raise InputFileError(f"{where}: final_conductance_S must be > 0 on every row")
    if out.groupby("target").size().min() < 2:
        raise InputFileError(f"{where}: every state needs at least 2 outcomes for a spread")
    return out.astype({"target": int})


def _phase(pulses, phases) -> pd.DataFrame:
    return pulses[pulses.phase.isin(phases)]


def _rises(g: np.ndarray, floor_S: float) -> np.ndarray:
    """Indices of the pulses after which the read rose by more than ``floor_S``."""
    return np.flatnonzero(np.diff(g) > floor_S) + 1


def _rise_floor(pulses: pd.DataFrame) -> tuple:
    """(reset read, read noise sigma, the smallest change that counts as a switch), S.

    The noise is the spread of the set phase's reads below its first amplitude at which any cycle reads
    2 % of the way up (the reset state, read again; the noise must be smaller than that); a change
    counts beyond 5 sigma of a difference of two reads, and never below 1e-3 of the range.
    """
    sets = _phase(pulses, SET_PHASES)
    hrs = float(_phase(pulses, RESET_PHASES).groupby("cycle").conductance_S.last().median())
    span = float(sets.conductance_S.max() - hrs)
    up = sets.amplitude_V[sets.conductance_S > hrs + 0.02 * span]
    flat = sets[sets.amplitude_V < up.min()] if len(up) else sets.iloc[:0]
    sigma = float(flat.groupby("cycle").conductance_S.std(ddof=1).mean()) if len(flat) >= 4 * max(flat.cycle.nunique(), 1) else 0.0
    return hrs, sigma, max(1e-3 * span, 5 * np.sqrt(2) * sigma)


def _step_middles(amp: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The middle of each pulse ``idx``'s amplitude step (from the pulse before; the first pulse's step
    is taken equal to the second's): where a threshold crossed by that pulse lies."""
    before = np.concatenate([[amp[0] - (amp[1] - amp[0])], amp[:-1]])
    return 0.5 * (before[idx] + amp[idx])
