"""GEAR probe (Lostanlen, Yan & Yang 2023): Isomap, kNN regression and factor scores
of scene embeddings of additive harmonic tones with three known factors. See ``docs/gear.md``.
"""

from __future__ import annotations

from hear_probes.lazy import lazy_attributes

# Attributes are imported on first use (PEP 562), so that the CLI starts without torch.
_LAZY = {
    "GearSettings": "hear_probes.probes.gear.settings",
    "run_embeddings_file": "hear_probes.probes.gear.run",
    "read_isomap_file": "hear_probes.probes.gear.run",
    "plot_isomap_grid": "hear_probes.probes.gear.figures",
    "plot_knn_boxplot": "hear_probes.probes.gear.figures",
    "write_isomap_html": "hear_probes.probes.gear.figures",
}

__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
