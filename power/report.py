"""Files and figures of a power study: summary.json, CSVs, PWL inputs, Fig. 12a and Fig. 12b."""
from __future__ import annotations

from pathlib import Path

from arrays.pwl import write_pwl
from arrays.transfer import write_figures, write_layer_tables
from compact_models.io import atomic_save_figure, atomic_write_csv, atomic_write_json, new_figure
from power.study import LABELS, StudyResult
from snn.inference import spike_V, write_spike_pwl

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


def plot_power_per_class(ax, per_class, variants):
    """Average array power per class, the variants side by side (Fig. 12b)."""
    x = per_class["class"].to_numpy()
    width = 0.8 / len(variants)
    for k, v in enumerate(variants):
        ax.bar(x + (k - (len(variants) - 1) / 2) * width, per_class[f"power_{v}_nW"], width, color=COLORS.get(v),
               label=f"{LABELS[v]} (mean {per_class[f'power_{v}_nW'].mean():.0f} nW)")
    ax.set_xticks(x)
    ax.set_xlabel("MNIST class")
    ax.set_ylabel("average array power (nW)")
    ax.legend(fontsize=8)
    return ax


def format_table(result: StudyResult) -> str:
    """The per-class power table printed by the main job."""
    pc = result.per_class
    variants = [v for v in ("qt", "qtpr") if f"power_{v}_nW" in pc]
    n = int(pc.n_images.iloc[0])
    head = f"{'class':>5}" + "".join(f"{LABELS[v] + ' (nW)':>14}" for v in variants)
    head += f"{'reduction':>11}" if "reduction_percent" in pc else ""
    head += "".join(f"{LABELS[v] + ' correct':>16}" for v in variants)
    lines = [head]
    images = result.images
    for _, r in pc.iterrows():
        line = f"{int(r['class']):>5}" + "".join(f"{r[f'power_{v}_nW']:>14.1f}" for v in variants)
        line += f"{r['reduction_percent']:>10.1f}%" if "reduction_percent" in pc else ""
        for v in variants:
            marks = "".join("+" if c else "-" for c in images[(images.variant == v) & (images.label == r["class"])].correct)
            line += f"{str(int(r['correct_' + v])) + '/' + str(n) + ' ' + marks:>16}"
        lines.append(line)
    s = result.summary
    mean = f"{'mean':>5}" + "".join(f"{s['power_nW_mean'][v]:>14.1f}" for v in variants)
    mean += f"{s['power_reduction_percent']:>10.1f}%" if "power_reduction_percent" in s else ""
    mean += "".join(f"{s['accuracy'][v]:>16.1%}" for v in variants)
    lines.append(mean)
    src = ", ".join(f"{LABELS[v]} {s['source_power_nW_mean'][v]:.1f} nW (line losses {s['line_loss_nW_mean'][v]:.3g} nW)"
                    for v in variants)
    lines.append(f"drawn from the wordline sources, line losses included: {src}")
    lines.append("correct: images classified correctly per class, + or - for each image in test-index order")
    return "\n".join(lines)


def write_study(out: Path, result: StudyResult) -> list:
    """Write summary.json, power_per_class.csv, images.csv, traces, transfer tables, PWL files and figures.

    ``pwl/<variant>/image<index>.inc`` holds the wordline sources of each inference transient,
    ``pwl/transfer_<variant>/pass<n>/`` the sources and netlist of each write transient.
    """
    out = Path(out)
    s = result.summary
    variants = list(result.layers)
    atomic_write_csv(out / "power_per_class.csv", result.per_class)
    atomic_write_csv(out / "images.csv", result.images)
    for v, trace in result.traces.items():
        atomic_write_csv(out / f"power_trace_{v}.csv", trace)
    for v, layer in result.layers.items():
        write_layer_tables(out, layer, v)
        (out / f"transfer_{v}").mkdir(exist_ok=True)
        write_figures(out / f"transfer_{v}", layer)
        write_pwl(layer.result.phases, layer.result.netlists, out / "pwl" / f"transfer_{v}")
        write_spike_pwl(out / "pwl" / v, result.hidden[v], s["test_indices"], spike_V(layer.spec.params), f"{LABELS[v]}: ")
    figures = []
    if result.traces:
        fig, ax = new_figure(figsize=(8, 4))
        means = {v: float(result.images[(result.images.variant == v) & (result.images.test_index == s["trace_test_index"])]
                          .array_power_nW.iloc[0]) for v in result.traces}
        plot_power_trace(ax, result.traces, means, s["trace_test_index"])
        atomic_save_figure(out / "fig12a_power_trace.png", fig)
        figures.append("fig12a_power_trace.png")
    fig, ax = new_figure(figsize=(8, 4))
    plot_power_per_class(ax, result.per_class, variants)
    n = s["images_per_class"]
    ax.set_title(f"average array power per class ({n} image{'s' if n > 1 else ''} each, {s['scheme']} transfer)")
    atomic_save_figure(out / "fig12b_power_per_class.png", fig)
    figures.append("fig12b_power_per_class.png")
    atomic_write_json(out / "summary.json", dict(s, figures=figures, pwl="pwl/"))
    return figures
