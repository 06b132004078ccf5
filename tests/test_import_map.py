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

#: Modules every stage may use; they import only each other.
BASE = ("hear_probes.errors", "hear_probes.atomic", "hear_probes.paths", "hear_probes.hashing",
        "hear_probes.lazy", "hear_probes.checks", "hear_probes.provenance", "hear_probes.dask_client",
        "hear_probes.download", "hear_probes.plugins", "hear_probes.weights_cache", "hear_probes.stats")
STIMULI = ("hear_probes.stimuli", "hear_probes.audio", "hear_probes.synth", "hear_probes.dsp")
EMBEDDING = ("hear_probes.embed", "hear_probes.store", "hear_probes.layers")
PROBES = ("hear_probes.probes", "hear_probes.result_schema", "hear_probes.tidy")
ORCHESTRATION = ("hear_probes.evaluation", "hear_probes.sweep", "hear_probes.views", "hear_probes.api")
REPORT = ("hear_probes.report",)
REPORT_HELPERS = ("hear_probes.report.tables", "hear_probes.report.render")
#: The command line: ``cli``, its shared options and each ``command`` module (a probe's or
#: ``compare``'s typer skin over the functions below it). Nothing else imports these, and
#: nothing else imports typer.
CLI = ("hear_probes.cli", "hear_probes.cli_common", "hear_probes.__main__")
#: A probe's modules that other stages may read (result files, shared score names).
PROBE_MODULES_READ_ELSEWHERE = ("hear_probes.probes.timbre.pairs_file", "hear_probes.probes.timbre.groups",
                                "hear_probes.probes.gear.schema")
#: The stage names of docs/architecture.md's module table, for tests/test_architecture_doc.py.
STAGES = {"base": BASE, "stimuli": STIMULI, "embedding": EMBEDDING, "probes": PROBES,
          "orchestration": ORCHESTRATION, "report": REPORT, "command line": CLI}


def stage_of(module: str) -> str | None:
    """The stage this test puts ``module`` in (None: a stage it does not constrain)."""
    if is_cli(module):
        return "command line"
    return next((name for name, prefixes in STAGES.items() if _in(module, prefixes)), None)


def is_cli(module: str) -> bool:
    """Whether ``module`` belongs to the command-line stage."""
    return module in CLI or module.rsplit(".", 1)[-1] == "command"


def _in(module: str, prefixes: tuple[str, ...]) -> bool:
    """``module`` is one of ``prefixes`` or inside one (``hear_probes.cli`` is not ``cli_common``)."""
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """Dotted names an import statement may refer to (a module, or a name inside one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    source = node.module or ""
    if node.level:  # relative: strip the importer's own name, then one package per extra dot
        base = importer.split(".") if is_package else importer.split(".")[:-1]
        source = ".".join(base[: len(base) - (node.level - 1)] + ([source] if source else []))
    return [source] + [f"{source}.{a.name}" for a in node.names]


def _imports_of(name: str, path: Path, modules: set[str]) -> tuple[set[str], set[str]]:
    """Own modules imported by one module: ``(at module level, anywhere)``."""
    package = name.split(".")[0]
    top: set[str] = set()
    every: set[str] = set()
    pending = [(ast.parse(path.read_text(encoding="utf-8")), True)]
    while pending:
        node, module_level = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # annotations only
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _imported_names(child, name, path.name == "__init__.py"):
                    while target and target not in modules:
                        target = target.rpartition(".")[0]
                    if target and target not in (name, package):
                        every.add(target)
                        if module_level:
                            top.add(target)
            inside_def = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            pending.append((child, module_level and not inside_def))
    return top, every


def import_graph(root: Path) -> dict[str, tuple[set[str], set[str]]]:
    """``module -> (module-level imports, all imports)`` among the package's own modules."""
    paths = {_module_name(p, root): p for p in root.rglob("*.py")}
    return {name: _imports_of(name, path, set(paths)) for name, path in paths.items()}


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
        (PROBES, ORCHESTRATION, "a probe imports evaluation, sweep, views or the API"),
        (REPORT_HELPERS, PROBES, "a report helper knows a probe"),
        (REPORT, ORCHESTRATION, "the report imports views, evaluation, sweep or the API"),
    ]
    found = []
    for module, (_, every) in sorted(graph.items()):
        if is_cli(module):
            continue  # the command line may import every stage
        found += [f"{module} -> {t}: only the command line imports the command line"
                  for t in sorted(every) if is_cli(t)]
        if _in(module, BASE):
            found += [f"{module} -> {t}: a base module imports a later stage"
                      for t in sorted(every) if not _in(t, BASE)]
        if _in(module, PROBES):
            found += [f"{module} -> {t}: a probe imports the report beyond its helpers"
                      for t in sorted(every) if _in(t, REPORT) and not _in(t, REPORT_HELPERS)]
        own_probe = ".".join(module.split(".")[:3]) if _in(module, ("hear_probes.probes",)) else None
        found += [f"{module} -> {t}: a probe's own module, imported from outside that probe"
                  for t in sorted(every) if _probe_internal(t) and not _in(t, (own_probe or "-",))
                  and t not in PROBE_MODULES_READ_ELSEWHERE]
        for sources, targets, why in rules:
            if _in(module, sources):
                found += [f"{module} -> {t}: {why}" for t in sorted(every) if _in(t, targets)]
    return found


