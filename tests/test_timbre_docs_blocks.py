"""docs/timbre.md's numbers are generated from results/ and cannot drift from them."""

from __future__ import annotations

import json

import pytest

from hear_probes.probes.timbre import docs_blocks


def test_docs_blocks_match_the_committed_results():
    if not (docs_blocks.RESULTS / "stft" / "timbre.json").is_file():
        pytest.skip("reference results not present")
    assert docs_blocks.main(["--check"]) == 0, (
        "docs/timbre.md disagrees with results/: run 'python -m hear_probes.probes.timbre.docs_blocks'")


def test_a_changed_result_is_caught(tmp_path):
    (tmp_path / "stft").mkdir()
    payload = {"explained_variance": {"A": 0.5}, "no_positive_metric": [],
               "unlearned": {"cosine": {"explained_variance": {"A": 0.1}}},
               "summary_subsets": {"all": {"scores": {"explained_variance": {
                   "median": 0.5, "median_ci": [0.4, 0.6], "n": 1}}}}}
    (tmp_path / "stft" / "timbre.json").write_text(json.dumps(payload))
    doc = tmp_path / "doc.md"
    doc.write_text("x\n<!-- timbre:summary -->\nold\n<!-- /timbre:summary -->\ny\n")
    assert docs_blocks.main(["--check", "--doc", str(doc), "--results", str(tmp_path)]) == 1
    assert docs_blocks.main(["--doc", str(doc), "--results", str(tmp_path)]) == 0
    text = doc.read_text()
    assert "0.50 [0.40, 0.60]" in text and "old" not in text
    assert docs_blocks.main(["--check", "--doc", str(doc), "--results", str(tmp_path)]) == 0
