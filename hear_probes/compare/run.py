"""``compare_folders``: every paired test between result folders, with Holm's correction.

Families of Holm's correction (each test's ``family``), one per claim a table supports:

- timbre, per study: for one pair of models and one score, the tests of all studies
  ("in which studies does B differ from A on this score?");
- timbre, across studies: every score of every compared pair ("on which scores does B
  differ from A?", for all pairs at once);
- ranking: every column (dimension x scale) of every compared pair;
- GEAR: every factor and score of every compared pair.

With more than two folders, all pairs are compared by default and every pair is in the
same family (the correction grows with the number of pairs); ``baseline=True`` compares each
model with the first only (fewer tests, more power for the question "is any model better
than this baseline?").
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from hear_probes.compare.gear import compare_gear
from hear_probes.compare.inputs import TimbrePairs, load_json, load_timbre_pairs, unique_names
from hear_probes.compare.ranking import compare_ranking
from hear_probes.compare.records import Comparison, ModelEntry, PairedTest, Skipped
from hear_probes.compare.settings import CompareSettings, model_pairs
from hear_probes.compare.timbre import compare_timbre
from hear_probes.errors import HearProbesError
from hear_probes.provenance import provenance
from hear_probes.stats.paired import smallest_bootstrap_p
from hear_probes.stats.resampling import holm

__all__ = ["apply_holm", "compare_folders", "compare_loaded", "compare_payloads",
           "resolution_notes"]


def apply_holm(tests: list[PairedTest], alpha: float = 0.05) -> None:
    """Set ``p_holm`` and ``significant`` of every test, Holm within each ``family``."""
    families: dict[str, list[int]] = {}
    for k, t in enumerate(tests):
        families.setdefault(t.family, []).append(k)
    for members in families.values():
        adjusted = holm(np.array([tests[k].p for k in members], dtype=np.float64))
        for k, p in zip(members, adjusted, strict=True):
            tests[k].p_holm = float(p)
            tests[k].significant = bool(np.isfinite(p) and p < alpha)


def resolution_notes(tests: list[PairedTest], settings: CompareSettings) -> list[str]:
    """Families in which no bootstrap test can reach significance with this many resamples."""
    floor = smallest_bootstrap_p(settings.n_resamples)
    sizes: dict[str, int] = {}
    for t in tests:
        if t.level == "study":
            sizes[t.family] = sizes.get(t.family, 0) + 1
    worst = max(sizes.values(), default=0)
    if worst and worst * floor >= settings.alpha:
        need = int(np.ceil(2 * worst / settings.alpha))
        return [f"with {settings.n_resamples} resamples the smallest bootstrap p is {floor:.4f}: "
                f"after Holm over {worst} studies no per-study difference can reach "
                f"{settings.alpha}; use --resamples {need} or more"]
    return []


def compare_loaded(folders: list[Path], names: list[str], timbre: list[TimbrePairs],
                   settings: CompareSettings) -> Comparison:
    """Compare already-loaded timbre pair files and the folders' other results.

    Parameters
    ----------
    folders : list of Path
        Result folders, in order (the first is the baseline with ``settings.baseline``).
    names : list of str
        Unique model names, one per folder.
    timbre : list of TimbrePairs
        The folders' pair files (:func:`hear_probes.compare.inputs.load_timbre_pairs`).
    settings : CompareSettings

    Returns
    -------
    Comparison
        Tests with Holm-adjusted p-values.
    """
    payloads = [{probe: p for probe in ("ranking", "gear")
                 if (p := load_json(f / f"{probe}.json")) is not None} for f in folders]
    return compare_payloads(names, payloads, timbre, settings)


def compare_payloads(names: list[str], payloads: list[dict[str, dict]],
                     timbre: list[TimbrePairs | None], settings: CompareSettings) -> Comparison:
    """Compare models given in memory: their probe payloads and timbre pair data.

    Parameters
    ----------
    names : list of str
        Unique model names.
    payloads : list of dict
        ``{probe: payload}`` of each model (``ranking`` and ``gear`` are compared).
    timbre : list of TimbrePairs or None
        Each model's timbre pair data; None where it has none (its timbre is then reported
        in ``skipped``, and only the models that have it are compared on timbre).
    settings : CompareSettings

    Returns
    -------
    Comparison
        Tests with Holm-adjusted p-values.
    """
    index_pairs = model_pairs(len(names), settings.baseline)
    with_pairs = [(ia, ib) for ia, ib in index_pairs
                  if timbre[ia] is not None and timbre[ib] is not None]
    tests, skipped = compare_timbre(timbre, with_pairs, settings) if with_pairs else ([], [])
    skipped += [Skipped("timbre", names[ia], names[ib], "no timbre pair data (timbre_pairs.h5) "
                        "for both models; run the timbre probe on both")
                for ia, ib in index_pairs if (ia, ib) not in with_pairs]
    for probe, compare_fn in (("ranking", compare_ranking), ("gear", compare_gear)):
        for ia, ib in index_pairs:
            pa, pb = payloads[ia].get(probe), payloads[ib].get(probe)
            if pa is None or pb is None:
                continue
            t, s = compare_fn(pa, pb, (names[ia], names[ib]), settings)
            tests += t
            skipped += s
    apply_holm(tests, settings.alpha)
    models = [ModelEntry(n, tp.folder if tp is not None else Path(n),
                         tp.model_id if tp is not None else n)
              for n, tp in zip(names, timbre, strict=True)]
    return Comparison(models=models, pairs=[(names[a], names[b]) for a, b in index_pairs],
                      tests=tests, skipped=skipped, settings=settings.as_dict(),
                      notes=resolution_notes(tests, settings))


def compare_folders(folders, settings: CompareSettings | None = None) -> Comparison:
    """Paired comparisons between result folders (the API behind ``hear-probes compare``).

    Parameters
    ----------
    folders : sequence of path-like
        At least two result folders, each holding ``timbre_pairs.h5`` (and optionally
        ``ranking.json`` with per-trial outcomes, ``gear.json`` with per-seed values).
    settings : CompareSettings, optional
        Resamples, seed, interval level, alpha, design (all pairs or ``baseline``), studies.

    Returns
    -------
    Comparison
        Every paired test (per study and across studies for timbre; per column for ranking;
        per factor and score for GEAR) with its interval, raw and Holm-adjusted p-values,
        what could not be compared and why, and provenance.

    Raises
    ------
    HearProbesError
        Fewer than two folders; a folder without ``timbre_pairs.h5``; folders whose studies,
        sounds, pairs or ratings differ.

    Examples
    --------
    >>> from hear_probes.compare import compare_folders, CompareSettings   # doctest: +SKIP
    >>> res = compare_folders(["results/stft", "results/logmel"])         # doctest: +SKIP
    >>> [t.metric for t in res.select("timbre", "across studies") if t.significant]  # doctest: +SKIP
    """
    settings = settings or CompareSettings()
    folders = [Path(f) for f in folders]
    if len(folders) < 2:
        raise HearProbesError(f"compare needs at least two result folders, got {len(folders)}; "
                              "pass e.g. 'hear-probes compare results/stft results/logmel'")
    t0 = time.perf_counter()
    timbre = [load_timbre_pairs(f, settings.studies) for f in folders]
    names = unique_names([tp.name for tp in timbre], folders)
    for tp, name in zip(timbre, names, strict=True):
        tp.name = name
    t_load = time.perf_counter() - t0
    res = compare_loaded(folders, names, timbre, settings)
    res.provenance = provenance(seed=settings.seed, timings={
        "load": t_load, "tests": time.perf_counter() - t0 - t_load},
        extra={"folders": [str(f) for f in folders]})
    return res
