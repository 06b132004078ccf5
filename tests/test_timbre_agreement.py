"""Unlearned agreement scores: brute-force triplets, rank statistics, undefined cases."""

import itertools

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from hear_probes.probes.timbre.agreement import (
    agreement,
    raw_distances,
    study_agreement,
    triplet_agreement,
)
from hear_probes.probes.timbre.metric import pair_indices


def _square(v, n):
    m = np.zeros((n, n))
    i, j = pair_indices(n)
    m[i, j] = v
    m[j, i] = v
    return m


def _triplets_brute_force(d, s, n):
    dm, sm = _square(d, n), _square(s, n)
    agree = total = 0.0
    for a in range(n):
        for p, q in itertools.combinations([k for k in range(n) if k != a], 2):
            if sm[a, p] == sm[a, q] or np.isnan(sm[a, p]) or np.isnan(sm[a, q]):
                continue
            total += 1
            diff = dm[a, p] - dm[a, q]
            agree += 0.5 if diff == 0 else float(np.sign(diff) == np.sign(sm[a, p] - sm[a, q]))
    return agree / total


def test_triplet_agreement_matches_brute_force_with_ties_and_missing():
    rng = np.random.default_rng(1)
    n = 9
    d = np.round(raw_distances(rng.standard_normal((n, 4)), "euclidean"), 1)  # some ties
    s = np.round(d + rng.standard_normal(d.size), 0)  # rating ties too
    s[[3, 17]] = np.nan
    assert triplet_agreement(d, s, n) == pytest.approx(_triplets_brute_force(d, s, n), abs=1e-12)


def test_perfect_and_reversed_orders():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((7, 3))
    d = raw_distances(x, "euclidean")
    good = agreement(d, 2 * d + 1, 7)
    assert good["explained_variance"] == pytest.approx(1)
    assert good["spearman"] == pytest.approx(1) and good["kendall"] == pytest.approx(1)
    assert good["triplet_agreement"] == pytest.approx(1)
    bad = agreement(d, -d, 7)
    assert bad["pearson"] == pytest.approx(-1) and bad["triplet_agreement"] == pytest.approx(0)


def test_rank_scores_are_scipy_and_cosine_is_one_minus_cos():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, 6))
    s = rng.random(45)
    d = raw_distances(x, "cosine")
    i, j = pair_indices(10)
    cos = np.sum(x[i] * x[j], 1) / np.linalg.norm(x[i], axis=1) / np.linalg.norm(x[j], axis=1)
    np.testing.assert_allclose(d, 1 - cos, atol=1e-12)
    out = agreement(d, s, 10)
    assert out["spearman"] == pytest.approx(spearmanr(d, s).statistic)
    assert out["kendall"] == pytest.approx(kendalltau(d, s).statistic)


def test_all_distances_tied_gives_nan_and_a_note_never_a_number():
    out = study_agreement(np.ones((6, 3)), np.arange(15.0))
    for metric in ("euclidean", "cosine"):
        assert all(np.isnan(out[metric][k]) for k in ("explained_variance", "spearman", "kendall",
                                                       "triplet_agreement"))
        assert "same" in out[metric]["note"]


def test_zero_embedding_has_no_cosine_distance():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    d = raw_distances(x, "cosine")
    i, j = pair_indices(4)
    assert np.all(np.isnan(d[(i == 0) | (j == 0)]))
    assert np.all(np.isfinite(d[(i != 0) & (j != 0)]))


def test_unknown_distance_is_refused():
    with pytest.raises(ValueError, match="euclidean"):
        raw_distances(np.ones((3, 2)), "manhattan")
