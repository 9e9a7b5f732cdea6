"""The one store: JSON + npz records that come back exactly, content keys that follow every field."""
import json

import numpy as np
import pandas as pd
import pytest

from compact_models import store
from compact_models.base import DeviceVariation
from compact_models.ht_rram import HTRRAMParams


def test_a_record_comes_back_exactly_and_nothing_is_pickled(tmp_path):
    frame = pd.DataFrame({"i": np.arange(3), "g_nS": [0.1, 1 / 3, 1e-300], "side": ["positive", "negative", "unused"],
                          "written": [True, False, True]})
    obj = {"frame": frame, "levels": np.arange(6).reshape(2, 3), "nested": [{"x": np.float64(2.5), "name": "a"}],
           "n": 3, "none": None, "text": "ü"}
    store.write_record(tmp_path / "r", obj)
    back = store.read_record(tmp_path / "r")
    pd.testing.assert_frame_equal(back["frame"], frame, check_dtype=False)
    assert back["frame"].g_nS.tolist() == frame.g_nS.tolist() and back["frame"].written.dtype == bool
    np.testing.assert_array_equal(back["levels"], obj["levels"])
    assert back["nested"] == [{"x": 2.5, "name": "a"}] and back["n"] == 3 and back["none"] is None and back["text"] == "ü"
    with np.load(tmp_path / "r.npz", allow_pickle=False) as z:  # loads without pickle: plain arrays only
        assert all(z[k].dtype != object for k in z.files)
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == store.SCHEMA_VERSION


def test_a_record_of_another_schema_or_half_written_is_not_served(tmp_path):
    store.write_record(tmp_path / "r", {"a": 1})
    meta = tmp_path / "r.json"
    tree = json.loads(meta.read_text())
    meta.write_text(json.dumps(dict(tree, schema=store.SCHEMA_VERSION - 1)))
    assert store.read_record(tmp_path / "r") is None
    meta.unlink()  # the JSON is written last: without it the record is not whole
    assert store.read_record(tmp_path / "r") is None


def test_content_keys_follow_every_field_and_the_schema(monkeypatch):
    base = store.content_key("transfer", [1, 2], HTRRAMParams(), DeviceVariation())
    assert base == store.content_key("transfer", [1, 2], HTRRAMParams(), DeviceVariation())
    assert base != store.content_key("transfer", [1, 3], HTRRAMParams(), DeviceVariation())
    assert base != store.content_key("transfer", [1, 2], HTRRAMParams(rc_ohm=99.0), DeviceVariation())
    assert base != store.content_key("transfer", [1, 2], HTRRAMParams(), DeviceVariation(vt_sigma_V=0.01))
    monkeypatch.setattr(store, "SCHEMA_VERSION", store.SCHEMA_VERSION + 1)
    assert base != store.content_key("transfer", [1, 2], HTRRAMParams(), DeviceVariation())


def test_a_transfer_spec_normalises_what_names_the_same_transfer():
    from arrays.transfer import TransferSpec

    assert TransferSpec(sigma_nS=1.06) == TransferSpec()  # the device's own sigma, however named
    assert TransferSpec(variation=DeviceVariation()) == TransferSpec()  # no spread is no variation
    assert TransferSpec(sigma_nS=2.0) != TransferSpec()
    with pytest.raises(Exception, match="zero_state 'g2' is unknown"):
        TransferSpec(zero_state="g2")
