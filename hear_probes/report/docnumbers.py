"""Fill, or check, the result numbers of README.md and docs/*.md from ``results/``.

Every number in the documentation that comes from a result sits in a marked block::

    <!-- results:NAME [ARG ...] -->TEXT<!-- /results -->

(inline, inside a sentence) or with the markers on their own lines (a table). ``--write``
replaces each TEXT by what the generator ``NAME`` of :mod:`hear_probes.report.docblocks`
builds from ``results/``; ``--check`` reports every block whose TEXT differs and exits 1.

    python -m hear_probes.report.docnumbers --write     # after regenerating results/
    python -m hear_probes.report.docnumbers --check     # what tests/test_docs_numbers.py runs
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hear_probes.atomic import atomic_write_text
from hear_probes.report.docblocks import BLOCKS
from hear_probes.report.docsources import DocSourceError, Results

#: Files scanned, relative to the repository root.
DOC_GLOBS = ("README.md", "docs/*.md")

BLOCK_RE = re.compile(r"<!-- results:(?P<spec>[^>]*?) -->(?P<body>.*?)<!-- /results -->", re.DOTALL)
OPEN_RE = re.compile(r"<!-- results:")
CLOSE_RE = re.compile(r"<!-- /results -->")


@dataclass(frozen=True)
class Mismatch:
    """A block whose text differs from what ``results/`` gives."""

    path: Path
    line: int
    spec: str
    found: str
    expected: str

    def describe(self) -> str:
        """Several lines: where, which block, and a diff."""
        diff = difflib.unified_diff(self.found.splitlines(), self.expected.splitlines(),
                                    "doc", "results/", lineterm="", n=0)
        return f"{self.path}:{self.line}: block {self.spec!r} disagrees with results/\n" + "\n".join(diff) + "\n"


def doc_files(root: Path) -> list[Path]:
    """The Markdown files that may hold blocks."""
    files: list[Path] = []
    for pattern in DOC_GLOBS:
        files += sorted(root.glob(pattern))
    return files


#: Probe packages that own doc blocks: each module has ``DOC_BLOCKS = {name: builder(root)}``
#: where ``root`` is the repository root (each probe keeps its own knowledge).
PROBE_BLOCK_MODULES = (
    "hear_probes.probes.ranking.docblocks",
    "hear_probes.probes.gear.doc_tables",
    "hear_probes.probes.timbre.docs_blocks",
    "hear_probes.report.zoo_docs",  # docs/zoo.md: leaderboard, CREPE sizes, baselines
    "hear_probes.report.zoo_findings",  # docs/zoo.md: layers per model, the literature's claims
)


def probe_blocks() -> dict[str, Callable[[Path], str]]:
    """Every block that a probe package owns, by name.

    Raises
    ------
    ValueError
        A name that two owners define (two probe modules, or a probe module and the generic
        :data:`~hear_probes.report.docblocks.BLOCKS`): one of the two would never be used.
    """
    out: dict[str, Callable[[Path], str]] = {}
    owner = dict.fromkeys(BLOCKS, "hear_probes.report.docblocks")
    for module in PROBE_BLOCK_MODULES:
        for name, builder in importlib.import_module(module).DOC_BLOCKS.items():
            if name in owner:
                raise ValueError(f"doc block {name!r} is defined by both {owner[name]} and {module}; "
                                 "rename or remove one of them")
            owner[name] = module
            out[name] = builder
    return out


def all_block_names() -> list[str]:
    """Names of the generic and the probe-owned blocks."""
    return sorted({*BLOCKS, *probe_blocks()})


def generate(spec: str, results: Results, where: str) -> str:
    """Text of the block ``spec`` (``NAME ARG...``)."""
    name, *args = spec.split()
    owned = probe_blocks()
    if name in owned:
        if args:
            raise DocSourceError(f"{where}: block {name!r} takes no arguments, got {args}")
        return owned[name](results.root.parent).rstrip("\n")
    if name not in BLOCKS:
        raise DocSourceError(f"{where}: unknown block {name!r}; known: {', '.join(all_block_names())}")
    try:
        return BLOCKS[name](results, *args)
    except DocSourceError as exc:
        raise DocSourceError(f"{where}: block {spec!r}: {exc}") from None


def _check_balanced(text: str, where: Path) -> None:
    opens, closes = len(OPEN_RE.findall(text)), len(CLOSE_RE.findall(text))
    matched = len(BLOCK_RE.findall(text))
    if not opens == closes == matched:
        raise DocSourceError(
            f"{where}: {opens} '<!-- results:' and {closes} '<!-- /results -->' markers, {matched} "
            "complete blocks; every block must open and close once (no nesting)"
        )


def render(text: str, results: Results, where: Path) -> tuple[str, list[Mismatch]]:
    """``text`` with every block regenerated, and the blocks that changed."""
    _check_balanced(text, where)
    mismatches: list[Mismatch] = []

    def repl(m: re.Match) -> str:
        spec, body = m.group("spec").strip(), m.group("body")
        line = text.count("\n", 0, m.start()) + 1
        new = generate(spec, results, f"{where}:{line}")
        multiline = body.startswith("\n")
        wrapped = f"\n{new}\n" if multiline else new
        if wrapped != body:
            mismatches.append(Mismatch(where, line, spec, body.strip("\n"), new))
        return f"<!-- results:{spec} -->{wrapped}<!-- /results -->"

    return BLOCK_RE.sub(repl, text), mismatches


def run(root: Path, write: bool) -> list[Mismatch]:
    """Check (or rewrite) every doc file under ``root``; returns the mismatches found."""
    results = Results(root / "results")
    found: list[Mismatch] = []
    for path in doc_files(root):
        text = path.read_text()
        new, mismatches = render(text, results, path.relative_to(root))
        found += mismatches
        if write and new != text:
            atomic_write_text(path, new)
    return found


def block_list(root: Path) -> list[tuple[str, int, str]]:
    """``(file, line, spec)`` of every block, for ``--list``."""
    out = []
    for path in doc_files(root):
        text = path.read_text()
        for m in BLOCK_RE.finditer(text):
            out.append((str(path.relative_to(root)), text.count("\n", 0, m.start()) + 1, m.group("spec").strip()))
    return out


def _default_root() -> Path:
    here = Path(__file__).resolve().parents[2]
    return here if (here / "README.md").is_file() and (here / "results").is_dir() else Path.cwd()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; exit 0 when the docs agree with results/ (or were rewritten), 1 when not, 2 on error."""
    ap = argparse.ArgumentParser(prog="python -m hear_probes.report.docnumbers", description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite every block from results/")
    mode.add_argument("--check", action="store_true", help="report blocks that disagree with results/; exit 1 if any")
    mode.add_argument("--list", action="store_true", help="list every block (file:line name args)")
    ap.add_argument("--root", type=Path, default=None, help="repository root (default: this checkout)")
    args = ap.parse_args(argv)
    root = (args.root or _default_root()).resolve()
    try:
        if args.list:
            for file, line, spec in block_list(root):
                print(f"{file}:{line}: {spec}")
            return 0
        mismatches = run(root, write=args.write)
    except DocSourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.write:
        print(f"{len(mismatches)} block(s) rewritten from {root / 'results'}")
        return 0
    for m in mismatches:
        print(m.describe())
    print(f"{len(mismatches)} block(s) disagree with results/" if mismatches else "docs agree with results/")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
