"""The layering rule, compact_models <- arrays <- snn <- power, holds for every module.

A module imports (at top level or inside a function) only its own package and those below it;
only the entry points users type (``__main__.py`` files and shims of at most 20 lines) reach up.
No import cycles between modules, no module over 500 lines.
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"compact_models": 0, "arrays": 1, "snn": 2, "power": 3}
MAX_LINES = 500
SHIM_LINES = 20


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set:
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            mod = ".".join(base + [node.module or ""]).strip(".")
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in FLOORS}


MODULES = {_module(p): p for pkg in FLOORS for p in sorted((ROOT / pkg).rglob("*.py"))}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_its_floor_and_below(name):
    path = MODULES[name]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
    if path.name == "__main__.py" or lines <= SHIM_LINES:
        return
    own = FLOORS[name.split(".")[0]]
    above = sorted({m.split(".")[0] for m in _imports(path) if FLOORS[m.split(".")[0]] > own})
    assert not above, f"{path.relative_to(ROOT)} imports {above} from above its floor"


def test_no_import_cycles():
    graph = {n: {d for d in _imports(p) if d in MODULES and d != n} for n, p in MODULES.items()}
    state = {}

    def visit(n, stack):
        state[n] = "open"
        for d in sorted(graph[n]):
            assert state.get(d) != "open", f"import cycle: {' -> '.join(stack[stack.index(d):] + [d])}"
            if d not in state:
                visit(d, stack + [d])
        state[n] = "done"

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])


def test_the_rule_catches_an_upward_import(tmp_path, monkeypatch):
    """The check above is not vacuous: an arrays module importing snn is caught."""
    bad = tmp_path / "arrays" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("\n" * 30 + "from snn.data import load_mnist\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _imports(bad) >= {"snn.data"}
    monkeypatch.setitem(MODULES, "arrays.bad", bad)
    with pytest.raises(AssertionError, match="imports \\['snn'\\] from above its floor"):
        test_a_module_imports_only_its_floor_and_below("arrays.bad")


def test_the_shared_checker_agrees():
    """The workplace's own checker (beside the project in ../shared/tools), where it is present."""
    tool = ROOT.parent / "shared" / "tools" / "check_layers.py"
    if not tool.exists():
        pytest.skip("../shared/tools/check_layers.py is not beside this checkout")
    proc = subprocess.run([sys.executable, str(tool), "--max-lines", str(MAX_LINES)], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 problems" in proc.stdout
