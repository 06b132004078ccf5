"""Pitch/level ranking probe (Turian & Henry 2020; SOT of Torres et al. 2024).

Is the distance between a target sinusoid and a prediction smaller than the distance to a
prediction moved further away in pitch or level? Accuracy over seeded random trials at three
resolutions (gradient, fine, coarse), for spectral distances or a HEAR module's embeddings.
"""

from __future__ import annotations

from hear_probes.lazy import lazy_attributes

# The probe's main module is ``run.py``: ``run(loaded, store, out_dir, settings)`` on a HEAR
# module (or layer view), ``run_distances(names, out_dir, settings)`` on catalogue distances.

# Attributes are imported on first use (PEP 562), so that the CLI starts without torch.
_LAZY = {
    "DISTANCES": "hear_probes.probes.ranking.catalogue",
    "get_distance": "hear_probes.probes.ranking.catalogue",
    "parse_distance_names": "hear_probes.probes.ranking.catalogue",
    "PUBLISHED": "hear_probes.probes.ranking.run",
    "QUICK_TRIALS": "hear_probes.probes.ranking.settings",
    "RankingSettings": "hear_probes.probes.ranking.settings",
    "run_distances": "hear_probes.probes.ranking.run",
}

__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
