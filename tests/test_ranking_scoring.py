"""Issue 21 (ranking): tie rule, float precision, too few decided trials, chance, |Δpitch| bins."""

import json

import numpy as np
import pytest

from hear_probes.probes.ranking.accuracy import (
    MIN_DECIDED,
    TieRule,
    chance_verdict,
    gradient_scores,
    rank_scores,
    wilson_interval,
    wilson_intervals,
)
from hear_probes.probes.ranking.intervals import accuracy_by_interval
from hear_probes.probes.ranking.run import cell_results, table_rows
from hear_probes.probes.ranking.trials import DEFAULT_EPSILONS


def _scores(fine_level):
    ones = np.ones(1000)
    return {"pitch": {"eps": ones, "fine": ones, "coarse": ones},
            "level": {"eps": ones, "fine": fine_level, "coarse": ones}}


def test_three_decided_trials_read_na_with_the_count():
    """SOT-512-LS level: 3 decided trials of 1000 were shown as 0.000; now n/a (3 decided)."""
    level = np.full(1000, 0.5)
    level[:3] = 0.0
    res = cell_results(_scores(level), seed=0)
    assert res["accuracy"]["level"]["fine"] == "n/a"
    assert res["n_decided"]["level"]["fine"] == 3 and res["n_correct"]["level"]["fine"] == 0
    assert res["accuracy_ci"]["level"]["fine"] is None
    assert "only 3 of 1000 trials decided" in res["na_reason"]["level.fine"]
    row = table_rows({"x": res}, DEFAULT_EPSILONS)[0]
    # ranking.csv: numbers are numbers, n/a is empty with its reason in its own column
    assert row["level_2dB"] is None and row["pitch_30c"] == 1.0
    assert "level_2dB: only 3 of 1000 trials decided" in row["na_reason"]
    # at the threshold an accuracy is given
    level[:MIN_DECIDED] = 1.0
    res = cell_results(_scores(level), seed=0)
    assert res["accuracy"]["level"]["fine"] == 1.0 and res["n_decided"]["level"]["fine"] == 30


def test_every_accuracy_has_interval_chance_and_verdict():
    level = np.concatenate([np.ones(520), np.zeros(480)])  # 0.52: interval contains 0.5
    res = cell_results(_scores(level), seed=0)
    assert res["accuracy_chance"] == 0.5 and "Wilson" in res["interval_method"]
    lo, hi = res["accuracy_ci"]["level"]["fine"]
    assert (lo, hi) == pytest.approx(wilson_interval(520, 1000))
    assert res["ci95"] == res["accuracy_ci"]
    assert res["chance_verdict"]["level"]["fine"] == "not distinguishable from chance"
    assert res["chance_verdict"]["pitch"]["fine"] == "above chance"
    from scipy.stats import binom

    # symmetric null: two-sided exact p = 2 P(X >= 520)
    assert res["accuracy_p"]["level"]["fine"] == pytest.approx(2 * binom.sf(519, 1000, 0.5))
    assert chance_verdict([0.37, 0.48]) == "below chance"
    assert chance_verdict([0.51, 0.62]) == "above chance" and chance_verdict(None) == "n/a"


def test_strict_rule_scores_equality_as_an_error():
    d = np.array([1.0, 1.0, 1.0])
    near = d * np.array([1.0, 1 + 1e-7, 1 - 1e-7])
    assert rank_scores(d, near).tolist() == [0.5, 0.5, 0.5]
    assert rank_scores(d, near, tie_rule="strict").tolist() == [0.0, 1.0, 0.0]
    assert gradient_scores([0.0, 1e-12, -1e-12], [1, 1, 1], scale=[1.0] * 3,
                           tie_rule="strict").tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="valid: tolerance, strict"):
        rank_scores(d, d, tie_rule="coin")
    assert TieRule.scaled("tolerance", 1e-4).gradient_rtol == pytest.approx(1e-5)


