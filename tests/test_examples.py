"""Every script in examples/ runs and prints what it promises."""
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_example_01_characterize_device(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "01_characterize_device.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 3
    for _cycle, low, high in rows:
        assert float(low) <= 5 and 70 <= float(high) <= 90
    assert (tmp_path / "ispp.png").stat().st_size > 0
