"""Intervals and chance levels of the timbre scores (issue 21, build items 1-2).

The weighted bootstrap scores are checked against the same scores computed on an explicitly
resampled study (sounds copied, pairs of two copies of one sound dropped), and the
permutation nulls against explicitly relabelled matrices.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau, pearsonr, spearmanr

from hear_probes.probes.timbre.metric import pair_differences, pair_indices
from hear_probes.probes.timbre.settings import TimbreSettings
from hear_probes.probes.timbre.studies import run_studies
from hear_probes.probes.timbre.study import prepare_study
from hear_probes.probes.timbre.uncertainty import (
    RAW_SCORES,
    StudyResampling,
    UncertaintyConfig,
    median_with_interval,
    resample_scores,
)


def _data(n=9, seed=0, noise=1.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    d = np.sqrt(pair_differences(x).sum(1))
    s = d + noise * rng.normal(size=d.size)
    s[3] = s[5]  # a rating tie
    return x, d, s


def _expanded(values, counts, n):
    """Pair values of the explicitly resampled study: copies of sounds, distinct originals."""
    items = np.repeat(np.arange(n), counts)
    a, b = np.triu_indices(items.size, 1)
    keep = items[a] != items[b]
    oa, ob = items[a][keep], items[b][keep]
    lo, hi = np.minimum(oa, ob), np.maximum(oa, ob)
    idx = lo * n - lo * (lo + 1) // 2 + (hi - lo - 1)
    return values[idx], items


def _triplets_explicit(d, s, items, n):
    """Triplet agreement over copies (anchor and the two others from distinct originals)."""
    i, j = pair_indices(n)
    dm, sm = np.full((n, n), np.nan), np.full((n, n), np.nan)
    dm[i, j] = dm[j, i] = d
    sm[i, j] = sm[j, i] = s
    m = items.size
    num = den = 0.0
    for a in range(m):
        for b in range(m):
            for c in range(m):
                oa, ob, oc = items[a], items[b], items[c]
                if len({oa, ob, oc}) < 3:
                    continue
                ds = sm[oa, ob] - sm[oa, oc]
                if ds == 0:
                    continue
                dd = dm[oa, ob] - dm[oa, oc]
                den += 1
                num += 0.5 if dd == 0 else float(np.sign(dd) == np.sign(ds))
    return num / den


def test_weighted_bootstrap_equals_the_explicitly_resampled_study():
    n = 7
    x, d, s = _data(n)
    rs = StudyResampling.draw("T", n, UncertaintyConfig(n_bootstrap=3, n_permutations=2, seed=4))
    got = resample_scores(d, s, rs, RAW_SCORES)
    for r in range(3):
        de, items = _expanded(d, rs.counts[r], n)
        se, _ = _expanded(s, rs.counts[r], n)
        assert got["pearson"].boot[r] == pytest.approx(pearsonr(de, se).statistic)
        assert got["explained_variance"].boot[r] == pytest.approx(
            np.sign(got["pearson"].boot[r]) * got["pearson"].boot[r] ** 2)
        assert got["spearman"].boot[r] == pytest.approx(spearmanr(de, se).statistic)
        assert got["kendall"].boot[r] == pytest.approx(kendalltau(de, se).statistic)
        assert got["triplet_agreement"].boot[r] == pytest.approx(
            _triplets_explicit(d, s, items, n))


def test_observed_values_are_the_textbook_scores():
    from hear_probes.probes.timbre.agreement import triplet_agreement

    x, d, s = _data(10)
    rs = StudyResampling.draw("T", 10, UncertaintyConfig(n_bootstrap=5, n_permutations=5))
    got = resample_scores(d, s, rs, RAW_SCORES)
    assert got["pearson"].value == pytest.approx(pearsonr(d, s).statistic)
    assert got["spearman"].value == pytest.approx(spearmanr(d, s).statistic)
    assert got["kendall"].value == pytest.approx(kendalltau(d, s).statistic)
    assert got["triplet_agreement"].value == pytest.approx(triplet_agreement(d, s, 10))


def test_permutation_null_relabels_the_sounds():
    n = 8
    x, d, s = _data(n)
    rs = StudyResampling.draw("T", n, UncertaintyConfig(n_bootstrap=1, n_permutations=4, seed=2))
    got = resample_scores(d, s, rs, RAW_SCORES)
    for q, perm in enumerate(rs.perms):
        dp = np.sqrt(pair_differences(x[perm]).sum(1))  # the distances of relabelled sounds
        assert got["pearson"].null[q] == pytest.approx(pearsonr(dp, s).statistic)
        assert got["kendall"].null[q] == pytest.approx(kendalltau(dp, s).statistic, abs=1e-6)
        assert got["spearman"].null[q] == pytest.approx(spearmanr(dp, s).statistic)
        assert got["triplet_agreement"].null[q] == pytest.approx(
            resample_scores(dp, s, StudyResampling.draw("T", n, UncertaintyConfig(0, 0)),
                            ("triplet_agreement",))["triplet_agreement"].value)


def test_chance_calls_separate_signal_from_noise():
    n = 14
    x, d, s = _data(n, noise=0.3)
    cfg = UncertaintyConfig(n_bootstrap=300, n_permutations=300, seed=0)
    rs = StudyResampling.draw("T", n, cfg)
    good = resample_scores(d, s, rs, RAW_SCORES)
    for score, r in good.items():
        assert r.p_value() < 0.01, score
        lo, hi = r.interval()
        assert lo < r.value < hi
    unrelated = np.random.default_rng(9).uniform(size=d.size)
    bad = resample_scores(unrelated, s, rs, RAW_SCORES)
    assert bad["pearson"].p_value() > 0.05
    assert bad["triplet_agreement"].chance()[0] == pytest.approx(0.5, abs=0.02)


def test_median_interval_is_the_median_of_joint_replicates():
    boots = {"a": np.array([0.1, 0.2, 0.3, 0.4]), "b": np.array([0.5, 0.1, 0.9, 0.2]),
             "c": np.array([0.3, 0.3, 0.3, 0.3])}
    med, (lo, hi) = median_with_interval({"a": 0.2, "b": 0.5, "c": 0.3}, boots, level=0.5)
    reps = np.median(np.stack(list(boots.values())), axis=0)
    assert med == pytest.approx(0.3)
    assert (lo, hi) == pytest.approx(tuple(np.percentile(reps, [25, 75])))


def test_in_sample_null_refits_and_is_not_beaten_by_noise():
    # 9 sounds, 36 pairs, 80 dimensions: random ratings are fitted almost perfectly in sample
    rng = np.random.default_rng(0)
    n = 9
    x = rng.normal(size=(n, 80))
    s = rng.uniform(size=n * (n - 1) // 2)
    m = np.full((n, n), np.nan)
    m[np.triu_indices(n, 1)] = s
    st = prepare_study("Rand", x, [f"s{k}" for k in range(n)], m)
    cfg = UncertaintyConfig(n_bootstrap=50, n_permutations=50, n_null_fits=40, seed=1)
    settings = TimbreSettings(loso=False, regularised=False, uncertainty=cfg, workers=1)
    (res,), _ = run_studies([st], settings, quiet=True)
    assert res.explained_variance > 0.5
    assert res.in_sample_null.shape == (40,)
    assert np.median(res.in_sample_null) > 0.5  # chance is high for the in-sample score
    from hear_probes.probes.timbre.summaries import in_sample_null_stats

    p, chance = in_sample_null_stats([res])
    assert p["Rand"] > 0.05
    assert chance["Rand"][0] > 0.5


def test_pairs_file_holds_every_predictor_behind_the_scores(tmp_path):
    from hear_probes.probes.timbre.pairs_file import read_pairs, write_pairs
    from hear_probes.probes.timbre.run import study_pairs

    rng = np.random.default_rng(3)
    n = 8
    x = rng.normal(size=(n, 6))
    s = np.sqrt(pair_differences(x).sum(1)) + 0.2 * rng.normal(size=n * (n - 1) // 2)
    m = np.full((n, n), np.nan)
    m[np.triu_indices(n, 1)] = s
    st = prepare_study("P", x, [f"s{k}" for k in range(n)], m)
    cfg = UncertaintyConfig(n_bootstrap=20, n_permutations=20, n_null_fits=0)
    (res,), _ = run_studies([st], TimbreSettings(uncertainty=cfg, workers=1), quiet=True)
    path = write_pairs(tmp_path / "timbre_pairs.h5", {"P": study_pairs(res)}, "toy")
    model, got = read_pairs(path)
    assert model == "toy"
    sp = got["P"]
    assert set(sp.predictors) == {"euclidean", "cosine", "loso", "regularised", "in_sample"}
    assert sp.sounds == st.item_ids and np.array_equal(sp.rating, st.ratings)
    # the stored predictions reproduce the stored scores
    for name, key in (("loso", "loso"), ("regularised", "regularised"), ("in_sample", "in_sample")):
        r = pearsonr(sp.predictors[name], sp.rating).statistic
        assert res.stats[key]["pearson"].value == pytest.approx(r)


def test_explained_variance_figure_draws_an_interval_that_excludes_its_estimate(tmp_path):
    from hear_probes.probes.timbre.figures import plot_explained_variance

    ev = {"Grey1977": 0.0, "Grey1978": 0.5}
    ci = {"in-sample": {"Grey1977": [0.01, 0.2], "Grey1978": [0.3, 0.6]}}
    out = plot_explained_variance(ev, tmp_path / "ev.png", intervals=ci)
    assert out.stat().st_size > 0
