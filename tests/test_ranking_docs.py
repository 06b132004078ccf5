"""Ranking blocks of docs/ranking.md and docs/layers.md (issue 21); the docs-vs-results check is
tests/test_docs_numbers.py."""

import json
from pathlib import Path

import numpy as np
import pytest

from hear_probes.probes.ranking import docblocks
from hear_probes.probes.ranking.figures import pitch_sweep, pitch_sweep_around

ROOT = Path(__file__).resolve().parents[1]


def _module_result(root: Path, folder: str, ci: list[float], n: int = 300) -> None:
    rep = {"display_name": "crepe", "n_trials": n,
           "accuracy": {"pitch": {"eps": sum(ci) / 2, "fine": 0.5, "coarse": 0.5},
                        "level": {"eps": "n/a", "fine": "n/a", "coarse": "n/a"}},
           "ci95": {"pitch": {"eps": ci, "fine": [0.44, 0.56], "coarse": [0.44, 0.56]},
                    "level": {"eps": None, "fine": None, "coarse": None}},
           "n_ties": {"pitch": {"eps": 0, "fine": 0, "coarse": 0},
                      "level": {"eps": n, "fine": n, "coarse": n}}}
    path = root / "results" / folder / "ranking.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"settings": {"n_trials": n}, "representations": {"crepe": rep}}))


def test_generated_chance_statements_follow_the_intervals(tmp_path):
    """The typed claims of defect 4 ('every interval contains 0.5', 'within about ±0.06 of
    chance in every block') cannot come back: the sentence is derived from the intervals, here
    from a file in the old layout (ci95 only, no chance_verdict)."""
    _module_result(tmp_path, "crepe", [0.510, 0.622])
    text = docblocks.render("ranking-crepe", tmp_path)
    assert "above chance: pitch ε" in text and "0.566 [0.510, 0.622]" in text
    assert "n/a (300 ties)" in text
    for k in range(1, 7):
        _module_result(tmp_path, f"crepe-tiny-layers/layer-{k}",
                       [0.37, 0.48] if k == 4 else [0.45, 0.55])
    text = docblocks.render("layers-ranking", tmp_path)
    assert "crepe-tiny block 4 pitch ε (0.425 [0.370, 0.480], below chance)" in text
    assert "not run" in text  # no crepe-layers folder here


def test_na_cell_shows_the_count():
    rep = {"n_trials": 1000, "accuracy": {"level": {"coarse": "n/a"}},
           "n_ties": {"level": {"coarse": 997}}, "n_decided": {"level": {"coarse": 3}}}
    assert docblocks.fmt_cell(rep, "level", "coarse") == "n/a (3 decided)"


def test_pitch_curves_contain_the_target_and_its_neighbourhood():
    """The 60-point log grid misses 346 Hz by tens of cents; the curve grid now has it."""
    log_grid = pitch_sweep(60)
    assert np.min(np.abs(1200 * np.log2(log_grid / 346.0))) > 20  # the defect
    grid = pitch_sweep_around(60, 346.0)
    cents = 1200 * np.log2(grid / 346.0)
    assert 346.0 in grid and np.all(np.diff(grid) > 0)
    near = np.sort(cents[np.abs(cents) <= 100 + 1e-9])
    assert near[0] == pytest.approx(-100) and near[-1] == pytest.approx(100)
    assert np.max(np.diff(near)) <= 5 + 1e-9
    assert set(log_grid) <= set(grid)
