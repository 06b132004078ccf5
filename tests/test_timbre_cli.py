"""End to end: `hear-probes probe timbre --embeddings FILE.h5` on a tiny synthetic study set."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from fake_timbre import fake_study

from hear_probes.probes.timbre import plot_relative_db_heatmap

NAMES = ["Grey1977", "Patil2012_A3"]


def _make_data(root: Path, seed: int = 0) -> dict[str, tuple[list[str], np.ndarray]]:
    """A fake timbre folder (empty sound files, real-looking ratings) and embeddings."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in zip(NAMES, (8, 7), strict=True):
        ids, x = fake_study(root, name, n, rng, dims=12, informative=(0, 3))
        out[name] = (ids, x)
    return out


def _write_h5(path: Path, data, shuffle: bool, drop: str | None = None) -> None:
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        for name, (ids, x) in data.items():
            order = rng.permutation(len(ids)) if shuffle else np.arange(len(ids))
            ids_o = [ids[k] for k in order]
            x_o = x[order]
            if drop == name:
                ids_o, x_o = ids_o[1:], x_o[1:]
            g = f.create_group(f"timbre/{name}")
            g.create_dataset("embeddings", data=x_o.astype(np.float32))
            g.create_dataset("item_ids", data=np.array(ids_o, dtype=object),
                             dtype=h5py.string_dtype("utf-8"))


def _run(args) -> int:
    from hear_probes.cli import main

    return main(["probe", "timbre", *args])


@pytest.fixture
def setup(tmp_path):
    data = tmp_path / "timbre"
    emb = _make_data(data)
    return data, emb


def test_embeddings_rows_are_matched_by_item_ids(setup, tmp_path):
    data, emb = setup
    _write_h5(tmp_path / "ordered.h5", emb, shuffle=False)
    _write_h5(tmp_path / "shuffled.h5", emb, shuffle=True)
    common = ["--data", str(data), "--workers", "1", "--quiet", "--maxiter", "300",
              "--robustness"]
    # default reference (stft) has no results here: the run goes on and says so
    assert _run(["--embeddings", str(tmp_path / "ordered.h5"), "--out", str(tmp_path / "a"),
                 *common]) == 0
    assert _run(["--embeddings", str(tmp_path / "shuffled.h5"), "--out", str(tmp_path / "b"),
                 "--reference", "none", *common]) == 0
    a = json.loads((tmp_path / "a" / "timbre.json").read_text())
    b = json.loads((tmp_path / "b" / "timbre.json").read_text())
    assert a["explained_variance"] == pytest.approx(b["explained_variance"], abs=1e-9)
    assert set(a["explained_variance"]) == set(NAMES)
    for key in ("median", "iqr", "loso_explained_variance", "robustness", "provenance",
                "model", "schema_version"):
        assert key in a
    assert a["explained_variance"]["Grey1977"] > 0.8
    assert "stft" in a["robustness_reference"]["missing"] and "relative_area_db" not in a
    assert "robustness_reference" not in b
    for f in ("timbre.csv", "timbre_weights.h5", "timbre_explained_variance.png",
              "timbre_robustness.png"):
        assert (tmp_path / "a" / f).is_file()
    with h5py.File(tmp_path / "a" / "timbre_weights.h5") as f:
        assert f["Grey1977/weights"].shape == (12,)


def test_missing_sound_is_named(setup, tmp_path, capsys):
    data, emb = setup
    _write_h5(tmp_path / "bad.h5", emb, shuffle=False, drop="Grey1977")
    code = _run(["--embeddings", str(tmp_path / "bad.h5"), "--data", str(data), "--quiet",
                 "--out", str(tmp_path / "c"), "--workers", "1", "--reference", "none"])
    assert code == 2
    err = capsys.readouterr().err
    assert "missing sounds 00_snd" in err


def test_reference_from_result_file_and_heatmap(setup, tmp_path):
    data, emb = setup
    _write_h5(tmp_path / "e.h5", emb, shuffle=False)
    common = ["--data", str(data), "--workers", "1", "--quiet", "--maxiter", "200",
              "--robustness", "--no-loso"]
    assert _run(["--embeddings", str(tmp_path / "e.h5"), "--out", str(tmp_path / "ref"),
                 "--reference", "e", *common]) == 0   # its own reference: 0 dB
    ref = json.loads((tmp_path / "ref" / "timbre.json").read_text())
    assert all(v == pytest.approx(0.0) for v in ref["relative_area_db"].values())
    assert _run(["--embeddings", str(tmp_path / "e.h5"), "--out", str(tmp_path / "m"),
                 "--reference", str(tmp_path / "ref" / "timbre.json"), "--feature-norm", "max",
                 *common]) == 0
    m = json.loads((tmp_path / "m" / "timbre.json").read_text())
    assert m["robustness_reference"]["source"].endswith("timbre.json")
    assert set(m["relative_area_db"]) == set(NAMES)
    png = plot_relative_db_heatmap({"e": ref, "e-max": m}, tmp_path / "heat.png", reference="e")
    assert png.is_file() and png.stat().st_size > 0


def test_explicit_missing_reference_is_an_error(setup, tmp_path, capsys):
    data, emb = setup
    _write_h5(tmp_path / "e.h5", emb, shuffle=False)
    code = _run(["--embeddings", str(tmp_path / "e.h5"), "--data", str(data), "--quiet",
                 "--out", str(tmp_path / "x"), "--robustness", "--reference", "clap"])
    assert code == 2
    assert "no timbre result for the reference 'clap'" in capsys.readouterr().err


def test_exactly_one_source_is_required(tmp_path, capsys):
    assert _run(["--out", str(tmp_path)]) == 2
    assert "exactly one of" in capsys.readouterr().err


def test_relative_db_matrix_and_its_reference():
    """The numbers the robustness heatmap draws: dB against the reference, or stored values."""
    from hear_probes.probes.timbre.figures import relative_db_matrix, robustness_reference

    res = {"ref": {"robustness": {"a": {"area": 1.0}, "b": {"area": 0.5}},
                   "robustness_reference": {"name": "ref"}},
           "m": {"robustness": {"a": {"area": 10.0}, "b": {"area": 0.0}},
                 "robustness_reference": {"name": "ref"}, "relative_area_db": {"a": 1.5}}}
    assert robustness_reference(res) == "ref" and robustness_reference(res, "m") == "m"
    assert robustness_reference({"m": res["m"]}) is None  # its reference is not among them
    np.testing.assert_array_equal(relative_db_matrix(res, ["a", "b"], ["m"], "ref"), [[10.0], [np.nan]])
    np.testing.assert_array_equal(relative_db_matrix(res, ["a", "b"], ["m"], None), [[1.5], [np.nan]])
