"""The power study of paper 001 (Fig. 12): average array power per MNIST class, QT against QT & PR.

`run_study` trains (or loads) both quantised networks, transfers each second layer into the
simulated array, runs the inference transient of the same test images for both variants in
ngspice and integrates the power over every wordline (`power.integrator`). With an output folder
it keeps each finished step there (``.state/``), so an interrupted study resumes where it stopped.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from arrays.mapping import counted_devices
from arrays.transfer import LayerTransfer, TransferSpec, transfer_layer
from compact_models.errors import ParameterError
from compact_models.parallel import Parallelism
from compact_models.store import RunState, spec_fields
from power.images import infer_image_power
from snn.data import MNIST, images_per_class, load_mnist
from snn.inference import SpikeTiming, spike_V
from snn.models import trained_variants
from snn.spiking import THRESHOLD_PERCENTILE, convert

VARIANTS = ("qt", "qtpr")
LABELS = {"qt": "QT", "qtpr": "QT & PR"}
PAPER_001 = {
    "power_nW_mean": {"qt": 243.0, "qtpr": 222.0},
    "transfer_rmse_nS": {"qt": 1.1, "qtpr": 0.57},
    "transfer_mae_nS": {"qt": 0.85, "qtpr": 0.48},
    "within_2nS_fraction": 0.94,
    "accuracy_3_per_class": 1.0,
    "note": "paper 001: Fig. 12b (power), Fig. 9 (RMSE, MAE of the measured array), section 4.3 (94 % within 2 nS)",
}
"""Paper 001's numbers, reported beside ours in every study's summary."""


@dataclass(frozen=True, kw_only=True)
class StudyConfig:
    """What a power study runs."""

    transfer: TransferSpec = TransferSpec()
    """How both networks' second layers are written into the array (device, scheme, seed, errors, lines)."""
    images_per_class: int = 3
    """Test images per class, the same for both variants (paper 001: 3)."""
    variants: tuple = VARIANTS
    """Network variants to compare."""
    threshold_percentile: float = THRESHOLD_PERCENTILE
    """Percentile of the training set's ReLU activations that sets the hidden neurons' threshold (`snn.spiking`)."""
    timing: SpikeTiming = SpikeTiming()
    """Spike shape of the inference transients: step, plateau and edges."""

    def __post_init__(self):
        if not (isinstance(self.threshold_percentile, (int, float)) and 50 <= self.threshold_percentile <= 100):
            raise ParameterError(f"threshold percentile {self.threshold_percentile!r} must be within 50..100")
        if not isinstance(self.images_per_class, int) or self.images_per_class < 1:
            raise ParameterError(f"--images-per-class {self.images_per_class!r} must be a whole number of at least 1")
        bad = set(self.variants) - set(VARIANTS)
        if bad or not self.variants:
            raise ParameterError(f"variants {sorted(bad)} are unknown; choose from {', '.join(VARIANTS)}")

    @property
    def seed(self) -> int:
        """Seed of the image choice and of the transfers."""
        return self.transfer.seed


@dataclass
class StudyResult:
    """Per-image and per-class tables, the summary, the transferred layers and the power traces."""

    images: pd.DataFrame
    per_class: pd.DataFrame
    summary: dict
    layers: dict
    traces: dict
    hidden: dict = field(default_factory=dict)
    config: StudyConfig = StudyConfig()
    outputs: dict = field(default_factory=dict)
    """{(variant, test index): each output node's differential current summed over the steps, nA}."""


