"""The Python API of hear-probes: probe a model from a notebook, score your own embeddings,
load results into pandas and compare models, without the command line (``docs/api.md``).

- :func:`evaluate`: run probes on a registry model, an ``hf:`` id, a HEAR module or a plain
  callable ``embed(audio, sample_rate) -> embeddings``;
- :func:`score_gear`, :func:`score_timbre`, :func:`score_ranking`: the probes' scores of
  embeddings you already have;
- :func:`load_results`: saved result folders or JSON files;
- :class:`Results`: ``to_pandas()`` (one tidy table), ``compare(other)`` (paired tests).

Every name is imported on first use, so ``import hear_probes`` stays fast.
"""

from __future__ import annotations

import importlib

#: Public name -> module that defines it.
EXPORTS = {
    "evaluate": "hear_probes.api.run",
    "EvaluateSettings": "hear_probes.api.run",
    "HearModel": "hear_probes.api.models",
    "CallableModel": "hear_probes.api.models",
    "Results": "hear_probes.api.results",
    "ResultEntry": "hear_probes.api.results",
    "load_results": "hear_probes.api.results",
    "score_gear": "hear_probes.api.scorers",
    "score_timbre": "hear_probes.api.scorers",
    "score_ranking": "hear_probes.api.scorers",
    "ranking_stimuli": "hear_probes.api.scorers",
    "CompareSettings": "hear_probes.compare.settings",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str):
    if name in EXPORTS:
        value = getattr(importlib.import_module(EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(EXPORTS))
