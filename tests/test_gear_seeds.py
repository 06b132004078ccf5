"""GEAR over several seeds: t intervals, aggregation, the kNN permutation null, the report cell."""

import numpy as np
import pytest
from scipy import stats

from hear_probes.probes.gear.knn import log_ratio_summary, neighbour_indices
from hear_probes.probes.gear.scores import knn_r2, knn_r2_null
from hear_probes.probes.gear.seeds import aggregate_factor, t_interval


def test_t_interval_matches_scipy():
    x = [0.91, 0.93, 0.92, 0.95, 0.90]
    mean, (lo, hi) = t_interval(x)
    want = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert mean == pytest.approx(np.mean(x)) and (lo, hi) == pytest.approx(want)
    assert t_interval([0.5, 0.5, 0.5])[1] == [0.5, 0.5]
    assert t_interval([0.5, None, float("nan")])[1] == [None, None]  # one finite value


def _block(v, median_abs):
    lr = {"median": v, "q25": v, "q75": v, "iqr": 0.0, "mean_abs": 2 * median_abs,
          "median_abs": median_abs, "n": 2450, "n_excluded_nonpositive": 50, "n_excluded_zero": 50}
    return {"scale": "linear", "knn_r2_k10": v, "knn_r2_k10_chance": -0.1, "knn_r2_k10_p": 0.005,
            "knn_r2_k40": v, "isomap_linear_r2": v, "sensitivity": v, "distance_effect": v,
            "knn_log_ratio": lr, "sensitivity_n_pairs": 10, "distance_effect_n_pairs": 5,
            "distance_effect_n_baseline_pairs": 7}


def test_aggregate_factor_keeps_seeds_counts_and_method():
    out = aggregate_factor([_block(v, v / 10) for v in (0.90, 0.92, 0.94)], "t over 3 seeds")
    assert out["knn_r2_k10"] == pytest.approx(0.92)
    assert out["knn_r2_k10_seeds"] == [0.90, 0.92, 0.94]
    lo, hi = out["knn_r2_k10_ci"]
    assert lo < 0.92 < hi and out["knn_r2_k10_chance"] == pytest.approx(-0.1)
    assert out["knn_log_ratio"]["n"] == 2450 and isinstance(out["knn_log_ratio"]["n"], int)
    assert out["knn_log_ratio"]["median_abs"] == pytest.approx(0.092)
    assert len(out["knn_log_ratio_ci"]["median_abs"]) == 2
    assert out["interval_method"] == "t over 3 seeds"
    near_one = aggregate_factor([_block(v, 0.1) for v in (0.999, 0.98, 0.999)], "t")
    assert near_one["knn_r2_k10_ci"][1] == 1.0 and near_one["sensitivity_ci"][1] == 1.0
    assert near_one["distance_effect_ci"][1] > 1.0  # not a bounded score


def test_knn_null_is_about_minus_one_over_k_and_p_separates():
    rng = np.random.default_rng(0)
    v = rng.uniform(size=600)
    informative = neighbour_indices(np.abs(v[:, None] - v[None, :]), 10)
    unrelated = neighbour_indices(np.abs(np.subtract.outer(*(2 * [rng.normal(size=600)]))), 10)
    r2 = knn_r2(v, informative, 10)
    chance, p = knn_r2_null(v, informative, 10, r2, n_permutations=99)
    assert r2 > 0.95 and chance == pytest.approx(-0.1, abs=0.03) and p == pytest.approx(0.01)
    r2u = knn_r2(v, unrelated, 10)
    _, pu = knn_r2_null(v, unrelated, 10, r2u, n_permutations=99)
    assert pu > 0.05


def test_log_ratio_summary_has_the_median_of_absolute_values():
    values = np.ones(5)
    est = np.exp([0.0, 0.1, -0.2, 0.3, -2.0])  # |log|: 0, .1, .2, .3, 2 -> median .2, mean .52
    s = log_ratio_summary(values, est)
    assert s["median_abs"] == pytest.approx(0.2) and s["mean_abs"] == pytest.approx(0.52)


def test_report_column_median_abs_log_ratio_prints_the_median():
    """The column headed "median |log ratio|" printed the mean |log ratio| (issue 21)."""
    from hear_probes.probes.gear.tables import gear_table
    from hear_probes.report.load import ModelResults

    block = aggregate_factor([_block(0.9, 0.2), _block(0.9, 0.2)], "t")
    res = ModelResults("m", folder=None, probes={"gear": {"factors": {"f1": block}}})
    table = gear_table([res])
    col = table.header.index("median |log ratio|")
    assert table.rows[0][col].text.startswith("0.200") and table.rows[0][col].value == 0.2
    assert table.rows[0][table.header.index("kNN R² K=10")].text == "0.90 [0.90, 0.90]"
    old = {"knn_r2_k10": 0.9, "knn_log_ratio": {"mean_abs": 0.4}}  # schema 1: no median_abs
    row = gear_table([ModelResults("m", None, {"gear": {"factors": {"f1": old}}})]).rows[0]
    assert row[col].text == "n/a"
