"""Pitch/level ranking probe (Turian & Henry 2020; SOT of Torres et al. 2024).

Is the distance between a target sinusoid and a prediction smaller than the distance to a
prediction moved further away in pitch or level? Accuracy over seeded random trials at three
resolutions (gradient, fine, coarse), for spectral distances or a HEAR module's embeddings.
"""

from __future__ import annotations

from pathlib import Path

from hear_probes.probes.ranking.distances import DISTANCES, get_distance, parse_distance_names
from hear_probes.probes.ranking.probe import (
    PUBLISHED,
    QUICK_TRIALS,
    evaluate_distances,
    evaluate_module,
)

__all__ = [
    "DISTANCES",
    "PUBLISHED",
    "evaluate",
    "evaluate_distances",
    "evaluate_module",
    "get_distance",
    "parse_distance_names",
]


def evaluate(loaded, store, out_dir: Path, *, quick: bool = False, seed: int = 0,
             quiet: bool = False, **probe_options) -> dict:
    """Run the ranking probe on a loaded HEAR module; writes ``<out_dir>/ranking.json`` etc.

    Parameters
    ----------
    loaded : LoadedModule
        The module (its ``sample_rate`` is used to synthesise the stimuli).
    store : EmbeddingStore
        Its embedding store (stimuli are embedded once and cached there).
    out_dir : Path
        Output folder.
    quick : bool
        Few trials, short stimuli and small figures (seconds instead of minutes).
    seed : int
        Seed of the trial sampler.
    quiet : bool
        No progress bars.
    **probe_options
        ``n_trials`` (1000), ``duration`` (1.0 s), ``metric`` ("euclidean", "cosine", "l1"),
        ``figures`` (True), ``batch_size`` (16), ``epsilons``.

    Returns
    -------
    dict
        The payload written to ``ranking.json``.
    """
    opts = dict(probe_options)
    if quick:
        opts.setdefault("n_trials", QUICK_TRIALS)
        opts.setdefault("duration", 0.5)
        opts.setdefault("curve_points", 40)
        opts.setdefault("heatmap_cells", 12)
    return evaluate_module(loaded, store, Path(out_dir), seed=seed, quiet=quiet, **opts)
