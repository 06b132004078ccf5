"""docs/architecture.md against the code: every module it names exists, every module of the
package is named, and the stage of each module in its table is the stage
``tests/test_import_map.py`` enforces."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from test_import_map import PACKAGE, STAGES, stage_of

ROOT = PACKAGE.parent
DOC = ROOT / "docs" / "architecture.md"
#: A stage of the doc's table that the import-map test does not constrain.
FREE_STAGES = {"package", "models", "comparison"}

_TOKEN = re.compile(r"`([^`\s]+)`")
_DOTTED = re.compile(r"hear_probes(\.(\w+|<name>|\*))+")
#: A path of code or docs: ``probes/timbre/metric.py``, ``tests/test_cli.py``, ``adapters/``.
_PATH = re.compile(r"[\w<>.-]+(/[\w<>.-]+)*(\.py|\.md|/)")


def probe_packages(package: Path = PACKAGE) -> list[str]:
    """The probe packages (``ranking``, ``gear``, ``timbre``...)."""
    return sorted(p.parent.name for p in (package / "probes").glob("*/__init__.py"))


def package_modules(package: Path = PACKAGE) -> set[str]:
    """Dotted names of every module and package under ``package``."""
    names = set()
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _expand(name: str, packages: list[str]) -> list[str]:
    """``probes.<name>`` / ``probes/<name>`` stand for every probe package; a name with any
    other ``<placeholder>`` is a template for a new file and stands for nothing."""
    for marker in ("probes.<name>", "probes/<name>"):
        if marker in name:
            name = name.replace(marker, marker.replace("<name>", "{}"))
            return [n for n in (name.format(p) for p in packages) if "<" not in n]
    return [] if "<" in name else [name]


def _defines(module_path: Path, attribute: str) -> bool:
    """Whether a module defines ``attribute`` at top level, or lists it among the names it
    exports lazily (a string in a top-level tuple, list or dict, as ``__all__`` or ``_API``)."""
    tree = ast.parse(module_path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == attribute:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == attribute for t in targets):
            return True
        value = getattr(node, "value", None)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and value is not None and any(
                isinstance(c, ast.Constant) and c.value == attribute for c in ast.walk(value)):
            return True
    return False


def _module_path(name: str, package: Path) -> Path | None:
    base = package.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _dotted_name(token: str, packages: list[str], package: Path) -> tuple[list[str], list[str]]:
    """Modules a dotted token names, and the lines for what does not exist."""
    named, missing = [], []
    for name in _expand(token, packages):
        if _module_path(name, package):
            named.append(name)
            continue
        parent, _, attribute = name.rpartition(".")  # a module's attribute: views.ModelSource
        where = _module_path(parent, package)
        if not (where and _defines(where, attribute)):
            missing.append(f"{token}: no module {name}")
    return named, missing


def _path_name(token: str, packages: list[str], package: Path) -> tuple[list[str], list[str]]:
    """Modules a path token names (``.py`` files under the package), and missing paths."""
    named, missing = [], []
    root = package.parent
    for rel in _expand(token, packages):
        found = [base / rel for base in (root, package) if (base / rel).exists()]
        if not found:
            missing.append(f"{token}: no file {rel}")
        elif rel.endswith(".py") and found[0].is_relative_to(package):
            named.append(".".join(found[0].relative_to(root).with_suffix("").parts))
    return named, missing


def doc_names(text: str, package: Path = PACKAGE) -> tuple[set[str], list[str]]:
    """Modules the doc names (dotted ``hear_probes.x`` or a path under ``hear_probes/``) and
    every name or path that does not exist, as readable lines."""
    packages = probe_packages(package)
    named: set[str] = set()
    missing: list[str] = []
    for token in _TOKEN.findall(text):
        token = token.rstrip(".,:;'")
        if token == package.name:
            found, gone = [token], []
        elif _DOTTED.fullmatch(token) and "*" not in token:
            found, gone = _dotted_name(token, packages, package)
        elif _PATH.fullmatch(token) and "/" in token:
            found, gone = _path_name(token, packages, package)
        else:
            continue
        named.update(found)
        missing += gone
    return named, missing


def table_stages(text: str) -> dict[str, str]:
    """``module -> stage`` from the rows ``| stage | modules | job |`` of the module table."""
    stages = {}
    packages = probe_packages()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("stage", "---"):
            continue
        for token in _TOKEN.findall(cells[1]):
            if token == PACKAGE.name:
                stages[token] = cells[0]
            elif _DOTTED.fullmatch(token) and "*" not in token:
                for name in _expand(token, packages):
                    stages[name] = cells[0]
    return stages


def stage_disagreements(stages: dict[str, str]) -> list[str]:
    """Rows whose stage is not the import-map test's stage of their module."""
    bad = []
    for module, stage in sorted(stages.items()):
        expected = stage_of(module)
        if expected is None and stage not in FREE_STAGES:
            bad.append(f"{module}: the doc says {stage!r}, the import-map test gives it no stage "
                       f"(use one of {sorted(FREE_STAGES)} or add it to a stage of the test)")
        elif expected is not None and stage != expected:
            bad.append(f"{module}: the doc says {stage!r}, the import-map test says {expected!r}")
    return bad


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_module_the_doc_names_exists(text):
    _, missing = doc_names(text)
    assert missing == []


