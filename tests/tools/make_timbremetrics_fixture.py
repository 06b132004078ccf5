"""Write tests/fixtures/timbremetrics_reference.json: the timbremetrics packages' formulas on a seeded example.

Run ``python tests/tools/make_timbremetrics_fixture.py`` to regenerate. The functions below
transcribe, statement by statement and loop by loop, the code of

* ``ben-hayes/timbre-dissimilarity-metrics`` ``timbremetrics/metrics.py`` (the version with
  ``ItemRankingAgreement``, ``TripletAgreement(positive_radius=0.3, margin=0.1)`` and
  ``Mantel``, ``TripletKNNAgreement``, ``MAE``, ``MSE``): ``torch`` operations replaced by their numpy equivalents
  (``torch.argsort`` -> ``np.argsort(kind="stable")``, ``torch.randperm`` -> the permutations
  drawn below, ``pearson_corrcoef`` -> ``np.corrcoef``);
* ``tiianhk/timbremetrics`` ``timbremetrics/metrics.py`` + ``utils.py`` (``mask``,
  ``min_max_normalization``, ``_prepare_rank_scores``, ``triplet_agreement``,
  ``spearman_corr``, ``kendall_corr``, ``mae``): torchmetrics' ``spearman_corrcoef`` and
  ``kendall_rank_corrcoef`` (tau-b) replaced by ``scipy.stats.spearmanr`` / ``kendalltau``.

They keep the packages' structure (Python loops over anchors, positives and negatives; one
correlation per permutation), which shares no code with the vectorised implementation in
``hear_probes/probes/timbre/timbremetrics.py``; the test compares the two.

The example: 9 sounds, 6-dimensional Gaussian embeddings (seed 7) and an upper-triangular
rating matrix on a 0-1 scale (a noisy function of the embedding distances), so that the
positive radius and margin select real triplets and there are no ties.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

SEED = 7
N_SOUNDS = 9
N_PERMUTATIONS = 200
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "timbremetrics_reference.json"


def example() -> tuple[np.ndarray, np.ndarray]:
    """Full symmetric Euclidean distances and an upper-triangular 0-1 rating matrix."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(N_SOUNDS, 6))
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    noisy = d + rng.normal(scale=0.6, size=d.shape)
    r = np.zeros_like(d)
    for i in range(N_SOUNDS):
        for j in range(i + 1, N_SOUNDS):
            r[i, j] = noisy[i, j]
    upper = r[np.triu_indices(N_SOUNDS, 1)]
    r[np.triu_indices(N_SOUNDS, 1)] = (upper - upper.min()) / (upper.max() - upper.min())
    return d, r


# ----------------------------------------------------------------- ben-hayes
def min_max_normalization(a):
    return (a - a.min()) / (a.max() - a.min())


def hayes_triplet_agreement(target, distances, positive_radius=0.3, margin=0.1, enforce_margin=True):
    triplet_agreements = 0
    total_triplets = 0
    distances = min_max_normalization(distances)
    for anchor in range(target.shape[0]):
        positives = np.nonzero(target[anchor] < positive_radius)[0]
        negatives = np.nonzero(target[anchor] > positive_radius + margin)[0]
        for positive in positives:
            for negative in negatives:
                total_triplets += 1
                m = margin if enforce_margin else 0
                if distances[anchor, positive] + m < distances[anchor, negative]:
                    triplet_agreements += 1
    return triplet_agreements / total_triplets if total_triplets > 0 else float("nan")


def hayes_item_ranking_agreement(target, distances_upper):
    target_full = target + target.T
    distances_full = distances_upper + distances_upper.T
    distances_ranked = np.argsort(distances_full, axis=0, kind="stable")
    target_ranked = np.argsort(target_full, axis=0, kind="stable")
    comparisons = distances_upper.size - distances_upper.shape[0]
    matching = np.sum((target_ranked == distances_ranked).astype(float)) - distances_upper.shape[0]
    return matching / comparisons


def _condensed(matrix):
    return matrix[np.triu(np.ones_like(matrix), 1).astype(bool)]


def hayes_pearson(a, b):
    a = min_max_normalization(_condensed(a))
    b = min_max_normalization(_condensed(b))
    return float(np.corrcoef(a, b)[0, 1])


def hayes_spearman(a, b):
    a = _condensed(a).argsort(kind="stable")
    b = _condensed(b).argsort(kind="stable")
    denom = a.shape[0] * (a.shape[0] ** 2 - 1)
    numer = 6 * np.sum((a - b) ** 2)
    return 1 - numer / denom


