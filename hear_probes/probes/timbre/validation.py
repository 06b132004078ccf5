"""Input checks of the timbre probe: every bad input gets one specific, actionable error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hear_probes.errors import HearProbesError

#: Fewest sounds a study may have (4 sounds = 6 pairs; leave-one-sound-out then trains on 3).
MIN_SOUNDS = 4

#: Fewest embedding dimensions: with one, the learned metric only rescales |x_i - x_j| and
#: Pearson is scale-invariant, so "learning" changes nothing.
MIN_DIMS = 2

#: Distances whose spread (max - min) is at most this fraction of their largest magnitude are
#: all tied: equal up to float rounding (e.g. the vertices of a regular simplex, whose computed
#: distances differ in the 16th digit). Any correlation or rank statistic of such distances
#: with the ratings measures rounding noise, not the representation.
TIE_RTOL = 1e-9


class TimbreInputError(HearProbesError):
    """Ratings or embeddings that the timbre probe cannot use (what, where, how to fix)."""


def _show(names: Sequence[str], limit: int = 10) -> str:
    names = list(names)
    return ", ".join(names[:limit]) + (f" ... ({len(names)} in all)" if len(names) > limit else "")


def check_ratings(matrix: np.ndarray, n_sounds: int, where: str) -> np.ndarray:
    """Validate a rating matrix and return its upper triangle as a pair vector.

    Parameters
    ----------
    matrix : np.ndarray
        ``[n, n]`` ratings; only the upper triangle (``i < j``) is read; NaN = missing pair.
    n_sounds : int
        Number of sounds of the study (rows of the embeddings).
    where : str
        Name of the study or file, used in error messages.

    Returns
    -------
    np.ndarray
        ``[n * (n - 1) / 2]`` float64 ratings in row-major ``i < j`` order (NaN kept).

    Raises
    ------
    TimbreInputError
        Not 2-D or not square, size differs from ``n_sounds``, fewer than ``MIN_SOUNDS``
        sounds, infinite values, fewer than 3 rated pairs, or constant ratings.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise TimbreInputError(
            f"{where}: rating matrix has shape {m.shape}, expected a square [n, n] matrix "
            "(row/column k = k-th sound in sorted file-name order)"
        )
    if m.shape[0] != n_sounds:
        raise TimbreInputError(
            f"{where}: rating matrix is {m.shape[0]}x{m.shape[0]} but there are {n_sounds} "
            "sounds; the matrix and the sound list must match one to one"
        )
    if n_sounds < MIN_SOUNDS:
        raise TimbreInputError(
            f"{where}: {n_sounds} sounds; the timbre probe needs at least {MIN_SOUNDS} "
            "(a correlation over fewer pairs is meaningless)"
        )
    i, j = np.triu_indices(n_sounds, k=1)
    s = m[i, j]
    if np.isinf(s).any():
        k = int(np.flatnonzero(np.isinf(s))[0])
        raise TimbreInputError(
            f"{where}: infinite rating for pair ({i[k]}, {j[k]}); use NaN for a missing rating"
        )
    ok = np.isfinite(s)
    if ok.sum() < 3:
        raise TimbreInputError(
            f"{where}: only {int(ok.sum())} rated pair(s) in the upper triangle; need at least 3 "
            "(is the matrix lower-triangular? ratings must sit above the diagonal)"
        )
    if np.ptp(s[ok]) == 0:
        raise TimbreInputError(
            f"{where}: all {int(ok.sum())} ratings equal {s[ok][0]:g}; a correlation with constant "
            "ratings is undefined. Check the rating file."
        )
    return s


