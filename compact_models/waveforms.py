"""Piecewise-linear stimulus building: pulses, reads, and their PWL text.

A `Waveform` is a list of (time_s, volts) corners that start and end at 0 V between events,
with an explicit 0 V corner just before every rising edge (ngspice ramps from the previous corner
otherwise). Reads record the window in which the plateau holds, so the read current can be taken at
the simulator's own time points inside it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EDGE_S = 1e-6
"""Rise and fall time of rectangular pulses, s."""


@dataclass
class Waveform:
    """A PWL voltage waveform built pulse by pulse."""

    edge_s: float = EDGE_S
    times: list = field(default_factory=lambda: [0.0])
    values: list = field(default_factory=lambda: [0.0])
    marks: list = field(default_factory=list)

    @property
    def end_s(self) -> float:
        return self.times[-1]

    def _point(self, t: float, v: float):
        if t < self.times[-1] - 1e-15:
            raise ValueError("PWL corners must not go back in time")
        if abs(t - self.times[-1]) < 1e-15:
            self.values[-1] = v
        else:
            self.times.append(t)
            self.values.append(v)

    def wait(self, duration_s: float) -> "Waveform":
        """Hold 0 V for ``duration_s``."""
        self._point(self.end_s + duration_s, 0.0)
        return self

    def rect(self, amplitude_V: float, width_s: float, label: str = "pulse", gap_s: float | None = None) -> "Waveform":
        """A rectangular pulse of plateau ``width_s`` (edges of `edge_s` outside it), then a gap."""
        t0 = self.end_s
        e = self.edge_s
        self._point(t0 + e, amplitude_V)
        self._point(t0 + e + width_s, amplitude_V)
        self._point(t0 + 2 * e + width_s, 0.0)
        self.marks.append((label, t0 + e, t0 + e + width_s, amplitude_V))
        return self.wait(self.edge_s if gap_s is None else gap_s)

    def rect_then(self, amplitude_V: float, width_s: float, then_V: float, then_s: float,
                  label: str = "pulse", then_label: str = "read", gap_s: float | None = None) -> "Waveform":
        """A rectangular pulse followed directly by a plateau at ``then_V`` (e.g. a read), then 0 V.

        Six corners instead of the eight of two separate pulses: every corner is a breakpoint that
        costs the simulator a few time points.
        """
        t0 = self.end_s
        e = self.edge_s
        self._point(t0 + e, amplitude_V)
        self._point(t0 + e + width_s, amplitude_V)
        self._point(t0 + 2 * e + width_s, then_V)
        self._point(t0 + 2 * e + width_s + then_s, then_V)
        self._point(t0 + 3 * e + width_s + then_s, 0.0)
        self.marks.append((label, t0 + e, t0 + e + width_s, amplitude_V))
        self.marks.append((then_label, t0 + 2 * e + width_s, t0 + 2 * e + width_s + then_s, then_V))
        return self.wait(self.edge_s if gap_s is None else gap_s)

    def triangle(self, amplitude_V: float, width_s: float, label: str = "tri", gap_s: float | None = None) -> "Waveform":
        """A triangular pulse of base ``width_s`` peaking at ``amplitude_V`` in its middle."""
        t0 = self.end_s
        self._point(t0 + width_s / 2, amplitude_V)
        self._point(t0 + width_s, 0.0)
        self.marks.append((label, t0 + width_s / 2, t0 + width_s / 2, amplitude_V))
        return self.wait(self.edge_s if gap_s is None else gap_s)

    def between(self, t0_s: float, t1_s: float) -> "Waveform":
        """The part from ``t0_s`` to ``t1_s``, shifted to start at 0 s (corners at both ends)."""
        t = np.asarray(self.times)
        inside = (t > t0_s) & (t < t1_s)
        times = [0.0, *(t[inside] - t0_s), t1_s - t0_s]
        values = [float(np.interp(t0_s, t, self.values)), *np.asarray(self.values)[inside],
                  float(np.interp(t1_s, t, self.values))]
        return Waveform(self.edge_s, [float(x) for x in times], [float(v) for v in values])

    def windows(self, label: str) -> list:
        """(start_s, end_s, volts) of every event with ``label``, in order."""
        return [(a, b, v) for (lab, a, b, v) in self.marks if lab == label]

    def pwl(self) -> str:
        """The waveform as an ngspice ``PWL(...)`` specification, continued over lines."""
        return pwl_text(self.times, self.values)

    def write_text(self, path: Path) -> None:
        """Write the corners as a two-column text file (time_s volts) a SPICE user can read."""
        write_pwl_file(path, self.times, self.values)


def pwl_text(times, values, per_line: int = 8) -> str:
    """``PWL(t0 v0 t1 v1 ...)`` with continuation lines."""
    pairs = [f"{t:.12g} {v:.9g}" for t, v in zip(times, values)]
    chunks = [" ".join(pairs[i : i + per_line]) for i in range(0, len(pairs), per_line)]
    return "PWL(" + "\n+ ".join(chunks) + ")"


def write_pwl_file(path: Path, times, values) -> None:
    """Two-column PWL text (time in s, value in V), written atomically."""
    from compact_models.io import atomic_write_text

    body = "".join(f"{t:.12g} {v:.9g}\n" for t, v in zip(times, values))
    atomic_write_text(Path(path), "* time_s value_V\n" + body)


def sample_windows(time_s: np.ndarray, signal: np.ndarray, windows: list, settle_s: float = 0.0) -> np.ndarray:
    """The mean of ``signal`` at the simulator's own time points inside each (start, end, ...) window.

    Windows are plateaus, so all points inside carry the same value up to solver tolerance; taking
    the points rather than an interpolated grid keeps the simulator's values. ``settle_s`` leaves out
    the points of a window's first ``settle_s``, where the capacitors still charge from the edge.
    """
    out = np.empty(len(windows))
    for n, (a, b, *_rest) in enumerate(windows):
        a = min(a + settle_s, b)
        lo = np.searchsorted(time_s, a - 1e-12, side="left")
        hi = np.searchsorted(time_s, b + 1e-12, side="right")
        if hi <= lo:
            out[n] = np.interp(0.5 * (a + b), time_s, signal)
        else:
            out[n] = signal[lo:hi].mean()
    return out
