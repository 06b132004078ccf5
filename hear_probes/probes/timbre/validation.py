"""Input checks of the timbre probe: every bad input gets one specific, actionable error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hear_probes.errors import HearProbesError

#: Fewest sounds a study may have (4 sounds = 6 pairs; leave-one-sound-out then trains on 3).
MIN_SOUNDS = 4


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
    if x.shape[1] == 0:
        raise TimbreInputError(f"{where}: embeddings have 0 dimensions")
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
