"""Schema of ``timbre.json``: every key the report and the comparisons read, its type and
range, and the cross-field check that the medians are those of the per-study values.

The generic machinery (key types, validation, JSON Schema export) is
:mod:`hear_probes.result_schema`.
"""

from __future__ import annotations

from collections.abc import Iterator

from hear_probes.result_schema import (
    COMMON,
    EV_RANGE,
    EV_SPREAD_RANGE,
    INTERVAL_OR_NULL,
    MAPPING,
    MAPPING_OR_NULL,
    NUMBER_OR_INTERVAL,
    NUMBER_OR_NULL,
    NUMBERS,
    STRING,
    STRINGS,
    Key,
    ResultSchema,
    show_value,
)

__all__ = ["SCHEMA"]


def _timbre_median_consistent(payload: dict) -> Iterator[str]:
    """``median``/``iqr`` must be those of ``explained_variance`` (catches hand edits)."""
    import numpy as np

    for values_key, med_key, iqr_key in (("explained_variance", "median", "iqr"),
                                         ("loso_explained_variance", "loso_median", "loso_iqr"),
                                         ("regularised_loso_explained_variance", "regularised_loso_median",
                                          "regularised_loso_iqr")):
        values = payload.get(values_key)
        if not isinstance(values, dict) or med_key not in payload:
            continue
        if values_key == "explained_variance":  # "no positive metric" counts as 0 (docs/timbre.md)
            nopos = set(payload.get("no_positive_metric") or [])
            values = {k: 0.0 if k in nopos else x for k, x in values.items()}
        v = np.array([x for x in values.values() if x is not None], dtype=float)
        want_med = float(np.median(v)) if v.size else None
        got = payload.get(med_key)
        if (want_med is None) != (got is None) or (got is not None and abs(got - want_med) > 1e-9):
            yield (f"{med_key}: {show_value(got)} is not the median of {values_key} "
                   f"({'null' if want_med is None else f'{want_med:.4f}'}); the file was edited or damaged")
        if iqr_key in payload and v.size:
            q75, q25 = np.percentile(v, [75, 25])
            got = payload.get(iqr_key)
            if got is None or abs(got - float(q75 - q25)) > 1e-9:
                yield (f"{iqr_key}: {show_value(got)} is not the interquartile range of {values_key} "
                       f"({float(q75 - q25):.4f}); the file was edited or damaged")


#: Per-study timbre score maps that carry ``_ci``/``_p``/``_chance`` siblings (schema 3).
_TIMBRE_SCORES = ("explained_variance", "loso_explained_variance", "regularised_loso_explained_variance")

SCHEMA = ResultSchema("timbre", "timbre.json", COMMON + (
    Key("explained_variance", MAPPING, required=True),
    Key("explained_variance.*", NUMBER_OR_NULL, bounds=EV_RANGE),
    Key("median", NUMBER_OR_NULL, required=True, bounds=EV_RANGE),
    Key("iqr", NUMBER_OR_NULL, bounds=EV_SPREAD_RANGE),
    Key("explained_variance_max", MAPPING),
    Key("explained_variance_max.*", NUMBER_OR_NULL, bounds=EV_RANGE),
    Key("loso_explained_variance", MAPPING),
    Key("loso_explained_variance.*", NUMBER_OR_NULL, bounds=EV_RANGE),
    Key("loso_median", NUMBER_OR_NULL, bounds=EV_RANGE),
    Key("loso_iqr", NUMBER_OR_NULL, bounds=EV_SPREAD_RANGE),
    Key("regularised_loso_explained_variance", MAPPING),
    Key("regularised_loso_explained_variance.*", NUMBER_OR_NULL, bounds=EV_RANGE),
    Key("regularised_loso_median", NUMBER_OR_NULL, bounds=EV_RANGE),
    Key("regularised_loso_iqr", NUMBER_OR_NULL, bounds=EV_SPREAD_RANGE),
    Key("unlearned", MAPPING),
    Key("unlearned.*", MAPPING),
    Key("unlearned.*.*", MAPPING),
    Key("unlearned.*.*.*", NUMBER_OR_INTERVAL),
    *(Key(f"{k}{suffix}", MAPPING) for k in _TIMBRE_SCORES for suffix in ("_ci", "_p", "_chance")),
    *(Key(f"{k}_ci.*", INTERVAL_OR_NULL) for k in _TIMBRE_SCORES),
    *(Key(f"{k}_chance.*", INTERVAL_OR_NULL) for k in _TIMBRE_SCORES),
    *(Key(f"{k}_p.*", NUMBER_OR_NULL) for k in _TIMBRE_SCORES),
    *(Key(f"{m}_ci", INTERVAL_OR_NULL) for m in ("median", "loso_median", "regularised_loso_median")),
    Key("no_positive_metric", STRINGS),
    Key("explained_variance_definition", STRING),
    Key("interval_method", STRING),
    Key("explained_variance_kind", STRING),
    Key("published_stft_explained_variance", MAPPING),
    Key("published_stft_explained_variance.*", NUMBER_OR_NULL, bounds=EV_RANGE),
    Key("studies", MAPPING),
    Key("studies.*", MAPPING),
    Key("relative_area_db", MAPPING),
    Key("relative_area_db.*", NUMBER_OR_NULL),
    Key("robustness", MAPPING),
    Key("robustness.*", MAPPING),
    Key("robustness.*.deltas", NUMBERS),
    Key("robustness.*.ev_mean", NUMBERS),
    Key("robustness.*.ev_std", NUMBERS),
    Key("robustness.*.area", NUMBER_OR_NULL),
    Key("robustness_reference", MAPPING_OR_NULL),
    Key("robustness_reference.name", STRING),
), doc="docs/timbre.md", checks=(_timbre_median_consistent,),
   version_from="hear_probes.probes.timbre.results:SCHEMA_VERSION")
