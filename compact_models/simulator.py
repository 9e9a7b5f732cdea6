"""Run a netlist in ngspice: the one module that talks to the simulator.

Two backends behind one function, `run(netlist, analysis, save, backend)`:

* ``shared``: PySpice driving the ngspice shared library (``libngspice``) in this process. One
  ngspice instance per process, not re-entrant: parallelise with processes (joblib), never threads.
  We talk to the library through PySpice's cffi bindings but judge errors ourselves from ngspice's
  output, because PySpice 1.5 treats any stderr line as an error and libngspice 42 and newer write
  informational lines there.
* ``subprocess``: ``ngspice -b -r out.raw deck.cir`` and a parser for the binary raw file.

``auto`` takes the shared library when it loads and the binary otherwise. Netlist builders never
import this module; they return text that `run` completes with the analysis and save lines.
"""
from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from compact_models.capabilities import build_info, ngspice_binary
from compact_models.errors import (
    ConvergenceError,
    NetlistError,
    ParameterError,
    SimulationError,
    SimulatorNotFoundError,
)

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "shared", "subprocess")

INSTALL_HINT = (
    "install ngspice and its shared library (Debian/Ubuntu: 'sudo apt-get install ngspice libngspice0'; "
    "conda: 'conda install -c conda-forge ngspice ngspice-lib'; macOS: 'brew install ngspice'), "
    "or point NGSPICE_LIBRARY_PATH at libngspice"
)

_CONVERGENCE_PATTERNS = (
    "timestep too small",
    "singular matrix",
    "iteration limit reached",
    "gmin stepping failed",
    "source stepping failed",
    "transient op failed",
    "dc solution failed",
    "no convergence",
)
_NETLIST_PATTERNS = (
    "error on line",
    "unknown subckt",
    "could not find a valid modelname",
    "unable to find definition of model",
    "syntax error",
    "unknown device type",
    "is not a known",
    "no such vector",
    "circuit not parsed",
    "error: ",
    "fatal error",
    "there is no circuit loaded",
    "unknown parameter",
    "too few parameters",
    "is not defined",
)


@dataclass
class SimResult:
    """Vectors of one analysis, keyed ``time``/``sweep``, ``v(node)`` and ``i(source)`` (lower case)."""

    analysis: str
    vectors: dict = field(default_factory=dict)
    backend: str = ""

    def __getitem__(self, name: str) -> np.ndarray:
        key = _normalise_name(name)
        try:
            return self.vectors[key]
        except KeyError:
            raise SimulationError(
                f"vector {name!r} is not in the {self.analysis} result; saved vectors are "
                f"{sorted(self.vectors)[:12]}{' ...' if len(self.vectors) > 12 else ''}"
            ) from None

    def __contains__(self, name: str) -> bool:
        return _normalise_name(name) in self.vectors

    @property
    def time(self) -> np.ndarray:
        """The transient's own time points in seconds."""
        return self["time"]


def _normalise_name(name: str) -> str:
    name = name.strip().lower()
    if name.endswith("#branch"):
        return f"i({name[: -len('#branch')]})"
    if name in ("time", "sweep", "frequency", "v-sweep", "i-sweep", "temp-sweep", "res-sweep"):
        return "time" if name == "time" else "sweep"
    if name.startswith(("v(", "i(")):
        inner = name[2:-1]
        if name.startswith("v(") and inner.endswith("#branch"):
            return f"i({inner[: -len('#branch')]})"
        return name
    if name.startswith("@"):
        return name
    return f"v({name})"


def _classify_failure(output: str, stage: str) -> Exception | None:
    low = output.lower()
    if "singular matrix" in low:
        line = _first_line_with(output, "singular matrix")
        return ConvergenceError(
            f"ngspice found a singular matrix ({line}): a node has no DC path to ground or sources form a "
            f"loop; connect the node named there or add a large resistor from it to ground"
        )
    for pat in _CONVERGENCE_PATTERNS:
        if pat in low:
            line = _first_line_with(output, pat)
            return ConvergenceError(
                f"ngspice did not converge ({line}); try a smaller time step, shorter edges on the "
                f"sources, or '.options gmin=1e-15 reltol=1e-3 method=gear'"
            )
    for pat in _NETLIST_PATTERNS:
        if pat in low:
            line = _first_line_with(output, pat)
            return NetlistError(
                f"ngspice rejected the netlist during {stage}: {line}; check the element named there "
                f"(write the deck with netlist text and run 'ngspice -b deck.cir' to see it in context)"
            )
    return None


