"""Speed and scale benchmarks: ``.venv/bin/python benchmarks/run.py [--quick] [--mnist-dir DIR]``.

Measures, on this machine, against the targets of the speed issue (2 cores):

* one 25-step inference of the 24 x 24 HT-RRAM array in ngspice, as a transient and quasi-static;
* the nodal engine per image, its largest deviation from ngspice's DC currents on the same images,
  and the whole test set through the transferred array (`snn.infer.run_inference`, ``engine="nodal"``);
* the fast and the half-bias weight transfer of the QT layer in ngspice (not from the cache) as the main
  job runs them (open loop, paper 001), each write transient in parts on as many ngspice processes as
  CPUs (the default); the fast one also on one process (`transfer_fast_1_job_s`), with verify
  passes (`transfer_fast_verified_s`, 3 at most), and by the nodal write engine (`transfer_fast_nodal_s`,
  its switch states against ngspice's in `transfer_nodal_same_states`, the speed-up of the medians in
  `spice_over_nodal_transfer`), and with the areas as B-sources against compiled Verilog-A where ngspice
  has OSDI (`transfer_fast_bsource_s`; `osdi_over_bsource_speedup`, the ratio of the medians);
* the throughput of two processes against one on multi-image transient runs;
* a sweep of 100 Monte Carlo points (`arrays.sweep`'s API, transfers by the nodal write engine,
  1 000 test images through each point's array; one run);
* the growth of resident memory over 500 consecutive 24 x 24 inference transients in one process
  through the ngspice shared library;
* the version and capabilities of ngspice (`ngspice_version`, `ngspice`: KLU, OSDI).

Every timing is the best of `REPEATS` runs (the fast transfer: `TRANSFER_REPEATS`, with the median
beside; the half-bias transfer: one run). Prints one table and writes ``benchmarks/results.json``
(atomically). ``--quick`` skips the half-bias transfer and runs 100 instead of 500 memory transients.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compact_models.io import atomic_write_json  # noqa: E402

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"

TARGETS = {
    "spice_transient_s_per_image": ("<=", 0.5),
    "spice_quasistatic_s_per_image": ("<=", 0.1),
    "nodal_vs_spice_max_rel_error": ("<=", 1e-4),
    "nodal_spice_same_predictions": (">=", 1.0),
    "transfer_fast_s": ("<=", 3.0),
    "transfer_fast_nodal_s": ("<=", 0.3),
    "transfer_nodal_same_states": (">=", 1.0),
    "transfer_half_bias_s": ("<=", 60.0),
    "half_bias_over_fast": (">=", 4.0),
    "parallel_speedup_2_jobs": (">=", 1.7),
    "full_test_set_s": ("<=", 30.0),
    "sweep_100_points_s": ("<=", 300.0),
    "rss_growth_MB": ("<", 50.0),
    "evaluate_hfoxsy_5_repeats_s": ("<=", 600.0),
    "snn_two_layer_full_test_set_s": ("<=", 60.0),
}
"""The speed issue's targets (2 cores); the first benchmark's were 2 s and 0.5 s per image and 15 s
for the fast transfer."""


REPEATS = 2
"""Every timing is the best of this many runs: on this kind of virtual machine the same ngspice deck
runs up to twice as slow from one minute to the next, and the best run is the one least disturbed."""
TRANSFER_REPEATS = 3
"""Runs of the fast transfer (the metric furthest from its target), on all CPUs and on one; their
median is reported beside the best."""


def _timed(f, *a, **kw):
    t0 = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t0


def _best(f, *a, **kw):
    runs = [_timed(f, *a, **kw) for _ in range(REPEATS)]
    return runs[0][0], min(t for _, t in runs)


@contextlib.contextmanager
def _b_sources():
    """The arrays' decks with their areas as B-sources, as where ngspice has no OSDI."""
    from compact_models import osdi

    usable = osdi.usable
    osdi.usable = lambda: False
    try:
        yield
    finally:
        osdi.usable = usable


