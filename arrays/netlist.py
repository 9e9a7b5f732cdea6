"""Crossbar netlists: M wordlines (rows, inputs) x N bitlines (columns, outputs) of device cells.

Wordline i is driven at its left end by source ``Vwl{i}`` through the contact/driver resistance,
then runs past the cells with one line-resistance segment between neighbouring cells. Bitline j
runs from row 0 down to row M-1 and leaves through the contact resistance into ``Vbl{j}``, which
holds it (0 V at reads and inference) and measures its current (``i(vbl{j})`` > 0 flows out of
the array). The cell at (i, j) sits between nodes ``w{i}_{j}`` and ``b{i}_{j}``. This module
imports no simulator: it returns deterministic text.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compact_models.base import SwitchCell
from compact_models.devices import DEVICE_HELP, resolve_device
from compact_models.errors import ParameterError

R_WIRE_OHM = 1.0
"""Line resistance per segment between neighbouring cells, ohm (our default for a ~um pitch)."""
R_CONTACT_OHM = 10.0
"""Contact and driver resistance at each line's end, ohm."""


@dataclass(frozen=True, kw_only=True)
class CrossbarParams:
    """Geometry and parasitics of a crossbar."""

    rows: int = 24
    """Wordlines (inputs); paper 001: 24."""
    cols: int = 24
    """Bitlines (outputs); paper 001: 24 (20 used by the 24 x 10 differential layer)."""
    r_wire_wl_ohm: float = R_WIRE_OHM
    """Wordline resistance per segment between neighbouring cells, ohm."""
    r_wire_bl_ohm: float = R_WIRE_OHM
    """Bitline resistance per segment between neighbouring cells, ohm."""
    r_contact_ohm: float = R_CONTACT_OHM
    """Contact and driver resistance at each line's end, ohm."""

    def __post_init__(self):
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or not 1 <= v <= 512:
                raise ParameterError(f"crossbar {name}={v!r} must be a whole number in 1..512")
        for name in ("r_wire_wl_ohm", "r_wire_bl_ohm", "r_contact_ohm"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1e6):
                raise ParameterError(f"crossbar {name}={v!r} must be within 0..1e6 ohm")

    @property
    def shape(self) -> tuple:
        return (self.rows, self.cols)


def _r(value: float) -> str:
    # A zero resistance becomes a tiny one: ngspice refuses 0 ohm and a short needs a branch.
    return f"{max(value, 1e-6):.9g}"


def crossbar_lines(xbar: CrossbarParams, ideal_rows=()) -> list:
    """The wires: contacts and line segments of every wordline (but the ``ideal_rows``) and bitline."""
    m, n = xbar.shape
    lines = ["* wordlines: driver/contact, then one segment between neighbouring cells"]
    for i in range(m):
        if i in ideal_rows:
            continue
        lines.append(f"Rwc{i} wl{i} w{i}_0 {_r(xbar.r_contact_ohm)}")
        for j in range(n - 1):
            lines.append(f"Rw{i}_{j} w{i}_{j} w{i}_{j + 1} {_r(xbar.r_wire_wl_ohm)}")
    lines.append("* bitlines: one segment between neighbouring cells, then contact to the sense source")
    for j in range(n):
        for i in range(m - 1):
            lines.append(f"Rb{i}_{j} b{i}_{j} b{i + 1}_{j} {_r(xbar.r_wire_bl_ohm)}")
        lines.append(f"Rbc{j} b{m - 1}_{j} bl{j} {_r(xbar.r_contact_ohm)}")
    return lines


def source_lines(xbar: CrossbarParams, wl: list, bl: list) -> list:
    """Voltage sources ``Vwl{i}`` and ``Vbl{j}``; each spec is ``'0'``, ``'DC 1'`` or a ``PWL(...)``."""
    if len(wl) != xbar.rows or len(bl) != xbar.cols:
        raise ParameterError(f"need {xbar.rows} wordline and {xbar.cols} bitline sources, got {len(wl)} and {len(bl)}")
    return [f"Vwl{i} wl{i} 0 {spec}" for i, spec in enumerate(wl)] + [f"Vbl{j} bl{j} 0 {spec}" for j, spec in enumerate(bl)]


