"""What the ngspice on this machine is and can do: its version, KLU and OSDI (`build_info`; every run's
summary records it with the backends that work, `compact_models.simulator.ngspice_info`).

Results can depend on the simulator's version (its solver, its defaults), so each run records it.
The banner of ``ngspice --version`` names the version and a KLU build ("Compiled with KLU Direct
Linear Solver"); OSDI (compiled Verilog-A models) is probed by its ``osdi`` command, which builds
without it do not know.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PROBE_TIMEOUT_S = 20.0


def ngspice_binary() -> str | None:
    """The ``ngspice`` program: ``NGSPICE_BINARY``, else the one on PATH; None when there is none."""
    exe = os.environ.get("NGSPICE_BINARY") or shutil.which("ngspice")
    return exe if exe and os.path.exists(exe) else None


@functools.lru_cache(maxsize=1)
def build_info() -> dict:
    """``{"version", "klu", "osdi"}`` of the ``ngspice`` program (the shared library is the same build)."""
    exe = ngspice_binary()
    info = {"version": None, "klu": False, "osdi": False}
    if exe is None:
        return info
    banner = _output([exe, "--version"])
    found = re.search(r"ngspice-(\S+)\s*:", banner)
    info["version"] = found.group(1) if found else None
    info["klu"] = "KLU" in banner
    with tempfile.TemporaryDirectory(prefix="rram-probe-") as tmp:
        deck = Path(tmp) / "probe.cir"
        deck.write_text("* osdi probe\n.control\nosdi\n.endc\n.end\n")
        info["osdi"] = "no such command" not in _output([exe, "-b", str(deck)])
    return info


def _output(cmd: list) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout + done.stderr
