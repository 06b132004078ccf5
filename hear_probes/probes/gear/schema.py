"""Schema of ``gear.json`` and the GEAR scores, defined once.

:data:`SCORES` names the score of each factor (key and table label); the report's table, the
command's summary, the comparisons and the schema read it from here. The generic machinery
(key types, validation, JSON Schema export) is :mod:`hear_probes.result_schema`.
"""

from __future__ import annotations

from hear_probes.result_schema import (
    COMMON,
    INT,
    INTERVAL_OR_NULL,
    MAPPING,
    NUMBER_OR_NULL,
    NUMBERS,
    STRING,
    STRING_OR_NULL,
    Key,
    ResultSchema,
)

__all__ = ["GEAR_SCORES", "SCHEMA", "SCORES"]
#: Score key of each factor in ``gear.json`` -> its label in tables.
SCORES = {"knn_r2_k10": "kNN R² K=10", "knn_r2_k40": "kNN R² K=40",
          "isomap_linear_r2": "Isomap linear R²", "sensitivity": "sensitivity ρ",
          "distance_effect": "distance effect"}
#: The score keys, in order.
GEAR_SCORES = tuple(SCORES)

SCHEMA = ResultSchema("gear", "gear.json", COMMON + (
    Key("factors", MAPPING, required=True),
    Key("factors.*", MAPPING),
    *(Key(f"factors.*.{s}", NUMBER_OR_NULL) for s in GEAR_SCORES),
    *(Key(f"factors.*.{s}_ci", INTERVAL_OR_NULL) for s in GEAR_SCORES),
    *(Key(f"factors.*.{s}_seeds", NUMBERS) for s in GEAR_SCORES),
    Key("factors.*.interval_method", STRING),
    Key("factors.*.knn_log_ratio", MAPPING),
    Key("factors.*.knn_log_ratio.*", NUMBER_OR_NULL),
    Key("factors.*.knn_log_ratio_ci", MAPPING),
    Key("factors.*.knn_log_ratio_ci.*", INTERVAL_OR_NULL),
    Key("seeds", MAPPING),
    Key("seeds.seeds", NUMBERS),
    Key("seeds.interval_method", STRING),
    Key("files", MAPPING),
    Key("files.*", STRING_OR_NULL),
    Key("n_tones", INT),
), doc="docs/gear.md", version_from="hear_probes.probes.gear.run:SCHEMA_VERSION")
