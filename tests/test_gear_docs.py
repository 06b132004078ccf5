"""docs/gear.md's numbers come from results/: its marked tables are regenerated and compared."""

import json
import shutil
from pathlib import Path

import pytest

from hear_probes.probes.gear.doc_tables import BLOCKS, main, render_block, update_document

ROOT = Path(__file__).resolve().parents[1]


def test_gear_doc_tables_match_results():
    stale = update_document(ROOT / "docs" / "gear.md", ROOT / "results", check=True)
    assert not stale, (f"docs/gear.md blocks {stale} disagree with results/: run "
                       "python -m hear_probes.probes.gear.doc_tables")


def test_every_block_is_in_the_document():
    text = (ROOT / "docs" / "gear.md").read_text()
    for name in BLOCKS:
        assert f"<!-- BEGIN {name} -->" in text and f"<!-- END {name} -->" in text, name


def test_a_changed_result_makes_the_doc_stale(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(ROOT / "results" / "stft", results / "stft",
                    ignore=shutil.ignore_patterns("*.png", "*.h5", "*.html", "*.csv"))
    doc = tmp_path / "gear.md"
    doc.write_text("x\n<!-- BEGIN gear:paper -->\nold\n<!-- END gear:paper -->\ny\n")
    assert main(["--doc", str(doc), "--results", str(results), "--check"]) == 1
    assert main(["--doc", str(doc), "--results", str(results)]) == 0
    assert update_document(doc, results, check=True) == []
    text = doc.read_text()
    assert text.startswith("x\n") and text.endswith("y\n") and "stft (513)" in text
    payload = json.loads((results / "stft" / "gear.json").read_text())
    payload["factors"]["f1"]["knn_r2_k10"] = 0.123456
    (results / "stft" / "gear.json").write_text(json.dumps(payload))
    assert update_document(doc, results, check=True) == ["gear:paper"]
    assert "0.123" in render_block("gear:paper", results)
    with pytest.raises(KeyError, match="unknown docs block"):
        render_block("gear:nope", results)
