"""Helpers the command-line tools share: logging, one-line failures, output folders."""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from compact_models.errors import InputFileError, ParameterError, RRAMError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
"""The commands' exit codes: done; the toolkit or the system failed (ngspice, a full disk); a mistake in
the command (a flag, a value, an input file); interrupted (Ctrl-C)."""


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """``--overwrite``: clear an ``--out`` folder that holds another run before this one writes there."""
    parser.add_argument("--overwrite", action="store_true",
                        help="if --out holds a run of another kind or with other settings, clear it first (default: refuse)")


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


INTERRUPT_GRACE_S = 1.0
"""How long a Ctrl-C waits for this process to stop by itself before it is ended at once, s."""


@contextlib.contextmanager
def _prompt_interrupt(message: str):
    """Make a Ctrl-C end the command within `INTERRUPT_GRACE_S`, even while ngspice runs in this process.

    Python handles a signal only between its own instructions, so a Ctrl-C would wait for a running
    ngspice analysis (tens of seconds). The signal's wake-up byte reaches a watcher thread at once;
    if the command has not stopped by the grace time, the watcher stops the ngspice subprocesses, prints
    the one line and ends the process. Finished steps are on disk already (every write is atomic).
    """
    import os
    import signal
    import threading

    from compact_models import simulator

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    done = threading.Event()

    def watch():
        while os.read(r, 1) != bytes([signal.SIGINT]):
            if done.is_set():
                return
        if done.wait(INTERRUPT_GRACE_S):
            return
        simulator.stop_subprocesses()
        print(f"interrupted: {message}", file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)

    def on_sigint(signum, frame):
        # Also wake the watcher from Python: a library that replaces the wake-up fd (or swallows the
        # KeyboardInterrupt in its own code) must not keep the command running.
        try:
            os.write(w, bytes([signal.SIGINT]))
        except OSError:
            pass
        raise KeyboardInterrupt

    previous = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    watcher = threading.Thread(target=watch, name="rram-cosim-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.signal(signal.SIGINT, previous_handler)
        signal.set_wakeup_fd(previous)
        os.write(w, b"\0")
        watcher.join(INTERRUPT_GRACE_S)
        os.close(w)
        os.close(r)


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Print a one-line error for the user and return the exit code."""
    print(f"error: {message}", file=sys.stderr)
    return code


def run_guarded(work, interrupted: str = "stopped; nothing of this run is kept") -> int:
    """Run ``work()`` (which returns an exit code) and turn the toolkit's errors into one line and an exit code.

    ``interrupted`` is what a Ctrl-C leaves (whether and how the run resumes).
    """
    try:
        with _prompt_interrupt(interrupted):
            return work()
    except (ParameterError, InputFileError) as exc:
        return fail(str(exc), EXIT_USAGE)
    except RRAMError as exc:
        return fail(str(exc), EXIT_ERROR)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return fail(f"{exc.strerror or exc}{where}; free space or choose another --out, then run again", EXIT_ERROR)
    except KeyboardInterrupt:
        print(f"interrupted: {interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED


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
    _check_writable(out)
    return out


def check_out_file(path: Path) -> None:
    """Refuse an output file that is a folder, or whose folder is missing, a file, or cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"--out {path} is a folder; name a file in it")
    parent = path.parent
    if not parent.exists():
        raise ParameterError(f"--out {path}: folder {parent} does not exist; create it or choose another file")
    if not parent.is_dir():
        raise ParameterError(f"--out {path}: {parent} is a file, not a folder; choose another file")
    try:
        _check_writable(parent)
    except ParameterError:
        raise ParameterError(f"--out {path} cannot be written in {parent}; choose another file") from None


def _check_writable(folder: Path) -> None:
    """Write and remove a probe file: permissions alone do not tell (root, read-only mounts, /sys)."""
    import secrets

    probe = folder / f".rram-cosim-probe-{secrets.token_hex(4)}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ParameterError(f"--out {folder} cannot be written ({exc.strerror}); choose another folder") from None
