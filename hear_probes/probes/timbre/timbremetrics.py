"""Scores defined by the timbremetrics packages, so numbers compare with papers that used them.

Two public packages are called ``timbremetrics``; neither is on PyPI:

* ``ben-hayes/timbre-dissimilarity-metrics`` (Hayes, Vahidi et al.; the original, "hayes"):
  triplet agreement on min-max-normalised distances with a positive radius and a margin,
  a Mantel test (Pearson or Spearman) with permutation p-values, and item-ranking agreement.
* ``tiianhk/timbremetrics`` (the 21-study successor, "tiianhk"): per-anchor triplet agreement
  with a margin on min-max-normalised ratings and distances, per-item Spearman and Kendall,
  mean absolute error.

Each score is provided twice where the package's code departs from the textbook definition:

``*_package``
    what the package's code computes, reproduced operation by operation (checked against a
    transcription of that code in ``tests/fixtures/timbremetrics_reference.json``);
``*_textbook`` (or no suffix)
    the definition the package's name for it promises.

The departures (documented in ``docs/timbre.md``, "timbremetrics-compatible scores"):

1. **Mantel Spearman ranks with ``argsort``.** The package turns each condensed matrix into
   ``x.argsort()``, the permutation that sorts ``x``, not the ranks of ``x`` (those are
   ``x.argsort().argsort()``), and applies ``1 - 6 Σ d² / (m (m² - 1))`` to it. The result is
   not Spearman's rho; :func:`mantel_spearman_package` reproduces it, :func:`mantel` with
   ``method="spearman"`` gives the textbook rho (average ranks for ties).
2. **Mantel permutations shuffle pairs, not sounds.** The package permutes the condensed
   distances freely (a pair-label permutation), which ignores that pairs sharing a sound are
   dependent; the Mantel test permutes the sound labels (rows and columns together). Its
   p-value is ``#(r <= r_perm) / P`` (can be 0); the textbook one is ``(1 + #) / (1 + P)``.
3. **Triplet agreement uses the raw, upper-triangular rating matrix.** With the rating files
   as released (upper triangle filled, the rest 0), every sound ``j <= a`` has rating 0 from
   anchor ``a`` and counts as a "positive", the anchor itself included; the radius and margin
   are applied to raw ratings whose scales differ by study (McAdams1995 tops out at 0.10, so
   every sound is a positive and no triplet is formed). :func:`triplet_agreement_radius`
   symmetrises and min-max normalises the ratings over the pairs and excludes the anchor.

All functions take square ``[n, n]`` matrices: ``distances`` symmetric with a zero diagonal
(the model's pairwise distances), ``ratings`` whose strict upper triangle holds the mean
rating of each pair (the rest is ignored and read as 0, as in the rating files; the NaN of
``TimbreDataset.ratings`` are fine). Nothing loops over pairs or permutations in Python.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import squareform
from scipy.stats import rankdata

#: Default positive radius and margin of the hayes triplet agreement.
HAYES_RADIUS = 0.3
HAYES_MARGIN = 0.1
#: Default margin of the tiianhk triplet agreement.
TIIANHK_MARGIN = 0.1


# ---------------------------------------------------------------------------- inputs
def _square(x: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 3:
        raise ValueError(
            f"timbremetrics: {name} must be a square [n, n] matrix with n >= 3, not shape "
            f"{a.shape}; pass scipy.spatial.distance.squareform(condensed) for a condensed vector"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"timbremetrics: {name} has NaN or infinite entries; drop those sounds")
    return a


def _upper_ratings(ratings: np.ndarray) -> np.ndarray:
    """The strict upper triangle of ``ratings``, zero elsewhere (as in the rating files).

    Entries on and below the diagonal are ignored (they may be NaN, as in
    :class:`hear_probes.stimuli.timbre.TimbreDataset`); a missing pair rating is an error.
    """
    a = np.asarray(ratings, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 3:
        raise ValueError(f"timbremetrics: ratings must be a square [n, n] matrix with n >= 3, not shape {a.shape}")
    upper = a[np.triu_indices(a.shape[0], 1)]
    if not np.all(np.isfinite(upper)):
        raise ValueError(
            f"timbremetrics: {int(np.sum(~np.isfinite(upper)))} pair ratings are NaN or infinite; "
            "the timbremetrics scores need every pair rated"
        )
    return np.triu(np.nan_to_num(a, nan=0.0), 1)


def _pair(distances: np.ndarray, ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(distances, dtype=np.float64)
    if d.ndim == 1:
        n = int(round((1 + np.sqrt(1 + 8 * d.size)) / 2))
        if n * (n - 1) // 2 != d.size:
            raise ValueError(
                f"timbremetrics: {d.size} condensed distances is not n(n-1)/2 for any n; pass the "
                "pairs i < j in row-major order (scipy.spatial.distance.pdist) or a square matrix"
            )
        d = squareform(d)
    d = _square(d, "distances")
    r = _upper_ratings(ratings)
    if d.shape != r.shape:
        raise ValueError(
            f"timbremetrics: distances {d.shape} and ratings {r.shape} differ in size; "
            "both must list the same sounds in the same order"
        )
    return d, r


def _upper(x: np.ndarray) -> np.ndarray:
    """Strict upper triangle, zero elsewhere (the package's ``mask``)."""
    return np.triu(x, 1)


def _symmetric_from_upper(x: np.ndarray) -> np.ndarray:
    u = _upper(x)
    return u + u.T


def _min_max(x: np.ndarray) -> np.ndarray:
    span = x.max() - x.min()
    if span == 0:
        raise ValueError("timbremetrics: every value is the same; min-max normalisation undefined")
    return (x - x.min()) / span


def _condensed(x: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(x.shape[0], 1)
    return x[i, j]


def _off_diagonal_rows(x: np.ndarray) -> np.ndarray:
    """``[n, n-1]``: row ``a`` lists ``x[a, j]`` for ``j != a`` in order."""
    n = x.shape[0]
    keep = ~np.eye(n, dtype=bool)
    return x[keep].reshape(n, n - 1)


# ---------------------------------------------------------------------------- hayes: triplets
def _triplet_counts(
    d: np.ndarray, positive: np.ndarray, negative: np.ndarray, margin: float
) -> tuple[int, int]:
    """Triplets ``(a, p, n)`` with ``positive[a, p] & negative[a, n]``; agreements ``d_ap + m < d_an``."""
    valid = positive[:, :, None] & negative[:, None, :]
    agree = (d[:, :, None] + margin) < d[:, None, :]
    return int(np.count_nonzero(valid & agree)), int(np.count_nonzero(valid))


def triplet_agreement_package(
    distances: np.ndarray,
    ratings: np.ndarray,
    *,
    radius: float = HAYES_RADIUS,
    margin: float = HAYES_MARGIN,
    enforce_margin: bool = True,
) -> float:
    """Triplet agreement exactly as ``hayes`` ``TripletAgreement`` computes it.

    Distances are min-max normalised over the whole square matrix (diagonal included);
    the ratings are used raw as given, so for an upper-triangular rating matrix the sounds
    ``j <= a`` (the anchor included) are positives of anchor ``a`` (see the module notes).
    For every anchor ``a``, positive ``p`` (``s_ap < radius``) and negative ``n``
    (``s_an > radius + margin``) the triplet agrees when ``d_ap + margin < d_an`` (``margin``
    0 there when ``enforce_margin`` is False).

    Returns
    -------
    float
        Agreeing / formed triplets; NaN when no triplet is formed.
    """
    d, r = _pair(distances, ratings)
    d = _min_max(d)
    m = margin if enforce_margin else 0.0
    agree, total = _triplet_counts(d, r < radius, r > radius + margin, m)
    return agree / total if total else float("nan")


def triplet_agreement_radius(
    distances: np.ndarray,
    ratings: np.ndarray,
    *,
    radius: float = HAYES_RADIUS,
    margin: float = HAYES_MARGIN,
    enforce_margin: bool = True,
) -> float:
    """The hayes triplet agreement with its evident intent: symmetric, normalised ratings.

    As :func:`triplet_agreement_package`, but the ratings are symmetrised from their upper
    triangle and min-max normalised over the pairs (so ``radius`` and ``margin`` mean the same
    on every study's scale), distances are min-max normalised over the pairs, and the anchor
    is never its own positive.
    """
    d, r = _pair(distances, ratings)
    n = d.shape[0]
    off = ~np.eye(n, dtype=bool)
    rs = _symmetric_from_upper(r)
    lo, hi = _condensed(rs).min(), _condensed(rs).max()
    if hi == lo:
        raise ValueError("timbremetrics: every rating is the same; triplet agreement undefined")
    rs = (rs - lo) / (hi - lo)
    ds = _symmetric_from_upper(d)
    dlo, dhi = _condensed(ds).min(), _condensed(ds).max()
    ds = (ds - dlo) / (dhi - dlo) if dhi > dlo else np.zeros_like(ds)
    m = margin if enforce_margin else 0.0
    agree, total = _triplet_counts(ds, (rs < radius) & off, (rs > radius + margin) & off, m)
    return agree / total if total else float("nan")


# ---------------------------------------------------------------------------- hayes: Mantel
def _package_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``1 - 6 Σ (argsort a - argsort b)² / (m (m² - 1))`` along the last axis."""
    m = a.shape[-1]
    sa = np.argsort(a, axis=-1, kind="stable").astype(np.float64)
    sb = np.argsort(b, axis=-1, kind="stable").astype(np.float64)
    return 1.0 - 6.0 * np.sum((sa - sb) ** 2, axis=-1) / (m * (m**2 - 1))


def _rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``x`` ``[P, m]`` with ``y``: the vector ``[m]`` (every
    row against it), or ``[P, m]`` (row ``i`` against row ``i``). NaN where a side is constant."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    num = xc @ yc if yc.ndim == 1 else np.sum(xc * yc, axis=-1)
    den = np.sqrt(np.sum(xc**2, axis=-1) * np.sum(yc**2, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _at_least_as_extreme(r: float, null: np.ndarray, alternative: str) -> np.ndarray:
    """Which null replicates are at least as extreme as ``r`` (no tolerance, as the packages)."""
    if alternative == "greater":
        return null >= r
    if alternative == "less":
        return null <= r
    return np.abs(null) >= abs(r)


def _p_package(r: float, null: np.ndarray, alternative: str) -> float:
    """The package's ``#hits / P`` (the observed statistic is not counted)."""
    return float(np.mean(_at_least_as_extreme(r, null, alternative)))


def _p_textbook(r: float, null: np.ndarray, alternative: str) -> float:
    """``(1 + #hits) / (1 + P)``."""
    return float((1 + np.count_nonzero(_at_least_as_extreme(r, null, alternative))) / (1 + null.size))


def _check_mantel_args(method: str, alternative: str, n_permutations: int) -> None:
    if method not in ("pearson", "spearman"):
        raise ValueError(f"timbremetrics: method must be 'pearson' or 'spearman', not {method!r}")
    if alternative not in ("greater", "less", "two-sided"):
        raise ValueError(
            f"timbremetrics: alternative must be 'greater', 'less' or 'two-sided', not {alternative!r}"
        )
    if n_permutations < 0:
        raise ValueError(f"timbremetrics: n_permutations must be >= 0, not {n_permutations}")


def mantel_package(
    distances: np.ndarray,
    ratings: np.ndarray,
    *,
    method: str = "spearman",
    n_permutations: int = 0,
    alternative: str = "greater",
    seed: int = 0,
) -> tuple[float, float]:
    """The hayes ``Mantel`` metric as its code computes it: ``(statistic, p)``.

    ``method="pearson"``: Pearson r of the condensed upper triangles (min-max normalised, which
    does not change r). ``method="spearman"``: the package's argsort formula (module note 1),
    not Spearman's rho. The null permutes the condensed distances freely (pairs, not sounds)
    and ``p = #(r <= r_perm) / P`` for ``alternative="greater"``; NaN without permutations.
    The permutations are drawn by ``numpy.random.default_rng(seed)`` (the package uses
    ``torch.randperm``), so p-values agree with the package's in distribution only.
    """
    _check_mantel_args(method, alternative, n_permutations)
    d, r = _pair(distances, ratings)
    cr, cd = _condensed(r), _condensed(d)
    if method == "pearson":
        stat = float(_rowwise_pearson(cd[None, :], cr)[0])
    else:
        stat = float(_package_spearman(cr, cd))
    if n_permutations == 0:
        return stat, float("nan")
    rng = np.random.default_rng(seed)
    orders = rng.permuted(np.broadcast_to(np.arange(cd.size), (n_permutations, cd.size)), axis=1)
    shuffled = cd[orders]
    if method == "pearson":
        null = _rowwise_pearson(shuffled, cr)
    else:
        null = _package_spearman(shuffled, np.broadcast_to(cr, shuffled.shape))
    return stat, _p_package(stat, null, alternative)


def mantel_spearman_package(distances: np.ndarray, ratings: np.ndarray) -> float:
    """The hayes Mantel "Spearman" statistic (argsort in place of ranks); see module note 1."""
    return mantel_package(distances, ratings, method="spearman")[0]


def mantel(
    distances: np.ndarray,
    ratings: np.ndarray,
    *,
    method: str = "spearman",
    n_permutations: int = 999,
    alternative: str = "greater",
    seed: int = 0,
) -> tuple[float, float]:
    """Textbook Mantel test: ``(r or rho, p)`` with a sound-label permutation null.

    The statistic is the Pearson r (``method="pearson"``) or Spearman's rho (Pearson r of the
    average ranks) of the condensed distances and ratings. The null permutes the sounds of the
    distance matrix (rows and columns together) ``n_permutations`` times (drawn by
    ``numpy.random.default_rng(seed)``, all at once); ``p = (1 + #{null >= stat}) / (1 + P)``
    for ``alternative="greater"`` (NaN without permutations).
    """
    _check_mantel_args(method, alternative, n_permutations)
    d, r = _pair(distances, ratings)
    n = d.shape[0]
    cr, cd = _condensed(r), _condensed(_symmetric_from_upper(d))
    if method == "spearman":
        cr, cd = rankdata(cr), rankdata(cd)
    stat = float(_rowwise_pearson(cd[None, :], cr)[0])
    if n_permutations == 0:
        return stat, float("nan")
    # Ranks of a relabelled matrix are the relabelled ranks, so rank once and permute.
    full = np.zeros((n, n))
    i, j = np.triu_indices(n, 1)
    full[i, j] = cd
    full = full + full.T
    rng = np.random.default_rng(seed)
    perms = rng.permuted(np.broadcast_to(np.arange(n), (n_permutations, n)), axis=1)
    null = _rowwise_pearson(full[perms[:, i], perms[:, j]], cr)
    return stat, _p_textbook(stat, null, alternative)


# ---------------------------------------------------------------------------- hayes: rankings
def item_ranking_agreement_package(distances: np.ndarray, ratings: np.ndarray) -> float:
    """The hayes ``ItemRankingAgreement`` (``k=None``) as its code computes it.

    Both matrices are symmetrised from their upper triangle; each column is argsorted
    (position -> sound, the anchor first through its zero self-distance); the score is the
    fraction of (anchor, position) cells, the anchor's own cell excluded by subtracting ``n``,
    where the rating and the distance put the same sound. Ties sort stably here; the
    package's ``torch.argsort`` does not promise an order for ties, and a zero off-diagonal
    distance can displace the anchor from position 0.
    """
    d, r = _pair(distances, ratings)
    n = d.shape[0]
    sd = np.argsort(_symmetric_from_upper(d), axis=0, kind="stable")
    sr = np.argsort(_symmetric_from_upper(r), axis=0, kind="stable")
    return float((np.count_nonzero(sd == sr) - n) / (n * n - n))


def item_ranking_agreement(distances: np.ndarray, ratings: np.ndarray) -> float:
    """Fraction of (anchor, rank) cells where ratings and distances name the same neighbour.

    The anchor is removed before ranking (it cannot displace a neighbour), so the ``n - 1``
    neighbours of each anchor are compared position by position. Chance level is
    ``1 / (n - 1)``.
    """
    d, r = _pair(distances, ratings)
    sd = np.argsort(_off_diagonal_rows(_symmetric_from_upper(d)), axis=1, kind="stable")
    sr = np.argsort(_off_diagonal_rows(_symmetric_from_upper(r)), axis=1, kind="stable")
    return float(np.mean(sd == sr))


def knn_triplet_agreement_package(distances: np.ndarray, ratings: np.ndarray, *, k: int = 5) -> float:
    """The hayes ``TripletKNNAgreement``: order of each anchor's ``k`` nearest rated neighbours.

    For each anchor, its ``k`` nearest sounds by rating (the anchor itself excluded; ties in
    rating order broken by sound index) form ``k(k-1)/2`` pairs ``(i, j)`` with ``i`` rated
    nearer; a pair agrees when ``d_ai < d_aj`` (a distance tie disagrees). Agreements are
    pooled over anchors.
    """
    d, r = _pair(distances, ratings)
    n = d.shape[0]
    if not 2 <= k <= n - 1:
        raise ValueError(f"timbremetrics: k must be between 2 and n - 1 = {n - 1}, not {k}")
    rs = _symmetric_from_upper(r)
    np.fill_diagonal(rs, -np.inf)  # the anchor sorts first and is dropped
    nearest = np.argsort(rs, axis=1, kind="stable")[:, 1 : k + 1]
    pi, pj = np.triu_indices(k, 1)
    rows = np.arange(n)[:, None]
    agree = d[rows, nearest[:, pi]] < d[rows, nearest[:, pj]]
    return float(agree.mean())


def mean_error_package(distances: np.ndarray, ratings: np.ndarray, *, power: int = 1) -> float:
    """The hayes ``MAE`` (``power=1``) / ``MSE`` (``power=2``): raw distances against raw ratings.

    Mean over the pairs ``i < j`` of ``|s_ij - d_ij| ** power``, without any normalisation, so
    it depends on the scales of the embedding and of the study's ratings: comparable only
    between runs of the same model on the same study.
    """
    if power not in (1, 2):
        raise ValueError(f"timbremetrics: power must be 1 (MAE) or 2 (MSE), not {power}")
    d, r = _pair(distances, ratings)
    return float(np.mean(np.abs(_condensed(r) - _condensed(d)) ** power))


# ---------------------------------------------------------------------------- tiianhk
def _tiianhk_rows(distances: np.ndarray, ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``min_max(mask(x))``, symmetrised, self-comparisons removed: ``[n, n-1]`` each."""
    d, r = _pair(distances, ratings)
    pd_ = _min_max(_upper(d))
    pr = _min_max(_upper(r))
    return _off_diagonal_rows(pd_ + pd_.T), _off_diagonal_rows(pr + pr.T)


def triplet_agreement_tiianhk(
    distances: np.ndarray, ratings: np.ndarray, *, margin: float = TIIANHK_MARGIN
) -> float:
    """Triplet agreement of ``tiianhk`` ``triplet_agreement``: mean over anchors.

    Distances and ratings are min-max normalised (``(x - min) / (max - min)`` of the masked
    upper-triangular matrix, zeros included); for each anchor every pair of other sounds
    whose normalised ratings differ by more than ``margin`` is a triplet; it agrees when the
    distances order the pair the same way (a distance tie disagrees). An anchor without
    triplets scores 0 (as in the package); the study score is the mean over anchors.
    """
    pd_, pr = _tiianhk_rows(distances, ratings)
    m = pd_.shape[1]
    iu = np.triu(np.ones((m, m), dtype=bool), 1)
    dt = pr[:, None, :] - pr[:, :, None]
    dd = pd_[:, None, :] - pd_[:, :, None]
    valid = (np.abs(dt) > margin) & iu
    agree = np.count_nonzero(((dd * dt) > 0) & valid, axis=(1, 2))
    total = np.count_nonzero(valid, axis=(1, 2))
    per_anchor = np.where(total > 0, agree / np.where(total > 0, total, 1), 0.0)
    return float(per_anchor.mean())


def spearman_items_tiianhk(distances: np.ndarray, ratings: np.ndarray) -> float:
    """Per-anchor Spearman rho of the ``n - 1`` neighbours, averaged (``tiianhk`` ``spearman_corr``)."""
    pd_, pr = _tiianhk_rows(distances, ratings)
    rho = _rowwise_pearson(rankdata(pd_, axis=1), rankdata(pr, axis=1))
    return float(np.mean(rho))


def kendall_items_tiianhk(distances: np.ndarray, ratings: np.ndarray) -> float:
    """Per-anchor Kendall tau-b, NaN counted as 0, averaged (``tiianhk`` ``kendall_corr``)."""
    pd_, pr = _tiianhk_rows(distances, ratings)
    m = pd_.shape[1]
    iu = np.triu(np.ones((m, m), dtype=bool), 1)
    sx = np.sign(pd_[:, None, :] - pd_[:, :, None])[:, iu]
    sy = np.sign(pr[:, None, :] - pr[:, :, None])[:, iu]
    n0 = iu.sum()
    den = np.sqrt((n0 - np.count_nonzero(sx == 0, axis=1)) * (n0 - np.count_nonzero(sy == 0, axis=1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        taus = np.where(den > 0, np.sum(sx * sy, axis=1) / np.where(den > 0, den, 1.0), np.nan)
    return float(np.nansum(taus) / taus.size)


def mae_tiianhk(distances: np.ndarray, ratings: np.ndarray) -> float:
    """Mean absolute difference of the min-max normalised pair values (``tiianhk`` ``mae``)."""
    d, r = _pair(distances, ratings)
    return float(np.mean(np.abs(_condensed(_min_max(_upper(d))) - _condensed(_min_max(_upper(r))))))


# ---------------------------------------------------------------------------- one call
def timbremetrics_scores(
    distances: np.ndarray,
    ratings: np.ndarray,
    *,
    n_permutations: int = 999,
    seed: int = 0,
) -> dict[str, float]:
    """Every timbremetrics-compatible score of one study, package and textbook variants.

    Parameters
    ----------
    distances : np.ndarray
        ``[n, n]`` symmetric model distances of the study's sounds (zero diagonal), or the
        ``n(n-1)/2`` distances of the pairs ``i < j`` in row-major order (``pdist``).
    ratings : np.ndarray
        ``[n, n]`` mean dissimilarity ratings, upper triangle filled (as the rating files).
    n_permutations : int
        Permutations of each Mantel null (0: no p-values, NaN).
    seed : int
        Seed of the permutations.

    Returns
    -------
    dict
        Keys (stable, for results JSON): ``hayes_triplet_agreement_package``,
        ``hayes_triplet_agreement_radius``, ``hayes_mantel_pearson_r`` (+ ``_p_package`` and
        ``_p``), ``hayes_mantel_spearman_package`` (+ ``_p``), ``mantel_spearman_rho``
        (+ ``_p``), ``hayes_item_ranking_agreement_package``, ``item_ranking_agreement``
        (+ ``_chance``), ``tiianhk_triplet_agreement``, ``tiianhk_spearman_items``,
        ``tiianhk_kendall_items``, ``tiianhk_mae``, ``hayes_knn_triplet_agreement_package``,
        ``hayes_mae_package``,
        ``hayes_mse_package`` (raw scales). Package p-values permute pairs; the others
        permute sounds.
    """
    d, r = _pair(distances, ratings)
    kw = {"n_permutations": n_permutations, "seed": seed}
    pearson_pkg, pearson_pkg_p = mantel_package(d, r, method="pearson", **kw)
    spearman_pkg, spearman_pkg_p = mantel_package(d, r, method="spearman", **kw)
    pearson_r, pearson_p = mantel(d, r, method="pearson", **kw)
    rho, rho_p = mantel(d, r, method="spearman", **kw)
    return {
        "hayes_triplet_agreement_package": triplet_agreement_package(d, r),
        "hayes_triplet_agreement_radius": triplet_agreement_radius(d, r),
        "hayes_mantel_pearson_r": pearson_pkg,
        "hayes_mantel_pearson_r_p_package": pearson_pkg_p,
        "hayes_mantel_pearson_r_p": pearson_p,
        "hayes_mantel_spearman_package": spearman_pkg,
        "hayes_mantel_spearman_package_p": spearman_pkg_p,
        "mantel_spearman_rho": rho,
        "mantel_spearman_rho_p": rho_p,
        "hayes_item_ranking_agreement_package": item_ranking_agreement_package(d, r),
        "item_ranking_agreement": item_ranking_agreement(d, r),
        "item_ranking_agreement_chance": 1.0 / (d.shape[0] - 1),
        "tiianhk_triplet_agreement": triplet_agreement_tiianhk(d, r),
        "tiianhk_spearman_items": spearman_items_tiianhk(d, r),
        "tiianhk_kendall_items": kendall_items_tiianhk(d, r),
        "tiianhk_mae": mae_tiianhk(d, r),
        "hayes_knn_triplet_agreement_package": knn_triplet_agreement_package(d, r),
        "hayes_mae_package": mean_error_package(d, r, power=1),
        "hayes_mse_package": mean_error_package(d, r, power=2),
    }


# ---------------------------------------------------------------------------- one study
#: The distance between embeddings that the timbremetrics scores of a timbre run are computed on.
TIMBREMETRICS_DISTANCE = "cosine"


def study_timbremetrics(
    features: np.ndarray,
    pair_ratings: np.ndarray,
    *,
    n_permutations: int = 999,
    seed: int = 0,
) -> dict[str, float]:
    """:func:`timbremetrics_scores` of one study's cosine distances, or ``{"note": why}``.

    Parameters
    ----------
    features : np.ndarray
        ``[n_sounds, dim]`` embeddings (as the probe scores them).
    pair_ratings : np.ndarray
        ``[n_pairs]`` ratings of the pairs ``i < j`` in row-major order (as
        :class:`~hear_probes.probes.timbre.study.Study` holds them; raw unless the run
        normalises ratings).
    n_permutations : int
        Permutations of each Mantel null (0: no p-values).
    seed : int
        Seed of the permutations.

    Returns
    -------
    dict
        The scores of :func:`timbremetrics_scores`; when they are undefined (a missing pair
        rating, a zero embedding, every distance or rating the same) a single ``note``.
    """
    from hear_probes.probes.timbre.agreement import raw_distances

    x = np.asarray(features, dtype=np.float64)
    s = np.asarray(pair_ratings, dtype=np.float64)
    n = x.shape[0]
    if not np.all(np.isfinite(s)):
        return {"note": "a pair has no rating: the packages need every pair"}
    d = raw_distances(x, TIMBREMETRICS_DISTANCE)
    if not np.all(np.isfinite(d)):
        return {"note": "a zero embedding has no cosine distance"}
    ratings = np.zeros((n, n))
    ratings[np.triu_indices(n, 1)] = s
    try:
        return timbremetrics_scores(d, ratings, n_permutations=n_permutations, seed=seed)
    except ValueError as exc:  # constant distances or ratings: min-max undefined
        return {"note": str(exc).removeprefix("timbremetrics: ")}