def run_study(cfg: StudyConfig = StudyConfig(), data=None, parallelism: Parallelism = Parallelism(),
              out: Path | None = None, spice_backend: str = "auto", progress=None, overwrite: bool = False) -> StudyResult:
    """Transfer both networks' second layers and measure the inference power of the same test images.

    ``data`` is an `snn.data.MNIST`, or a folder of IDX files, or None for the embedded sample. The
    transfers and images run as ``parallelism`` says (local processes or a Dask cluster). With ``out``
    every finished step is kept in ``out/.state`` and a repeated call with the same spec carries on;
    a folder made with another spec is refused, or cleared first with ``overwrite``.
    """
    say = progress or (lambda _m: None)
    if not isinstance(data, MNIST):
        data = load_mnist(data)
    state = RunState(out, "power-study", {"config": spec_fields(cfg), "device": spec_fields(cfg.transfer.params), "data": data.describe()}, overwrite)
    spec = cfg.transfer
    device = spec.params
    xbar = spec.crossbar
    nets = trained_variants(data, variants=cfg.variants, progress=say)
    idx = images_per_class(data.test_y, cfg.images_per_class, cfg.seed)

    hidden, ideal = {}, {}
    for v in cfg.variants:
        snn = convert(nets[v], data.train_x, cfg.threshold_percentile)
        hidden[v] = snn.hidden_spikes(data.test_x[idx])
        ideal[v] = snn.ideal_output(hidden[v]).argmax(1)

    layers = {}
    for v in cfg.variants:
        rec = state.load(f"transfer_{v}")
        layers[v] = None if rec is None else LayerTransfer.from_record(rec, spec)
    todo = [v for v in cfg.variants if layers[v] is None]
    results = {}

    def image_tasks(variants):
        tasks = []
        for v in variants:
            counted = counted_devices(xbar, np.asarray(nets[v].levels2))
            for k, test_index in enumerate(idx):
                name = f"images/{v}_{int(test_index):05d}"
                r = state.load(name)
                if r is not None:
                    results[(v, k)] = r
                    continue
                tasks.append(((v, k), name, (infer_image_power, (device, xbar, layers[v].result.state.cells, hidden[v][k]),
                                             dict(counted=counted, timing=cfg.timing, backend=spice_backend, trace=k == 0))))
        return tasks

    def save_images(tasks, outputs, bar):
        for (key, name, _task), r in zip(tasks, outputs):
            results[key] = r
            state.save(name, r)
            bar.update(1)

    # The images of variants already transferred run beside the transfers still to do.
    early = image_tasks([v for v in cfg.variants if v not in todo]) if todo else []
    t0 = time.perf_counter()
    jobs = parallelism.jobs
    if todo:
        say(f"transferring {', '.join(LABELS[v] for v in todo)} into the {spec.device} array ({spec.scheme} scheme)"
            + (f", beside {len(early)} inference transients" if early else "")
            + f", {jobs} job{'s' if jobs > 1 else ''}")
        # the processes a transfer does not share with the other tasks split its write transients (run_phase)
        kw = dict(spice_backend=spice_backend, processes=parallelism.processes_per_task(len(todo) + len(early)))
        if jobs == 1 and parallelism.backend == "loky":
            kw["progress"] = say
        work = [(transfer_layer, (np.asarray(nets[v].levels2), spec), kw) for v in todo] + [t[2] for t in early]
        outputs = parallelism.run(work, generator=True)
        for v, layer in zip(todo, outputs):
            layers[v] = layer
            state.save(f"transfer_{v}", layer.to_record())
            s = layer.summary
            say(f"{LABELS[v]}: {s['within_tolerance_fraction']:.1%} of {s['n_cells']} cells within {s['tolerance_nS']:.4g} nS, "
                f"RMSE {s['rmse_nS']:.4g} nS ({time.perf_counter() - t0:.0f} s)")
        if early:
            bar = _bar(len(early))
            save_images(early, outputs, bar)
            bar.close()
        next(outputs, None)  # let the pool (or the Dask client) close
    tasks = image_tasks(todo if todo else cfg.variants)
    if tasks:
        say(f"{len(tasks)} inference transients ({len(results)} already done), {jobs} job{'s' if jobs > 1 else ''}")
        bar = _bar(len(tasks))
        save_images(tasks, parallelism.run([t[2] for t in tasks], generator=True), bar)
        bar.close()
    say(f"transfers and inference done in {time.perf_counter() - t0:.0f} s")
    return _assemble(cfg, data, nets, idx, layers, hidden, ideal, results)