def _states(layer) -> list:
    return [[c.closed for c in row] for row in layer.result.state.cells]


def _rss_MB() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run(mnist_dir, quick: bool, say) -> dict:
    from arrays.nodal import NodalArray
    from arrays.transfer import TransferSpec, transfer_layer
    from compact_models import osdi
    from compact_models.parallel import Parallelism, run_parallel
    from compact_models.simulator import ngspice_info
    from power.sweep import SweepConfig, run_sweep
    from snn.data import load_mnist
    from snn.infer import run_inference
    from snn.inference import bitline_step_currents, classify
    from snn.models import trained_variants
    from snn.spiking import convert

    r = {"ngspice_version": ngspice_info()["version"], "ngspice": ngspice_info()}
    data = load_mnist(mnist_dir)
    net = trained_variants(data, variants=("qt",), progress=say)["qt"]
    levels = np.asarray(net.levels2)
    say(f"fast transfer of the QT layer in ngspice, {TRANSFER_REPEATS} times on as many processes as CPUs "
        "and on one, alternated")
    cpus = Parallelism.resolve().jobs
    fast, verified = TransferSpec(scheme="fast"), TransferSpec(scheme="fast", max_passes=3)
    split, whole = [], []
    for _ in range(TRANSFER_REPEATS):  # alternated, so a slow spell of the machine does not favour one side
        layer, t = _timed(transfer_layer, levels, fast, cache=False, processes=cpus)
        split.append(t)
        one, t = _timed(transfer_layer, levels, fast, cache=False, processes=1)
        whole.append(t)
    r["transfer_fast_s"] = min(split)
    r["transfer_fast_median_s"] = float(np.median(split))
    r["transfer_fast_1_job_s"] = min(whole)
    r["transfer_1_job_same_states"] = float(_states(one) == _states(layer) and np.array_equal(one.cells.final_nS, layer.cells.final_nS))
    say(f"fast transfer of the QT layer by the nodal write engine, {TRANSFER_REPEATS} times")
    runs = [_timed(transfer_layer, levels, replace(fast, engine="nodal"), cache=False) for _ in range(TRANSFER_REPEATS)]
    nodal_layer = runs[0][0]
    r["transfer_fast_nodal_s"] = min(t for _, t in runs)
    r["transfer_fast_nodal_median_s"] = float(np.median([t for _, t in runs]))
    r["transfer_nodal_same_states"] = float(_states(nodal_layer) == _states(layer))
    r["transfer_nodal_max_read_rel_error"] = float(np.max(np.abs(nodal_layer.cells.final_nS - layer.cells.final_nS)
                                                          / np.abs(layer.cells.final_nS)))
    r["spice_over_nodal_transfer"] = r["transfer_fast_median_s"] / r["transfer_fast_nodal_median_s"]
    say(f"fast transfer of the QT layer with the areas as B-sources and as compiled Verilog-A, {TRANSFER_REPEATS} "
        "times each, alternated")
    if osdi.usable():
        plain, compiled = [], []
        for _ in range(TRANSFER_REPEATS):
            with _b_sources():
                plain.append(_timed(transfer_layer, levels, fast, cache=False, processes=cpus)[1])
            compiled.append(_timed(transfer_layer, levels, fast, cache=False, processes=cpus)[1])
        r["transfer_fast_bsource_s"] = min(plain)
        r["osdi_over_bsource_speedup"] = float(np.median(plain) / np.median(compiled))
    say("fast transfer with verify passes (3 at most, beyond the paper's open loop) in ngspice")
    _, r["transfer_fast_verified_s"] = _best(transfer_layer, levels, verified, cache=False, processes=cpus)
    if not quick:
        say("half-bias transfer of the QT layer in ngspice")
        _, r["transfer_half_bias_s"] = _timed(transfer_layer, levels, TransferSpec(scheme="half-bias"), cache=False, processes=cpus)
        r["half_bias_over_fast"] = r["transfer_half_bias_s"] / r["transfer_fast_s"]

    device, xbar, cells = layer.spec.params, layer.crossbar, layer.result.state.cells
    hidden = convert(net, data.train_x).hidden_spikes(data.test_x[:20])
    bitline_step_currents(device, xbar, cells, hidden[0], mode="quasi-static")  # ngspice loaded and warm

    say("inference transients in ngspice (3 images)")
    times = [_best(bitline_step_currents, device, xbar, cells, h, mode="transient")[1] for h in hidden[:3]]
    r["spice_transient_s_per_image"] = float(np.mean(times))
    say("quasi-static inferences in ngspice (20 images)")
    spice, times = zip(*(_best(bitline_step_currents, device, xbar, cells, h, mode="quasi-static") for h in hidden))
    r["spice_quasistatic_s_per_image"] = float(np.mean(times))

    arr = NodalArray.from_cells(device, xbar, cells)
    nodal, t = _timed(arr.step_currents_A, hidden, abs(device.read_V))
    spice = np.array(spice)
    big = np.abs(spice) > 1e-3 * np.abs(spice).max()
    r["nodal_vs_spice_max_rel_error"] = float(np.max(np.abs(nodal - spice)[big] / np.abs(spice)[big]))
    r["nodal_spice_same_predictions"] = float(np.mean([classify(a)[0] == classify(b)[0] for a, b in zip(nodal, spice)]))

    say(f"the whole test set ({len(data.test_y)} images) through the array by the nodal engine")
    run_all, r["full_test_set_s"] = _best(run_inference, data, net, "qt", engine="nodal", layer=layer,
                                          image_index=np.arange(len(data.test_y)))
    r["full_test_set_images"] = int(len(data.test_y))
    r["nodal_s_per_image"] = r["full_test_set_s"] / len(data.test_y)
    r["full_test_set_accuracy"] = run_all.summary["accuracy"]

    say("throughput of 1 and 2 processes on 12 inference transients (worker start-up included)")
    tasks = [(bitline_step_currents, (device, xbar, cells, h), {"mode": "transient"}) for h in hidden[:12]]
    t1, t2 = [], []
    for _ in range(REPEATS):  # alternated, so a slow spell of the machine does not favour one side
        t1.append(_timed(run_parallel, tasks, 1)[1])
        t2.append(_timed(run_parallel, tasks, 2)[1])
    r["parallel_speedup_2_jobs"] = min(t1) / min(t2)

    say("a sweep of 100 Monte Carlo points (4 write-error sigmas x 25 seeds), transfers by the nodal engine, "
        "1 000 test images each")
    cfg = SweepConfig(parameter="sigma_nS", values=(0.5, 1.06, 2.0, 4.0), seeds=25, n_images=min(1000, len(data.test_y)),
                      engine="nodal")
    sweep, r["sweep_100_points_s"] = _timed(run_sweep, cfg, data, Parallelism.resolve())
    r["sweep_100_points_accuracy_mean"] = float(sweep[sweep.metric == "accuracy"].value.mean())

    n = 100 if quick else 500
    say(f"{n} consecutive 24 x 24 inference transients in this process (shared library)")
    before = _rss_MB()
    for k in range(n):
        bitline_step_currents(device, xbar, cells, hidden[k % len(hidden)], mode="transient", backend="shared")
    r["rss_growth_MB"] = _rss_MB() - before
    r["rss_runs"] = n
    r.update(run_networks(mnist_dir, say))
    return r


