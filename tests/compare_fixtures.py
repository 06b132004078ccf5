"""Realistic timbre pair files for the tests of ``hear-probes compare``.

Each study has the size of the real one (the 21 studies of ``results/*/timbre.json``); its
sounds have latent timbre positions, and the ratings are their distances plus rating noise
(the same ratings for every model, as in real result folders). A model of quality ``q``
sees the latent positions through noise: its distances correlate with the ratings more as
``q`` grows (``q = 0``: pure noise, unrelated to the ratings).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np

from hear_probes.probes.timbre.pairs_file import PAIRS_NAME, StudyPairs, write_pairs

#: Sounds per study, as in the shared data.
STUDY_SIZES = {
    "Grey1977": 16, "Grey1978": 16, "Iverson1993_Whole": 16, "Iverson1993_Onset": 16,
    "Iverson1993_Remainder": 16, "McAdams1995": 18, "Lakatos2000_Harm": 17,
    "Lakatos2000_Perc": 18, "Lakatos2000_Comb": 20, "Barthet2010": 15, "Patil2012_A3": 11,
    "Patil2012_DX4": 11, "Patil2012_GD4": 11, "Siedenburg2016_e2set1": 14,
    "Siedenburg2016_e2set2": 14, "Siedenburg2016_e2set3": 14, "Siedenburg2016_e3": 14,
    "Saitis2020_e2set1_brightness": 14, "Vahidi2020": 15, "Zacharakis2014_english": 24,
    "Zacharakis2014_greek": 24,
}


def _pdist(x: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.linalg.norm(x[i] - x[j], axis=1)


def study_latents(study: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Latent positions, pairs and ratings of a study (the same for every model)."""
    rng = np.random.default_rng(zlib.crc32(study.encode()))
    x = rng.normal(size=(n, 3))
    i, j = np.triu_indices(n, 1)
    rating = _pdist(x, i, j) + 0.3 * rng.normal(size=i.size)
    return x, i, j, rating


def model_studies(quality: float, seed: int, studies: dict[str, int] | None = None,
                  predictors: tuple[str, ...] = ("euclidean", "cosine", "loso", "regularised",
                                                 "in_sample")) -> dict[str, StudyPairs]:
    """Pair data of a model of ``quality`` in [0, 1] (0: noise; 1: the latent positions)."""
    out = {}
    for study, n in (studies or STUDY_SIZES).items():
        x, i, j, rating = study_latents(study, n)
        rng = np.random.default_rng([seed, zlib.crc32(study.encode())])
        feats = quality * np.c_[x, np.zeros((n, 5))] + (1.2 - quality) * rng.normal(size=(n, 8))
        feats2 = feats + 3.0  # cosine of shifted features: a different but related distance
        unit = feats2 / np.linalg.norm(feats2, axis=1, keepdims=True)
        preds = {
            "euclidean": _pdist(feats, i, j),
            "cosine": 1.0 - (unit[i] * unit[j]).sum(axis=1),
            "loso": quality * rating + (1.2 - quality) * rng.normal(size=i.size),
            "regularised": quality * rating + (1.2 - quality) * rng.normal(size=i.size),
            "in_sample": rating + 0.01 * rng.normal(size=i.size),
        }
        out[study] = StudyPairs(i=i, j=j, rating=rating,
                                predictors={k: preds[k] for k in predictors},
                                sounds=[f"{study}_sound{k:02d}.wav" for k in range(n)])
    return out


def write_model(folder: Path, name: str, quality: float, seed: int, **kwargs) -> Path:
    """A result folder holding ``timbre_pairs.h5`` of a model (see :func:`model_studies`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_pairs(folder / PAIRS_NAME, model_studies(quality, seed, **kwargs), model_id=name)
    return folder


def write_ranking(folder: Path, name: str, p_correct: float, seed: int, n_trials: int = 300,
                  per_trial: bool = True, trial_seed: int = 0) -> Path:
    """A ``ranking.json`` whose per-trial outcomes are right with probability ``p_correct``."""
    rng = np.random.default_rng(seed)
    block: dict = {"accuracy": {}, "n_trials": n_trials}
    outcomes = {}
    for dim in ("pitch", "level"):
        outcomes[dim] = {}
        for scale in ("fine", "coarse"):
            s = (rng.random(n_trials) < p_correct).astype(float)
            s[rng.random(n_trials) < 0.05] = 0.5  # a few ties
            outcomes[dim][scale] = s.tolist()
    if per_trial:
        block["per_trial"] = outcomes
    payload = {"probe": "ranking", "settings": {"seed": trial_seed, "n_trials": n_trials,
                                                "duration_s": 1.0, "sampling": {"f_min": 30.0},
                                                "epsilons": {"pitch": {"fine": 30.0}}},
               "representations": {name: block}}
    (Path(folder) / "ranking.json").write_text(json.dumps(payload))
    return Path(folder)
