"""The IR-drop study (`snn.ir_drop`): the lines alone change the accuracy, and flags are checked."""
import json

import pandas as pd
import pytest

from snn.ir_drop import main


@pytest.mark.slow
def test_line_resistance_costs_accuracy_on_hfoxsy_tiles(tmp_path):
    """HfOxSy's ~1 mS cells behind 10 ohm segments: a 24-cell line's far cells see a fraction of the input."""
    out = tmp_path / "ir"
    assert main(["--tiles", "24x24", "--r-line-ohm", "0,10", "--epochs", "2", "--hwat-epochs", "1",
                 "--out", str(out)]) == 0
    frame = pd.read_csv(out / "results.csv")
    assert len(frame) == 2 * 2  # 2 resistances x 2 networks, 1 repeat
    acc = frame[frame.network == "hwat"].set_index("r_line_ohm").accuracy
    assert acc[10.0] < acc[0.0] - IR_DROP_COST
    s = json.loads((out / "summary.json").read_text())
    assert len(s["points"]) == 4 and (out / "ir_drop.png").exists()


IR_DROP_COST = 0.05
"""At least this much accuracy lost at 10 ohm. Measured on this 2-epoch network and the held-out sample: 94.6 %
with ideal lines, 76.3 % at 10 ohm (the full study: 96.4 % and 81.5 % on 24 x 24 tiles, README)."""


@pytest.mark.parametrize("flags, needle", [(["--r-line-ohm", "1,x"], "comma-separated numbers"),
                                           (["--r-line-ohm", "-1"], "0..1e4"), (["--tiles", "24x23"], "even")])
def test_bad_flags_are_one_line(flags, needle, tmp_path, capsys):
    assert main([*flags, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()