def run_networks(mnist_dir, say) -> dict:
    """The network-level runs: paper 000's study and paper 001's SNN with both layers on arrays."""
    return dict(run_evaluate(mnist_dir, say), **run_two_layer(mnist_dir, say))


def run_two_layer(mnist_dir, say) -> dict:
    """Paper 001's SNN over the test set with its first layer on 24 x 24 tiles and its second on the
    transferred array, both by the nodal engine (the transfer from the cache, made first)."""
    from arrays.tiles import TileSpec
    from arrays.transfer import TransferSpec, transfer_layer
    from snn.data import load_mnist
    from snn.infer import run_inference
    from snn.models import trained_variants

    data = load_mnist(mnist_dir)
    net = trained_variants(data, variants=("qt",), progress=say)["qt"]
    layer = transfer_layer(np.asarray(net.levels2), TransferSpec(), progress=say)
    say(f"paper 001's SNN with both layers on arrays, {len(data.test_y)} images, nodal engine")
    tile = TileSpec(rows=24, cols=24, r_line_ohm=1.0, r_contact_ohm=10.0)
    index = np.arange(len(data.test_y))
    run_, t = _timed(run_inference, data, net, "qt", engine="nodal", layer=layer, image_index=index, first_layer=tile,
                     spice_images=0)
    return {"snn_two_layer_full_test_set_s": t, "snn_two_layer_accuracy": run_.summary["accuracy"],
            "snn_two_layer_first_layer_s": run_.summary["first_layer"]["wall_s"]}


