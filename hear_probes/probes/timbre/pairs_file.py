"""``timbre_pairs.h5``: the pair-level predictions behind every timbre score.

Scores summarise pairs; a paired comparison of two models, a bootstrap over sounds or a
permutation null needs the pairs themselves. The timbre probe writes, per study, the rated
pairs and each predictor's value on every pair, so that ``hear-probes compare`` can resample
the sounds of two result folders jointly without recomputing anything.

Layout (HDF5, written atomically)::

    /                     attrs: schema_version, model_id
    /<study>/i            int32   [n_pairs]  first sound of each pair (row-major i < j)
    /<study>/j            int32   [n_pairs]  second sound
    /<study>/rating       float64 [n_pairs]  mean rating (NaN: not rated)
    /<study>/<predictor>  float64 [n_pairs]  e.g. euclidean, cosine, loso, regularised, in_sample
    /<study>              attrs: n_sounds, sounds (JSON list of sound ids)

Larger value = more dissimilar, for every predictor (distances, or predicted ratings).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from hear_probes.atomic import atomic_path
from hear_probes.errors import HearProbesError

PAIRS_NAME = "timbre_pairs.h5"
PAIRS_SCHEMA_VERSION = 1
_RESERVED = ("i", "j", "rating")


@dataclass
class StudyPairs:
    """Pair-level data of one study.

    Attributes
    ----------
    i, j : np.ndarray
        ``[n_pairs]`` sound indices (``i < j``).
    rating : np.ndarray
        ``[n_pairs]`` mean ratings (NaN where not rated).
    predictors : dict of str to np.ndarray
        ``{name: [n_pairs]}``: larger is more dissimilar.
    sounds : list of str
        Sound ids, in index order.
    """

    i: np.ndarray
    j: np.ndarray
    rating: np.ndarray
    predictors: dict[str, np.ndarray] = field(default_factory=dict)
    sounds: list[str] = field(default_factory=list)

    @property
    def n_sounds(self) -> int:
        """Number of sounds."""
        return len(self.sounds) if self.sounds else int(max(self.i.max(), self.j.max()) + 1)


def write_pairs(path: str | Path, studies: Mapping[str, StudyPairs], model_id: str) -> Path:
    """Write ``studies`` to ``path`` atomically (see the module docstring for the layout)."""
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["schema_version"] = PAIRS_SCHEMA_VERSION
        f.attrs["model_id"] = model_id
        for name, sp in studies.items():
            g = f.create_group(name)
            g.attrs["n_sounds"] = sp.n_sounds
            g.attrs["sounds"] = json.dumps(list(sp.sounds))
            g["i"] = np.asarray(sp.i, dtype=np.int32)
            g["j"] = np.asarray(sp.j, dtype=np.int32)
            g["rating"] = np.asarray(sp.rating, dtype=np.float64)
            for pname, values in sp.predictors.items():
                if pname in _RESERVED:
                    raise ValueError(f"predictor name {pname!r} is reserved")
                g[pname] = np.asarray(values, dtype=np.float64)
    return path


def read_pairs(path: str | Path) -> tuple[str, dict[str, StudyPairs]]:
    """Read a ``timbre_pairs.h5`` file.

    Returns
    -------
    (model_id, {study: StudyPairs})

    Raises
    ------
    HearProbesError
        When the file is missing, unreadable or of another schema version.
    """
    path = Path(path)
    if not path.is_file():
        raise HearProbesError(
            f"{path}: no pair-level timbre file; rerun 'hear-probes probe timbre' with this "
            f"version to write {PAIRS_NAME}")
    try:
        with h5py.File(path, "r") as f:
            version = int(f.attrs.get("schema_version", -1))
            if version != PAIRS_SCHEMA_VERSION:
                raise HearProbesError(
                    f"{path}: pair file schema {version}, expected {PAIRS_SCHEMA_VERSION}; "
                    f"rerun 'hear-probes probe timbre'")
            model_id = str(f.attrs.get("model_id", ""))
            out = {}
            for name, g in f.items():
                preds = {k: g[k][()] for k in g if k not in _RESERVED}
                out[name] = StudyPairs(
                    i=g["i"][()], j=g["j"][()], rating=g["rating"][()], predictors=preds,
                    sounds=json.loads(g.attrs.get("sounds", "[]")))
    except OSError as exc:
        raise HearProbesError(f"{path}: not a readable HDF5 pair file ({exc})") from None
    return model_id, out
