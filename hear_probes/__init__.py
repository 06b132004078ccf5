"""hear-probes: probe what an audio embedding model hears.

The Python API (``docs/api.md``) is available from here and imported on first use, so that
``import hear_probes`` stays fast and imports no torch::

    import hear_probes
    res = hear_probes.evaluate("logmel", quick=True)
    res.to_pandas()
"""

__version__ = "0.1.0"

#: The public API: each name is imported from :mod:`hear_probes.api` on first use.
_API = ("evaluate", "EvaluateSettings", "HearModel", "CallableModel", "Results", "ResultEntry",
        "load_results", "score_gear", "score_timbre", "score_ranking", "ranking_stimuli",
        "CompareSettings")

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        import hear_probes.api as api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hear_probes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
