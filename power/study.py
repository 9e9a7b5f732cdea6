"""The power study of paper 001 (Fig. 12): average array power per MNIST class, QT against QT & PR.

`run_study` trains (or loads) both quantised networks, transfers each second layer into the
simulated array, runs the inference transient of the same test images for both variants in
ngspice and integrates the power over every wordline (`power.integrator`). With an output folder
it keeps each finished step there (``.state/``), so an interrupted study resumes where it stopped.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compact_models.errors import ParameterError

VARIANTS = ("qt", "qtpr")
LABELS = {"qt": "QT", "qtpr": "QT & PR"}


@dataclass(frozen=True, kw_only=True)
class StudyConfig:
    """What a power study runs."""

    scheme: str = "fast"
    """Weight-transfer scheme: ``fast`` or ``half-bias``."""
    device: str = "ht-rram"
    """Device of the array."""
    images_per_class: int = 3
    """Test images per class, the same for both variants (paper 001: 3)."""
    seed: int = 0
    """Seed of the image choice and the write errors."""
    sigma_nS: float | None = None
    """Write-error sigma, nS; None takes the device's (HT-RRAM 1.06 nS, paper 001; HfOxSy 23.7 uS, paper 000)."""
    r_wire_ohm: float = 1.0
    """Line resistance per segment, ohm."""
    r_contact_ohm: float = 10.0
    """Contact/driver resistance, ohm."""
    variants: tuple = VARIANTS
    """Network variants to compare."""

    def __post_init__(self):
        if self.images_per_class < 1:
            raise ParameterError(f"--images-per-class {self.images_per_class} must be at least 1")
        bad = set(self.variants) - set(VARIANTS)
        if bad or not self.variants:
            raise ParameterError(f"variants {sorted(bad)} are unknown; choose from {', '.join(VARIANTS)}")


@dataclass
class StudyResult:
    """Per-image and per-class tables, the summary, the transferred layers and the power traces."""

    images: pd.DataFrame
    per_class: pd.DataFrame
    summary: dict
    layers: dict
    traces: dict
    hidden: dict = field(default_factory=dict)


class _State:
    """Finished steps of a study kept in ``out/.state`` (none without an output folder)."""

    def __init__(self, out: Path | None, cfg: StudyConfig, data_desc: dict):
        self.dir = None if out is None else Path(out) / ".state"
        if self.dir is None:
            return
        (self.dir / "images").mkdir(parents=True, exist_ok=True)
        meta = {"config": asdict(cfg), "data": data_desc}
        meta = json.loads(json.dumps(meta))
        path = self.dir / "config.json"
        if path.exists():
            old = json.loads(path.read_text())
            if old != meta:
                raise ParameterError(f"--out {out} holds a run with other settings ({_diff(old, meta)}); "
                                     "choose a new --out or repeat that run's settings to resume it")
        else:
            from compact_models.io import atomic_write_json

            atomic_write_json(path, meta)

    def load(self, name: str):
        from compact_models.io import load_pickle

        if self.dir is None or not (self.dir / name).exists():
            return None
        return load_pickle(self.dir / name)

    def save(self, name: str, obj) -> None:
        if self.dir is not None:
            from compact_models.io import atomic_pickle

            atomic_pickle(self.dir / name, obj)


def _diff(old: dict, new: dict) -> str:
    a, b = old.get("config", {}), new.get("config", {})
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    if old.get("data") != new.get("data"):
        keys.append("data")
    return ", ".join(f"{k}: {a.get(k, old.get(k))!r} there" for k in keys) or "another version"


def counted_devices(xbar, levels: np.ndarray) -> np.ndarray:
    """The devices of the layer: every wordline's 2 x n_classes connected devices (paper 001: 20)."""
    mask = np.zeros(xbar.shape, dtype=bool)
    rows, n_out = levels.shape
    mask[:rows, : 2 * n_out] = True
    return mask


