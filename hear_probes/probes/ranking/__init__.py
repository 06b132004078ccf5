"""Pitch/level ranking probe (Turian & Henry 2020; SOT of Torres et al. 2024).

Is the distance between a target sinusoid and a prediction smaller than the distance to a
prediction moved further away in pitch or level? Accuracy over seeded random trials at three
resolutions (gradient, fine, coarse), for spectral distances or a HEAR module's embeddings.
"""

from __future__ import annotations

from hear_probes.lazy import lazy_attributes

# Attributes are imported on first use (PEP 562), so that the CLI starts without torch.
_LAZY = {
    "DISTANCES": "hear_probes.probes.ranking.catalogue",
    "get_distance": "hear_probes.probes.ranking.catalogue",
    "parse_distance_names": "hear_probes.probes.ranking.catalogue",
    "PUBLISHED": "hear_probes.probes.ranking.probe",
    "QUICK_TRIALS": "hear_probes.probes.ranking.settings",
    "RankingSettings": "hear_probes.probes.ranking.settings",
    "evaluate_distances": "hear_probes.probes.ranking.probe",
    "evaluate_module": "hear_probes.probes.ranking.probe",
    "evaluate": "hear_probes.probes.ranking.probe",
}

__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
