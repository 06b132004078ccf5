"""Timbre probe: metric learning on human dissimilarity ratings (Pascal & Lagrange 2024).

For each of the 17 timbre studies, learn the weights of ``d_w^2 = sum_k dPsi_k^2 / w_k^2`` on
a representation's scene embeddings by maximising the Pearson correlation with the human
ratings (L-BFGS-B, warm start by non-negative least squares), report the explained variance
in-sample and held out (leave-one-sound-out), and optionally its robustness to degraded
ratings. See docs/timbre.md.
"""

from __future__ import annotations

# Attributes are imported on first use (PEP 562), so that the CLI starts without torch.
_LAZY = {
    "plot_explained_variance": "hear_probes.probes.timbre.figures",
    "plot_relative_db_heatmap": "hear_probes.probes.timbre.figures",
    "plot_robustness_curves": "hear_probes.probes.timbre.figures",
    "FitOptions": "hear_probes.probes.timbre.metric",
    "fit_metric": "hear_probes.probes.timbre.metric",
    "pair_differences": "hear_probes.probes.timbre.metric",
    "evaluate": "hear_probes.probes.timbre.runner",
    "evaluate_embeddings": "hear_probes.probes.timbre.runner",
    "TimbreInputError": "hear_probes.probes.timbre.validation",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
