"""Characterisation figures (paper 001, Fig. 5; paper 000, Fig. 2c-f) from the protocols' DataFrames; each takes an axis."""
from __future__ import annotations

import numpy as np
import pandas as pd


def plot_iv(ax, trace: pd.DataFrame, title: str = ""):
    """I-V on a log current scale (paper 001, Fig. 5a style)."""
    for cyc, grp in trace.groupby("cycle"):
        ax.semilogy(grp.voltage_V, np.abs(grp.current_nA).clip(lower=1e-6), lw=1, label=f"cycle {cyc}")
    ax.set_xlabel("voltage (V)")
    ax.set_ylabel("|current| (nA)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def plot_ispp(ax, reads: pd.DataFrame, title: str = ""):
    """Read current against pulse number (paper 001, Fig. 5b)."""
    ax.plot(reads.pulse_number, reads.read_current_nA, ".-", ms=3, lw=0.8)
    ax.set_xlabel("pulse number")
    ax.set_ylabel("read current at 1 V (nA)")
    ax.set_title(title)
    return ax


def plot_pulse_scheme(axes, params, title: str = ""):
    """The tailored pulse trains: amplitude and width per pulse, potentiation and depression (paper 000, Fig. 2c).

    ``axes`` is a pair: amplitudes on the first, widths on the second.
    """
    n = params.n_switches
    pulse = np.arange(1, 2 * n + 1)
    amplitude = np.concatenate([params.amplitudes_V, -params.amplitudes_V])
    width = np.concatenate([params.widths_s, params.widths_s]) * 1e9
    for ax, y, label in ((axes[0], amplitude, "pulse amplitude (V)"), (axes[1], width, "pulse width (ns)")):
        ax.bar(pulse[:n], y[:n], color="C3", width=0.8, label="potentiation")
        ax.bar(pulse[n:], y[n:], color="C0", width=0.8, label="depression")
        ax.set_xlabel("pulse number")
        ax.set_ylabel(label)
        ax.axhline(0.0, color="k", lw=0.6)
    axes[0].axhline(params.read_V, color="0.4", ls="--", lw=0.8, label=f"read {params.read_V:g} V")
    axes[0].legend(fontsize=7)
    axes[0].set_title(title)
    return axes


def plot_state_sigma(ax, reads: pd.DataFrame, summary: dict, title: str = ""):
    """Cycle-to-cycle spread of every state: the standard deviation over the cycles per pulse (paper 000, Fig. 2f)."""
    for phase, color in (("potentiation", "C3"), ("depression", "C0")):
        sd = reads[reads.phase == phase].groupby("pulse").conductance_uS.std()
        ax.plot(sd.index, sd.values, "o-", ms=3, color=color, label=phase)
    ax.axhline(summary["sigma_uS"], color="k", ls="--", lw=0.8, label=f"mean σ = {summary['sigma_uS']:.1f} µS")
    ax.set_xlabel("pulse number within the train")
    ax.set_ylabel("σ of the state over the cycles (µS)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def plot_pulse_trains(ax, params, reads: pd.DataFrame, summary: dict, title: str = ""):
    """Conductance against pulse number over all cycles, with the linear fits (paper 000, Fig. 2d, e)."""
    n = params.n_switches
    x = np.where(reads.phase == "potentiation", reads.pulse, n + reads.pulse)
    ax.plot(x, reads.conductance_uS, ".", ms=1, alpha=0.25, color="0.5")
    mean = reads.assign(x=x).groupby("x").conductance_uS.mean()
    ax.plot(mean.index, mean.values, "k--", lw=1, label="mean")
    counts = params.linear_state_counts
    pot = np.array(summary["states_potentiation_uS"])
    dep = np.array(summary["states_depression_uS"])
    for xs, ys, lab, col in ((counts, pot, "potentiation", "C3"), (n + (n - counts[::-1]), dep, "depression", "C0")):
        coef = np.polyfit(xs, ys, 1)
        ax.plot(xs, np.polyval(coef, xs), color=col, lw=2,
                label=f"{lab}: {abs(coef[0]):.2f} µS/pulse, $R^2$ = {summary['r2_' + lab]:.5f}")
    ax.set_xlabel("pulse number (potentiation 1-20, depression 21-40)")
    ax.set_ylabel("conductance at -0.1 V (µS)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def plot_states(ax, reads: pd.DataFrame, title: str = ""):
    """Programmed states after writing, after the reads and after the half-select pulses."""
    for stage, grp in reads.groupby("stage", sort=False):
        ax.plot(grp.level, grp.conductance_nS, "o", ms=4, label=stage, alpha=0.7)
    ax.plot(reads.level, reads.target_nS, "k_", ms=14, label="target")
    ax.set_xlabel("state")
    ax.set_ylabel("conductance at 1 V (nS)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax


def panel_letters(axes) -> None:
    """Letter the panels of a figure (a), (b), ... at their top left, as papers do."""
    for k, ax in enumerate(np.ravel(axes)):
        ax.text(-0.1, 1.04, f"({chr(ord('a') + k)})", transform=ax.transAxes, fontsize=11, fontweight="bold", va="bottom")
