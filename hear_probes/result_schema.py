"""Typed schemas of the probe result files (``ranking.json``, ``gear.json``, ``timbre.json``).

One place declares, per probe, every key a consumer of a result file reads (the report, the
reference comparisons) and the type it must hold. :func:`validate_result` checks a loaded
payload against its schema and raises :class:`ResultSchemaError` naming the file, the key,
the expected type and what was found, so a hand-edited or foreign file never silently turns
into a missing row or a ``nan`` summary.

Keys are dotted paths; ``*`` stands for every key of a mapping (``explained_variance.*``).
Keys a schema does not list are allowed (forward compatibility: a probe may add fields).
Non-finite numbers are written as ``null`` by :func:`hear_probes.provenance.write_json`, so
numeric keys accept ``null``. The file layout is documented in ``docs/results.md``.

A probe registry can hold each probe's :class:`ResultSchema` next to its file name:
:data:`SCHEMAS` maps probe name to schema.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hear_probes.errors import HearProbesError

#: Newest ``schema_version`` of a probe without its own ``SCHEMA_VERSION`` constant.
SCHEMA_VERSION = 1
DOC = "docs/results.md"


class ResultSchemaError(HearProbesError):
    """A result file does not match its documented schema."""


# -- value types ---------------------------------------------------------------------------------
def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class ValueType:
    """A named predicate on JSON values (the name is what error messages print)."""

    name: str
    check: Callable[[Any], bool]

    def __call__(self, v: Any) -> bool:
        return self.check(v)


STRING = ValueType("a string", lambda v: isinstance(v, str))
STRING_OR_NULL = ValueType("a string or null", lambda v: v is None or isinstance(v, str))
INT = ValueType("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
INT_OR_NULL = ValueType("an integer or null", lambda v: v is None or INT(v))
BOOL = ValueType("true or false", lambda v: isinstance(v, bool))
NUMBER = ValueType("a finite number", _is_number)
NUMBER_OR_NULL = ValueType("a number or null", lambda v: v is None or _is_number(v))
FRACTION_OR_NA = ValueType('a number in [0, 1], null or "n/a"',
                           lambda v: v is None or v == "n/a" or (_is_number(v) and 0 <= v <= 1))
#: Range of a signed explained variance, sign(r) r² (float rounding of 1e-9 allowed).
EV_RANGE = (-1.0, 1.0, "a signed explained variance")
#: Range of a spread (interquartile range) of explained variances.
EV_SPREAD_RANGE = (0.0, 2.0, "a spread of explained variances")
RANGE_TOLERANCE = 1e-9
INTERVAL_OR_NULL = ValueType("a list [low, high] of two numbers, or null",
                             lambda v: v is None or (isinstance(v, list) and len(v) == 2
                                                     and all(NUMBER_OR_NULL(x) for x in v)))
NUMBER_OR_INTERVAL = ValueType("a number, a list [low, high] or null",
                                lambda v: NUMBER_OR_NULL(v) or INTERVAL_OR_NULL(v))
NUMBERS = ValueType("a list of numbers (null for non-finite)",
                    lambda v: isinstance(v, list) and all(NUMBER_OR_NULL(x) for x in v))
STRINGS = ValueType("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
LIST = ValueType("a list", lambda v: isinstance(v, list))
MAPPING = ValueType("an object {key: value}", lambda v: isinstance(v, dict))
MAPPING_OR_NULL = ValueType("an object {key: value} or null", lambda v: v is None or isinstance(v, dict))


@dataclass(frozen=True)
class Key:
    """One documented key: dotted path (``*`` = every key of a mapping), type, required."""

    path: str
    type: ValueType
    required: bool = False
    doc: str = ""
    #: ``(low, high, what)``: a number must lie in [low, high] (null passes).
    bounds: tuple[float, float, str] | None = None

    def out_of_range(self, value: Any) -> str | None:
        """Why a number of the right type is out of :attr:`bounds` (None when in range)."""
        if self.bounds is None or not _is_number(value):
            return None
        low, high, what = self.bounds
        if low - RANGE_TOLERANCE <= value <= high + RANGE_TOLERANCE:
            return None
        return f"{value:g} is outside [{low:g}, {high:g}] ({what})"


@dataclass(frozen=True)
class ResultSchema:
    """Schema of one probe's result file."""

    probe: str
    filename: str
    keys: tuple[Key, ...]
    doc: str = DOC
    checks: tuple[Callable[[dict], Iterator[str]], ...] = field(default=())
    #: ``"module:NAME"`` of the writer's schema-version constant (the newest version read).
    version_from: str = ""

    @property
    def max_version(self) -> int:
        """The newest ``schema_version`` this hear-probes writes (and so reads) for the probe."""
        if self.version_from:
            import importlib

            mod, _, name = self.version_from.partition(":")
            try:
                return int(getattr(importlib.import_module(mod), name))
            except (ImportError, AttributeError, TypeError, ValueError):
                pass
        return SCHEMA_VERSION

    def problems(self, payload: Any) -> list[str]:  # noqa: C901  (one walk of the key tree; the branches are the kinds of mismatch)
        """Every mismatch as ``"key: expected TYPE, found VALUE"`` (empty list = valid)."""
        if not isinstance(payload, dict):
            return [f"<top level>: expected an object, found {_show(payload)}"]
        out: list[str] = []
        for key in self.keys:
            for where, value, present in _resolve(payload, key.path.split(".")):
                if not present:
                    if key.required:
                        out.append(f"{where}: missing (expected {key.type.name})")
                elif not key.type(value):
                    out.append(f"{where}: expected {key.type.name}, found {_show(value)}")
                elif (why := key.out_of_range(value)) is not None:
                    out.append(f"{where}: {why}")
        if not out:
            if payload.get("probe") not in (None, self.probe):
                out.append(f"probe: expected {self.probe!r} in {self.filename}, found {_show(payload['probe'])}")
            version = payload.get("schema_version")
            if isinstance(version, int) and version > self.max_version:
                out.append(f"schema_version: {version} is newer than this hear-probes reads "
                           f"({self.max_version}); upgrade hear-probes")
            for check in self.checks:
                out.extend(check(payload))
        return out

    def validate(self, payload: Any, path: str | Path | None = None) -> None:
        """Raise :class:`ResultSchemaError` when ``payload`` does not match this schema.

        Parameters
        ----------
        payload : object
            The parsed JSON.
        path : path-like, optional
            The file, for the message.
        """
        problems = self.problems(payload)
        if problems:
            where = str(path) if path is not None else self.filename
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise ResultSchemaError(
                f"{where}: does not match the {self.probe} result schema: "
                f"{'; '.join(problems[:3])}{more}. "
                f"Rerun the probe to rewrite it (layout: {self.doc})"
            )