def test_wilson_intervals_vectorised():
    lo, hi = wilson_intervals(np.array([0, 3, 10]), np.array([0, 10, 10]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    assert (lo[1], hi[1]) == pytest.approx(wilson_interval(3, 10))
    assert (lo[2], hi[2]) == pytest.approx(wilson_interval(10, 10))


def test_accuracy_by_interval_bins_and_leaves_ties_out():
    interval = np.array([0.5, 0.5, 0.5, 2.0, 2.0, 50.0, 84.7, 85.0])
    s = np.array([1.0, 0.0, 0.5, 1.0, 1.0, 0.0, 0.0, 1.0])
    out = accuracy_by_interval({"pitch": {"fine": s, "eps": None}}, interval)
    assert out["n_trials"] == [3, 2, 0, 0, 0, 0, 0, 3]
    cell = out["pitch"]["fine"]
    assert cell["n_decided"] == [2, 2, 0, 0, 0, 0, 0, 3]
    assert cell["accuracy"][0] == 0.5 and cell["accuracy"][1] == 1.0
    assert cell["accuracy"][2] is None and cell["accuracy_ci"][2] is None
    assert cell["accuracy"][7] == pytest.approx(1 / 3)
    assert "eps" not in out["pitch"]


def test_cli_strict_equals_the_stored_rescoring(tmp_path):
    """``--tie-rule strict`` gives the numbers ``tie_sensitivity["strict"]`` stores."""
    import typer
    from typer.testing import CliRunner

    from hear_probes.probes.ranking.command import command

    app = typer.Typer()
    app.command()(command)
    runner = CliRunner()
    common = ["--distance", "log2-centroid", "--trials", "40", "--duration", "0.1",
              "--no-figures", "--quiet", "--min-decided", "1"]
    for rule in ("tolerance", "strict"):
        r = runner.invoke(app, [*common, "--tie-rule", rule, "--out", str(tmp_path / rule)])
        assert r.exit_code == 0, r.output
    default = json.loads((tmp_path / "tolerance" / "ranking.json").read_text())
    strict = json.loads((tmp_path / "strict" / "ranking.json").read_text())
    assert strict["settings"]["tie_rule"] == "strict"
    rep_d = default["representations"]["log2-centroid"]
    rep_s = strict["representations"]["log2-centroid"]
    for dim in ("pitch", "level"):
        for scale in ("eps", "fine", "coarse"):
            assert rep_s["n_ties"][dim][scale] == 0
            assert rep_s["accuracy"][dim][scale] == pytest.approx(
                rep_d["tie_sensitivity"]["strict"]["accuracy"][dim][scale])
    # the centroid is level-invariant: every level trial ties under the tolerance; the strict
    # '<' decides them by rounding, and exact equalities count as errors
    assert rep_d["accuracy"]["level"]["fine"] == "n/a"
    eq = rep_d["tie_sensitivity"]["strict"]["n_exact_equal"]["level"]["fine"]
    assert rep_s["accuracy"]["level"]["fine"] <= (40 - eq) / 40


def test_float64_precision_computes_in_double():
    from hear_probes.probes.ranking.catalogue import get_distance
    from hear_probes.probes.ranking.spectral import score_distances
    from hear_probes.stimuli.sines import sample_trials

    tr = sample_trials(6, seed=3)
    dist = [get_distance("log2-centroid")]
    r32 = score_distances(dist, tr, duration=0.1, batch_size=6, precision="float32")
    r64 = score_distances(dist, tr, duration=0.1, batch_size=6, precision="float64")
    d32 = r32["log2-centroid"]["_distances"]
    d64 = r64["log2-centroid"]["_distances"]
    assert np.allclose(d32["pitch-fine"], d64["pitch-fine"], rtol=1e-3)  # float32 rounding
    # a level change moves the level-invariant centroid by rounding only: ~1e-7 of d in
    # float32, ~1e-15 in float64
    rel = lambda d: np.abs(d["level-fine"] - d["prediction"]) / d["prediction"]  # noqa: E731
    assert rel(d64).max() < 1e-12 and rel(d32).max() < 1e-5
    with pytest.raises(ValueError, match="valid: float32, float64"):
        score_distances(dist, tr, duration=0.1, precision="float16")


def test_report_cell_reads_na_with_count_and_new_interval_key():
    from hear_probes.probes.ranking.tables import _ranking_entries, ranking_cell

    level = np.full(1000, 0.5)
    level[:3] = 0.0
    res = cell_results(_scores(level), seed=0)
    res["display_name"] = "x"
    entries = _ranking_entries({"representations": {"x": res}})["x"]
    cell = ranking_cell(entries["level"]["fine"])
    assert cell.text == "n/a (3 decided)" and "only 3 of 1000" in cell.title
    del res["ci95"]  # the convention's key alone is enough
    entries = _ranking_entries({"representations": {"x": res}})["x"]
    assert ranking_cell(entries["pitch"]["fine"]).text.startswith("1.000 [")


def test_holm_adjust():
    from hear_probes.probes.ranking.accuracy import holm_adjust

    # Holm: sorted p times (m - rank), running maximum, clipped at 1
    got = holm_adjust(np.array([0.01, 0.04, 0.03, 0.5]))
    assert got.tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_cell_results_store_per_trial_outcomes_that_compare_can_pair():
    """Issue 21: ranking.json keeps the trial-by-trial outcomes, so `hear-probes compare` can
    run McNemar's test on two models scored on the same trials."""
    import numpy as np

    from hear_probes.compare.ranking import PER_TRIAL_KEY
    from hear_probes.probes.ranking.run import cell_results

    s = np.array([1.0, 0.0, 0.5, 1.0])
    scores = {"pitch": {"eps": s, "fine": s, "coarse": s}, "level": {"fine": s, "coarse": s}}
    res = cell_results(scores, seed=0, min_decided=1)
    assert res[PER_TRIAL_KEY]["pitch"]["fine"] == [1, 0, 0.5, 1]
    assert "eps" not in res[PER_TRIAL_KEY]["level"]  # not computed: no outcomes stored
