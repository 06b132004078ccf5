"""kNN regression log ratios (paper Eqs. 2-3), including zero-valued factors."""

import numpy as np

from hear_probes.probes.gear.knn import (
    knn_estimate,
    log_ratio_summary,
    log_ratios,
    neighbour_indices,
)


def test_neighbours_exclude_the_point_itself():
    x = np.array([0.0, 1.0, 3.0, 7.0])
    d = np.abs(x[:, None] - x[None])
    nb = neighbour_indices(d, 2)
    np.testing.assert_array_equal(nb, [[1, 2], [0, 2], [1, 0], [2, 1]])


def test_estimate_and_log_ratio_by_hand():
    values = np.array([1.0, 2.0, 4.0, 8.0])
    nb = np.array([[1, 2], [0, 2], [1, 3], [2, 1]])
    est = knn_estimate(values, nb)
    np.testing.assert_allclose(est, [3.0, 2.5, 5.0, 3.0])
    np.testing.assert_allclose(knn_estimate(values, nb, "log"), [np.sqrt(8), 2.0, 4.0, np.sqrt(8)])
    ratios, defined = log_ratios(values, est)
    assert defined.all()
    np.testing.assert_allclose(ratios, np.log([3.0, 1.25, 1.25, 3 / 8]))


def test_zero_valued_factors_are_excluded_and_counted():
    values = np.array([0.0, 0.0, 0.5, 1.0, 2.0])
    est = np.array([0.3, 0.0, 0.5, 1.0, 1.0])
    ratios, defined = log_ratios(values, est)
    np.testing.assert_array_equal(defined, [False, False, True, True, True])
    np.testing.assert_allclose(ratios, [0.0, 0.0, np.log(0.5)])
    s = log_ratio_summary(values, est)
    assert s["n"] == 3 and s["n_excluded_zero"] == 2 and s["n_excluded_nonpositive"] == 2
    assert s["median"] == 0.0 and np.isclose(s["mean_abs"], np.log(2) / 3)
    assert np.isclose(s["iqr"], s["q75"] - s["q25"])


def test_all_zero_factor_gives_nan_summary():
    s = log_ratio_summary(np.zeros(4), np.zeros(4))
    assert s["n"] == 0 and s["n_excluded_zero"] == 4 and np.isnan(s["median"])


def test_paper_grid_excludes_fifty_zero_alphas():
    from hear_probes.probes.gear.analysis import analyse
    from hear_probes.probes.gear.scores import ideal_embedding
    from hear_probes.stimuli import gear as g

    tones = g.make_tones("paper", n_alpha=10, n_r=10)
    scales = g.factor_scales(list(tones.factors))
    res = analyse(ideal_embedding(tones.factors, scales), tones.factors, scales,
                  isomap_neighbors=20, knn_k=10, r2_ks=(5, 10))
    assert res.per_factor["alpha"]["knn_log_ratio"]["n_excluded_zero"] == 10
    assert res.per_factor["r"]["knn_log_ratio"]["n_excluded_zero"] == 10
    assert res.per_factor["f1"]["knn_log_ratio"]["n_excluded_zero"] == 0
    assert len(res.log_ratios["alpha"]) == 90
