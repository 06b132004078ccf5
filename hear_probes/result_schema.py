"""Typed schemas of the probe result files: the generic machinery.

Each probe declares, in its own package (``hear_probes/probes/<name>/schema.py``), every key a
consumer of its result file reads (the report, the comparisons) and the type it must hold, as
one :class:`ResultSchema` built from the :class:`Key` s and value types here, starting with
:data:`COMMON`. :meth:`ResultSchema.json_schema` exports it as a JSON Schema (draft 2020-12)
for tools outside hear-probes; :func:`validate_result` checks a loaded
payload against its schema and raises :class:`ResultSchemaError` naming the file, the key,
the expected type and what was found, so a hand-edited or foreign file never silently turns
into a missing row or a ``nan`` summary.

Keys are dotted paths; ``*`` stands for every key of a mapping (``explained_variance.*``).
Keys a schema does not list are allowed (forward compatibility: a probe may add fields).
Non-finite numbers are written as ``null`` by :func:`hear_probes.provenance.write_json`, so
numeric keys accept ``null``. The file layout is documented in ``docs/results.md``.

The probe registry holds each probe's schema next to its file name; :func:`schemas` maps
probe name to schema.
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
    #: The same type as a JSON Schema fragment (:meth:`ResultSchema.json_schema`).
    json: dict = field(default_factory=dict)

    def __call__(self, v: Any) -> bool:
        return self.check(v)


_NUM = {"type": ["number", "null"]}
_INTERVAL = {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2}

STRING = ValueType("a string", lambda v: isinstance(v, str), {"type": "string"})
STRING_OR_NULL = ValueType("a string or null", lambda v: v is None or isinstance(v, str),
                           {"type": ["string", "null"]})
INT = ValueType("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool),
                {"type": "integer"})
INT_OR_NULL = ValueType("an integer or null", lambda v: v is None or INT(v),
                        {"type": ["integer", "null"]})
BOOL = ValueType("true or false", lambda v: isinstance(v, bool), {"type": "boolean"})
NUMBER = ValueType("a finite number", _is_number, {"type": "number"})
NUMBER_OR_NULL = ValueType("a number or null", lambda v: v is None or _is_number(v), _NUM)
FRACTION_OR_NA = ValueType('a number in [0, 1], null or "n/a"',
                           lambda v: v is None or v == "n/a" or (_is_number(v) and 0 <= v <= 1),
                           {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                                      {"type": "null"}, {"const": "n/a"}]})
#: Range of a signed explained variance, sign(r) r² (float rounding of 1e-9 allowed).
EV_RANGE = (-1.0, 1.0, "a signed explained variance")
#: Range of a spread (interquartile range) of explained variances.
EV_SPREAD_RANGE = (0.0, 2.0, "a spread of explained variances")
RANGE_TOLERANCE = 1e-9
INTERVAL_OR_NULL = ValueType("a list [low, high] of two numbers, or null",
                             lambda v: v is None or (isinstance(v, list) and len(v) == 2
                                                     and all(NUMBER_OR_NULL(x) for x in v)),
                             {"anyOf": [_INTERVAL, {"type": "null"}]})
NUMBER_OR_INTERVAL = ValueType("a number, a list [low, high] or null",
                                lambda v: NUMBER_OR_NULL(v) or INTERVAL_OR_NULL(v),
                                {"anyOf": [_NUM, _INTERVAL]})
NUMBERS = ValueType("a list of numbers (null for non-finite)",
                    lambda v: isinstance(v, list) and all(NUMBER_OR_NULL(x) for x in v),
                    {"type": "array", "items": _NUM})
STRINGS = ValueType("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                    {"type": "array", "items": {"type": "string"}})
LIST = ValueType("a list", lambda v: isinstance(v, list), {"type": "array"})
MAPPING = ValueType("an object {key: value}", lambda v: isinstance(v, dict), {"type": "object"})
MAPPING_OR_NULL = ValueType("an object {key: value} or null", lambda v: v is None or isinstance(v, dict),
                            {"type": ["object", "null"]})


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

    def problems(self, payload: Any) -> list[str]:
        """Every mismatch as ``"key: expected TYPE, found VALUE"`` (empty list = valid)."""
        if not isinstance(payload, dict):
            return [f"<top level>: expected an object, found {show_value(payload)}"]
        out = [p for key in self.keys for p in _key_problems(key, payload)]
        return out or self._payload_problems(payload)

    def _payload_problems(self, payload: dict) -> list[str]:
        """Mismatches of the payload as a whole: its probe, its version, the probe's checks."""
        out: list[str] = []
        if payload.get("probe") not in (None, self.probe):
            out.append(f"probe: expected {self.probe!r} in {self.filename}, found {show_value(payload['probe'])}")
        version = payload.get("schema_version")
        if isinstance(version, int) and version > self.max_version:
            out.append(f"schema_version: {version} is newer than this hear-probes reads "
                       f"({self.max_version}); upgrade hear-probes")
        for check in self.checks:
            out.extend(check(payload))
        return out

    def json_schema(self) -> dict:
        """This schema as a JSON Schema (draft 2020-12) document.

        Every documented key becomes a property (``*`` an ``additionalProperties``) with its
        type, range and required flag; undocumented keys stay allowed, as in
        :meth:`problems`. Cross-field checks (e.g. a median that must be the median of the
        per-study values) have no JSON Schema form and are left out.
        """
        root: dict = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                      "title": f"hear-probes {self.filename}",
                      "description": f"Result file of the {self.probe} probe (layout: {self.doc}).",
                      "type": "object"}
        for key in self.keys:
            node = root
            parts = key.path.split(".")
            for i, part in enumerate(parts):
                if part == "*":
                    child = node.setdefault("additionalProperties", {})
                else:
                    child = node.setdefault("properties", {}).setdefault(part, {})
                    if key.required and i == len(parts) - 1:
                        node.setdefault("required", []).append(part)
                node = child
            node.update(key.type.json)
            if key.bounds is not None:
                node.update(minimum=key.bounds[0] - RANGE_TOLERANCE,
                            maximum=key.bounds[1] + RANGE_TOLERANCE)
            if key.doc:
                node["description"] = key.doc
        return root

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


def _key_problems(key: Key, payload: dict) -> Iterator[str]:
    """Mismatches of one documented key (every match of its path) in a payload."""
    for where, value, present in _resolve(payload, key.path.split(".")):
        if not present:
            if key.required:
                yield f"{where}: missing (expected {key.type.name})"
        elif not key.type(value):
            yield f"{where}: expected {key.type.name}, found {show_value(value)}"
        elif (why := key.out_of_range(value)) is not None:
            yield f"{where}: {why}"


def show_value(v: Any) -> str:
    """A JSON value as error messages print it (``the string 'x'``, ``null``, ``a list of 3``)."""
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
    Key("provenance.resumed", MAPPING),
    Key("provenance.resumed.*", INT),
)

def schemas() -> dict[str, ResultSchema]:
    """Probe name -> schema of its result file, from the probe registry (each probe owns its
    schema: ``hear_probes/probes/<name>/schema.py``)."""
    from hear_probes.probes.registry import probes

    return {name: p.schema for name, p in probes().items() if p.schema is not None}


def validate_result(probe: str, payload: Any, path: str | Path | None = None) -> None:
    """Check one result payload against its probe's schema.

    Parameters
    ----------
    probe : str
        A registered probe with a schema (:func:`schemas`).
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
    known = schemas()
    if probe not in known:
        raise ResultSchemaError(f"no result schema for probe {probe!r}; known: {', '.join(known)}")
    known[probe].validate(payload, path)
