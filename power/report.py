"""Files and figures of a power study: summary.json, CSVs, PWL inputs, Fig. 12a and Fig. 12b."""
from __future__ import annotations

from pathlib import Path

from arrays.pwl import write_pwl
from arrays.transfer import write_figures, write_layer_tables
from compact_models.io import atomic_save_figure, atomic_write_csv, atomic_write_json, new_figure
from compact_models.plots import panel_letters
from compact_models.simulator import ngspice_info
from power.plots import plot_output_currents, plot_power_per_class, plot_power_trace, plot_wordline_power
from power.study import LABELS, StudyResult
from snn.inference import spike_V, write_spike_pwl


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


def format_transfers(result: StudyResult) -> str:
    """Each transfer's statistics: over the written cells, and over every cell of the layer, beside paper 001's."""
    s = result.summary
    paper = s["paper_001"]
    lines = []
    for v, t in s["transfer"].items():
        a = t["all_layer_cells"]
        lines.append(f"transfer {LABELS[v]}: {t['n_cells']} cells written, {t['within_2nS_fraction']:.1%} within 2 nS, "
                     f"{t['within_4nS_fraction']:.1%} within 4 nS, RMSE {t['rmse_nS']:.3f} nS, MAE {t['mae_nS']:.3f} nS; "
                     f"all {a['n_cells']} layer cells: RMSE {a['rmse_nS']:.3f} nS, MAE {a['mae_nS']:.3f} nS "
                     f"(paper 001: {paper['transfer_rmse_nS'].get(v, float('nan')):.2f} / {paper['transfer_mae_nS'].get(v, float('nan')):.2f} nS); "
                     f"{t['n_pulses']} pulses in {t['n_passes']} pass{'es' if t['n_passes'] != 1 else ''}")
    return "\n".join(lines)


def format_decomposition(result: StudyResult) -> str:
    """The power decomposition: spikes x conductance x duty, beside the circuit's and paper 001's power."""
    s = result.summary
    lines = []
    for v, d in s["power_decomposition"].items():
        lines.append(f"power {LABELS[v]}: {d['hidden_spikes_per_image']:.1f} hidden spikes per image "
                     f"({d['spikes_per_step']:.2f} per step) x {d['row_conductance_nS']:.1f} nS per spiking wordline x "
                     f"({d['spike_V']:.3g} V)^2 x duty {d['duty']:.3f} = {d['predicted_power_nW']:.1f} nW; "
                     f"circuit {d['circuit_power_nW']:.1f} nW (paper 001: {s['paper_001']['power_nW_mean'].get(v, float('nan')):.0f} nW)")
    return "\n".join(lines)


def format_settings(result: StudyResult) -> str:
    """The choices that moved the headline numbers, in one line."""
    st = result.summary["settings"]
    return ("settings: " + ("open loop (one write per cell)" if st["open_loop"] else f"{st['max_passes']} write passes") +
            f", partners and zeros {st['zero_state']}, write error {st['write_error_sigma_nS']:.4g} nS, reset spread "
            f"{st['reset_sigma_nS']:.4g} nS, hidden threshold at the {st['threshold_percentile']:g}th percentile, spikes "
            f"{st['spike_plateau_ms']:g} ms + 2 x {st['spike_edge_us']:g} us edges per {st['spike_step_ms']:g} ms step" +
            (", transfers by the nodal engine" if st.get("transfer_engine") == "nodal" else ""))


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
        write_spike_pwl(out / "pwl" / v, result.hidden[v], s["test_indices"], spike_V(layer.spec.params), f"{LABELS[v]}: ",
                        result.config.timing)
    figures = []
    if result.traces:
        fig, ax = new_figure(figsize=(8, 4))
        means = {v: float(result.images[(result.images.variant == v) & (result.images.test_index == s["trace_test_index"])]
                          .array_power_nW.iloc[0]) for v in result.traces}
        plot_power_trace(ax, result.traces, means, s["trace_test_index"])
        atomic_save_figure(out / "fig12a_power_trace.png", fig)
        figures.append("fig12a_power_trace.png")
        fig, axes = new_figure(1, len(result.traces), figsize=(6 * len(result.traces), 4.2), squeeze=False)
        for ax, (v, trace) in zip(axes[0], result.traces.items()):
            plot_wordline_power(ax, trace, f"{LABELS[v]}, test image {s['trace_test_index']}")
        panel_letters(axes)
        fig.tight_layout()
        atomic_save_figure(out / "figS4_wordline_power.png", fig)
        figures.append("figS4_wordline_power.png")
    if result.outputs:
        fig, ax = new_figure(figsize=(7, 4))
        index, label = s["output_test_index"], s["output_test_label"]
        plot_output_currents(ax, {v: result.outputs[(v, index)] for v in variants}, label,
                             f"output currents for test image {index} (class {label})")
        atomic_save_figure(out / "fig11a_output_currents.png", fig)
        figures.append("fig11a_output_currents.png")
    fig, ax = new_figure(figsize=(8, 4))
    plot_power_per_class(ax, result.per_class, variants, result.images)
    n = s["images_per_class"]
    ax.set_title(f"average array power per class ({n} image{'s' if n > 1 else ''} each, {s['scheme']} transfer)")
    atomic_save_figure(out / "fig12b_power_per_class.png", fig)
    figures.append("fig12b_power_per_class.png")
    atomic_write_json(out / "summary.json", dict(s, figures=figures, pwl="pwl/", simulator=ngspice_info()))
    return figures
