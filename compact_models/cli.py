"""Helpers the command-line tools share: logging, one-line failures, output folders."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from compact_models.errors import ParameterError


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")


def add_parallel_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend`` and ``--scheduler``: where the ``--jobs`` processes run (`compact_models.parallel`)."""
    parser.add_argument("--backend", choices=["loky", "dask"], default="loky",
                        help="local processes (loky, default) or a Dask cluster through joblib's Dask backend")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="Dask scheduler address (tcp://host:8786); default with --backend dask: a local cluster of --jobs workers")


def parallelism_from(args, notify=None):
    """The `Parallelism` of ``--jobs``, ``--backend`` and ``--scheduler``, checked before any work starts."""
    from compact_models.parallel import Parallelism

    return Parallelism.resolve(args.jobs, args.backend, args.scheduler, notify=notify)


def timestamped(prefix: str) -> Path:
    """The default output folder of a run: ``runs/<prefix>-<date>-<time>``."""
    import time

    return Path("runs") / time.strftime(f"{prefix}-%Y%m%d-%H%M%S")


def setup_logging(verbose: int) -> None:
    """Log warnings (``-v``: information, ``-vv``: debugging) to stderr."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def fail(message: str) -> int:
    """Print a one-line error for the user and return the exit code."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def prepare_out_dir(out: Path) -> Path:
    """Create the output folder (and parents); a clear error when it cannot be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} exists and is not a folder; name a folder")
    probe = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not probe.is_dir():
        raise ParameterError(f"--out {out} cannot be created: {probe} is a file, not a folder; choose another folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ParameterError(f"--out {out} cannot be written (no permission on {probe}); choose another folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"--out {out} cannot be created ({exc.strerror}); choose another folder") from None
    return out
