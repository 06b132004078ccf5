"""Schema of ``ranking.json``: every key the report and the comparisons read, and its type.

The generic machinery (key types, validation, JSON Schema export) is
:mod:`hear_probes.result_schema`; ``SCHEMA.json_schema()`` gives the JSON Schema.
"""

from __future__ import annotations

from hear_probes.result_schema import (
    COMMON,
    FRACTION_OR_NA,
    INT,
    INT_OR_NULL,
    INTERVAL_OR_NULL,
    LIST,
    MAPPING,
    NUMBER_OR_NULL,
    STRING,
    Key,
    ResultSchema,
)

__all__ = ["SCHEMA"]

SCHEMA = ResultSchema("ranking", "ranking.json", COMMON + (
    Key("representations", MAPPING, required=True),
    Key("representations.*", MAPPING),
    Key("representations.*.accuracy", MAPPING, required=True),
    Key("representations.*.accuracy.*", MAPPING),
    Key("representations.*.accuracy.*.*", FRACTION_OR_NA),
    Key("representations.*.ci95", MAPPING),
    Key("representations.*.ci95.*", MAPPING),
    Key("representations.*.ci95.*.*", INTERVAL_OR_NULL),
    Key("representations.*.accuracy_ci", MAPPING),
    Key("representations.*.accuracy_ci.*", MAPPING),
    Key("representations.*.accuracy_ci.*.*", INTERVAL_OR_NULL),
    Key("representations.*.accuracy_chance", NUMBER_OR_NULL),
    Key("representations.*.n_decided", MAPPING),
    Key("representations.*.n_decided.*", MAPPING),
    Key("representations.*.n_decided.*.*", INT_OR_NULL),
    Key("representations.*.accuracy_ties_as_half", MAPPING),
    Key("representations.*.accuracy_ties_as_half.*", MAPPING),
    Key("representations.*.accuracy_ties_as_half.*.*", FRACTION_OR_NA),
    Key("representations.*.n_ties", MAPPING),
    Key("representations.*.n_ties.*", MAPPING),
    Key("representations.*.n_ties.*.*", INT_OR_NULL),
    Key("representations.*.na_reason", MAPPING),
    Key("representations.*.na_reason.*", STRING),
    Key("representations.*.n_trials", INT),
    Key("representations.*.display_name", STRING),
    Key("warnings", LIST),
), doc="docs/ranking.md")
