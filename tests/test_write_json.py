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
