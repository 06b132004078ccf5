"""One study ready for metric learning: validated features, pair ratings, informative dims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hear_probes.probes.timbre.validation import (
    check_embeddings,
    check_ratings,
    tied_distance_notes,
)

#: Rating normalisations (applied before everything; Pearson is invariant to them, so they
#: change only the robustness sweep, whose noise and clipping to [0, 1] assume ratings in
#: [0, 1], and the scale of the warm start).
RATING_NORMALISATIONS = ("none", "max", "minmax")

#: Feature normalisations. "max": each sound's embedding divided by its largest absolute
#: value, as in the notebook accompanying Pascal & Lagrange (2024).
FEATURE_NORMALISATIONS = ("none", "max")


@dataclass
class Study:
    """A study's data in the form the fits need.

    Attributes
    ----------
    name : str
    item_ids : list of str
        Sound names, row order of ``features`` and of the rating matrix.
    features : np.ndarray
        ``[n_sounds, dim]`` float64 (after feature normalisation).
    ratings : np.ndarray
        ``[n_pairs]`` ratings of the pairs ``i < j`` (row-major), NaN = missing, after
        rating normalisation.
    active : np.ndarray of bool
        ``[dim]`` dimensions that vary across sounds.
    n_raters : int
        Number of raters (0 if unknown).
    notes : dict
        ``{"euclidean" | "cosine": note}`` when every unlearned distance of that kind is tied
        (:func:`~hear_probes.probes.timbre.validation.tied_distance_notes`): report the
        unlearned scores of that kind as NaN with the note.
    """

    name: str
    item_ids: list[str]
    features: np.ndarray
    ratings: np.ndarray
    active: np.ndarray
    n_raters: int = 0
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def n_sounds(self) -> int:
        """Number of sounds."""
        return len(self.item_ids)

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return int(self.features.shape[1])

    @property
    def n_constant_dims(self) -> int:
        """Dimensions left out of the fit because they are constant."""
        return int((~self.active).sum())


def normalise_ratings(s: np.ndarray, mode: str) -> np.ndarray:
    """Normalise a pair-rating vector (NaN kept).

    ``"none"``: unchanged (the paper). ``"max"``: divided by the largest rating, so the
    ratings top at 1. ``"minmax"``: affinely mapped onto [0, 1].
    """
    if mode not in RATING_NORMALISATIONS:
        raise ValueError(f"rating normalisation must be one of {RATING_NORMALISATIONS}, not {mode!r}")
    s = np.asarray(s, dtype=np.float64)
    if mode == "none":
        return s.copy()
    lo, hi = np.nanmin(s), np.nanmax(s)
    if mode == "max":
        return s / hi if hi > 0 else s.copy()
    return (s - lo) / (hi - lo)


def normalise_features(x: np.ndarray, mode: str) -> np.ndarray:
    """Normalise features per sound (``"none"`` or ``"max"``: divide by max |value|)."""
    if mode not in FEATURE_NORMALISATIONS:
        raise ValueError(f"feature normalisation must be one of {FEATURE_NORMALISATIONS}, not {mode!r}")
    x = np.asarray(x, dtype=np.float64)
    if mode == "none":
        return x
    peak = np.abs(x).max(axis=1, keepdims=True)
    return x / np.where(peak > 0, peak, 1.0)


def prepare_study(
    name: str,
    embeddings: np.ndarray,
    item_ids: Sequence[str],
    rating_matrix: np.ndarray,
    *,
    n_raters: int = 0,
    rating_norm: str = "none",
    feature_norm: str = "none",
    allow_identical: bool = False,
) -> Study:
    """Validate one study's embeddings and ratings and bundle them.

    Parameters
    ----------
    name : str
        Study name (used in error messages).
    embeddings : np.ndarray
        ``[n_sounds, dim]``, rows in the order of ``item_ids`` (= rating matrix rows).
    item_ids : sequence of str
        Sound names.
    rating_matrix : np.ndarray
        ``[n_sounds, n_sounds]``, upper triangle read, NaN = missing.
    n_raters : int
        Number of raters of the study.
    rating_norm, feature_norm : str
        See :data:`RATING_NORMALISATIONS` and :data:`FEATURE_NORMALISATIONS`.
    allow_identical : bool
        Accept identical embeddings for distinct sounds (see ``check_embeddings``).

    Returns
    -------
    Study
    """
    active = check_embeddings(embeddings, item_ids, name, allow_identical=allow_identical)
    s = check_ratings(rating_matrix, len(item_ids), name)
    feats = normalise_features(embeddings, feature_norm)
    if feature_norm != "none":
        active = check_embeddings(feats, item_ids, name, allow_identical=allow_identical)
    notes = tied_distance_notes(feats, name)
    if notes:
        import warnings

        from hear_probes.errors import HearProbesWarning

        for note in notes.values():
            warnings.warn(note, HearProbesWarning, stacklevel=2)
    return Study(
        name=name,
        item_ids=list(item_ids),
        features=np.ascontiguousarray(feats, dtype=np.float64),
        ratings=normalise_ratings(s, rating_norm),
        active=active,
        n_raters=int(n_raters),
        notes=notes,
    )