def _show(v: Any) -> str:
    if isinstance(v, str):
        return f"the string {v!r}"
    if isinstance(v, bool) or v is None:
        return "true" if v is True else "false" if v is False else "null"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return f"a list of {len(v)}"
    return type(v).__name__


def _resolve(node: Any, parts: list[str], prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    """``(dotted key, value, present)`` for every match of a path; non-objects on the way are
    skipped (their own key reports them)."""
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict):
        return
    names = list(node) if head == "*" else [head]
    for name in names:
        where = f"{prefix}.{name}" if prefix else name
        if name not in node:
            if not rest:
                yield where, None, False
            continue
        if rest:
            yield from _resolve(node[name], rest, where)
        else:
            yield where, node[name], True


# -- cross-field checks ------------------------------------------------------------------------
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
            yield (f"{med_key}: {_show(got)} is not the median of {values_key} "
                   f"({'null' if want_med is None else f'{want_med:.4f}'}); the file was edited or damaged")
        if iqr_key in payload and v.size:
            q75, q25 = np.percentile(v, [75, 25])
            got = payload.get(iqr_key)
            if got is None or abs(got - float(q75 - q25)) > 1e-9:
                yield (f"{iqr_key}: {_show(got)} is not the interquartile range of {values_key} "
                       f"({float(q75 - q25):.4f}); the file was edited or damaged")


# -- the schemas -------------------------------------------------------------------------------
COMMON = (
    Key("probe", STRING, required=True),
    Key("schema_version", INT, required=True),
    Key("model", MAPPING_OR_NULL),
    Key("model.model_id", STRING),
    Key("model.weights_id", STRING_OR_NULL),
    Key("model.embeddings_file", STRING_OR_NULL),
    Key("provenance", MAPPING, required=True),
    Key("provenance.command", STRING),
    Key("provenance.created", STRING),
    Key("provenance.seed", INT_OR_NULL),
    Key("provenance.versions", MAPPING),
    Key("provenance.versions.*", STRING_OR_NULL),
    Key("provenance.timings_s", MAPPING),
    Key("provenance.timings_s.*", NUMBER_OR_NULL),
)

RANKING = ResultSchema("ranking", "ranking.json", COMMON + (
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

GEAR_SCORES = ("knn_r2_k10", "knn_r2_k40", "isomap_linear_r2", "sensitivity", "distance_effect")
GEAR = ResultSchema("gear", "gear.json", COMMON + (
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

#: Per-study timbre score maps that carry ``_ci``/``_p``/``_chance`` siblings (schema 3).
_TIMBRE_SCORES = ("explained_variance", "loso_explained_variance", "regularised_loso_explained_variance")

TIMBRE = ResultSchema("timbre", "timbre.json", COMMON + (
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

#: Probe name -> schema of its result file.
SCHEMAS: dict[str, ResultSchema] = {s.probe: s for s in (RANKING, GEAR, TIMBRE)}


def validate_result(probe: str, payload: Any, path: str | Path | None = None) -> None:
    """Check one result payload against its probe's schema.

    Parameters
    ----------
    probe : {"ranking", "gear", "timbre"}
    payload : object
        The parsed JSON.
    path : path-like, optional
        The file, for the message.

    Raises
    ------
    ResultSchemaError
        One line: the file, up to three offending keys with the expected type and the value
        found, and how to fix it.
    """
    SCHEMAS[probe].validate(payload, path)
