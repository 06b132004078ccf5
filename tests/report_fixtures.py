"""Small result folders in the probes' JSON schema, for report tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hear_probes.stimuli.timbre import TIMBRE_DATASETS


def _prov(cmd):
    return {"command": cmd, "created": "2026-11-21T08:00:00+00:00", "seed": 0,
            "timings_s": {"total": 1.5}, "versions": {"hear-probes": "0.1.0", "numpy": "2"}}


def write_fixture_results(root: Path, names=("stft", "logmel")) -> list[Path]:
    rng = np.random.default_rng(0)
    out = []
    for k, name in enumerate(names):
        d = root / name
        d.mkdir(parents=True, exist_ok=True)
        model = {"model_id": name, "weights_id": "", "adapter_version": "1", "sample_rate": 44100}
        ranking = {"probe": "ranking", "schema_version": 1, "model": model,
                   "provenance": _prov(f"hear-probes probe ranking --model {name}"),
                   "representations": {name: {
                       "accuracy": {"pitch": {"eps": 0.9, "fine": 0.6 + 0.1 * k, "coarse": 0.7},
                                    "level": {"eps": "n/a", "fine": 0.52, "coarse": 0.81}},
                       "ci95": {"pitch": {"eps": [0.87, 0.93], "fine": [0.57, 0.63], "coarse": [0.67, 0.73]},
                                "level": {"eps": None, "fine": [0.49, 0.55], "coarse": [0.78, 0.84]}},
                       "n_trials": 1000, "seed": 0,
                       "na_reason": {"level.eps": "not differentiable"}}}}
        factors = {f: {"knn_r2_k10": float(rng.uniform()), "knn_r2_k40": float(rng.uniform()),
                       "isomap_linear_r2": float(rng.uniform()), "sensitivity": float(rng.uniform())}
                   for f in ("f1", "alpha", "r")}
        gear = {"probe": "gear", "schema_version": 1, "model": model, "provenance": _prov("g"), "factors": factors}
        ev = {s: float(rng.uniform(0.1, 0.9)) for s in TIMBRE_DATASETS}
        timbre = {"probe": "timbre", "schema_version": 1, "model": model, "provenance": _prov("t"),
                  "explained_variance": ev, "median": float(np.median(list(ev.values()))),
                  "iqr": float(np.subtract(*np.percentile(list(ev.values()), [75, 25]))),
                  "loso_explained_variance": {s: v * 0.5 for s, v in ev.items()},
                  "robustness": {s: {"area": float(rng.uniform(0.2, 1.5))} for s in TIMBRE_DATASETS},
                  "robustness_reference": {"name": "stft", "source": "fixture"},
                  "relative_area_db": {s: float(rng.normal()) for s in TIMBRE_DATASETS}}
        for probe, payload in (("ranking", ranking), ("gear", gear), ("timbre", timbre)):
            (d / f"{probe}.json").write_text(json.dumps(payload))
        out.append(d)
    return out
