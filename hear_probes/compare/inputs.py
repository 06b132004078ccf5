"""Read the result folders to compare and check that they were scored on the same design.

A paired test needs each unit (sound, trial, seed) scored by both models. The timbre pair
files (:mod:`hear_probes.probes.timbre.pairs_file`) must hold the same studies, and each study
the same sounds in the same order, the same pairs and the same ratings; anything else is an
error that names the folder, the study and the fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre.pairs_file import PAIRS_NAME, StudyPairs, read_pairs

__all__ = ["TimbrePairs", "check_same_studies", "load_json", "load_timbre_pairs",
           "unique_names"]


@dataclass
class TimbrePairs:
    """The pair-level timbre data of one result folder."""

    name: str
    folder: Path
    model_id: str
    studies: dict[str, StudyPairs]

    @property
    def path(self) -> Path:
        """The pair file."""
        return self.folder / PAIRS_NAME


def load_timbre_pairs(folder: str | Path, studies: tuple[str, ...] | None = None) -> TimbrePairs:
    """Read ``<folder>/timbre_pairs.h5``, restricted to ``studies`` if given.

    Raises
    ------
    HearProbesError
        The folder does not exist, holds no pair file, holds no study, or lacks one of
        ``studies``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise HearProbesError(f"{folder}: no such result folder; pass folders written by "
                              "'hear-probes evaluate' or 'hear-probes probe timbre'")
    model_id, data = read_pairs(folder / PAIRS_NAME)
    if not data:
        raise HearProbesError(f"{folder / PAIRS_NAME}: holds no study; rerun 'hear-probes probe "
                              "timbre' on this model")
    if studies is not None:
        missing = [s for s in studies if s not in data]
        if missing:
            raise HearProbesError(
                f"{folder / PAIRS_NAME}: no study {', '.join(missing)} (it holds "
                f"{', '.join(data)}); correct --studies")
        data = {s: data[s] for s in studies}
    return TimbrePairs(model_id or folder.name, folder, model_id, data)


def unique_names(names: list[str], folders: list[Path]) -> list[str]:
    """``names`` made unique by adding the folder (``stft (results/stft-16k)``) to repeats."""
    out: list[str] = []
    for name, folder in zip(names, folders, strict=True):
        candidate = name if name not in out else f"{name} ({folder})"
        k = 2
        while candidate in out:
            candidate = f"{name} ({folder}, {k})"
            k += 1
        out.append(candidate)
    return out


def _first_difference(a: list, b: list) -> str:
    for k, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"sound {k} is {x!r} in one and {y!r} in the other"
    return f"{len(a)} vs {len(b)} sounds"


def _check_study(study: str, a: StudyPairs, b: StudyPairs, where: str) -> None:
    fix = ("rerun the timbre probe on both models with the same data (a paired test needs "
           "the same sounds in the same order)")
    if a.sounds and b.sounds and list(a.sounds) != list(b.sounds):
        raise HearProbesError(f"{study}: {where} rate different sounds "
                              f"({_first_difference(list(a.sounds), list(b.sounds))}); {fix}")
    if a.n_sounds != b.n_sounds or a.i.shape != b.i.shape or not (
            np.array_equal(a.i, b.i) and np.array_equal(a.j, b.j)):
        raise HearProbesError(f"{study}: {where} hold different pairs of sounds "
                              f"({a.i.size} vs {b.i.size} pairs); {fix}")
    ra, rb = np.asarray(a.rating, float), np.asarray(b.rating, float)
    if not np.allclose(ra, rb, rtol=1e-9, atol=1e-12, equal_nan=True):
        raise HearProbesError(f"{study}: {where} hold different ratings for the same pairs "
                              "(another rating file or normalisation); " + fix)


def check_same_studies(a: TimbrePairs, b: TimbrePairs) -> None:
    """Raise unless ``a`` and ``b`` hold the same studies, sounds, pairs and ratings.

    Raises
    ------
    HearProbesError
        One line: which study differs, in which folders, and how to fix it.
    """
    where = f"{a.path} and {b.path}"
    only_a = [s for s in a.studies if s not in b.studies]
    only_b = [s for s in b.studies if s not in a.studies]
    if only_a or only_b:
        raise HearProbesError(
            f"{where} hold different timbre studies (only in {a.name}: "
            f"{', '.join(only_a) or 'none'}; only in {b.name}: {', '.join(only_b) or 'none'}); "
            "rerun the timbre probe on the same studies, or pass --studies with the common ones")
    for study in a.studies:
        _check_study(study, a.studies[study], b.studies[study], where)


def load_json(path: Path) -> dict | None:
    """A result JSON file, or None when it is absent.

    Raises
    ------
    HearProbesError
        The file exists but is not valid JSON.
    """
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise HearProbesError(f"{path}: not valid JSON ({exc}); rerun the probe") from None
