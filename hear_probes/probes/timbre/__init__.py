"""Timbre probe: metric learning on human dissimilarity ratings (Pascal & Lagrange 2024).

For each of the 17 timbre studies, learn the weights of ``d_w^2 = sum_k dPsi_k^2 / w_k^2`` on
a representation's scene embeddings by maximising the Pearson correlation with the human
ratings (L-BFGS-B, warm start by non-negative least squares), report the explained variance
in-sample and held out (leave-one-sound-out), and optionally its robustness to degraded
ratings. See docs/timbre.md.
"""

from hear_probes.probes.timbre.figures import (
    plot_explained_variance,
    plot_relative_db_heatmap,
    plot_robustness_curves,
)
from hear_probes.probes.timbre.metric import FitOptions, fit_metric, pair_differences
from hear_probes.probes.timbre.runner import evaluate, evaluate_embeddings
from hear_probes.probes.timbre.validation import TimbreInputError

__all__ = [
    "FitOptions",
    "TimbreInputError",
    "evaluate",
    "evaluate_embeddings",
    "fit_metric",
    "pair_differences",
    "plot_explained_variance",
    "plot_relative_db_heatmap",
    "plot_robustness_curves",
]
