"""docs/gear.md's numbers come from results/: its marked tables are regenerated and compared."""

import json
import shutil
from pathlib import Path

import pytest

from hear_probes.probes.gear.doc_tables import BLOCKS, render_block

ROOT = Path(__file__).resolve().parents[1]


def test_every_block_is_in_the_document():
    text = (ROOT / "docs" / "gear.md").read_text()
    for name in BLOCKS:
        assert f"<!-- results:{name} -->" in text, name


def test_a_changed_result_changes_the_block(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(ROOT / "results" / "stft", results / "stft",
                    ignore=shutil.ignore_patterns("*.png", "*.h5", "*.html", "*.csv"))
    before = render_block("gear-paper", results)
    assert "stft (513)" in before
    payload = json.loads((results / "stft" / "gear.json").read_text())
    payload["factors"]["f1"]["knn_r2_k10"] = 0.123456
    (results / "stft" / "gear.json").write_text(json.dumps(payload))
    after = render_block("gear-paper", results)
    assert after != before and "0.123" in after
    with pytest.raises(KeyError, match="unknown docs block"):
        render_block("gear-nope", results)


def test_holm_and_paired_differences():
    from hear_probes.probes.gear.doc_tables import holm, paired_differences

    assert holm([0.01, 0.04, float("nan"), 0.03]) == pytest.approx([0.03, 0.06, float("nan"), 0.06],
                                                                   nan_ok=True)
    base = {"seeds": {"seeds": [0, 1, 2]},
            "factors": {"f1": {"knn_r2_k10_seeds": [0.90, 0.91, 0.92]}}}
    model = {"seeds": {"seeds": [0, 1, 2]},
             "factors": {"f1": {"knn_r2_k10_seeds": [0.95, 0.97, 0.96]}}}
    ((factor, key, mean, p),) = paired_differences(model, base)
    assert (factor, key) == ("f1", "knn_r2_k10") and mean == pytest.approx(0.05) and p < 0.05
    same = paired_differences(base, base)[0]
    assert same[2] == 0 and same[3] != same[3]  # no difference: p is NaN, never significant
    assert paired_differences({**model, "seeds": {"seeds": [5, 6, 7]}}, base) == []  # other tones
