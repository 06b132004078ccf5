"""GEAR end to end: `probe gear --embeddings FILE.h5` and evaluate() through the store."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from hear_probes.probes.gear.run import read_isomap_file
from hear_probes.stimuli import gear as g


def _write_embeddings(path, item_ids, emb, set_name="tones"):
    with h5py.File(path, "w") as f:
        grp = f.create_group(f"gear/{set_name}")
        grp.create_dataset("embeddings", data=emb.astype(np.float32))
        grp.create_dataset("item_ids", data=np.array(item_ids, dtype=object),
                           dtype=h5py.string_dtype("utf-8"))
        grp.attrs["model"] = "toy-features"


def _check_outputs(out, n):
    payload = json.loads((out / "gear.json").read_text())
    assert payload["probe"] == "gear" and payload["schema_version"] == 2
    assert payload["n_tones"] == n and "provenance" in payload and "model" in payload
    for name in ("f1", "alpha", "r"):
        res = payload["factors"][name]
        for key in ("knn_r2_k10", "knn_r2_k40", "isomap_linear_r2", "sensitivity",
                    "distance_effect"):
            assert key in res and len(res[f"{key}_ci"]) == 2
            assert len(res[f"{key}_seeds"]) == len(payload["seeds"]["seeds"])
        assert res["interval_method"].startswith("mean over")
        assert {"median", "iqr", "mean_abs", "median_abs", "n_excluded_zero"} <= set(res["knn_log_ratio"])
    for key in ("isomap_png", "knn_png", "isomap_html", "isomap_h5"):
        assert (out / payload["files"][key]).stat().st_size > 1000
    assert (out / "gear_isomap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "gear_isomap.html").read_text()
    # self-contained: plotly.js inlined, no external script
    assert '<script src="http' not in html and "Plotly.newPlot" in html and len(html) > 1_000_000
    iso = read_isomap_file(out / "gear_isomap.h5")
    assert iso["coords"].shape == (n, 3) and len(iso["item_ids"]) == n
    assert list(iso["factors"]) == ["f1", "alpha", "r"]  # column order kept
    return payload


def test_cli_embeddings_file(tmp_path):
    tones = g.make_tones("paper").subset(300, seed=0)
    f = tones.factors
    # a pitch-only "model": f1 in the embedding, alpha and r absent
    rng = np.random.default_rng(0)
    emb = np.stack([f["f1"] / 12, 0.01 * rng.normal(size=len(tones))], axis=1)
    h5 = tmp_path / "emb.h5"
    _write_embeddings(h5, tones.item_ids, emb)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "hear_probes.cli", "probe", "gear", "--embeddings", str(h5),
         "--out", str(out)], capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "gear.json" in proc.stdout
    payload = _check_outputs(out, 300)
    assert payload["model"]["model_id"] == "toy-features"
    fac = payload["factors"]
    assert fac["f1"]["knn_r2_k10"] > 0.9 and fac["f1"]["sensitivity"] > 0.9
    assert abs(fac["alpha"]["sensitivity"]) < 0.2 and abs(fac["r"]["distance_effect"]) < 0.1
    assert fac["alpha"]["knn_log_ratio"]["n_excluded_zero"] == int(np.sum(f["alpha"] == 0))


def test_cli_rejects_two_sources(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "hear_probes.cli", "probe", "gear", "--model", "stft",
         "--embeddings", str(tmp_path / "x.h5")], capture_output=True, text=True,
    )
    assert proc.returncode != 0 and "exactly one of" in proc.stderr


def test_evaluate_through_the_store(tmp_path):
    from hear_probes.probes.gear import GearSettings
    from hear_probes.probes.gear.run import run as evaluate
    from hear_probes.views import open_store, resolve_loaded

    loaded = resolve_loaded("stft", None, None)
    store = open_store(loaded, tmp_path / "cache")
    out = tmp_path / "out"
    payload = evaluate(loaded, store, out, GearSettings(quick=True, quiet=True, n_tones=120))
    _check_outputs(out, 120)
    assert payload["stimulus"]["set_name"] == "tones-n120"
    assert payload["model"]["model_id"] == "stft" and payload["stimulus"]["model_sample_rate"] == 16000
    stored = store.read_set("gear", "tones-n120")
    assert stored.embeddings.shape == (120, 513)
    # the stored file works as --embeddings input and gives the same scores
    again = tmp_path / "again"
    from hear_probes.probes.gear import run_embeddings_file as evaluate_embeddings_file

    p2 = evaluate_embeddings_file(store.path, again, set_name="tones-n120")
    assert p2["factors"]["f1"]["knn_r2_k10"] == pytest.approx(
        payload["factors"]["f1"]["knn_r2_k10_seeds"][0])
    # fixed embeddings: the seeds vary the analysis only, so kNN R2 has a zero-width interval
    assert p2["factors"]["f1"]["knn_r2_k10_seeds"] == [p2["factors"]["f1"]["knn_r2_k10"]] * 5
    assert "fixed embeddings file" in p2["seeds"]["varies"]


def test_seeds_draw_new_tones_and_reuse_shared_ones(tmp_path):
    """Each seed draws its own tones (own store set); a tone drawn twice is embedded once."""
    from hear_probes.probes.gear import GearSettings
    from hear_probes.probes.gear.run import run as evaluate
    from hear_probes.views import open_store, resolve_loaded

    loaded = resolve_loaded("stft", None, None)
    calls = []
    real = loaded.scene_embeddings
    loaded.scene_embeddings = lambda batch: calls.append(len(batch)) or real(batch)
    store = open_store(loaded, tmp_path / "cache")
    # a 5 x 5 grid with 3 possible f1 values: seeds share many tones
    grid = {"n_alpha": 5, "n_r": 5, "f1_range": (12, 14)}
    st = GearSettings(quiet=True, n_seeds=3, figures=False, stimulus_options=grid)
    payload = evaluate(loaded, store, tmp_path / "out", st)
    base = payload["stimulus_sets"][0]
    assert base.startswith("tones-paper-")
    assert payload["stimulus_sets"][1:] == [f"{base}-seed1", f"{base}-seed2"]
    assert payload["seeds"]["seeds"] == [0, 1, 2]
    ids = [set(store.read_set("gear", s).item_ids) for s in payload["stimulus_sets"]]
    assert ids[0] != ids[1] != ids[2]
    union = ids[0] | ids[1] | ids[2]
    assert len(union) < 75 and sum(calls) == len(union)  # shared tones embedded once
    f1 = payload["factors"]["f1"]
    lo, hi = f1["knn_r2_k10_ci"]
    assert len(set(f1["knn_r2_k10_seeds"])) == 3 and lo < f1["knn_r2_k10"] < hi
    assert f1["knn_r2_k10"] == pytest.approx(np.mean(f1["knn_r2_k10_seeds"]))
