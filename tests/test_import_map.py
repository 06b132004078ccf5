"""The import map of docs/architecture.md: no module-level circle, no stage imports a later one.

The imports are read with ``ast`` (nothing is imported): every ``import`` / ``from ... import``
of a ``hear_probes`` module, at module level and inside functions; imports under
``if TYPE_CHECKING:`` are type annotations only and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hear_probes"

STIMULI = ("hear_probes.stimuli", "hear_probes.audio", "hear_probes.synth", "hear_probes.dsp")
EMBEDDING = ("hear_probes.embed", "hear_probes.store", "hear_probes.layers")
PROBES = ("hear_probes.probes",)
ORCHESTRATION = ("hear_probes.evaluation", "hear_probes.sweep", "hear_probes.cli")
REPORT = ("hear_probes.report",)
REPORT_READERS = ("hear_probes.report.load", "hear_probes.report.build", "hear_probes.report.layers")
REPORT_HELPERS = ("hear_probes.report.tables", "hear_probes.report.render")


def _in(module: str, prefixes: tuple[str, ...]) -> bool:
    """``module`` is one of ``prefixes`` or inside one (``hear_probes.cli`` is not ``cli_common``)."""
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, tuple[set[str], set[str]]]:
    """``module -> (module-level imports, all imports)`` among the package's own modules."""
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    package = root.name
    graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        top: set[str] = set()
        every: set[str] = set()

        def known(target: str, name: str = name) -> str | None:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            return target if target and target not in (name, package) else None

        def visit(node: ast.AST, module_level: bool, name: str = name,
                  is_package: bool = is_package, top: set = top, every: set = every) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                level = module_level and not isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                targets: list[str] = []
                if isinstance(child, ast.Import):
                    targets = [a.name for a in child.names]
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = name.split(".") if is_package else name.split(".")[:-1]
                        base = base[: len(base) - (child.level - 1)]
                        source = ".".join(base + ([child.module] if child.module else []))
                    else:
                        source = child.module or ""
                    targets = [source] + [f"{source}.{a.name}" for a in child.names]
                for target in targets:
                    if target.split(".")[0] == package and (found := known(target)):
                        every.add(found)
                        if level:
                            top.add(found)
                visit(child, level)

        visit(ast.parse(path.read_text(encoding="utf-8")), True)
        graph[name] = (top, every)
    return graph


def find_cycle(graph: dict[str, tuple[set[str], set[str]]]) -> list[str] | None:
    """One circle of module-level imports, or None."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start][0])))]
        path = [start]
        state[start] = 1
        while stack:
            node, successors = stack[-1]
            nxt = next(successors, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph[nxt][0]))))
    return None


def forbidden_imports(graph: dict[str, tuple[set[str], set[str]]]) -> list[str]:
    """Every import that breaks the stage order of docs/architecture.md, as readable lines."""
    rules = [
        (STIMULI, EMBEDDING + PROBES + ORCHESTRATION + REPORT, "stimuli import a later stage"),
        (EMBEDDING, PROBES + ORCHESTRATION + REPORT, "the embedding stage imports a later stage"),
        (PROBES, ORCHESTRATION, "a probe imports evaluation, sweep or cli"),
        (PROBES, REPORT_READERS, "a probe imports report.load/build/layers (only its helpers)"),
        (REPORT_HELPERS, PROBES, "a report helper knows a probe"),
    ]
    found = []
    for module, (_, every) in sorted(graph.items()):
        for sources, targets, why in rules:
            if _in(module, sources):
                found += [f"{module} -> {t}: {why}" for t in sorted(every) if _in(t, targets)]
    return found


def test_no_module_level_import_circle():
    assert find_cycle(import_graph(PACKAGE)) is None


def test_no_stage_imports_a_later_stage():
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and graph["hear_probes.embed"][1]  # the walk found the package
    assert forbidden_imports(graph) == []


@pytest.fixture
def toy_package(tmp_path):
    """A package with a circle (a -> b -> a) and a stimulus module importing a probe."""
    root = tmp_path / "hear_probes"
    for rel, text in {
        "__init__.py": "",
        "a.py": "from hear_probes import b\n",
        "b.py": "from . import a\n",
        "stimuli/__init__.py": "",
        "stimuli/tones.py": "def f():\n    from hear_probes.probes.x import run\n",
        "probes/__init__.py": "",
        "probes/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                       "    from hear_probes.report.build import Y\nrun = 1\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_checks_can_fail(toy_package):
    graph = import_graph(toy_package)
    assert find_cycle(graph) in (["hear_probes.a", "hear_probes.b", "hear_probes.a"],)
    assert forbidden_imports(graph) == [
        "hear_probes.stimuli.tones -> hear_probes.probes.x: stimuli import a later stage"]
