"""Tiled layers: the mapping of outputs onto differential bitlines, the linear tile solve, and ngspice."""
import numpy as np
import pytest

from arrays.tiles import TiledLayer, TileSpec, effective_conductance_S, parse_tile, spice_bitline_currents_A
from compact_models.errors import ParameterError


def _layer(rng, n_in, n_out):
    return rng.uniform(3e-4, 1.5e-3, (n_in, n_out)), rng.uniform(3e-4, 1.5e-3, (n_in, n_out))


def test_ideal_tiles_give_the_differential_products_per_row_tile():
    rng = np.random.default_rng(1)
    gp, gm = _layer(rng, 50, 7)
    spec = TileSpec(rows=16, cols=6)
    layer = TiledLayer(gp, gm, spec, fill_S=1e-4)
    assert layer.cells_S.shape == (4, 3, 16, 6) and layer.n_tiles == 12
    v = rng.uniform(0, 0.1, (5, 50))
    partial = layer.partial_currents_A(v)
    for r in range(4):  # each row tile's partial sum is its inputs times G+ - G-, computed directly
        rows = slice(16 * r, min(16 * (r + 1), 50))
        np.testing.assert_allclose(partial[:, r], v[:, rows] @ (gp[rows] - gm[rows]), rtol=1e-12)
    np.testing.assert_allclose(partial.sum(axis=1), v @ (gp - gm), rtol=1e-12)


def test_line_resistance_only_lowers_the_currents_and_vanishes_with_it():
    rng = np.random.default_rng(2)
    g = rng.uniform(3e-4, 1.5e-3, (24, 24))
    lossy = effective_conductance_S(g, TileSpec(rows=24, cols=24, r_line_ohm=1.0, r_contact_ohm=10.0))
    assert np.all(lossy.sum(axis=1) < g.sum(axis=1))
    tiny = effective_conductance_S(g, TileSpec(rows=24, cols=24, r_line_ohm=1e-7, r_contact_ohm=1e-7))
    np.testing.assert_allclose(tiny, g, rtol=1e-6)


@pytest.mark.ngspice
@pytest.mark.parametrize("size, r_line, r_contact", [(24, 1.0, 10.0), (64, 1.0, 1.0)])
def test_tile_solve_matches_ngspice(size, r_line, r_contact):
    """The issue's bound is 1e-4 of each output current; both solve the same linear circuit exactly."""
    rng = np.random.default_rng(size)
    spec = TileSpec(rows=size, cols=size, r_line_ohm=r_line, r_contact_ohm=r_contact)
    g = rng.uniform(3e-4, 1.5e-3, (size, size))
    v = rng.uniform(0, 0.1, (3, size))
    v[0] = 0
    v[0, size // 2] = 0.1
    ours = v @ effective_conductance_S(g, spec)
    ref = spice_bitline_currents_A(g, spec, v)
    assert np.max(np.abs(ours - ref) / np.abs(ref)) < 1e-8


@pytest.mark.parametrize("kw, needle", [({"cols": 5}, "even"), ({"rows": 1}, "2..512"), ({"r_line_ohm": -1.0}, "0..1e4")])
def test_tile_spec_refuses_impossible_tiles(kw, needle):
    with pytest.raises(ParameterError, match=needle):
        TileSpec(**kw)


def test_parse_tile():
    assert parse_tile("128x64") == (128, 64)
    with pytest.raises(ParameterError, match="ROWSxCOLS"):
        parse_tile("128")
