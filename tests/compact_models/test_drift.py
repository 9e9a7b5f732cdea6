"""The power-law drift model and its presets."""
import numpy as np
import pytest

from compact_models.drift import DRIFT_PRESETS, YEAR_S, DriftModel, drift_model
from compact_models.errors import ParameterError


def test_presets_lose_what_paper_000_gives_over_a_year():
    assert DRIFT_PRESETS["measured"].mean_loss(YEAR_S) == pytest.approx(0.03, abs=1e-12)
    assert DRIFT_PRESETS["worst"].mean_loss(YEAR_S) == pytest.approx(0.30, abs=1e-12)
    assert DRIFT_PRESETS["none"].mean_loss(YEAR_S) == 0


def test_no_drift_before_the_first_read_and_a_power_law_after():
    m = DriftModel(nu_mean=0.05, t0_s=10.0)
    assert m.factor(0.05, 1.0) == 1.0
    assert m.factor(0.05, 1000.0) == pytest.approx(100.0 ** -0.05)


def test_exponents_spread_per_device_and_never_grow_a_device():
    m = DriftModel(nu_mean=0.02, nu_std_rel=0.5)
    nu = m.draw_nu(np.random.default_rng(0), 200_000)
    assert np.all(nu >= 0)
    assert nu.mean() == pytest.approx(0.02, rel=0.01)


def test_unknown_preset_is_one_line():
    with pytest.raises(ParameterError, match="choose one of none, measured, worst"):
        drift_model("bad")
