"""Find the HfOxSy switching area's field-activated conduction (`G_PROGRAMMING_US`) that makes one
noiseless potentiation/depression cycle of the pulse-train protocol draw paper 000's 23.74 nJ.

The energy grows with the conductance, sublinearly (the 70 ohm series takes a growing share of the
pulse), so a few secant steps on the protocol itself land on it.
Usage: .venv/bin/python tests/compact_models/calibrate_hfoxsy_energy.py
"""
from dataclasses import replace

from compact_models import protocols
from compact_models.hfoxsy import HfOxSyParams

TARGET_NJ = 23.74


def energy_nJ(g_uS: float) -> float:
    params = replace(HfOxSyParams(), g_programming_uS=g_uS)
    return protocols.pulse_trains(params, cycles=1, noise=False).summary["energy_per_cycle_nJ"]


if __name__ == "__main__":
    points = [(0.0, energy_nJ(0.0)), (1000.0, energy_nJ(1000.0))]
    print(f"ohmic cell: {points[0][1]:.3f} nJ per cycle")
    for _ in range(12):
        (g0, e0), (g1, e1) = points[-2:]
        g = g1 + (TARGET_NJ - e1) * (g1 - g0) / (e1 - e0)
        points.append((round(g), energy_nJ(round(g))))
        print(f"  {points[-1][0]:.0f} uS -> {points[-1][1]:.3f} nJ")
        if abs(points[-1][1] - TARGET_NJ) < 0.01:
            break
    print(f"G_PROGRAMMING_US = {points[-1][0]:.0f}")
