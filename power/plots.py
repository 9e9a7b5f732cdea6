"""Figures of a power study (paper 001, Fig. 11a, 12a, 12b and S4); each takes an axis."""
from __future__ import annotations

import numpy as np

from power.study import LABELS

COLORS = {"qt": "tab:blue", "qtpr": "tab:orange"}


def plot_power_trace(ax, traces: dict, means: dict, test_index: int):
    """Array power over time with its average, for one image (Fig. 12a)."""
    for v, trace in traces.items():
        ax.plot(trace.time_s * 1e3, trace.array_power_nW, lw=0.8, color=COLORS.get(v), label=f"{LABELS[v]}")
        ax.axhline(means[v], ls="--", lw=1.2, color=COLORS.get(v), label=f"{LABELS[v]} average {means[v]:.0f} nW")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("array power (nW)")
    ax.set_title(f"array power during the inference of test image {test_index}")
    ax.legend(fontsize=8)
    return ax


def plot_power_per_class(ax, per_class, variants, images=None):
    """Average array power per class, the variants side by side, each image marked (Fig. 12b)."""
    x = per_class["class"].to_numpy()
    width = 0.8 / len(variants)
    for k, v in enumerate(variants):
        offset = (k - (len(variants) - 1) / 2) * width
        ax.bar(x + offset, per_class[f"power_{v}_nW"], width, color=COLORS.get(v), alpha=0.8,
               label=f"{LABELS[v]} (mean {per_class[f'power_{v}_nW'].mean():.0f} nW)")
        if images is not None:
            mine = images[images.variant == v]
            ax.scatter(mine.label + offset, mine.array_power_nW, s=10, color="k", zorder=3,
                       label="single images" if k == 0 else None)
    ax.set_xticks(x)
    ax.set_xlabel("MNIST class")
    ax.set_ylabel("average array power (nW)")
    ax.legend(fontsize=8)
    return ax


def plot_wordline_power(ax, trace, title: str = ""):
    """Power of each wordline's devices over time, one row per wordline (paper 001, Fig. S4)."""
    columns = sorted((c for c in trace.columns if c.startswith("wl") and c.endswith("_power_nW")),
                     key=lambda c: int(c[2:].split("_")[0]))
    t = trace.time_s.to_numpy() * 1e3
    power = trace[columns].to_numpy().T
    im = ax.pcolormesh(t, np.arange(len(columns) + 1) - 0.5, power[:, :-1], cmap="viridis", shading="flat")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("wordline (hidden neuron)")
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, label="wordline power (nW)")
    return ax


def plot_output_currents(ax, outputs: dict, label: int, title: str = ""):
    """Differential output current of each output node for one image, the variants side by side (Fig. 11a)."""
    width = 0.8 / len(outputs)
    for k, (v, current_nA) in enumerate(outputs.items()):
        x = np.arange(len(current_nA)) + (k - (len(outputs) - 1) / 2) * width
        ax.bar(x, current_nA, width, color=COLORS.get(v), label=LABELS[v])
    ax.axvspan(label - 0.45, label + 0.45, color="0.9", zorder=0, label=f"true class {label}")
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xticks(range(len(current_nA)))
    ax.set_xlabel("output node (class)")
    ax.set_ylabel("$I^+ - I^-$ summed over the time steps (nA)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_sweep_metric(ax, summary, metric: str, xlabel: str, ylabel: str):
    """One metric of a sweep against the parameter, mean +- one standard deviation over the seeds."""
    d = summary[summary.metric == metric]
    ax.errorbar(d.parameter_value, d["mean"], yerr=d["std"], marker="o", capsize=4, label="mean +- 1 sd over seeds")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return ax
