"""Timbre probe: metric learning on human dissimilarity ratings (Pascal & Lagrange 2024).

For each of the 17 timbre studies, learn the weights of ``d_w^2 = sum_k dPsi_k^2 / w_k^2`` on
a representation's scene embeddings by maximising the Pearson correlation with the human
ratings (L-BFGS-B, warm start by non-negative least squares), report the explained variance
in-sample and held out (leave-one-sound-out), and optionally its robustness to degraded
ratings. See docs/timbre.md.
"""

from __future__ import annotations

from hear_probes.lazy import lazy_attributes

# Attributes are imported on first use (PEP 562), so that the CLI starts without torch.
_LAZY = {
    "plot_explained_variance": "hear_probes.probes.timbre.figures",
    "plot_relative_db_heatmap": "hear_probes.probes.timbre.figures",
    "plot_robustness_curves": "hear_probes.probes.timbre.figures",
    "FitOptions": "hear_probes.probes.timbre.metric",
    "fit_metric": "hear_probes.probes.timbre.metric",
    "pair_differences": "hear_probes.probes.timbre.metric",
    "run_embeddings_file": "hear_probes.probes.timbre.run",
    "TimbreInputError": "hear_probes.probes.timbre.validation",
}

__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
