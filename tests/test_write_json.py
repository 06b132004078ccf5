"""Result files: written atomically as JSON, numpy converted, lists of scalars on one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hear_probes.provenance import dumps_readable, write_json


def test_lists_of_scalars_stay_on_one_line_and_the_content_is_unchanged(tmp_path):
    payload = {"per_trial": {"pitch": {"fine": np.array([1.0, 0.0, 0.5]), "coarse": [None, 1, 0]}},
               "nested": [{"a": 1}, [2, 3]], "empty": {}, "none": [], "name": "é", "nan": np.nan,
               "int": np.int64(3)}
    path = tmp_path / "r.json"
    write_json(path, payload)
    text = path.read_text()
    assert '"fine": [1.0, 0.0, 0.5]' in text and '"coarse": [null, 1, 0]' in text
    back = json.loads(text)
    assert back["nan"] is None and back["int"] == 3 and back["per_trial"]["pitch"]["fine"] == [1.0, 0.0, 0.5]
    assert back["nested"] == [{"a": 1}, [2, 3]] and back["empty"] == {} and back["none"] == []
    # indented as json.dumps(indent=2) wherever a container holds containers
    assert text.startswith('{\n  "per_trial": {\n    "pitch": {\n      "fine": [')


def test_dumps_readable_round_trips_and_refuses_nan():
    doc = {"a": [1.5, "x", True, None], "b": [{"c": [[1], [2]]}], "d": 0}
    assert json.loads(dumps_readable(doc)) == doc
    with pytest.raises(ValueError):
        dumps_readable({"x": [float("nan")]})


def test_one_pass_conversion_equals_the_json_round_trip(tmp_path):
    """write_json converts in one pass what json.dumps(default=...) + json.loads gave before."""
    from pathlib import Path

    from hear_probes.provenance import to_jsonable

    def reference(o):  # the former two-pass conversion
        def default(x):
            if isinstance(x, np.integer):
                return int(x)
            if isinstance(x, np.floating):
                return None if not np.isfinite(x) else float(x)
            if isinstance(x, np.ndarray):
                return x.tolist()
            if isinstance(x, Path):
                return str(x)
            raise TypeError(type(x).__name__)

        def clean(x):
            if isinstance(x, float) and not np.isfinite(x):
                return None
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, list):
                return [clean(v) for v in x]
            return x

        return clean(json.loads(json.dumps(o, default=default)))

    payload = {"a": np.array([[1.5, np.nan], [np.inf, -0.0]], dtype=np.float32), "b": (1, "x"),
               3: True, 2.5: None, None: [np.float64(np.nan), np.float32(0.1), np.int8(-3)],
               False: {"p": tmp_path}, "c": [float("-inf"), 1e300, 7], "d": np.arange(3)}
    assert to_jsonable(payload) == reference(payload)
    assert json.dumps(to_jsonable(payload)) == json.dumps(reference(payload))  # key order too
    with pytest.raises(TypeError, match="set"):
        to_jsonable({"s": {1, 2}})
