"""GEAR probe (Lostanlen, Yan & Yang 2023): Isomap, kNN regression and disentanglement scores
of scene embeddings of additive harmonic tones with three known factors. See ``docs/gear.md``.
"""

from __future__ import annotations

# Attributes are imported on first use (PEP 562), so that the CLI starts without torch.
_LAZY = {
    "evaluate": "hear_probes.probes.gear.evaluate",
    "evaluate_embeddings_file": "hear_probes.probes.gear.evaluate",
    "read_isomap_file": "hear_probes.probes.gear.evaluate",
    "plot_isomap_grid": "hear_probes.probes.gear.figures",
    "plot_knn_boxplot": "hear_probes.probes.gear.figures",
    "write_isomap_html": "hear_probes.probes.gear.figures",
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