def check_embeddings(
    embeddings: np.ndarray,
    item_ids: Sequence[str],
    where: str,
    *,
    allow_identical: bool = False,
) -> np.ndarray:
    """Validate the embeddings of one study and return the mask of informative dimensions.

    Parameters
    ----------
    embeddings : np.ndarray
        ``[n_sounds, dim]`` scene embeddings, rows aligned with ``item_ids``.
    item_ids : sequence of str
        Sound names (file names without extension).
    where : str
        Name of the study, used in error messages.
    allow_identical : bool
        Accept two sounds with bit-identical embeddings (their learned distance is 0 whatever
        the weights). Off by default: it usually means a broken embedding pipeline or a
        duplicated file.

    Returns
    -------
    np.ndarray of bool
        ``[dim]``: True for dimensions that vary across the sounds. Constant dimensions carry
        no information (their column of squared differences is 0, their gradient is 0); they
        are left out of the fit and reported (weight = ``w_max``).

    Raises
    ------
    TimbreInputError
        Not 2-D, row count differs from ``item_ids``, duplicated ids, NaN/inf values,
        bit-identical rows (unless allowed), or no varying dimension at all.
    """
    x = np.asarray(embeddings)
    ids = list(item_ids)
    if x.ndim != 2:
        raise TimbreInputError(
            f"{where}: embeddings have shape {x.shape}; expected [n_sounds, dim] scene embeddings"
        )
    if x.shape[0] != len(ids):
        raise TimbreInputError(f"{where}: {x.shape[0]} embedding rows for {len(ids)} sounds")
    dup = sorted({k for k in ids if ids.count(k) > 1})
    if dup:
        raise TimbreInputError(f"{where}: duplicated sound id(s) {_show(dup)}; ids must be unique")
    if x.shape[1] < MIN_DIMS:
        raise TimbreInputError(
            f"{where}: embeddings have {x.shape[1]} dimension(s); the timbre probe needs at least "
            f"{MIN_DIMS}: it learns one weight per dimension, and with a single dimension the "
            "learned distance is a rescaled |x_i - x_j|, whose correlation with the ratings does "
            "not depend on the weight. Give [n_sounds, dim >= 2] embeddings (e.g. stack several "
            "scalar descriptors as columns), or correlate a single descriptor directly"
        )
    bad = ~np.isfinite(x)
    if bad.any():
        rows = sorted({int(r) for r in np.nonzero(bad)[0]})
        raise TimbreInputError(
            f"{where}: NaN/inf in the embeddings of {_show([ids[r] for r in rows])} "
            f"({int(bad.sum())} values); fix the model or its input audio, then re-embed"
        )
    active = np.ptp(x, axis=0) > 0
    if not active.any():
        raise TimbreInputError(
            f"{where}: every embedding dimension is constant across the {x.shape[0]} sounds; "
            "the model gives all sounds the same embedding"
        )
    if not allow_identical:
        _, first, inverse = np.unique(x, axis=0, return_index=True, return_inverse=True)
        if len(first) < x.shape[0]:
            inverse = np.asarray(inverse).ravel()
            pairs = [
                f"{ids[first[inverse[r]]]}={ids[r]}"
                for r in range(x.shape[0])
                if first[inverse[r]] != r
            ]
            raise TimbreInputError(
                f"{where}: identical embeddings for distinct sounds ({_show(pairs)}); their "
                "learned distance would be 0 whatever the weights. Check for duplicated audio "
                "or a model that ignores its input (allow_identical=True to accept)"
            )
    return active


def all_tied(d: np.ndarray, rtol: float = TIE_RTOL) -> bool:
    """Whether all finite entries of ``d`` are equal up to ``rtol`` of their largest magnitude.

    Parameters
    ----------
    d : np.ndarray
        Distances (or any scores); NaN entries are ignored.
    rtol : float
        Relative tolerance (:data:`TIE_RTOL`).

    Returns
    -------
    bool
        True when fewer than 2 finite entries, or when ``max - min <= rtol * max|d|``.
    """
    d = np.asarray(d, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return True
    return bool(np.ptp(d) <= rtol * np.max(np.abs(d)))


def unlearned_distances(x: np.ndarray) -> dict[str, np.ndarray]:
    """Euclidean and cosine distances of the rows of ``x`` over the pairs ``i < j`` (row-major).

    Cosine distances of a zero row are NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    i, j = np.triu_indices(x.shape[0], k=1)
    diff = x[i] - x[j]
    euclidean = np.sqrt(np.einsum("pd,pd->p", diff, diff))
    norm = np.linalg.norm(x, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = x / norm[:, None]
    cosine = 1.0 - np.einsum("pd,pd->p", unit[i], unit[j])
    return {"euclidean": euclidean, "cosine": cosine}


def tied_distance_notes(x: np.ndarray, where: str) -> dict[str, str]:
    """Notes for the unlearned distances of ``x`` that are all tied (empty dict: none is).

    A representation that puts every sound at the same distance from every other (all
    embeddings equal, or on a regular simplex) has no unlearned agreement with the ratings:
    its correlations are undefined and must be reported as NaN with this note, never as the
    number that float rounding would give.

    Returns
    -------
    dict
        ``{"euclidean" | "cosine": note}`` for each tied kind of distance.
    """
    notes = {}
    for kind, d in unlearned_distances(x).items():
        if all_tied(d):
            ok = d[np.isfinite(d)]
            value = f"{ok[0]:.6g}" if ok.size else "undefined"
            notes[kind] = (
                f"{where}: every unlearned {kind} distance is tied ({value} for all "
                f"{d.size} pairs): its agreement with the ratings is undefined (NaN). The "
                "representation does not separate these sounds without a learned metric"
            )
    return notes


def align_rows(
    stored_ids: Sequence[str], embeddings: np.ndarray, wanted_ids: Sequence[str], where: str
) -> np.ndarray:
    """Rows of ``embeddings`` (labelled ``stored_ids``) in the order of ``wanted_ids``.

    Raises
    ------
    TimbreInputError
        Duplicated stored ids, sounds of the study missing from the embeddings, or embeddings
        of sounds the study does not have (a mismatch either way means the file does not
        belong to this study).
    """
    stored = list(stored_ids)
    dup = sorted({k for k in stored if stored.count(k) > 1})
    if dup:
        raise TimbreInputError(f"{where}: duplicated item_ids in the embeddings: {_show(dup)}")
    index = {k: r for r, k in enumerate(stored)}
    missing = [k for k in wanted_ids if k not in index]
    extra = sorted(set(stored) - set(wanted_ids))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing sounds {_show(missing)}")
        if extra:
            parts.append(f"unknown sounds {_show(extra)}")
        raise TimbreInputError(
            f"{where}: embeddings do not match the study's sounds: {'; '.join(parts)}. item_ids "
            "must be the sound file names without extension"
        )
    return np.asarray(embeddings)[[index[k] for k in wanted_ids]]
