"""Weight matrices on tiles of crossbar arrays: differential columns, partial sums per tile, IR drop.

A layer of ``n_in`` inputs and ``n_out`` outputs goes on a grid of ``rows x cols`` tiles: tile (r, c)
takes inputs r*rows .. and outputs c*cols/2 .., output k of a tile on the bitline pair (2k, 2k+1)
as G+ and G-. Unused cells of an edge tile stay in the reset state, unused wordlines at 0 V; both
still load the lines as in the hardware.

Each cell is linear at its read conductance: the inputs are read pulses at the device's read
voltage whose duration carries the input (the DAC sets it), so every cell conducts at the
voltage it is read at and the charge is G V_read t. A tile of linear cells is a linear circuit, so
its bitline currents are ``V @ M`` with M the tile's effective conductance matrix: the cells' own
conductances for ideal lines, else one sparse factorisation of the tile's nodal matrix
(`arrays.nodal.nodal_matrix`, the lines, contacts and cells) and one solve for the ``rows`` unit
inputs, after which every input vector costs a matrix product. `spice_bitline_currents_A` runs
the same tile in ngspice, the reference the tests and the studies check the solve against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg

from arrays.netlist import CrossbarParams, resistive_array_netlist
from arrays.nodal import _resistance, nodal_matrix
from compact_models import simulator
from compact_models.errors import ParameterError

SPICE_OPTIONS = ".options reltol=1e-9 abstol=1e-18"
"""A linear tile's DC points converge in one Newton step; the tight tolerances keep ngspice from
stopping before it has checked that step (its defaults would accept 1e-3 of the current)."""


@dataclass(frozen=True, kw_only=True)
class TileSpec:
    """Size and parasitics of the tiles a layer is mapped on."""

    rows: int = 128
    """Wordlines (inputs) per tile."""
    cols: int = 128
    """Bitlines per tile: cols / 2 differential outputs."""
    r_line_ohm: float = 0.0
    """Wordline and bitline resistance per segment between neighbouring cells, ohm (0: ideal lines)."""
    r_contact_ohm: float = 0.0
    """Driver/contact resistance at each line's end, ohm."""

    def __post_init__(self):
        for name in ("rows", "cols"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 2 <= v <= 512:
                raise ParameterError(f"--tile {name}={v!r} must be a whole number in 2..512")
        if self.cols % 2:
            raise ParameterError(f"--tile columns {self.cols} must be even: each output takes a G+ and a G- bitline")
        for name in ("r_line_ohm", "r_contact_ohm"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and 0 <= v <= 1e4):
                raise ParameterError(f"--{name.replace('_ohm', '').replace('_', '-')}-ohm {v!r} must be within 0..1e4 ohm")

    @property
    def ideal(self) -> bool:
        """No line or contact resistance: a tile's currents are its conductances times its inputs."""
        return self.r_line_ohm == 0 and self.r_contact_ohm == 0

    @property
    def outputs(self) -> int:
        """Differential outputs per tile."""
        return self.cols // 2

    def crossbar(self) -> CrossbarParams:
        """The tile as a crossbar for the netlists and the nodal engine."""
        return CrossbarParams(rows=self.rows, cols=self.cols, r_wire_wl_ohm=self.r_line_ohm,
                              r_wire_bl_ohm=self.r_line_ohm, r_contact_ohm=self.r_contact_ohm)

    def grid(self, n_in: int, n_out: int) -> tuple:
        """(row tiles, column tiles) a layer of ``n_in`` x ``n_out`` needs."""
        return -(-n_in // self.rows), -(-n_out // self.outputs)


def parse_tile(text: str) -> tuple:
    """``"RxC"`` as (rows, cols); a one-line error otherwise."""
    parts = str(text).lower().replace(" ", "").split("x")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ParameterError(f"--tile {text!r} must be ROWSxCOLS, e.g. 128x128")
    return int(parts[0]), int(parts[1])


def tile_conductances_S(g_plus_S: np.ndarray, g_minus_S: np.ndarray, spec: TileSpec, fill_S: float) -> np.ndarray:
    """Every tile's cells (row tiles x column tiles x rows x cols, S) for a layer's G+ and G- (n_in x n_out)."""
    g_plus_S, g_minus_S = np.asarray(g_plus_S, dtype=float), np.asarray(g_minus_S, dtype=float)
    if g_plus_S.shape != g_minus_S.shape or g_plus_S.ndim != 2:
        raise ParameterError(f"G+ {g_plus_S.shape} and G- {g_minus_S.shape} must be matrices of one shape")
    if not (np.all(g_plus_S > 0) and np.all(g_minus_S > 0) and fill_S > 0):
        raise ParameterError("tile conductances must be positive")
    n_in, n_out = g_plus_S.shape
    tr, tc = spec.grid(n_in, n_out)
    full = np.full((tr * spec.rows, tc * spec.cols), float(fill_S))
    full[:n_in, 0: 2 * n_out: 2] = g_plus_S
    full[:n_in, 1: 2 * n_out: 2] = g_minus_S
    return full.reshape(tr, spec.rows, tc, spec.cols).transpose(0, 2, 1, 3)


def effective_conductance_S(g_S: np.ndarray, spec: TileSpec) -> np.ndarray:
    """A tile's bitline current per volt on each wordline (rows x cols, S), the lines' IR drop included."""
    return tile_matrices_S(g_S, spec)[0]


def tile_matrices_S(g_S: np.ndarray, spec: TileSpec) -> tuple:
    """(bitline currents per wordline volt, rows x cols; wordline source currents per wordline volt,
    rows x rows), S: with wordline voltages v, the bitline currents are v @ M and the power drawn from
    the sources (cells and lines) is v Y v."""
    g_S = np.asarray(g_S, dtype=float)
    if spec.ideal:
        return g_S.copy(), np.diag(g_S.sum(axis=1))
    m, n = g_S.shape
    r_line, r_c = _resistance(spec.r_line_ohm), _resistance(spec.r_contact_ohm)
    lu = scipy.sparse.linalg.splu(nodal_matrix(g_S, r_line, r_line, r_c), permc_spec="MMD_AT_PLUS_A")
    rhs = np.zeros((2 * m * n, m))
    rhs[np.arange(m) * n, np.arange(m)] = 1.0 / r_c
    nodes = lu.solve(rhs)
    source = (np.eye(m) - nodes[np.arange(m) * n, :].T) / r_c
    return nodes[m * n + (m - 1) * n:, :].T / r_c, source


class TiledLayer:
    """A layer's tiles, each reduced to its effective conductance matrix; inputs in, partial sums out."""

    def __init__(self, g_plus_S: np.ndarray, g_minus_S: np.ndarray, spec: TileSpec, fill_S: float):
        self.spec, self.shape = spec, np.shape(g_plus_S)
        self.cells_S = tile_conductances_S(g_plus_S, g_minus_S, spec, fill_S)
        tr, tc = self.cells_S.shape[:2]
        mats = [[tile_matrices_S(self.cells_S[r, c], spec) for c in range(tc)] for r in range(tr)]
        self.effective_S = np.stack([[m for m, _ in row] for row in mats])
        self.source_S = np.stack([sum(y for _, y in row) for row in mats])  # per row tile: rows x rows
        diff = self.effective_S[..., 0::2] - self.effective_S[..., 1::2]  # tr x tc x rows x outputs
        n_out = self.shape[1]
        self._diff = diff.transpose(0, 2, 1, 3).reshape(tr, spec.rows, tc * spec.outputs)[:, :, :n_out]

    @property
    def n_tiles(self) -> int:
        return int(np.prod(self.cells_S.shape[:2]))

    def row_tile_inputs(self, v_in: np.ndarray) -> np.ndarray:
        """The layer's inputs (batch x n_in, V) as each row tile's wordline voltages (batch x row tiles x rows),
        the unused wordlines of the last tile at 0 V."""
        v_in = np.atleast_2d(np.asarray(v_in, dtype=float))
        tr = self.cells_S.shape[0]
        padded = np.zeros((len(v_in), tr * self.spec.rows))
        padded[:, : self.shape[0]] = v_in
        return padded.reshape(len(v_in), tr, self.spec.rows)

    def partial_currents_A(self, v_in: np.ndarray) -> np.ndarray:
        """Each row tile's differential output currents I+ - I- (batch x row tiles x n_out, A) for
        wordline voltages ``v_in`` (batch x n_in, V)."""
        return np.einsum("bri,rio->bro", self.row_tile_inputs(v_in), self._diff, optimize=True)

    def source_power_W(self, v_in: np.ndarray) -> np.ndarray:
        """Power drawn from the wordline sources (batch, W) for wordline voltages ``v_in`` (batch x n_in)."""
        v = self.row_tile_inputs(v_in)
        return np.einsum("bri,rij,brj->b", v, self.source_S, v, optimize=True)

    def spice_rel_error(self, r: int, c: int, v_rows: np.ndarray, backend: str = "auto") -> float:
        """Largest relative difference of a bitline current of tile (r, c) between ngspice
        (`spice_bitline_currents_A`) and the tile's matrix, for its wordline voltages (batch x rows)."""
        ours = np.atleast_2d(v_rows) @ self.effective_S[r, c]
        ref = spice_bitline_currents_A(self.cells_S[r, c], self.spec, v_rows, backend)
        big = np.abs(ref) > 0
        return float(np.max(np.abs(ours - ref)[big] / np.abs(ref)[big], initial=0.0))


def spice_bitline_currents_A(g_S: np.ndarray, spec: TileSpec, v_rows: np.ndarray, backend: str = "auto") -> np.ndarray:
    """Bitline currents (inputs x cols, A) of a tile of resistors ``g_S`` solved in ngspice: one DC sweep
    of an input-select source, each wordline driven at its voltage of the selected input vector."""
    v_rows = np.atleast_2d(np.asarray(v_rows, dtype=float))
    xbar = spec.crossbar()
    if v_rows.shape[1] != spec.rows:
        raise ParameterError(f"{v_rows.shape[1]} wordline voltages for a tile of {spec.rows} rows")
    drivers = ["Vsel sel 0 0", "Rsel sel 0 1"]
    for i in range(spec.rows):
        terms = [f"(abs(V(sel)-{k})<0.5)*{v:.15g}" for k, v in enumerate(v_rows[:, i]) if v != 0]
        drivers.append(f"Bwl{i} wl{i} 0 V={'+'.join(terms) if terms else '0'}")
    net = resistive_array_netlist(xbar, g_S, None, ["0"] * spec.cols, drivers=drivers)
    save = [f"i(vbl{j})" for j in range(spec.cols)]
    res = simulator.run(net, f".dc vsel 0 {len(v_rows) - 1} 1", save=save, backend=backend, options=SPICE_OPTIONS)
    return np.array([np.atleast_1d(res[f"i(vbl{j})"]) for j in range(spec.cols)]).T
