"""What the ngspice on this machine is and can do: its version, KLU and OSDI, for every run's summary.

Results can depend on the simulator's version (its solver, its defaults), so each run records it.
The banner of ``ngspice --version`` names the version and a KLU build ("Compiled with KLU Direct
Linear Solver"); OSDI (compiled Verilog-A models) is probed by its ``osdi`` command, which builds
without it do not know.
"""
from __future__ import annotations

import functools
import re
import subprocess
import tempfile
from pathlib import Path

from compact_models.simulator import _ngspice_binary, available_backends

PROBE_TIMEOUT_S = 20.0


@functools.lru_cache(maxsize=1)
def ngspice_info() -> dict:
    """``{"version", "klu", "osdi", "backends"}`` of the ngspice found here (version None when none is)."""
    exe = _ngspice_binary()
    info = {"version": None, "klu": False, "osdi": False, "backends": available_backends()}
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
