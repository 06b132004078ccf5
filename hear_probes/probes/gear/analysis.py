"""GEAR analysis of one embedding matrix: Isomap, kNN log ratios and factor scores."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from hear_probes.probes.gear.isomap import (
    isomap_coordinates,
    knn_graph_components,
    pairwise_distances,
)
from hear_probes.probes.gear.knn import knn_estimate, log_ratio_summary, log_ratios
from hear_probes.probes.gear.scores import (
    analysis_scale,
    isomap_linear_r2,
    knn_neighbours_for_scores,
    knn_r2,
    knn_r2_null,
    sensitivity,
)

__all__ = ["GearAnalysis", "Geometry", "analyse", "geometry"]


@dataclass
class GearAnalysis:
    """Result of :func:`analyse`.

    Attributes
    ----------
    coords : ndarray
        Isomap coordinates ``[n, 3]``.
    factors : dict of str to ndarray
        Factor values (natural units) ``[n]``.
    scales : dict of str to str
        Analysis scale of each factor.
    estimates : dict of str to ndarray
        kNN estimates (K = ``knn_k``) of each factor, natural units.
    log_ratios : dict of str to ndarray
        Defined log ratios of each factor (zero-valued factors excluded).
    per_factor : dict of str to dict
        JSON-ready results per factor (log-ratio summary and scores).
    settings : dict
        Hyper-parameters used.
    timings : dict of str to float
        Seconds per stage.
    diagnostics : dict
        ``isomap_graph_components``: connected components of the Isomap kNN graph (1 = connected;
        more = separate clusters that scikit-learn bridged with their shortest links).
    """

    coords: np.ndarray
    factors: dict[str, np.ndarray]
    scales: dict[str, str]
    estimates: dict[str, np.ndarray]
    log_ratios: dict[str, np.ndarray]
    per_factor: dict[str, dict]
    settings: dict
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)


#: Isomap output dimension: the paper's 3-D pictures.
ISOMAP_COMPONENTS = 3
#: Pairs per factor in the sensitivity score (seeded subsample above this).
SENSITIVITY_MAX_PAIRS = 200_000
#: Shuffles of the permutation null of the kNN R2 scores.
KNN_NULL_PERMUTATIONS = 199


@dataclass
class Geometry:
    """The seed-free part of an analysis: distances, Isomap coordinates, neighbours.

    Computed once per embedding matrix by :func:`geometry` and reused by every seed that
    analyses the same embeddings (``--embeddings``: only the folds and pair samples change).
    """

    distances: np.ndarray
    coords: np.ndarray
    neighbours: np.ndarray
    graph_components: int
    timings: dict[str, float]


def geometry(embeddings: np.ndarray, isomap_neighbors: int = 100,
             ks: tuple[int, ...] = (10, 40)) -> Geometry:
    """Distances, Isomap coordinates and sorted neighbours of ``[n, d]`` embeddings.

    Parameters
    ----------
    embeddings : ndarray
        Scene embeddings ``[n, d]`` (finite).
    isomap_neighbors : int
        Isomap K.
    ks : tuple of int
        The kNN Ks that will be read from the neighbour table.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    emb = np.asarray(embeddings, dtype=np.float64)
    if not np.all(np.isfinite(emb)):
        raise ValueError("GEAR: embeddings contain NaN or inf")
    dist = pairwise_distances(emb)
    timings["distances"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    coords = isomap_coordinates(dist, isomap_neighbors, ISOMAP_COMPONENTS)
    timings["isomap"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    neighbours = knn_neighbours_for_scores(dist, (*ks, isomap_neighbors))
    components = knn_graph_components(neighbours[:, :isomap_neighbors])
    timings["neighbours"] = time.perf_counter() - t0
    return Geometry(dist, coords, neighbours, components, timings)


def analyse(
    embeddings: np.ndarray,
    factors: dict[str, np.ndarray],
    scales: dict[str, str],
    *,
    isomap_neighbors: int = 100,
    knn_k: int = 40,
    r2_ks: tuple[int, ...] = (10, 40),
    tau: float = 0.05,
    seed: int = 0,
    geom: Geometry | None = None,
) -> GearAnalysis:
    """Run every GEAR analysis on one ``[n, d]`` embedding matrix.

    Parameters
    ----------
    embeddings : ndarray
        Scene embeddings ``[n, d]``.
    factors : dict of str to ndarray
        Factor values ``[n]`` in natural units.
    scales : dict of str to str
        "linear" or "log" per factor.
    isomap_neighbors : int
        Isomap K (paper: 100); the output has :data:`ISOMAP_COMPONENTS` (3) dimensions.
    knn_k : int
        K of the kNN log-ratio analysis (paper: 40).
    r2_ks : tuple of int
        Ks of the kNN-regression R2 scores.
    tau : float
        Tolerance defining "pairs that differ mainly in a factor" (fraction of range).
    seed : int
        Seed of the CV folds, the pair sampling and the permutation null.
    geom : Geometry, optional
        Precomputed :func:`geometry` of these embeddings (same ``isomap_neighbors``).

    Returns
    -------
    GearAnalysis
    """
    geom = geom if geom is not None else geometry(embeddings, isomap_neighbors, (knn_k, *r2_ks))
    timings = dict(geom.timings)
    dist, coords, neighbours = geom.distances, geom.coords, geom.neighbours
    t0 = time.perf_counter()
    on_scale = {k: analysis_scale(v, scales[k]) for k, v in factors.items()}
    estimates, ratios, per_factor = {}, {}, {}
    for name, values in factors.items():  # three factors
        est = knn_estimate(values, neighbours[:, :knn_k], scales[name])
        estimates[name] = est
        ratios[name] = log_ratios(values, est)[0]
        per_factor[name] = {
            "scale": scales[name],
            "knn_log_ratio": log_ratio_summary(values, est),
            "isomap_linear_r2": isomap_linear_r2(coords, on_scale[name], seed=seed),
        }
        for k in r2_ks:
            r2 = knn_r2(on_scale[name], neighbours, k)
            chance, p = knn_r2_null(on_scale[name], neighbours, k, r2,
                                    n_permutations=KNN_NULL_PERMUTATIONS, seed=seed)
            per_factor[name].update({f"knn_r2_k{k}": r2, f"knn_r2_k{k}_chance": chance,
                                     f"knn_r2_k{k}_p": p})
    timings["knn_and_r2"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sens = sensitivity(dist, on_scale, tau=tau, max_pairs=SENSITIVITY_MAX_PAIRS, seed=seed)
    for name in factors:
        per_factor[name]["sensitivity"] = sens[name]["rho"]
        per_factor[name]["sensitivity_n_pairs"] = sens[name]["n_pairs"]
        per_factor[name]["distance_effect"] = sens[name]["effect"]
        per_factor[name]["distance_effect_n_pairs"] = sens[name]["n_far_pairs"]
        per_factor[name]["distance_effect_n_baseline_pairs"] = sens[name]["n_baseline_pairs"]
    timings["sensitivity"] = time.perf_counter() - t0

    settings = {
        "isomap_neighbors": isomap_neighbors,
        "n_components": ISOMAP_COMPONENTS,
        "knn_k": knn_k,
        "r2_ks": list(r2_ks),
        "sensitivity_tau": tau,
        "distance_effect_far": 0.5,
        "sensitivity_max_pairs": SENSITIVITY_MAX_PAIRS,
        "linear_r2_folds": 5,
        "knn_null_permutations": KNN_NULL_PERMUTATIONS,
        "log": "natural",
        "metric": "euclidean",
        "seed": seed,
    }
    diagnostics = {"isomap_graph_components": geom.graph_components}
    return GearAnalysis(
        coords, factors, scales, estimates, ratios, per_factor, settings, timings, diagnostics
    )