def hayes_mantel(target, distances, method, permutations, seed):
    corr = hayes_pearson if method == "pearson" else hayes_spearman
    r = corr(target, distances)
    if permutations == 0:
        return r, float("nan")
    # The package draws torch.randperm per permutation; the implementation under test draws
    # these rows with numpy.random.default_rng(seed).permuted in one call: the same rows here.
    m = _condensed(distances).size
    orders = np.random.default_rng(seed).permuted(np.broadcast_to(np.arange(m), (permutations, m)), axis=1)
    values = []
    for order in orders:
        permuted = distances.copy()
        mask = np.triu(np.ones_like(permuted), 1).astype(bool)
        permuted[mask] = permuted[mask][order]
        values.append(corr(permuted, target))
    return r, float(np.sum(r <= np.array(values)) / permutations)


def hayes_knn_triplet_agreement(target, distances, k=5):
    target = target + target.T
    triplet_agreements = 0
    total_triplets = 0
    for anchor in range(target.shape[0]):
        sorted_idxs = target[anchor].argsort(kind="stable")
        idxs = sorted_idxs[sorted_idxs != anchor][:k]
        i_j_idxs = np.stack([idxs[[i, j]] for i in range(len(idxs) - 1) for j in range(i + 1, len(idxs))])
        i, j = i_j_idxs[:, 0], i_j_idxs[:, 1]
        total_triplets += len(i)
        triplet_agreements += np.sum(distances[anchor, i] < distances[anchor, j])
    return triplet_agreements / total_triplets


def hayes_mae(target, distances_upper):
    absolute_error = np.sum(np.abs(target - distances_upper))
    count = np.sum(np.triu(np.ones_like(target), 1))
    return absolute_error / count


def hayes_mse(target, distances_upper):
    squared_error = np.sum((target - distances_upper) ** 2)
    count = np.sum(np.triu(np.ones_like(target), 1))
    return squared_error / count


# ----------------------------------------------------------------- tiianhk
def tiianhk_prepare(x):
    masked = np.triu(np.ones_like(x), 1) * x
    return min_max_normalization(masked)


def prepare_rank_scores(pred, true):
    pred = pred + pred.T
    true = true + true.T
    n = pred.shape[0]
    keep = ~np.eye(n, dtype=bool)
    return pred[keep].reshape(n, n - 1), true[keep].reshape(n, n - 1)


def tiianhk_triplet_agreement(pred, true, margin=0.1):
    pred, true = prepare_rank_scores(pred, true)
    scores = []
    for i in range(pred.shape[0]):
        true_diff = true[i][None, :] - true[i][:, None]
        pred_diff = pred[i][None, :] - pred[i][:, None]
        valid = (np.abs(true_diff) > margin) & np.triu(np.ones_like(true_diff, dtype=bool), 1)
        agreement = (pred_diff * true_diff) > 0
        valid_pairs = valid.sum()
        scores.append(0.0 if valid_pairs == 0 else (agreement & valid).sum() / valid_pairs)
    return float(np.sum(scores) / pred.shape[0])


def tiianhk_spearman(pred, true):
    pred, true = prepare_rank_scores(pred, true)
    return float(sum(spearmanr(pred[i], true[i]).statistic for i in range(pred.shape[0])) / pred.shape[0])


def tiianhk_kendall(pred, true):
    pred, true = prepare_rank_scores(pred, true)
    return float(np.nansum([kendalltau(pred[i], true[i]).statistic for i in range(pred.shape[0])]) / pred.shape[0])


def tiianhk_mae(pred, true):
    n = pred.shape[0]
    return float(np.sum(np.abs(pred - true)) / (n * (n - 1) / 2))


def main() -> int:
    d, r = example()
    d_upper = np.triu(d, 1)
    pred, true = tiianhk_prepare(d), tiianhk_prepare(r)
    pearson, pearson_p = hayes_mantel(r, d, "pearson", N_PERMUTATIONS, SEED)
    spearman, spearman_p = hayes_mantel(r, d, "spearman", N_PERMUTATIONS, SEED)
    out = {
        "how": __doc__.strip().splitlines()[0],
        "seed": SEED,
        "n_sounds": N_SOUNDS,
        "n_permutations": N_PERMUTATIONS,
        "distances": d.round(12).tolist(),
        "ratings": r.round(12).tolist(),
        "hayes": {
            "triplet_agreement": hayes_triplet_agreement(r, d),
            "triplet_agreement_no_margin": hayes_triplet_agreement(r, d, enforce_margin=False),
            "item_ranking_agreement": hayes_item_ranking_agreement(r, d_upper),
            "mantel_pearson": pearson,
            "mantel_pearson_p": pearson_p,
            "mantel_spearman": spearman,
            "mantel_spearman_p": spearman_p,
            "knn_triplet_agreement": float(hayes_knn_triplet_agreement(r, d)),
            "mae": hayes_mae(r, d_upper),
            "mse": hayes_mse(r, d_upper),
        },
        "tiianhk": {
            "triplet_agreement": tiianhk_triplet_agreement(pred, true),
            "spearman_corr": tiianhk_spearman(pred, true),
            "kendall_corr": tiianhk_kendall(pred, true),
            "mae": tiianhk_mae(pred, true),
        },
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: out[k] for k in ("hayes", "tiianhk")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
