"""hear_probes.compare: paired comparisons of result folders (API, statistics, bad inputs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from compare_fixtures import STUDY_SIZES, model_studies, write_model, write_ranking

from hear_probes.compare import CompareSettings, compare_folders, compare_timbre, model_pairs
from hear_probes.compare.inputs import TimbrePairs
from hear_probes.compare.run import apply_holm
from hear_probes.compare.timbre import TIMBRE_METRICS, study_seed
from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre.groups import group_studies
from hear_probes.probes.timbre.pairs_file import PAIRS_NAME, StudyPairs, read_pairs, write_pairs
from hear_probes.stats.batched import pearson_columns, spearman_columns
from hear_probes.stats.resampling import (
    pair_weights,
    signed_ev,
    sound_bootstrap_counts,
    weighted_pearson,
    weighted_spearman,
)

FAST = CompareSettings(n_resamples=1000)  # >= 840: per-study tests can survive Holm over 21
QUICK = CompareSettings(n_resamples=200)
TWO = {"Grey1977": 16, "Vahidi2020": 15}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    return {
        "good": write_model(root / "good", "good", 0.9, 1),
        "weak": write_model(root / "weak", "weak", 0.3, 2),
        "noise": write_model(root / "noise", "noise", 0.0, 3),
    }


def test_identical_result_sets_give_zero_difference_and_p_one(folders, tmp_path):
    twin = tmp_path / "twin"
    shutil.copytree(folders["weak"], twin)
    res = compare_folders([folders["weak"], twin], FAST)
    assert res.tests and not any(t.significant for t in res.tests)
    for t in res.select("timbre"):
        assert t.difference == 0 and t.p == 1.0 and t.p_holm == 1.0
        assert t.difference_ci == [0.0, 0.0]
    assert res.models[1].name == f"weak ({twin})"  # same model id, made unique


def test_ratings_plus_small_noise_beat_pure_noise(folders):
    res = compare_folders([folders["noise"], folders["good"]], FAST)
    across = res.select("timbre", "across studies")
    assert {t.metric for t in across} == {m.name for m in TIMBRE_METRICS}
    for t in across:
        assert t.significant and t.difference > 0.4 and t.difference_ci[0] > 0
        assert t.n == 11 and t.details["n_b_better"] == 11
        assert t.p == pytest.approx(2 / 2048)  # exact Wilcoxon, 11 positive groups
    per_study = res.select("timbre", "study")
    assert len(per_study) == 21 * len(TIMBRE_METRICS)
    assert np.mean([t.significant for t in per_study]) > 0.8
    assert all(t.difference > 0 for t in per_study if t.significant)


def test_predictions_equal_to_ratings_plus_small_noise_beat_pure_noise():
    rng = np.random.default_rng(5)
    sharp, noise = {}, {}
    for study, n in STUDY_SIZES.items():
        i, j = np.triu_indices(n, 1)
        rating = rng.normal(size=i.size)
        sounds = [f"{study}_{k}" for k in range(n)]
        names = ("euclidean", "cosine", "loso", "regularised")
        sharp[study] = StudyPairs(i, j, rating, {p: rating + 0.2 * rng.normal(size=i.size)
                                                 for p in names}, sounds)
        noise[study] = StudyPairs(i, j, rating, {p: rng.normal(size=i.size) for p in names}, sounds)
    models = [TimbrePairs("noise", Path("n"), "noise", noise),
              TimbrePairs("sharp", Path("s"), "sharp", sharp)]
    tests, _ = compare_timbre(models, [(0, 1)], FAST)
    apply_holm(tests)
    assert all(t.significant and t.difference > 0.5 for t in tests)  # every study, every score


def test_observed_scores_are_the_plain_signed_ev_and_spearman(folders):
    res = compare_folders([folders["noise"], folders["good"]], FAST)
    _, data = read_pairs(folders["good"] / PAIRS_NAME)
    sp = data["McAdams1995"]
    cell = {t.metric: t for t in res.select("timbre", "study") if t.unit == "McAdams1995"}
    r = weighted_pearson(sp.rating, sp.predictors["cosine"])[0]
    assert cell["cosine_ev"].score_b == pytest.approx(signed_ev(r))
    rho = weighted_spearman(sp.rating, sp.predictors["euclidean"])[0]
    assert cell["euclidean_spearman"].score_b == pytest.approx(rho)


def test_anti_correlated_model_scores_below_an_uncorrelated_one():
    """Signed EV: an anti-correlation is never skill, so 'anti' loses to 'noise'."""
    good = model_studies(0.9, 1)
    anti = {s: StudyPairs(sp.i, sp.j, sp.rating, {k: -v for k, v in sp.predictors.items()},
                          sp.sounds) for s, sp in good.items()}
    noise = model_studies(0.0, 3)
    models = [TimbrePairs("noise", Path("n"), "noise", noise), TimbrePairs("anti", Path("a"), "anti", anti)]
    tests, _ = compare_timbre(models, [(0, 1)], FAST)
    apply_holm(tests)
    for t in tests:
        if t.level == "across studies":
            assert t.difference < 0 and t.significant


def test_group_averaging_makes_21_studies_11_units(folders):
    res = compare_folders([folders["weak"], folders["good"]], FAST)
    t = res.select("timbre", "across studies")[0]
    groups = group_studies(STUDY_SIZES)
    assert len(STUDY_SIZES) == 21 and len(groups) == 11 and t.n == 11
    assert {g: sorted(m) for g, m in t.details["groups"].items()} == {
        g: sorted(m) for g, m in groups.items()}
    study_diff = {s.unit: s.difference for s in res.select("timbre", "study")
                  if s.metric == t.metric}
    for g, members in groups.items():
        assert t.details["group_differences"][g] == pytest.approx(
            np.mean([study_diff[s] for s in members]))
    assert t.difference == pytest.approx(np.median(list(t.details["group_differences"].values())))


def _population(rng, n_pop=300):
    x = rng.normal(size=(n_pop, 3))
    noise = rng.normal(size=(n_pop, n_pop))
    noise = (noise + noise.T) / np.sqrt(2)
    fa = np.c_[x, 0 * x] + 1.0 * rng.normal(size=(n_pop, 6))
    fb = np.c_[x, 0 * x] + 0.6 * rng.normal(size=(n_pop, 6))
    return x, noise, fa, fb


def test_paired_bootstrap_interval_covers_the_true_difference():
    """Simulation: studies of 16 sounds drawn from a population of 300; the population's
    difference of signed EV is the truth. The 95 % intervals cover it in >= 90 % of studies
    (measured: 97 % with 300 studies and 500 resamples)."""
    rng = np.random.default_rng(0)
    x, noise, fa, fb = _population(rng)

    def dist(f, i, j):
        return np.linalg.norm(f[i] - f[j], axis=1)

    big_i, big_j = np.triu_indices(x.shape[0], 1)
    rating = dist(x, big_i, big_j) + 0.5 * noise[big_i, big_j]
    truth = (signed_ev(weighted_pearson(rating, dist(fb, big_i, big_j))[0])
             - signed_ev(weighted_pearson(rating, dist(fa, big_i, big_j))[0]))
    sa, sb = {}, {}
    i, j = np.triu_indices(16, 1)
    for s in range(120):
        idx = rng.choice(x.shape[0], 16, replace=False)
        gi, gj = idx[i], idx[j]
        r = dist(x, gi, gj) + 0.5 * noise[gi, gj]
        sounds = [str(k) for k in idx]
        sa[f"sim{s}"] = StudyPairs(i, j, r, {"euclidean": dist(fa, gi, gj)}, sounds)
        sb[f"sim{s}"] = StudyPairs(i, j, r, {"euclidean": dist(fb, gi, gj)}, sounds)
    models = [TimbrePairs("a", Path("a"), "a", sa), TimbrePairs("b", Path("b"), "b", sb)]
    tests, skipped = compare_timbre(models, [(0, 1)], CompareSettings(n_resamples=400))
    assert skipped  # cosine, loso, regularised absent: said so, not silently dropped
    ev = [t for t in tests if t.level == "study" and t.metric == "euclidean_ev"]
    coverage = np.mean([t.difference_ci[0] <= truth <= t.difference_ci[1] for t in ev])
    assert coverage >= 0.90, coverage
    assert truth > 0.1  # a real difference, which the interval is not centred away from


def test_same_resampled_sounds_for_both_models():
    """The replicates of both models come from the same sound draws: a study seed depends on
    the seed and the study name only, and a model compared with itself never differs."""
    assert study_seed(0, "Grey1977") == study_seed(0, "Grey1977") != study_seed(1, "Grey1977")
    studies = model_studies(0.5, 1, studies={"Grey1977": 16})
    models = [TimbrePairs(n, Path(n), n, studies) for n in ("a", "b")]
    tests, _ = compare_timbre(models, [(0, 1)], FAST)
    assert all(t.difference_ci == [0.0, 0.0] for t in tests if t.level == "study")


def test_batched_correlations_equal_the_reference_ones():
    rng = np.random.default_rng(3)
    n = 14
    i, j = np.triu_indices(n, 1)
    x = np.round(rng.normal(size=i.size) * 3) + 1e4  # ties and an offset
    ys = rng.normal(size=(3, i.size))
    ys[1, :4] = np.nan
    w = pair_weights(sound_bootstrap_counts(n, 200, seed=1), i, j)
    ref_p = np.stack([weighted_pearson(x, y, w) for y in ys])
    ref_s = np.stack([weighted_spearman(x, y, w) for y in ys])
    np.testing.assert_allclose(pearson_columns(x, ys, w), ref_p, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(spearman_columns(x, ys, w), ref_s, rtol=1e-9, atol=1e-12)


def test_model_pairs_designs():
    assert model_pairs(3) == [(0, 1), (0, 2), (1, 2)]
    assert model_pairs(4, baseline=True) == [(0, 1), (0, 2), (0, 3)]
    with pytest.raises(ValueError):
        model_pairs(1)


def test_three_folders_all_pairs_share_one_holm_family_across_studies(folders):
    res = compare_folders([folders["weak"], folders["good"], folders["noise"]], FAST)
    assert res.pairs == [("weak", "good"), ("weak", "noise"), ("good", "noise")]
    across = res.select("timbre", "across studies")
    assert len(across) == 3 * len(TIMBRE_METRICS) and len({t.family for t in across}) == 1
    base = compare_folders([folders["weak"], folders["good"], folders["noise"]],
                           CompareSettings(n_resamples=200, baseline=True))
    assert base.pairs == [("weak", "good"), ("weak", "noise")]


def test_holm_is_applied_per_family():
    from hear_probes.compare.records import PairedTest

    def t(p, fam):
        return PairedTest("timbre", "study", "a", "b", "m", "u", 0, 0, 0, [0, 0], p, "", fam, 1)

    tests = [t(0.01, "x"), t(0.04, "x"), t(0.03, "y")]
    apply_holm(tests)
    assert [x.p_holm for x in tests] == pytest.approx([0.02, 0.04, 0.03])
    assert [x.significant for x in tests] == [True, True, True]
    tests = [t(0.01, "x"), t(0.04, "x"), t(0.03, "x")]
    apply_holm(tests)
    assert [x.p_holm for x in tests] == pytest.approx([0.03, 0.06, 0.06])


def test_too_few_resamples_for_holm_over_studies_is_said(folders):
    res = compare_folders([folders["weak"], folders["good"]], CompareSettings(n_resamples=200))
    assert any("--resamples" in n for n in res.notes)
    assert not any(t.significant for t in res.select("timbre", "study"))
    assert not compare_folders([folders["weak"], folders["good"]], FAST).notes


# --- bad inputs: one line, what, where, how to fix ---------------------------------------------

def test_folder_without_pair_file(folders, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(HearProbesError, match=r"empty.*timbre_pairs.h5.*rerun 'hear-probes probe timbre'"):
        compare_folders([folders["good"], tmp_path / "empty"], FAST)
    with pytest.raises(HearProbesError, match="no such result folder"):
        compare_folders([folders["good"], tmp_path / "nowhere"], FAST)
    with pytest.raises(HearProbesError, match="at least two result folders"):
        compare_folders([folders["good"]], FAST)


def test_different_study_sets(tmp_path, folders):
    few = dict(list(STUDY_SIZES.items())[:17])
    small = write_model(tmp_path / "small", "small", 0.5, 4, studies=few)
    with pytest.raises(HearProbesError, match=r"different timbre studies .*only in good: none; "
                                              r"only in small: none|only in good: .*Zacharakis"):
        compare_folders([folders["good"], small], FAST)
    res = compare_folders([folders["good"], small],
                          CompareSettings(n_resamples=200, studies=tuple(few)))
    assert {t.unit for t in res.select("timbre", "study")} == set(few)
    with pytest.raises(HearProbesError, match="no study Nope.*correct --studies"):
        compare_folders([folders["good"], small], CompareSettings(studies=("Nope",)))


def _rewrite(folder: Path, dest: Path, change) -> Path:
    model_id, data = read_pairs(folder / PAIRS_NAME)
    change(data)
    dest.mkdir()
    write_pairs(dest / PAIRS_NAME, data, model_id)
    return dest


def test_different_sound_order_or_ratings_are_refused(folders, tmp_path):
    def reorder(data):
        data["Grey1977"].sounds = data["Grey1977"].sounds[::-1]

    moved = _rewrite(folders["weak"], tmp_path / "moved", reorder)
    with pytest.raises(HearProbesError, match=r"Grey1977: .* rate different sounds \(sound 0 is"):
        compare_folders([folders["good"], moved], FAST)

    def rerate(data):
        data["Vahidi2020"].rating = data["Vahidi2020"].rating * 1.1

    rerated = _rewrite(folders["weak"], tmp_path / "rerated", rerate)
    with pytest.raises(HearProbesError, match="Vahidi2020: .*different ratings"):
        compare_folders([folders["good"], rerated], FAST)


def test_missing_predictor_is_skipped_with_a_reason(tmp_path, folders):
    no_loso = write_model(tmp_path / "noloso", "noloso", 0.5, 5,
                          predictors=("euclidean", "cosine", "regularised"))
    res = compare_folders([folders["good"], no_loso, folders["weak"]], QUICK)
    assert {(t.a, t.b) for t in res.tests if t.metric == "loso_ev"} == {("good", "weak")}
    assert [(s.a, s.b) for s in res.skipped if "no 'loso' predictions" in s.reason] == [
        ("good", "noloso"), ("noloso", "weak")]


# --- ranking and GEAR ----------------------------------------------------------------------------

def test_ranking_without_per_trial_outcomes_is_not_comparable(folders, tmp_path):
    a = write_model(tmp_path / "a", "a", 0.5, 1, studies=TWO)
    b = write_model(tmp_path / "b", "b", 0.5, 2, studies=TWO)
    write_ranking(a, "a", 0.6, 1, per_trial=False)
    write_ranking(b, "b", 0.6, 2, per_trial=False)
    res = compare_folders([a, b], QUICK)
    assert not res.select("ranking")
    assert [s.reason for s in res.skipped if s.probe == "ranking"] == [
        "not comparable: per-trial outcomes not stored (ranking.json needs "
        "representations.<name>.per_trial.<dimension>.<scale>, one score per trial)"]


def test_ranking_mcnemar_on_stored_trials(tmp_path):
    a = write_model(tmp_path / "a", "a", 0.5, 1, studies=TWO)
    b = write_model(tmp_path / "b", "b", 0.5, 2, studies=TWO)
    write_ranking(a, "a", 0.55, 1, n_trials=1000)
    write_ranking(b, "b", 0.85, 2, n_trials=1000)
    res = compare_folders([a, b], QUICK)
    rows = res.select("ranking")
    assert len(rows) == 4 and all(t.significant and t.difference > 0.15 for t in rows)
    assert all(t.n < 1000 for t in rows)  # tied trials left out
    c = write_model(tmp_path / "c", "c", 0.5, 3, studies=TWO)
    write_ranking(c, "c", 0.85, 3, n_trials=1000, trial_seed=7)
    res = compare_folders([a, c], QUICK)
    assert "settings differ: seed" in [s.reason for s in res.skipped if s.probe == "ranking"][0]


def test_gear_compared_only_with_per_seed_values(tmp_path):
    a = write_model(tmp_path / "a", "a", 0.5, 1, studies=TWO)
    b = write_model(tmp_path / "b", "b", 0.5, 2, studies=TWO)
    one_seed = {"settings": {"seed": 0}, "factors": {"f1": {"knn_r2_k10": 0.9}}}
    for f in (a, b):
        (f / "gear.json").write_text(json.dumps(one_seed))
    res = compare_folders([a, b], QUICK)
    assert "per-seed values not stored" in [s.reason for s in res.skipped if s.probe == "gear"][0]
    seeds = [0, 1, 2, 3, 4]
    (a / "gear.json").write_text(json.dumps({"seeds": {"seeds": seeds}, "factors": {
        "f1": {"knn_r2_k10_seeds": [0.50, 0.52, 0.49, 0.51, 0.50]}}}))
    (b / "gear.json").write_text(json.dumps({"seeds": {"seeds": seeds}, "factors": {
        "f1": {"knn_r2_k10_seeds": [0.70, 0.71, 0.69, 0.72, 0.70]}}}))
    res = compare_folders([a, b], QUICK)
    (t,) = res.select("gear")
    assert t.difference == pytest.approx(0.2) and t.significant and t.n == 5
    other = json.loads((b / "gear.json").read_text())
    other["seeds"]["seeds"] = [5, 6, 7, 8, 9]
    (b / "gear.json").write_text(json.dumps(other))
    res = compare_folders([a, b], QUICK)
    assert "different seeds" in [s.reason for s in res.skipped if s.probe == "gear"][0]