def test_every_module_of_the_package_is_in_the_doc(text):
    named, _ = doc_names(text)
    assert sorted(package_modules() - named) == []


def test_the_table_stages_are_the_import_map_stages(text):
    stages = table_stages(text)
    assert {"hear_probes.api", "hear_probes.cli_common", "hear_probes.__main__",
            "hear_probes.probes.timbre.command", "hear_probes.tidy"} <= set(stages)
    assert stage_disagreements(stages) == []
    # every stage of the test has a row, and every module the test names by itself is in one
    assert set(STAGES) <= set(stages.values())
    listed = {m for prefixes in STAGES.values() for m in prefixes}
    assert sorted(listed - set(stages)) == []


def test_the_checks_can_fail(tmp_path):
    package = tmp_path / "hear_probes"
    for rel in ("__init__.py", "errors.py", "views.py", "probes/__init__.py",
                "probes/toy/__init__.py", "probes/toy/run.py"):
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text("class HearProbesError(Exception):\n    pass\n")
    doc = ("`hear_probes.errors.HearProbesError` `hear_probes.errors.Nope` `hear_probes.gone` "
           "`hear_probes.probes.<name>.run` `probes/toy/run.py` `probes/<name>/missing.py`")
    named, missing = doc_names(doc, package)
    assert missing == ["hear_probes.errors.Nope: no module hear_probes.errors.Nope",
                       "hear_probes.gone: no module hear_probes.gone",
                       "probes/<name>/missing.py: no file probes/toy/missing.py"]
    assert sorted(package_modules(package) - named) == [
        "hear_probes", "hear_probes.errors", "hear_probes.probes", "hear_probes.probes.toy",
        "hear_probes.views"]
    assert stage_disagreements({"hear_probes.views": "report", "hear_probes.registry": "models",
                                "hear_probes.compare": "probes"}) == [
        "hear_probes.compare: the doc says 'probes', the import-map test gives it no stage "
        "(use one of ['comparison', 'models', 'package'] or add it to a stage of the test)",
        "hear_probes.views: the doc says 'report', the import-map test says 'orchestration'"]


def test_the_complexity_exceptions_are_counted_right(text):
    """The doc's count of ``noqa: C901/PLR0912/PLR0915`` comments is the code's."""
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    said = re.search(r"exceptions \((\w+) in `hear_probes/`, `adapters/` and", text)
    noqa = re.compile(r"#\s*noqa:[^\n]*\b(C901|PLR0912|PLR0915)\b")
    found = sum(len(noqa.findall(p.read_text(encoding="utf-8")))
                for folder in ("hear_probes", "adapters", "benchmarks")
                for p in (ROOT / folder).rglob("*.py"))
    assert said and words.index(said.group(1)) == found