def run_evaluate(mnist_dir, say) -> dict:
    """Paper 000's study (`snn.evaluate`): 5 repeats of HfOxSy on 128 x 128 tiles over the test set, on 2
    processes, its networks trained first (timed apart) so the study's time is the deployments'."""
    from compact_models.parallel import Parallelism
    from snn.data import load_mnist
    from snn.evaluate import EvaluateConfig, run_evaluation, trained_networks, training_data

    data = load_mnist(mnist_dir)
    cfg = EvaluateConfig(device="hfoxsy", repeats=5)
    say(f"paper 000's study: {cfg.repeats} HfOxSy deployments on 128 x 128 tiles, {len(data.test_y)} test images, 2 processes")
    _, train_s = _timed(trained_networks, cfg, *training_data(data))
    ev, t = _timed(run_evaluation, cfg, data, Parallelism(jobs=2))
    s = ev.summary
    return {"evaluate_hfoxsy_5_repeats_s": t, "evaluate_training_s": train_s, "evaluate_n_test_images": float(s["n_test_images"]),
            "evaluate_digital_accuracy": s["digital_accuracy"], "evaluate_deployed_accuracy_mean": s["deployed_accuracy_mean"]}


def table(r: dict) -> str:
    rows = [("metric", "value", "target", "met")]
    for key, value in r.items():
        if not isinstance(value, float):
            continue
        op, target = TARGETS.get(key, ("", None))
        met = "" if target is None else ("yes" if (value <= target if op == "<=" else value >= target if op == ">="
                                                   else value < target) else "NO")
        rows.append((key, f"{value:.4g}", f"{op} {target:g}" if target is not None else "", met))
    width = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, width)).rstrip() for row in rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", default=os.environ.get("MNIST_DIR") or (str(SHARED_MNIST) if SHARED_MNIST.is_dir() else None),
                        help="MNIST IDX folder (default: $MNIST_DIR, else ../shared/data/mnist, else the embedded sample)")
    parser.add_argument("--quick", action="store_true", help="skip the half-bias transfer; 100 memory runs")
    parser.add_argument("--only", choices=["networks"], default=None,
                        help="run only the network-level runs (paper 000's study, the two-layer SNN) and update their keys "
                             "in --out, keeping the others")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    say = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.perf_counter()
    if args.only:
        import json

        previous = json.loads(args.out.read_text()) if args.out.exists() else {}
        r = dict(previous, **run_networks(args.mnist_dir, say))
    else:
        r = run(args.mnist_dir, args.quick, say)
        r["benchmark_wall_s"] = time.perf_counter() - t0
    print(table(r))
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    atomic_write_json(args.out, dict(r, repeats=REPEATS, transfer_repeats=TRANSFER_REPEATS, machine=machine))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
