"""Independent simulations in separate processes: joblib's loky pool, or a Dask cluster.

ngspice keeps one instance per process and is not re-entrant, so the work is spread over
processes, never threads: loky workers locally, or the workers of a Dask cluster through joblib's
Dask backend. A task is ``(function, args, kwargs)``; results come back in the tasks' order.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from compact_models.errors import ParameterError

BACKENDS = ("loky", "dask")


@dataclass(frozen=True, kw_only=True)
class Parallelism:
    """Where a command's independent simulations run; resolved once, at the command line, and handed down.

    ``jobs`` processes at once: loky workers on this machine, or the workers of a Dask cluster
    (``backend="dask"``; ``scheduler`` a running scheduler's address, else a local cluster of ``jobs``
    workers). Work that splits further (a transfer's write transients) gets the processes the tasks
    beside it leave free (`processes_per_task`).
    """

    jobs: int = 1
    """Processes at once."""
    backend: str = "loky"
    """``loky`` (local processes) or ``dask``."""
    scheduler: str | None = None
    """Address of a running Dask scheduler (``tcp://host:8786``), or None."""

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise ParameterError(f"--backend {self.backend!r} is unknown; choose one of {', '.join(BACKENDS)}")
        if not isinstance(self.jobs, int) or isinstance(self.jobs, bool) or self.jobs < 1:
            raise ParameterError(f"--jobs {self.jobs!r} must be a whole number of at least 1")
        if self.scheduler and self.backend != "dask":
            raise ParameterError("--scheduler needs --backend dask")

    @classmethod
    def resolve(cls, jobs: int | None = None, backend: str = "loky", scheduler: str | None = None,
                notify=None) -> "Parallelism":
        """The parallelism of a command: ``jobs`` None takes this machine's CPUs; more than the CPUs
        are capped at them (with a notice through ``notify``) unless the work goes to a remote scheduler."""
        cpus = os.cpu_count() or 1
        if jobs is None:
            jobs = cpus
        elif isinstance(jobs, int) and jobs > cpus and not scheduler:
            if notify is not None:
                notify(f"--jobs {jobs} is more than the {cpus} CPUs of this machine; running {cpus} at once")
            jobs = cpus
        return cls(jobs=jobs, backend=backend, scheduler=scheduler)

    def processes_per_task(self, n_tasks: int) -> int:
        """Processes each of ``n_tasks`` tasks running side by side may split its own work over:
        what the others leave of ``jobs``; 1 on a remote cluster, whose workers already fill its machines."""
        if self.scheduler:
            return 1
        return max(1, self.jobs // max(1, min(self.jobs, n_tasks)))

    def run(self, tasks, generator: bool = False):
        """`run_parallel` of ``tasks`` here."""
        return run_parallel(tasks, self.jobs, self.backend, self.scheduler, generator)


def run_parallel(tasks, jobs: int = 1, backend: str = "loky", scheduler: str | None = None,
                 generator: bool = False):
    """Run ``tasks`` in ``jobs`` processes (``backend="loky"``) or on a Dask cluster (``backend="dask"``).

    With Dask, ``scheduler`` is the address of a running scheduler (``tcp://host:8786``); without it
    a local cluster of ``jobs`` single-threaded worker processes is started for the call. With
    ``generator`` the results are yielded as they finish, in order (for progress and resumable runs).
    """
    if backend not in BACKENDS:
        raise ParameterError(f"--backend {backend!r} is unknown; choose one of {', '.join(BACKENDS)}")
    if jobs < 1:
        raise ParameterError(f"--jobs {jobs} must be at least 1")
    if scheduler and backend != "dask":
        raise ParameterError("--scheduler needs --backend dask")
    tasks = list(tasks)
    if backend == "loky" and (jobs == 1 or len(tasks) <= 1):
        results = (f(*a, **kw) for f, a, kw in tasks)
        return results if generator else list(results)
    if backend == "loky":
        results = _joblib(tasks, min(jobs, len(tasks)), contextlib.nullcontext)
    else:
        results = _on_dask(tasks, jobs, scheduler)
    return results if generator else list(results)


def _joblib(tasks, n_jobs, config):
    from joblib import Parallel, delayed

    with config():
        yield from Parallel(n_jobs=n_jobs, return_as="generator")(delayed(f)(*a, **kw) for f, a, kw in tasks)


def _on_dask(tasks, jobs, scheduler):
    import joblib

    client, cluster = dask_client(scheduler, jobs)
    try:
        yield from _joblib(tasks, -1, lambda: joblib.parallel_config(backend="dask"))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dask_client(scheduler: str | None, jobs: int):
    """A Dask client on ``scheduler``, or on a new local cluster of ``jobs`` single-threaded processes."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError("--backend dask needs dask.distributed: pip install 'dask[distributed]'") from None
    if scheduler is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), cluster
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ParameterError(f"no Dask scheduler answered at {scheduler} ({exc}); start one with "
                             "'dask scheduler' and workers with 'dask worker ADDRESS --nthreads 1'") from None
    threads = {w: info.get("nthreads", 1) for w, info in client.scheduler_info()["workers"].items()}
    if not threads or max(threads.values()) > 1:
        client.close()
        raise ParameterError(f"the Dask cluster at {scheduler} has {'no workers' if not threads else 'multi-threaded workers'}"
                             "; ngspice is not re-entrant: start workers with 'dask worker ADDRESS --nthreads 1'")
    return client, None
