"""Processes for ngspice runs: joblib's loky pool and a real local Dask cluster give the serial results."""
import numpy as np
import pytest

from arrays.mapping import random_levels, target_states
from arrays.netlist import CrossbarParams
from arrays.state import ArrayState, ideal_cells
from compact_models.errors import ParameterError
from compact_models.ht_rram import HTRRAMParams
from compact_models.parallel import run_parallel
from snn.inference import bitline_step_currents

pytestmark = pytest.mark.ngspice

P = HTRRAMParams()
XBAR = CrossbarParams()


@pytest.fixture(scope="module")
def reads():
    """Four quasi-static inferences of one array in ngspice, as tasks, and their serial results."""
    cells = ArrayState(P, XBAR, ideal_cells(P, target_states(random_levels(2)))).cells
    rng = np.random.default_rng(3)
    tasks = [(bitline_step_currents, (P, XBAR, cells, rng.random((25, 24)) < 0.2), {"mode": "quasi-static"})
             for _ in range(4)]
    return tasks, [f(*a, **kw) for f, a, kw in tasks]


def _same(results, serial):
    assert len(results) == len(serial)
    for got, want in zip(results, serial):
        np.testing.assert_array_equal(got, want)


def test_loky_processes_give_the_serial_results_in_order(reads):
    tasks, serial = reads
    _same(run_parallel(tasks, jobs=2), serial)
    _same(list(run_parallel(tasks, jobs=2, generator=True)), serial)


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_serial_results(reads):
    tasks, serial = reads
    _same(run_parallel(tasks, jobs=2, backend="dask"), serial)


@pytest.mark.slow
def test_a_dask_scheduler_address_is_used_and_checked(reads):
    from dask.distributed import LocalCluster

    tasks, serial = reads
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        _same(run_parallel(tasks[:2], jobs=1, backend="dask", scheduler=cluster.scheduler_address), serial[:2])
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        with pytest.raises(ParameterError, match="not re-entrant.*--nthreads 1"):
            run_parallel(tasks[:1], backend="dask", scheduler=cluster.scheduler_address)


def test_bad_settings_are_refused():
    with pytest.raises(ParameterError, match="--backend 'threads' is unknown"):
        run_parallel([], backend="threads")
    with pytest.raises(ParameterError, match="--scheduler needs --backend dask"):
        run_parallel([], scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ParameterError, match="--jobs 0 must be at least 1"):
        run_parallel([], jobs=0)