def _bar(total: int):
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc="inference", unit="image", file=sys.stderr, disable=None)


def _assemble(cfg, data, nets, idx, layers, hidden, ideal, results) -> StudyResult:
    labels = data.test_y[idx]
    rows = []
    for v in cfg.variants:
        for k, test_index in enumerate(idx):
            r = results[(v, k)]
            p = r["power"]
            rows.append({
                "variant": v, "test_index": int(test_index), "label": int(labels[k]), "predicted": r["predicted"],
                "predicted_ideal": int(ideal[v][k]), "correct": r["predicted"] == labels[k],
                "n_hidden_spikes": int(hidden[v][k].sum()), "array_power_nW": p["array_power_nW"],
                "source_power_nW": p["source_power_nW"], "line_loss_nW": p["line_loss_nW"],
                "uncounted_devices_power_nW": p["uncounted_devices_power_nW"], "n_time_points": p["n_time_points"],
            })
    images = pd.DataFrame(rows)
    g = images.groupby(["label", "variant"])
    table = g.agg(array_power_nW=("array_power_nW", "mean"), source_power_nW=("source_power_nW", "mean"),
                  correct=("correct", "sum"), n_images=("correct", "size")).unstack("variant")
    per_class = pd.DataFrame({"class": table.index.astype(int)})
    for v in cfg.variants:
        per_class[f"power_{v}_nW"] = table[("array_power_nW", v)].to_numpy()
        per_class[f"source_power_{v}_nW"] = table[("source_power_nW", v)].to_numpy()
        per_class[f"correct_{v}"] = table[("correct", v)].to_numpy().astype(int)
    per_class["n_images"] = table[("n_images", cfg.variants[0])].to_numpy().astype(int)
    if set(VARIANTS) <= set(cfg.variants):
        per_class["reduction_percent"] = 100 * (1 - per_class.power_qtpr_nW / per_class.power_qt_nW)

    by_v = images.groupby("variant")
    mean = {v: float(by_v.array_power_nW.mean()[v]) for v in cfg.variants}
    summary = {
        "device": cfg.transfer.device,
        "scheme": cfg.transfer.scheme,
        "images_per_class": cfg.images_per_class,
        "n_images": int(len(idx)),
        "test_indices": [int(i) for i in idx],
        "seed": cfg.seed,
        "data": data.describe(),
        "power_nW_per_class": {v: {str(c): float(p) for c, p in zip(per_class["class"], per_class[f"power_{v}_nW"])}
                               for v in cfg.variants},
        "power_nW_mean": mean,
        "source_power_nW_mean": {v: float(by_v.source_power_nW.mean()[v]) for v in cfg.variants},
        "line_loss_nW_mean": {v: float(by_v.line_loss_nW.mean()[v]) for v in cfg.variants},
        "power_note": ("power_nW_*: the layer's devices (V x I, 20 per wordline), averaged over the inference window "
                       "and summed over the wordlines; source_power_nW_mean: drawn from the wordline sources, "
                       "including line and contact losses and the unused columns"),
        "accuracy": {v: float(by_v.correct.mean()[v]) for v in cfg.variants},
        "snn_ideal_accuracy": {v: float(np.mean(ideal[v] == labels)) for v in cfg.variants},
        "ann_accuracy": {v: nets[v].accuracy(data.test_x, data.test_y) for v in cfg.variants},
        "transfer": {v: layers[v].summary for v in cfg.variants},
        "r_wire_ohm": cfg.transfer.r_wire_ohm,
        "r_contact_ohm": cfg.transfer.r_contact_ohm,
    }
    if "reduction_percent" in per_class:
        summary["power_reduction_percent"] = 100 * (1 - mean["qtpr"] / mean["qt"])
        summary["classes_where_qtpr_draws_less"] = int((per_class.power_qtpr_nW < per_class.power_qt_nW).sum())
    summary["power_decomposition"] = power_decomposition(cfg, layers, hidden, images)
    summary["settings"] = study_settings(cfg)
    summary["paper_001"] = PAPER_001
    traces = {v: results[(v, 0)]["trace"] for v in cfg.variants if "trace" in results[(v, 0)]}
    summary["trace_test_index"] = int(idx[0])
    # Fig. 11a's image: paper 001 shows a 6; the first of that class in the study (else the first image)
    shown = int(np.flatnonzero(labels == 6)[0]) if np.any(labels == 6) else 0
    summary["output_test_index"], summary["output_test_label"] = int(idx[shown]), int(labels[shown])
    outputs = {(v, int(idx[shown])): np.asarray(results[(v, shown)]["diff_current_nA"], dtype=float) for v in cfg.variants}
    return StudyResult(images, per_class, summary, layers, traces, hidden, cfg, outputs)


