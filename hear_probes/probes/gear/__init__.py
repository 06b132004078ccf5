"""GEAR probe (Lostanlen, Yan & Yang 2023): Isomap, kNN regression and disentanglement scores
of scene embeddings of additive harmonic tones with three known factors. See ``docs/gear.md``.
"""

from hear_probes.probes.gear.evaluate import (
    evaluate,
    evaluate_embeddings_file,
    read_isomap_file,
)
from hear_probes.probes.gear.figures import plot_isomap_grid, plot_knn_boxplot, write_isomap_html

__all__ = [
    "evaluate",
    "evaluate_embeddings_file",
    "read_isomap_file",
    "plot_isomap_grid",
    "plot_knn_boxplot",
    "write_isomap_html",
]