def _probe_internal(module: str) -> bool:
    """A module inside one probe's package (``hear_probes.probes.<name>.<module>``)."""
    parts = module.split(".")
    return len(parts) >= 4 and parts[:2] == ["hear_probes", "probes"]


def third_party_imports(path: Path) -> set[str]:
    """Top-level names of every module imported anywhere in a file (``typer``, ``numpy``...)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def typer_importers(root: Path) -> list[str]:
    """Modules outside the command line that import typer."""
    return sorted(name for name, path in ((_module_name(p, root), p) for p in root.rglob("*.py"))
                  if not is_cli(name) and "typer" in third_party_imports(path))


def test_no_module_level_import_circle():
    assert find_cycle(import_graph(PACKAGE)) is None


def test_no_stage_imports_a_later_stage():
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and graph["hear_probes.embed"][1]  # the walk found the package
    assert forbidden_imports(graph) == []


def test_the_cli_stage_is_seen():
    """``cli_common`` and the probe commands are in the CLI stage, and only there is typer."""
    graph = import_graph(PACKAGE)
    assert {"hear_probes.cli_common", "hear_probes.probes.ranking.command"} <= set(graph)
    assert all(is_cli(m) for m in ("hear_probes.cli", "hear_probes.cli_common",
                                   "hear_probes.probes.timbre.command", "hear_probes.compare.command"))
    assert not is_cli("hear_probes.views") and not is_cli("hear_probes.evaluation")
    assert typer_importers(PACKAGE) == []


@pytest.fixture
def toy_package(tmp_path):
    """A package with a circle (a -> b -> a), a stimulus module importing a probe, a base
    module importing a later stage and a probe importing a report module beyond the helpers."""
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
        "cli_common.py": "import typer\n",
        "evaluation.py": "def f():\n    from hear_probes.cli_common import X\n",
        "views.py": "import typer.core\n",
        "paths.py": "def f():\n    from hear_probes import views\n",
        "probes/y.py": "import hear_probes.report.zoo\n",
        "probes/z/__init__.py": "",
        "probes/z/inner.py": "",
        "report/zoo.py": "from hear_probes.probes.z import inner\n",
        "report/__init__.py": "",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_checks_can_fail(toy_package):
    graph = import_graph(toy_package)
    assert find_cycle(graph) == ["hear_probes.a", "hear_probes.b", "hear_probes.a"]
    assert forbidden_imports(graph) == [
        "hear_probes.evaluation -> hear_probes.cli_common: only the command line imports the command line",
        "hear_probes.paths -> hear_probes.views: a base module imports a later stage",
        "hear_probes.probes.y -> hear_probes.report.zoo: a probe imports the report beyond its helpers",
        "hear_probes.report.zoo -> hear_probes.probes.z.inner: a probe's own module, imported from outside that probe",
        "hear_probes.stimuli.tones -> hear_probes.probes.x: stimuli import a later stage"]
    assert typer_importers(toy_package) == ["hear_probes.views"]


def test_loading_everything_below_the_cli_loads_no_typer():
    """The registry, the report, the sweep and the schemas load without typer (run time check)."""
    import subprocess
    import sys

    code = ("import sys, hear_probes.report, hear_probes.sweep, hear_probes.evaluation, "
            "hear_probes.views\nfrom hear_probes.probes import registry\nregistry.probes()\n"
            "from hear_probes.result_schema import schemas\nschemas()\n"
            "print('typer' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
