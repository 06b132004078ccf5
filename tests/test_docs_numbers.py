"""README.md and docs/*.md quote results/ through generated blocks, and a test notices any drift.

``python -m hear_probes.report.docnumbers --check`` compares every
``<!-- results:NAME ... -->`` block with what its generator builds from ``results/``.
The tests below run it on this checkout, show on a copy that it fails when a result or a
block changes, and guard against result numbers typed by hand outside the blocks.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hear_probes.report import docnumbers
from hear_probes.report import docsources as src

ROOT = Path(__file__).resolve().parents[1]

#: Numbers outside generated blocks that equal a result by coincidence but are not results:
#: paper values and settings. Numbers measured once and not kept in results/ are marked in the
#: docs themselves with ``<!-- numbers: REASON -->`` ... ``<!-- /numbers -->``.
ALLOWED: dict[str, dict[str, str]] = {
    "docs/ranking.md": {
        "0.905": "Turian & Henry (2020) Table 1, MSS pitch fine",
        "0.978": "Turian & Henry (2020) Table 1, MSS pitch coarse",
        "0.695": "Turian & Henry (2020) Table 1, Spectrogram pitch coarse",
        "0.665": "Turian & Henry (2020) Table 1, log-MSS pitch fine",
        "0.679": "Turian & Henry (2020) Table 1, log-Spectrogram pitch coarse",
        "0.503": "Turian & Henry (2020) Table 1, centroid level fine",
        "0.518": "Turian & Henry (2020) Table 1, centroid level coarse",
        "0.625": "heatmap cell size in dB (a setting)",
        "0.4955": ("the log2-centroid level-fine accuracy committed before the tie tolerance: "
                   "the history of a fixed bug, not a current result (a zoo layer's cell rounds "
                   "to it by chance)"),
    },
    "docs/timbre.md": {
        "0.102": "largest rating of McAdams1995 (a property of the data)",
        "0.495": "largest rating of Barthet2010 (a property of the data)",
    },
    "docs/gear.md": {
        "0.098": "grid tolerance for Δα (a setting: two grid steps)",
        "0.049": "grid tolerance for Δr (a setting: two grid steps)",
    },
    "docs/adapters-tf.md": {"0.975": "YAMNet clip length in seconds (a setting)"},
}

NUMBER = re.compile(r"(?<![\w.])[-−]?\d+\.\d{3,}(?!\w|\.\d)")
REGION = re.compile(r"<!-- numbers:[^>]*-->.*?<!-- /numbers -->", re.DOTALL)
LINE_START_MARKER = re.compile(r"^[ \t]*<!-- (?:results:[^>]*|/results|numbers:[^>]*|/numbers) -->\S", re.M)


def _copy_checkout(tmp: Path) -> Path:
    """README, docs and the text results of this checkout (no figures) under ``tmp``."""
    shutil.copy(ROOT / "README.md", tmp / "README.md")
    shutil.copytree(ROOT / "docs", tmp / "docs")
    shutil.copytree(ROOT / "results", tmp / "results",
                    ignore=shutil.ignore_patterns("*.png", "*.html", "*.h5", "report.md"))
    return tmp


def test_docs_agree_with_results():
    mismatches = docnumbers.run(ROOT, write=False)
    assert not mismatches, (
        "docs disagree with results/; run `python -m hear_probes.report.docnumbers --write`:\n"
        + "\n".join(m.describe() for m in mismatches)
    )


def test_every_block_name_is_known_and_used():
    specs = [spec for _, _, spec in docnumbers.block_list(ROOT)]
    assert len(specs) >= 40
    used = {spec.split()[0] for spec in specs}
    known = set(docnumbers.all_block_names())
    assert used <= known
    generic = {"timbre-median", "timbre-study", "gear", "ranking-acc", "ranking-half", "ranking-ties", "ablation", "erratum",
               "gear-components"}
    assert known - used <= generic, f"generators no doc uses: {known - used - generic}"


def test_a_block_name_defined_twice_is_an_error(monkeypatch):
    """A probe module's block of the same name as a generic one (or another probe's) shadowed
    it silently, and the shadowed copy went on being edited; now the name is refused."""
    import types

    assert docnumbers.probe_blocks()  # this checkout: every name has one owner
    fake = types.SimpleNamespace(DOC_BLOCKS={"readme-erratum": lambda root: ""})
    monkeypatch.setattr(docnumbers.importlib, "import_module",
                        lambda name, real=docnumbers.importlib.import_module:
                        fake if name == "fake.blocks" else real(name))
    monkeypatch.setattr(docnumbers, "PROBE_BLOCK_MODULES", (*docnumbers.PROBE_BLOCK_MODULES, "fake.blocks"))
    with pytest.raises(ValueError, match="'readme-erratum' is defined by both hear_probes.report.docblocks and fake.blocks"):
        docnumbers.probe_blocks()
    fake.DOC_BLOCKS = {"ranking-crepe": lambda root: ""}
    with pytest.raises(ValueError, match="hear_probes.probes.ranking.docblocks and fake.blocks"):
        docnumbers.probe_blocks()


def test_check_fails_when_a_result_changes(tmp_path, capsys):
    root = _copy_checkout(tmp_path)
    assert docnumbers.main(["--check", "--root", str(root)]) == 0
    path = root / "results" / "stft" / "gear.json"
    payload = json.loads(path.read_text())
    payload["factors"]["f1"]["isomap_linear_r2"] = 0.454  # the stale 44.1 kHz number
    path.write_text(json.dumps(payload))
    assert docnumbers.main(["--check", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "docs/gear.md" in out and "gear-paper" in out and "stft (513)" in out
    # --write brings the doc in line with the (edited) result, and the check passes again
    assert docnumbers.main(["--write", "--root", str(root)]) == 0
    assert "| 0.454 [" in (root / "docs" / "gear.md").read_text()
    assert docnumbers.main(["--check", "--root", str(root)]) == 0


def test_check_fails_when_a_doc_number_is_edited(tmp_path, capsys):
    root = _copy_checkout(tmp_path)
    readme = root / "README.md"
    text = readme.read_text()
    edited = re.sub(r"(<!-- results:readme-timbre-stft -->.*?in-sample )\d\.\d{3}", r"\g<1>0.260", text, flags=re.S)
    assert edited != text
    readme.write_text(edited)
    assert docnumbers.main(["--check", "--root", str(root)]) == 1
    assert "README.md" in capsys.readouterr().out


def test_timbre_medians_say_over_which_studies():
    """Defect 4: the README and the report quoted 17- and 21-study medians without saying which."""
    res = src.Results(ROOT / "results")
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- results:readme-timbre-stft -->(.*?)<!-- /results -->", text, re.S).group(1)
    assert "17 studies of Table I" in block and "all 21" in block
    assert f"{src.timbre_median(res, 'stft', 'in_sample', '17'):.3f}" in block
    assert f"{src.timbre_median(res, 'stft', 'in_sample', '21'):.3f}" in block


def test_missing_key_is_a_clear_error(tmp_path, capsys):
    root = _copy_checkout(tmp_path)
    path = root / "results" / "stft" / "timbre.json"
    payload = json.loads(path.read_text())
    del payload["loso_explained_variance"]
    path.write_text(json.dumps(payload))
    assert docnumbers.main(["--check", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stft/timbre.json" in err and "loso_explained_variance" in err
    assert "docsources.py" in err


def test_unbalanced_markers_and_unknown_blocks_are_errors(tmp_path):
    root = _copy_checkout(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text() + "\n<!-- results:readme-erratum -->\n")
    with pytest.raises(src.DocSourceError, match="every block must open and close once"):
        docnumbers.run(root, write=False)
    readme.write_text("x <!-- results:no-such-block -->1<!-- /results -->\n")
    with pytest.raises(src.DocSourceError, match="unknown block 'no-such-block'"):
        docnumbers.run(root, write=False)


def test_no_marker_starts_a_line_with_text():
    """A comment at the start of a line opens an HTML block: the text after it would not render."""
    for path in docnumbers.doc_files(ROOT):
        bad = LINE_START_MARKER.findall(path.read_text())
        assert not bad, f"{path}: put inline markers after some text on the line: {bad[:2]}"


def _timbre_pool(res: src.Results) -> set[float]:
    pool: set[float] = set()
    for path in (ROOT / "results").glob("**/timbre.json"):
        model = str(path.parent.relative_to(ROOT / "results"))
        for family in src.TIMBRE_FAMILIES:
            try:
                pool.update(src.timbre_per_study(res, model, family).values())
                pool.update(src.timbre_median(res, model, family, s) for s in src.STUDY_SETS)
            except src.DocSourceError:
                continue
    return pool


def _gear_pool(res: src.Results) -> set[float]:
    keys = ("knn_r2_k10", "knn_r2_k40", "isomap_linear_r2", "sensitivity", "distance_effect",
            "knn_log_ratio.median", "knn_log_ratio.iqr", "knn_log_ratio.mean_abs")
    pool: set[float] = set()
    for path in (ROOT / "results").glob("**/gear.json"):
        model = str(path.parent.relative_to(ROOT / "results"))
        for factor in ("f1", "alpha", "r"):
            for key in keys:
                try:
                    pool.add(src.gear_score(res, model, factor, key))
                except src.DocSourceError:  # a schema without this score: nothing to guard
                    continue
    return pool


def _ranking_cell_values(res: src.Results, rel: str, rep: str) -> set[float]:
    values = set()
    for attribute in ("pitch", "level"):
        for column in ("eps", "fine", "coarse"):
            for read in (src.ranking_cell, src.ranking_half):
                try:
                    value = read(res, rel, rep, attribute, column)
                except src.DocSourceError:
                    continue
                if value is not None:
                    values.add(value)
    return values


def _result_pool() -> set[float]:
    """The numbers the docs could quote: per-study and median timbre scores, GEAR and ranking cells."""
    res = src.Results(ROOT / "results")
    pool = _timbre_pool(res) | _gear_pool(res)
    for path in (ROOT / "results").glob("**/ranking.json"):
        rel = str(path.relative_to(ROOT / "results"))
        for rep, _ in src.ranking_rep_names(res, rel):
            pool |= _ranking_cell_values(res, rel, rep)
    pool.update(row["cells"][k][0] for row in src.ablation_rows(res) for k in range(4))
    return pool


def hand_typed_results(text: str, rel: str, pool: set[float]) -> list[str]:
    """Numbers with 3+ decimals outside blocks and ``numbers`` regions that round a result."""
    text = REGION.sub("", docnumbers.BLOCK_RE.sub("", text))
    allowed = ALLOWED.get(rel, {})
    found = []
    for line in text.splitlines():
        for m in NUMBER.finditer(line):
            s = m.group().replace("−", "-")
            decimals = len(s.split(".")[1])
            if s.lstrip("-") in allowed:
                continue
            if any(f"{v:.{decimals}f}" == s for v in pool):
                found.append(f"{rel}: {m.group()} in {line.strip()[:80]!r}")
    return found


@pytest.fixture(scope="module")
def pool() -> set[float]:
    return _result_pool()


def test_no_hand_typed_result_numbers_outside_blocks(pool):
    """Heuristic: a 3-decimal number equal to a result must come from a block (or be allowed)."""
    found = []
    for path in docnumbers.doc_files(ROOT):
        found += hand_typed_results(path.read_text(), str(path.relative_to(ROOT)), pool)
    assert not found, "result numbers typed by hand (use a results block):\n" + "\n".join(found)


def test_guard_catches_a_typed_result(pool):
    """The guard is not vacuous: the stale stft and the current logmel medians are caught."""
    res = src.Results(ROOT / "results")
    typed = f"logmel's held-out median is {src.timbre_median(res, 'logmel', 'loso', '21'):.3f}."
    assert hand_typed_results(typed, "docs/timbre.md", pool)
    inside = f"<!-- results:x -->{typed}<!-- /results -->"
    assert not hand_typed_results(inside, "docs/timbre.md", pool)
    assert not hand_typed_results("the paper's 0.905", "docs/ranking.md", pool)


def test_nothing_calls_our_agreement_scores_the_timbremetrics_metrics():
    """Defect 4: triplet agreement and Kendall were called "the metrics of the timbremetrics package"."""
    texts = [p.read_text() for p in docnumbers.doc_files(ROOT)]
    texts += [p.read_text() for p in (ROOT / "hear_probes").rglob("*.py")]
    for text in texts:
        assert "metrics of the timbremetrics package" not in text
        assert "timbremetrics' metric" not in text
