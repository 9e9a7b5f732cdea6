"""Write transients as files a SPICE user can run: PWL source texts and the netlist of every phase."""
from __future__ import annotations

from pathlib import Path

from arrays.writes import phase_max_step
from compact_models.io import atomic_write_text


def write_pwl(phases: list, netlists: dict, folder: Path) -> list:
    """Write every phase's sources as PWL text files and its netlist (inline PWL sources)."""
    written = []
    for phase in phases:
        d = Path(folder) / phase.name
        d.mkdir(parents=True, exist_ok=True)
        for i, w in enumerate(phase.wl):
            w.write_text(d / f"wl{i}.txt")
        for j, w in enumerate(phase.bl):
            w.write_text(d / f"bl{j}.txt")
        step = phase_max_step(phase)
        atomic_write_text(d / "transfer.cir", netlists[phase.name] + f".tran {step:.6g} {phase.end_s:.9g} 0 {step:.6g}\n.end\n")
        written.append(d)
    return written