def study_settings(cfg: StudyConfig) -> dict:
    """Every choice of the study that moves a headline number, as the summary reports it."""
    spec, dev = cfg.transfer, cfg.transfer.params
    return {
        "max_passes": spec.max_passes,
        "open_loop": spec.max_passes == 1,
        "transfer_engine": spec.engine,
        "zero_state": spec.zero_state,
        "write_error_sigma_nS": dev.write_error(spec.sigma_nS).sigma_nS,
        "reset_sigma_nS": dev.reset_error(spec.reset_sigma_nS).sigma_nS,
        "threshold_percentile": cfg.threshold_percentile,
        "spike_V": spike_V(dev),
        "spike_step_ms": cfg.timing.step_s * 1e3,
        "spike_plateau_ms": cfg.timing.pulse_s * 1e3,
        "spike_edge_us": cfg.timing.edge_s * 1e6,
        "spike_duty": cfg.timing.duty,
        "r_wire_ohm": spec.r_wire_ohm,
        "r_contact_ohm": spec.r_contact_ohm,
    }


def power_decomposition(cfg: StudyConfig, layers: dict, hidden: dict, images: pd.DataFrame) -> dict:
    """Why a power is what it is: P = V^2 x duty x (spikes per step) x (spike-weighted row conductance).

    Per image, each wordline i that spikes n_i times in the T steps draws V^2 G_i over duty of each
    spiking step, G_i the sum of the read conductances of its 20 layer cells (the transfer's read-out):
    P = V^2 duty sum_i n_i G_i / T. ``row_conductance_nS`` is sum_i n_i G_i / sum_i n_i, so that
    P = V^2 x duty x spikes_per_step x row_conductance. The circuit's power differs from it by the
    cells' non-linearity on the edges, the IR drop and the capacitive currents.
    """
    v_spike = spike_V(cfg.transfer.params)
    duty = cfg.timing.duty
    out = {}
    for v, layer in layers.items():
        cells = layer.cells[layer.cells.side != "unused"]
        g_row_S = cells.groupby("wordline").final_nS.sum().reindex(range(hidden[v].shape[2]), fill_value=0.0).to_numpy() * 1e-9
        n_i = hidden[v].sum(axis=1)  # images x wordlines
        steps = hidden[v].shape[1]
        predicted_nW = v_spike**2 * duty * (n_i @ g_row_S) / steps * 1e9
        spikes = n_i.sum(axis=1)
        circuit = images[images.variant == v].array_power_nW.to_numpy()
        out[v] = {
            "hidden_spikes_per_image": float(spikes.mean()),
            "spikes_per_step": float(spikes.mean() / steps),
            "row_conductance_nS": float((n_i @ g_row_S).sum() / max(spikes.sum(), 1) * 1e9),
            "mean_row_conductance_nS": float(g_row_S.mean() * 1e9),
            "duty": duty,
            "spike_V": v_spike,
            "predicted_power_nW": float(predicted_nW.mean()),
            "circuit_power_nW": float(circuit.mean()),
            "circuit_over_predicted": float(circuit.mean() / predicted_nW.mean()),
        }
    return out
