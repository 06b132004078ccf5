"""Bad inputs of the timbre probe: each one gets a specific error or a documented handling."""

from __future__ import annotations

import numpy as np
import pytest

from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre.metric import FitOptions, fit_metric, pair_differences
from hear_probes.probes.timbre.study import normalise_ratings, prepare_study
from hear_probes.probes.timbre.validation import (
    TimbreInputError,
    align_rows,
    check_embeddings,
    check_ratings,
)


def _ratings(n, seed=0):
    rng = np.random.default_rng(seed)
    m = np.full((n, n), np.nan)
    m[np.triu_indices(n, 1)] = rng.uniform(0.1, 0.9, n * (n - 1) // 2)
    return m


def _emb(n, d=5, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


IDS = [f"s{k}" for k in range(6)]


def test_errors_are_user_errors():
    assert issubclass(TimbreInputError, HearProbesError)


def test_non_square_ratings():
    with pytest.raises(TimbreInputError, match="square"):
        check_ratings(np.zeros((6, 5)), 6, "X")


def test_ratings_not_matching_sounds():
    with pytest.raises(TimbreInputError, match="7x7 but there are 6 sounds"):
        check_ratings(_ratings(7), 6, "X")


def test_too_few_sounds():
    with pytest.raises(TimbreInputError, match="at least 4"):
        check_ratings(_ratings(3), 3, "X")


def test_constant_ratings():
    m = np.triu(np.full((6, 6), 0.5), 1)
    with pytest.raises(TimbreInputError, match="constant"):
        check_ratings(m, 6, "X")


def test_lower_triangular_ratings_are_rejected():
    m = np.tril(np.random.default_rng(0).uniform(size=(6, 6)), -1)
    m[np.triu_indices(6, 1)] = np.nan
    with pytest.raises(TimbreInputError, match="upper triangle"):
        check_ratings(m, 6, "X")


def test_infinite_rating():
    m = _ratings(6)
    m[0, 3] = np.inf
    with pytest.raises(TimbreInputError, match=r"pair \(0, 3\)"):
        check_ratings(m, 6, "X")


def test_missing_ratings_are_kept_as_nan():
    m = _ratings(6)
    m[1, 2] = np.nan
    s = check_ratings(m, 6, "X")
    assert np.isnan(s).sum() == 1 and s.size == 15


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_embeddings_with_nan_or_inf_name_the_sound(bad):
    x = _emb(6)
    x[4, 2] = bad
    with pytest.raises(TimbreInputError, match="NaN/inf.*s4"):
        check_embeddings(x, IDS, "X")


def test_duplicated_ids():
    with pytest.raises(TimbreInputError, match="duplicated sound id.*s1"):
        check_embeddings(_emb(6), ["s0", "s1", "s1", "s3", "s4", "s5"], "X")


def test_duplicated_sounds_identical_embeddings():
    x = _emb(6)
    x[5] = x[2]
    with pytest.raises(TimbreInputError, match="identical embeddings.*s2=s5"):
        check_embeddings(x, IDS, "X")
    assert check_embeddings(x, IDS, "X", allow_identical=True).all()


def test_constant_dimensions_are_left_out_and_reported():
    x = _emb(6, d=5)
    x[:, 1] = 3.0
    study = prepare_study("X", x, IDS, _ratings(6))
    assert study.n_constant_dims == 1 and not study.active[1]
    res = fit_metric(pair_differences(study.features), study.ratings, FitOptions(maxiter=50),
                     active=study.active)
    assert res.weights[1] == 1e15 and np.isfinite(res.pearson)


def test_all_dimensions_constant():
    with pytest.raises(TimbreInputError, match="every embedding dimension is constant"):
        check_embeddings(np.ones((6, 3)) + np.arange(3), IDS, "X")


def test_wrong_embedding_shape():
    with pytest.raises(TimbreInputError, match="shape"):
        check_embeddings(np.zeros(6), IDS, "X")
    with pytest.raises(TimbreInputError, match="5 embedding rows for 6 sounds"):
        check_embeddings(_emb(5), IDS, "X")


def test_align_rows_by_id_and_mismatch_errors():
    x = _emb(6)
    perm = [3, 0, 5, 1, 4, 2]
    got = align_rows([IDS[p] for p in perm], x[perm], IDS, "f.h5")
    np.testing.assert_array_equal(got, x)
    with pytest.raises(TimbreInputError, match="missing sounds s5"):
        align_rows(IDS[:5], x[:5], IDS, "f.h5")
    with pytest.raises(TimbreInputError, match="unknown sounds zz"):
        align_rows(IDS + ["zz"], np.vstack([x, x[:1]]), IDS, "f.h5")


def test_rating_normalisations():
    s = np.array([0.02, 0.05, np.nan, 0.1])
    np.testing.assert_allclose(normalise_ratings(s, "max"), [0.2, 0.5, np.nan, 1.0])
    np.testing.assert_allclose(normalise_ratings(s, "minmax"), [0.0, 0.375, np.nan, 1.0])
    np.testing.assert_allclose(normalise_ratings(s, "none"), s)
    with pytest.raises(ValueError):
        normalise_ratings(s, "zscore")


def test_fewer_than_two_dimensions_is_a_clear_error():
    with pytest.raises(TimbreInputError, match="Grey1977: embeddings have 1 dimension.*at least 2.*stack"):
        check_embeddings(_emb(6, d=1), IDS, "Grey1977")
    with pytest.raises(TimbreInputError, match="0 dimension"):
        prepare_study("Grey1977", np.zeros((6, 0)), IDS, _ratings(6))


def test_all_embeddings_equal_is_an_error_even_when_identical_rows_are_allowed():
    with pytest.raises(TimbreInputError, match="X: every embedding dimension is constant"):
        prepare_study("X", np.ones((6, 4)), IDS, _ratings(6), allow_identical=True)


def test_tied_unlearned_distances_give_nan_with_a_note_never_a_number():
    """Sounds on a regular simplex: every unlearned distance is tied (up to rounding)."""
    from hear_probes.errors import HearProbesWarning
    from hear_probes.probes.timbre.metric import pearson
    from hear_probes.probes.timbre.validation import all_tied, unlearned_distances

    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(8, 8)))
    x = np.eye(6, 8) @ q  # rotated one-hot rows: equal distances, unequal in the last digits
    d = unlearned_distances(x)
    assert np.ptp(d["euclidean"]) > 0  # rounding noise that a naive Pearson would turn into a score
    assert all_tied(d["euclidean"]) and all_tied(d["cosine"])
    ratings = _ratings(6)
    with pytest.warns(HearProbesWarning, match="X: every unlearned euclidean distance is tied"):
        study = prepare_study("X", x, IDS, ratings)
    assert set(study.notes) == {"euclidean", "cosine"}
    assert np.isnan(pearson(d["euclidean"], study.ratings))
    # the learned metric can still separate the sounds: a real fit, not an error
    res = fit_metric(pair_differences(study.features), study.ratings, FitOptions(maxiter=50),
                     active=study.active)
    assert np.isfinite(res.pearson)
    assert not all_tied(np.arange(5.0)) and all_tied([2.0, 2.0 + 1e-15, np.nan])
    assert prepare_study("Y", _emb(6), IDS, ratings).notes == {}