def _first_line_with(output: str, pat: str) -> str:
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if pat in line.lower():
            text = line.strip()
            if text.endswith(":") and i + 1 < len(lines):
                text = f"{text} {lines[i + 1].strip()}"
            return text
    return pat


DECK_TITLE = "* rram-cosim deck"
"""The first line of every deck: ngspice takes a deck's first line as its title, never as an element."""


def complete_deck(netlist: str, analysis: str, save: Sequence[str] | None, options: str = "") -> str:
    """Return the full deck: our title line, the netlist, options, save lines, the analysis, ``.end``."""
    analysis = analysis.strip()
    if not analysis.startswith("."):
        analysis = "." + analysis
    kind = analysis.split()[0][1:].lower()
    if kind not in ("tran", "op", "dc"):
        raise ParameterError(f"analysis {analysis!r} is not supported; use '.tran', '.op' or '.dc'")
    lines = [DECK_TITLE, netlist.rstrip()]
    if options:
        lines.append(options.strip())
    if save:
        for i in range(0, len(save), 40):
            lines.append(".save " + " ".join(save[i : i + 40]))
    lines.append(analysis)
    lines.append(".end")
    return "\n".join(lines) + "\n"


SPICEINIT = "set num_threads=1\nset noinit\n"
"""Said to every ngspice before its circuit: one OpenMP thread (Debian's ngspice 46 sets eight in its
spinit, and on two busy cores the threads made a small deck 5 to 10 times slower; the toolkit
parallelises with processes instead), and no printout of the transient's initial solution (one
line per node: 1 800 lines a 24 x 24 inference, each passed through the output callback). Read
from ``.spiceinit`` in the subprocess's folder."""


class _SharedBackend:
    """PySpice's cffi binding to libngspice, with our own output handling."""

    _instance = None
    _lock = threading.Lock()

    def __init__(self):
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared

        lib = os.environ.get("NGSPICE_LIBRARY_PATH") or _find_libngspice() or "libngspice{}.so"
        try:
            self.ng = _QuietNgSpice.create(NgSpiceShared, lib)
        except (OSError, ImportError) as exc:
            raise SimulatorNotFoundError(f"cannot load the ngspice shared library ({exc}); {INSTALL_HINT}") from None
        except AttributeError as exc:
            raise SimulatorNotFoundError(f"{lib} was loaded but is not libngspice ({exc}); point NGSPICE_LIBRARY_PATH "
                                         "at the ngspice shared library (libngspice.so) or unset it") from None
        self.version = getattr(self.ng, "_ngspice_version", None)
        for line in SPICEINIT.splitlines():
            self.ng.command(line)

    @classmethod
    def get(cls) -> "_SharedBackend":
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def run(self, deck: str, kind: str) -> SimResult:
        # A Ctrl-C while ngspice runs would raise inside PySpice's callbacks, where cffi swallows it:
        # note it during the run and raise KeyboardInterrupt right after.
        if threading.current_thread() is not threading.main_thread():
            return self._run(deck, kind)
        interrupted = []
        previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
        try:
            result = self._run(deck, kind)
        finally:
            signal.signal(signal.SIGINT, previous)
        if interrupted:
            raise KeyboardInterrupt
        return result

    def _run(self, deck: str, kind: str) -> SimResult:
        with self._lock:
            ng = self.ng
            ng.clear()
            ng.load(deck)
            try:
                err = _classify_failure(ng.output(), "parsing")
                if err is not None:
                    raise err
                ng.clear()
                ng.command("run")
                out = ng.output()
                err = _classify_failure(out, "the analysis")
                if err is not None:
                    raise err
                plot = ng.current_plot()
                if plot is None or not plot.lower().startswith(kind):
                    raise SimulationError(
                        f"ngspice produced no {kind} result; its output was: {out.strip()[-400:] or '(nothing)'}"
                    )
                return SimResult(kind, ng.vectors(plot), backend="shared")
            finally:
                # Free the plot and the circuit whatever happened, so memory stays bounded over many runs.
                ng.command("destroy all")
                ng.command("remcirc")