def _sources(xbar: CrossbarParams, wl: list | None, bl: list, drivers: list | None) -> list:
    """The wordline sources (or the raw ``drivers`` lines in their place) and the bitline sources."""
    if drivers is None:
        return source_lines(xbar, wl, bl)
    return [*drivers, *(f"Vbl{j} bl{j} 0 {spec}" for j, spec in enumerate(bl))]


def selector_drivers(xbar: CrossbarParams, volts: float) -> list:
    """Wordline drivers for a read-out DC sweep: wordline i is at ``volts`` while V(sel) = i, else 0 V."""
    lines = ["Vsel sel 0 0", "Rsel sel 0 1"]
    lines += [f"Bwl{i} wl{i} 0 V=(abs(V(sel)-{i})<0.5) ? {volts:.9g} : 0" for i in range(xbar.rows)]
    return lines


def device_array_netlist(device, xbar: CrossbarParams, cells, wl: list | None, bl: list, title: str = "crossbar",
                         drivers: list | None = None, static: bool = False, live=None, linear_rows=(),
                         compiled: bool = False, ideal_rows=()) -> str:
    """A crossbar of ``device`` cells (``cells[i][j]`` a `SwitchCell`) with the given sources.

    ``wl`` and ``bl`` are source specs; ``drivers`` replaces the wordline sources with raw lines
    (e.g. `selector_drivers`). ``static`` freezes every switch bank into its conductance
    (`static_cell_lines`: reads and inference, where no switch can move). ``live`` (rows x cols of
    switch-index tuples, e.g. from `live_switch_map`) keeps only those switches of each cell as
    ``SW`` elements and freezes the rest; None keeps every switch. The cells of ``linear_rows`` get
    their zero-bias resistors (`arrays.nodal.quiet_rows` picks the wordlines where that is exact);
    those of ``ideal_rows`` (some of the ``linear_rows``) also hang straight from their wordline's
    source node ``wl{i}``, the wordline's contact and segments left out: without them the quiet rows
    no longer tie the bitlines into one mesh, and ngspice's LU of an inference deck has a fraction
    of the fill-in.
    ``compiled`` writes the areas as compiled Verilog-A devices (`compact_models.osdi`; the simulator
    loads the compiled file for a netlist that has them).
    The cells come before the wires: ngspice numbers nodes as they appear, and cell nodes first give
    its sparse LU about 10 % less fill-in (20 738 against 22 792 non-zeroes at 24 x 24).
    """
    linear_rows = set(int(i) for i in linear_rows)
    ideal_rows = set(int(i) for i in ideal_rows)
    if not ideal_rows <= linear_rows or (ideal_rows and not static):
        raise ParameterError("ideal rows must be linear rows of a static (read-regime) netlist")
    sources = _sources(xbar, wl, bl, drivers)
    lines = [f"* {title}: {xbar.rows}x{xbar.cols} {device.name} crossbar", *sources]
    models = []
    shared = False
    lines.append("* cells")
    for i in range(xbar.rows):
        for j in range(xbar.cols):
            cell = cells[i][j]
            keep = () if static else (None if live is None else live[i][j])
            te = f"wl{i}" if i in ideal_rows else f"w{i}_{j}"
            cl, cm = device.cell_lines(cell, f"c{i}_{j}", te, f"b{i}_{j}", live=keep, linear=i in linear_rows,
                                       compiled=compiled)
            lines += cl
            models += cm
            shared = shared or (not cell.is_custom and keep != ())
    lines += crossbar_lines(xbar, ideal_rows)
    if shared:
        lines += device.shared_model_lines()
    lines += models
    if compiled:
        lines += device.osdi_model_lines()
    return "\n".join(lines) + "\n"


REACH_MARGIN_V = 0.01
"""How far a cell's voltage may stray from its sources' difference (line drops, ringing), V: switches
this close to their threshold stay live."""


