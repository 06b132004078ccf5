"""docs/timbre.md's numbers are generated from results/ and cannot drift from them."""

from __future__ import annotations

import json

from hear_probes.probes.timbre import docs_blocks


def test_a_changed_result_is_caught(tmp_path):
    (tmp_path / "stft").mkdir()
    payload = {"explained_variance": {"A": 0.5}, "no_positive_metric": [],
               "unlearned": {"cosine": {"explained_variance": {"A": 0.1}}},
               "summary_subsets": {"all": {"scores": {"explained_variance": {
                   "median": 0.5, "median_ci": [0.4, 0.6], "n": 1}}}}}
    (tmp_path / "stft" / "timbre.json").write_text(json.dumps(payload))
    text = docs_blocks.BLOCKS["summary"](tmp_path)
    assert "0.50 [0.40, 0.60]" in text
    payload["summary_subsets"]["all"]["scores"]["explained_variance"]["median"] = 0.45
    (tmp_path / "stft" / "timbre.json").write_text(json.dumps(payload))
    assert docs_blocks.BLOCKS["summary"](tmp_path) != text