class _QuietNgSpice:
    """Owns one `NgSpiceShared` and collects its output instead of raising on stderr."""

    @classmethod
    def create(cls, base, library_path: str):
        """A new instance of a subclass of PySpice's ``base`` that loads ``library_path``.

        The library path and PySpice's logger are set on the subclass alone: PySpice's own class and
        loggers stay as they are. Its logger would report every ngspice stderr line as an error and
        warn "Unsupported Ngspice version"; ngspice's output is read here instead.
        """
        quiet = cls()

        class _Shared(base):
            LIBRARY_PATH = library_path
            _logger = logging.Logger("rram-cosim.pyspice", level=logging.CRITICAL)

            def send_char(self, message, ngspice_id):
                quiet.lines.append(message)
                return 0

        quiet.lines = []
        quiet.shared = _Shared.new_instance()
        quiet._ngspice_version = quiet.shared._ngspice_version
        return quiet

    def clear(self):
        """Forget the output so far: ours, and the copy PySpice keeps of every line (it grows without end otherwise)."""
        self.lines.clear()
        self.shared._stdout.clear()
        self.shared._stderr.clear()

    def output(self) -> str:
        out = []
        for message in self.lines:
            prefix, _, content = message.partition(" ")
            out.append(content if prefix in ("stdout", "stderr") else message)
        return "\n".join(out)

    def command(self, command: str):
        from PySpice.Spice.NgSpice.Shared import ffi

        self.shared._ngspice_shared.ngSpice_Command(command.encode("ascii"))
        self.shared._ngspice_shared.ngSpice_Command(ffi.NULL)

    def load(self, deck: str):
        from PySpice.Spice.NgSpice.Shared import ffi

        lines = [line for line in deck.splitlines() if line.strip()] + [""]
        keep = [ffi.new("char[]", line.encode("utf8")) for line in lines] + [ffi.NULL]
        self.shared._ngspice_shared.ngSpice_Circ(ffi.new("char *[]", keep))

    def current_plot(self) -> str | None:
        from PySpice.Spice.NgSpice.Shared import ffi

        cur = self.shared._ngspice_shared.ngSpice_CurPlot()
        if cur == ffi.NULL:
            return None
        name = ffi.string(cur).decode()
        return None if name == "const" else name

    def vectors(self, plot: str) -> dict:
        from PySpice.Spice.NgSpice.Shared import ffi

        lib = self.shared._ngspice_shared
        names_c = lib.ngSpice_AllVecs(plot.encode())
        out = {}
        i = 0
        while names_c[i] != ffi.NULL:
            name = ffi.string(names_c[i]).decode()
            i += 1
            info = lib.ngGet_Vec_Info(f"{plot}.{name}".encode())
            if info == ffi.NULL or info.v_realdata == ffi.NULL:
                continue
            n = info.v_length
            out[_normalise_name(name)] = np.frombuffer(ffi.buffer(info.v_realdata, n * 8), dtype=np.float64).copy()
        return out


def _find_libngspice() -> str | None:
    for cand in ("libngspice.so", "libngspice.so.0"):
        for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib", "/usr/lib64"):
            p = Path(d) / cand
            if p.exists():
                return str(p)
    import ctypes.util

    found = ctypes.util.find_library("ngspice")
    return found


_LIVE: set = set()
_LIVE_LOCK = threading.Lock()


def stop_subprocesses() -> None:
    """Kill every ngspice subprocess this process is waiting for (from any thread): a Ctrl-C acts at once."""
    with _LIVE_LOCK:
        for proc in _LIVE:
            proc.kill()