def live_switch_map(device, cells, v_lo, v_hi) -> list:
    """Per cell, the switches (`live_switches`) a stack voltage can move whose sources' difference stays
    within [v_lo[i, j], v_hi[i, j]], widened by `REACH_MARGIN_V`."""
    from compact_models.base import live_switches

    lo = np.asarray(v_lo, dtype=float) - REACH_MARGIN_V
    hi = np.asarray(v_hi, dtype=float) + REACH_MARGIN_V
    return [[live_switches(device, c, float(lo[i, j]), float(hi[i, j])) for j, c in enumerate(row)]
            for i, row in enumerate(cells)]


def resistive_array_netlist(xbar: CrossbarParams, g_S: np.ndarray, wl: list | None, bl: list,
                            drivers: list | None = None) -> str:
    """A crossbar of fixed conductances ``g_S`` (rows x cols): the reference for netlist checks and
    for linear tiles (`arrays.tiles`). ``drivers`` replaces the wordline sources as in `device_array_netlist`."""
    g_S = np.asarray(g_S, dtype=float)
    if g_S.shape != xbar.shape or np.any(g_S <= 0):
        raise ParameterError(f"conductance map must be {xbar.shape} and positive, got {g_S.shape}")
    sources = _sources(xbar, wl, bl, drivers)
    lines = [f"* resistive {xbar.rows}x{xbar.cols} crossbar", *sources, *crossbar_lines(xbar)]
    for i in range(xbar.rows):
        for j in range(xbar.cols):
            lines.append(f"Rg{i}_{j} w{i}_{j} b{i}_{j} {1.0 / g_S[i, j]:.12g}")
    return "\n".join(lines) + "\n"


def reset_cells(xbar: CrossbarParams) -> list:
    """Every cell in the reset state."""
    return [[SwitchCell() for _ in range(xbar.cols)] for _ in range(xbar.rows)]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m arrays.netlist",
                                     description="Write a plain crossbar netlist that runs in 'ngspice -b' without Python.")
    parser.add_argument("--device", default="ht-rram", help=DEVICE_HELP + " (default ht-rram)")
    parser.add_argument("--size", default="24x24", help="ROWSxCOLS (default 24x24)")
    parser.add_argument("--r-wire-ohm", type=float, default=R_WIRE_OHM, help="line resistance per segment, ohm")
    parser.add_argument("--r-contact-ohm", type=float, default=R_CONTACT_OHM, help="contact/driver resistance, ohm")
    parser.add_argument("--out", type=Path, default=Path("array.cir"), help="netlist file to write")
    return parser


def parse_size(text: str) -> tuple:
    try:
        rows, cols = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ParameterError(f"--size {text!r} is not ROWSxCOLS, e.g. 24x24") from None
    return rows, cols


def main(argv=None) -> int:
    from compact_models.cli import run_guarded

    args = build_parser().parse_args(argv)
    return run_guarded(lambda: _write_netlist(args))


def _write_netlist(args) -> int:
    from compact_models.cli import check_out_file
    from compact_models.io import atomic_write_text

    rows, cols = parse_size(args.size)
    xbar = CrossbarParams(rows=rows, cols=cols, r_wire_wl_ohm=args.r_wire_ohm, r_wire_bl_ohm=args.r_wire_ohm,
                          r_contact_ohm=args.r_contact_ohm)
    device = resolve_device(args.device)
    check_out_file(args.out)
    read = f"PWL(0 0 1u {device.read_V:g} 1m {device.read_V:g})"
    net = device_array_netlist(device, xbar, reset_cells(xbar), [read] * rows, ["0"] * cols)
    meas = "".join(f".meas tran ibl{j} avg i(vbl{j}) from=0.5m to=1m\n" for j in range(cols))
    deck = net + ".tran 10u 1m\n" + meas + ".end\n"
    try:
        atomic_write_text(args.out, deck)
    except OSError as exc:
        raise ParameterError(f"--out {args.out} cannot be written ({exc.strerror}); choose another file") from None
    print(f"wrote {args.out}: {rows}x{cols} {device.name} crossbar, all wordlines at the read voltage, 1 ms transient, "
          "bitline currents measured (.meas ibl<j>)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