def run_study(cfg: StudyConfig = StudyConfig(), data=None, jobs: int = 1, out: Path | None = None,
              backend: str = "auto", progress=None, parallel_backend: str = "loky",
              scheduler: str | None = None) -> StudyResult:
    """Transfer both networks' second layers and measure the inference power of the same test images.

    ``data`` is an `snn.data.MNIST`, or a folder of IDX files, or None for the embedded sample. The
    transfers and images run in ``jobs`` processes, or on a Dask cluster (`compact_models.parallel`).
    """
    from compact_models.parallel import run_parallel

    from arrays.netlist import CrossbarParams
    from arrays.transfer import transfer_layer
    from compact_models.devices import device_params
    from snn.data import MNIST, images_per_class, load_mnist
    from snn.inference import infer_image_power
    from snn.models import trained_variants
    from snn.spiking import convert

    if jobs < 1:
        raise ParameterError(f"--jobs {jobs} must be at least 1")
    say = progress or (lambda _m: None)
    if not isinstance(data, MNIST):
        data = load_mnist(data)
    state = _State(out, cfg, data.describe())
    device = device_params(cfg.device)
    nets = trained_variants(data, variants=cfg.variants, progress=say)
    idx = images_per_class(data.test_y, cfg.images_per_class, cfg.seed)

    xbar = CrossbarParams(r_wire_wl_ohm=cfg.r_wire_ohm, r_wire_bl_ohm=cfg.r_wire_ohm, r_contact_ohm=cfg.r_contact_ohm)
    hidden, ideal = {}, {}
    for v in cfg.variants:
        snn = convert(nets[v], data.train_x)
        hidden[v] = snn.hidden_spikes(data.test_x[idx])
        ideal[v] = snn.ideal_output(hidden[v]).argmax(1)

    layers = {v: state.load(f"transfer_{v}.pkl") for v in cfg.variants}
    todo = [v for v in cfg.variants if layers[v] is None]
    results = {}

    def image_tasks(variants):
        tasks = []
        for v in variants:
            counted = counted_devices(xbar, np.asarray(nets[v].levels2))
            for k, test_index in enumerate(idx):
                name = f"images/{v}_{int(test_index):05d}.pkl"
                r = state.load(name)
                if r is not None:
                    results[(v, k)] = r
                    continue
                tasks.append(((v, k), name, (infer_image_power, (device, xbar, layers[v].result.state.cells, hidden[v][k]),
                                             dict(counted=counted, backend=backend, trace=k == 0))))
        return tasks

    def save_images(tasks, outputs, bar):
        for (key, name, _task), r in zip(tasks, outputs):
            results[key] = r
            state.save(name, r)
            bar.update(1)

    # The images of variants already transferred run beside the transfers still to do.
    early = image_tasks([v for v in cfg.variants if v not in todo]) if todo else []
    t0 = time.perf_counter()
    if todo:
        say(f"transferring {', '.join(LABELS[v] for v in todo)} into the {cfg.device} array ({cfg.scheme} scheme)"
            + (f", beside {len(early)} inference transients" if early else "")
            + f", {jobs} job{'s' if jobs > 1 else ''}")
        kw = dict(scheme=cfg.scheme, device=cfg.device, seed=cfg.seed, sigma_nS=cfg.sigma_nS, r_wire_ohm=cfg.r_wire_ohm,
                  r_contact_ohm=cfg.r_contact_ohm, backend=backend)
        if jobs == 1 and parallel_backend == "loky":
            kw["progress"] = say
        # the jobs a transfer does not share with the other tasks split its write transients (run_phase)
        kw["jobs"] = max(1, jobs // (len(todo) + len(early)))
        work = [(transfer_layer, (np.asarray(nets[v].levels2),), kw) for v in todo] + [t[2] for t in early]
        outputs = run_parallel(work, jobs, parallel_backend, scheduler, generator=True)
        for v, layer in zip(todo, outputs):
            layers[v] = layer
            state.save(f"transfer_{v}.pkl", layer)
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
        save_images(tasks, run_parallel([t[2] for t in tasks], jobs, parallel_backend, scheduler, generator=True), bar)
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
        "device": cfg.device,
        "scheme": cfg.scheme,
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
        "r_wire_ohm": cfg.r_wire_ohm,
        "r_contact_ohm": cfg.r_contact_ohm,
    }
    if "reduction_percent" in per_class:
        summary["power_reduction_percent"] = 100 * (1 - mean["qtpr"] / mean["qt"])
        summary["classes_where_qtpr_draws_less"] = int((per_class.power_qtpr_nW < per_class.power_qt_nW).sum())
    traces = {v: results[(v, 0)]["trace"] for v in cfg.variants if "trace" in results[(v, 0)]}
    summary["trace_test_index"] = int(idx[0])
    return StudyResult(images, per_class, summary, layers, traces, hidden)
