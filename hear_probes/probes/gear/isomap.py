"""Euclidean distances and Isomap coordinates of scene embeddings (GEAR, Sec. 2.3)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.sparse import SparseEfficiencyWarning, csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.manifold import Isomap

__all__ = ["pairwise_distances", "isomap_coordinates", "knn_graph_components"]


def pairwise_distances(embeddings: np.ndarray) -> np.ndarray:
    """Euclidean distance matrix of the rows of ``embeddings``.

    Computed in float64 with the Gram trick after centring (limits cancellation error), so one
    ``[n, n]`` matrix serves Isomap, the kNN regression and the sensitivity scores.

    Parameters
    ----------
    embeddings : ndarray
        ``[n, d]`` array.

    Returns
    -------
    ndarray
        float64 ``[n, n]``, symmetric, zero diagonal.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    sq = np.einsum("ij,ij->i", x, x)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)
    np.maximum(d2, 0.0, out=d2)
    np.fill_diagonal(d2, 0.0)
    d = np.sqrt(d2, out=d2)
    return 0.5 * (d + d.T)


def isomap_coordinates(
    distances: np.ndarray, n_neighbors: int = 100, n_components: int = 3
) -> np.ndarray:
    """Isomap embedding from a precomputed Euclidean distance matrix.

    Parameters
    ----------
    distances : ndarray
        ``[n, n]`` distances (see :func:`pairwise_distances`).
    n_neighbors : int
        K of the nearest-neighbour graph (paper: 100).
    n_components : int
        Output dimension (paper: 3).

    Returns
    -------
    ndarray
        float64 ``[n, n_components]``. Each component's sign is fixed so that its
        largest-magnitude entry is positive (eigenvector signs are otherwise arbitrary).
    """
    n = distances.shape[0]
    k = min(n_neighbors, n - 1)
    iso = Isomap(n_neighbors=k, n_components=n_components, metric="precomputed", path_method="D")
    with warnings.catch_warnings():
        # a disconnected kNN graph is completed by scikit-learn (shortest links between
        # components); it is reported by knn_graph_components() in the results instead
        warnings.filterwarnings("ignore", message=".*connected components.*")
        warnings.simplefilter("ignore", SparseEfficiencyWarning)
        coords = iso.fit_transform(distances)
    idx = np.argmax(np.abs(coords), axis=0)
    signs = np.sign(coords[idx, np.arange(coords.shape[1])])
    return coords * np.where(signs == 0, 1.0, signs)[None, :]


def knn_graph_components(neighbours: np.ndarray) -> int:
    """Number of connected components of the (symmetrised) kNN graph.

    Parameters
    ----------
    neighbours : ndarray
        ``[n, K]`` neighbour indices (self excluded).

    Returns
    -------
    int
        1 when the graph Isomap works on is connected; more means Isomap had to bridge
        separate clusters (geodesic distances between them are then not meaningful).
    """
    n, k = neighbours.shape
    rows = np.repeat(np.arange(n), k)
    graph = csr_matrix((np.ones(n * k), (rows, neighbours.ravel())), shape=(n, n))
    return int(connected_components(graph, directed=False)[0])