def _run_subprocess(deck: str, kind: str, timeout_s: float | None) -> SimResult:
    exe = ngspice_binary()
    if exe is None:
        raise SimulatorNotFoundError(f"the ngspice program is not on PATH; {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="rram-ngspice-") as tmp:
        cir = Path(tmp) / "deck.cir"
        raw = Path(tmp) / "out.raw"
        cir.write_text(deck)
        (Path(tmp) / ".spiceinit").write_text(SPICEINIT)
        proc = subprocess.Popen([exe, "-b", "-r", str(raw), str(cir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=tmp)
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise SimulationError(f"ngspice ran longer than {timeout_s} s and was stopped") from None
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        out = stdout + "\n" + stderr
        err = _classify_failure(out, "the run")
        if err is not None:
            raise err
        if not raw.exists():
            raise SimulationError(f"ngspice wrote no results (exit {proc.returncode}): {out.strip()[-400:]}")
        vectors = parse_rawfile(raw.read_bytes())
    return SimResult(kind, vectors, backend="subprocess")


def parse_rawfile(data: bytes) -> dict:
    """Parse an ngspice raw file (binary or ascii, real data, last plot) into ``{name: array}``."""
    plots = {}
    pos = 0
    while pos < len(data):
        header_end = data.find(b"Binary:\n", pos)
        ascii_end = data.find(b"Values:\n", pos)
        if header_end < 0 and ascii_end < 0:
            break
        binary = header_end >= 0 and (ascii_end < 0 or header_end < ascii_end)
        end = header_end if binary else ascii_end
        header = data[pos:end].decode("latin-1")
        body_start = end + len(b"Binary:\n" if binary else b"Values:\n")
        npoints = int(re.search(r"No\. Points:\s*(\d+)", header).group(1))
        nvars = int(re.search(r"No\. Variables:\s*(\d+)", header).group(1))
        if "complex" in re.search(r"Flags:\s*(.*)", header).group(1):
            raise SimulationError("complex raw files are not supported (use tran, op or dc)")
        var_block = re.split(r"^Variables:\s*$", header, flags=re.M)[1].strip().splitlines()[:nvars]
        names = [line.split()[1] for line in var_block]
        if binary:
            n = npoints * nvars
            arr = np.frombuffer(data, dtype="<f8", count=n, offset=body_start).reshape(npoints, nvars)
            pos = body_start + n * 8
        else:
            nxt = data.find(b"Title:", body_start)
            chunk = data[body_start : nxt if nxt >= 0 else len(data)].decode().split()
            nums = [float(tok) for i, tok in enumerate(chunk) if i % (nvars + 1) != 0]
            arr = np.array(nums).reshape(npoints, nvars)
            pos = nxt if nxt >= 0 else len(data)
        plots = {_normalise_name(nm): arr[:, i].copy() for i, nm in enumerate(names)}
    return plots


def _resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ParameterError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    env = os.environ.get("RRAM_SPICE_BACKEND")
    if env is not None:
        if env not in ("shared", "subprocess"):
            raise ParameterError(f"RRAM_SPICE_BACKEND={env!r} is not one of shared, subprocess; fix or unset it")
        return env
    try:
        _SharedBackend.get()
        return "shared"
    except SimulatorNotFoundError:
        if ngspice_binary() is not None:
            return "subprocess"
        raise


def run(
    netlist: str,
    analysis: str,
    save: Sequence[str] | None = None,
    backend: str = "auto",
    options: str = "",
    timeout_s: float | None = None,
) -> SimResult:
    """Run ``netlist`` (circuit text, no analysis, no ``.end``) with one analysis in ngspice.

    ``save`` lists vectors to keep (``v(node)``, ``i(vsource)``); all are kept when None.
    ``options`` is an ``.options`` line. Raises `NetlistError` when ngspice rejects the deck,
    `ConvergenceError` when the analysis does not converge and `SimulatorNotFoundError` when
    ngspice is missing.
    """
    kind = analysis.strip().lstrip(".").split()[0].lower()
    if _COMPILED_DEVICE.search(netlist):
        from compact_models import osdi

        netlist = osdi.load_line(osdi.compiled_models()) + "\n" + netlist
    if build_info()["klu"]:  # KLU factorises the arrays' matrices about 1.5 times as fast as Sparse 1.3
        options = f"{options.strip()}\n.options klu".strip()
    deck = complete_deck(netlist, analysis, save, options)
    chosen = _resolve_backend(backend)
    logger.debug("running %s analysis with the %s backend (%d lines)", kind, chosen, deck.count("\n"))
    if chosen == "shared":
        return _SharedBackend.get().run(deck, kind)
    return _run_subprocess(deck, kind, timeout_s)


_COMPILED_DEVICE = re.compile(r"^N\S*\s", re.MULTILINE | re.IGNORECASE)
"""An OSDI instance line: the netlist needs the compiled Verilog-A models loaded first."""


def ngspice_info() -> dict:
    """``{"version", "klu", "osdi", "compiled_models", "backends"}`` of the ngspice here, as every run's
    summary records it (``compiled_models``: the arrays' areas run as compiled Verilog-A, `compact_models.osdi`)."""
    from compact_models import osdi

    return dict(build_info(), compiled_models=osdi.usable(), backends=available_backends())


def available_backends() -> list[str]:
    """The backends that work on this machine."""
    found = []
    try:
        _SharedBackend.get()
        found.append("shared")
    except SimulatorNotFoundError:
        pass
    if ngspice_binary() is not None:
        found.append("subprocess")
    return found
