"""``--layers``: parsing, one forward pass for all layers, per-layer stores, CLI, report curves.

Uses the toy layered module ``tests/toy_modules/toy_layers.py`` (no model library).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from hear_probes.cli import main
from hear_probes.embed import embed_stimulus_set
from hear_probes.errors import HearProbesError, ModelResolutionError
from hear_probes.hear_module import load_hear_module
from hear_probes.layers import layer_views, parse_layers, split_layer_id
from hear_probes.report.layers import layer_curves
from hear_probes.report.load import collect_results
from hear_probes.stimuli.base import StimulusSet
from hear_probes.store import EmbeddingStore


def test_parse_layers():
    ids = list(range(13))
    assert parse_layers("all", ids) == ids
    assert parse_layers("last", ids) == [12]
    assert parse_layers("0,4,8", ids) == [0, 4, 8]
    assert parse_layers(" 4, 4 ,-1", ids) == [4, 12]
    assert parse_layers("first,last", [1, 2, 3, 4, 5, 6]) == [1, 6]
    with pytest.raises(HearProbesError, match=r"layer 13 out of range; valid layers of m: 0\.\.12"):
        parse_layers("13", ids, "m")
    with pytest.raises(HearProbesError, match="not a layer index"):
        parse_layers("x", ids)
    with pytest.raises(HearProbesError, match="out of range"):
        parse_layers("0", [1, 2, 3, 4, 5, 6])


def test_parse_layers_by_name():
    ids, names = [1, 2, 3], ["conv1", "conv2", "classifier"]
    assert parse_layers("conv2,Classifier,1", ids, "m", names) == [2, 3, 1]
    assert parse_layers("last", ids, "m", names) == [3]
    with pytest.raises(HearProbesError, match=r"'conv9' is not a layer index or name; valid "
                       r"layers of m: 1\.\.3 \(1 = conv1, 2 = conv2, 3 = classifier\)"):
        parse_layers("conv9", ids, "m", names)
    with pytest.raises(HearProbesError, match=r"layer 4 out of range.*3 = classifier"):
        parse_layers("4", ids, "m", names)


def test_not_layered_model_is_a_clear_error():
    loaded = load_hear_module(module="toy_good")
    with pytest.raises(HearProbesError, match="does not expose layers"):
        layer_views(loaded, "all")


def test_hf_prefix_without_id():
    with pytest.raises(ModelResolutionError, match="hf: needs"):
        load_hear_module(name="hf:")


def _items(n=6, sr=16000):
    rng = np.random.default_rng(0)
    ids = [f"item{i}" for i in range(n)]
    audio = {i: rng.standard_normal(sr // 4).astype(np.float32) for i in ids}
    return ids, (lambda chunk: [audio[i] for i in chunk]), audio


def test_one_pass_all_layers_and_store_layout(tmp_path, monkeypatch):
    passes = tmp_path / "passes.txt"
    monkeypatch.setenv("TOY_LAYER_PASSES", str(passes))
    loaded = load_hear_module(module="toy_layers")
    views = layer_views(loaded, "all", tmp_path / "cache")
    assert [v.model_id for v in views] == [f"toy_layers@layer-{k}" for k in range(4)]
    ids, load, audio = _items()
    stores = [EmbeddingStore.for_model(v, tmp_path / "cache") for v in views]
    first = embed_stimulus_set(views[0], stores[0],
        StimulusSet.from_loader("gear", "tones", ids, load, "stim"),
        batch_size=4, quiet=True)
    assert len(passes.read_text().split()) == 2  # 6 items, batches of 4: two passes for 4 layers
    rows = [embed_stimulus_set(v, s,
        StimulusSet.from_loader("gear", "tones", ids, load, "stim"),
        batch_size=4, quiet=True)
            for v, s in zip(views, stores, strict=True)]
    assert len(passes.read_text().split()) == 2  # the other layers were cached
    np.testing.assert_array_equal(rows[0], first)
    # each layer equals the plain HEAR call of its view, and is stored in <model>@layer-K.h5
    batch = np.stack([audio[i] for i in ids])
    for k, (v, emb) in enumerate(zip(views, rows, strict=True)):
        np.testing.assert_allclose(emb, v.scene_embeddings(batch), rtol=1e-5, atol=1e-6)
        path = tmp_path / "cache" / "embeddings" / f"toy_layers@layer-{k}.h5"
        with h5py.File(path) as f:
            assert f["gear/tones/embeddings"].shape == (6, 8)
            assert f["gear/tones"].attrs["layer"] == k and f.attrs["model"] == f"toy_layers@layer-{k}"
    assert not any((tmp_path / "cache" / "embeddings").glob("*.parts"))


def test_resume_after_partial_batches(tmp_path, monkeypatch):
    """A killed run left the first batch of every layer: the rerun computes only the rest."""
    passes = tmp_path / "passes.txt"
    monkeypatch.setenv("TOY_LAYER_PASSES", str(passes))
    loaded = load_hear_module(module="toy_layers")
    views = layer_views(loaded, "0,3", tmp_path / "cache")
    ids, load, _ = _items()

    def failing(chunk):
        if "item5" in chunk:
            raise KeyboardInterrupt
        return load(chunk)

    store = EmbeddingStore.for_model(views[1], tmp_path / "cache")
    with pytest.raises(KeyboardInterrupt):
        embed_stimulus_set(views[1], store,
            StimulusSet.from_loader("gear", "tones", ids, failing, "stim"),
            batch_size=4, quiet=True)
    assert len(passes.read_text().split()) == 1
    embed_stimulus_set(views[1], store,
        StimulusSet.from_loader("gear", "tones", ids, load, "stim"),
        batch_size=4, quiet=True)
    assert passes.read_text().split() == ["4", "2"]


def test_cli_evaluate_layers_and_report(tmp_path, toy_env):
    out = tmp_path / "out"
    code = main(["evaluate", "--module", "toy_layers", "--layers", "0,2", "--quick", "--probes",
                 "gear,ranking", "--out", str(out), "--cache", str(tmp_path / "cache"), "-q"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["layer-0", "layer-2"]
    gear = json.loads((out / "layer-2" / "gear.json").read_text())
    assert gear["model"]["model_id"] == "toy_layers@layer-2"
    md = (out / "report.md").read_text()
    assert "## Layers" in md and "| toy_layers | 2 |" in md
    assert 'id="layers"' in (out / "report.html").read_text()
    assert {p.name for p in out.glob("layers_*.png")} == {"layers_gear.png", "layers_ranking.png"}
    code = main(["evaluate", "--module", "toy_layers", "--layers", "9", "--quick", "--out", str(out)])
    assert code == 2


def _fake(folder: Path, model: str, k: int, pitch: float, f1: float, loso: float) -> Path:
    d = folder / model / f"layer-{k}"
    d.mkdir(parents=True)
    src = Path(__file__).resolve().parents[1] / "results"
    for probe, sub in (("ranking", "logmel"), ("gear", "crepe"), ("timbre", "stft")):
        payload = json.loads((src / sub / f"{probe}.json").read_text())
        payload["model"]["model_id"] = f"{model}@layer-{k}"
        if probe == "ranking":
            rep = next(iter(payload["representations"].values()))
            rep["accuracy"]["pitch"]["fine"] = pitch
        elif probe == "gear":
            payload["factors"]["f1"]["knn_r2_k10"] = f1
        else:
            lv = payload["loso_explained_variance"]
            payload["loso_explained_variance"] = dict.fromkeys(lv, loso)
            payload["loso_median"], payload["loso_iqr"] = loso, 0.0
        (d / f"{probe}.json").write_text(json.dumps(payload))
    return d


def test_layer_curves_from_synthetic_results(tmp_path):
    if not (Path(__file__).resolve().parents[1] / "results" / "stft" / "timbre.json").is_file():
        pytest.skip("reference results not present")
    folders = [_fake(tmp_path, m, k, 0.5 + 0.1 * k, 0.2 * k, 0.3 + (0.1 if m == "b" else 0))
               for m in ("a", "b") for k in range(3)]
    curves = layer_curves(collect_results(folders))
    ranking = curves["ranking"]["pitch accuracy (fine)"]["a"]
    assert [p[:2] for p in ranking] == [(0, 0.5), (1, 0.6), (2, 0.7)]
    # the Wilson interval of each accuracy comes along as the curve's band
    assert all(len(p) == 4 and p[2] < p[3] for p in ranking)
    assert [p[:2] for p in curves["gear"]["f1 kNN R²"]["b"]] == [(0, 0.0), (1, 0.2), (2, 0.4)]
    assert curves["timbre"]["held-out EV (LOSO)"]["b"][0][:2] == (0, pytest.approx(0.4))
    out = tmp_path / "report.html"
    assert main(["report", *map(str, folders), "-o", str(out)]) == 0
    md = out.with_suffix(".md").read_text()
    # two models: the main report opens with the leaderboard, and the per-layer tables and
    # layer curves move to one page per model
    assert md.startswith("# hear-probes report") and "## Leaderboard" in md
    assert "| b | 2 |" not in md and md.count("<figure") == 0
    assert "[b](./report-b.md)" in md
    assert out.read_text().count("against relative layer depth (0 = first layer") == 6  # alt + caption
    page_b = tmp_path / "report-b.html"
    assert page_b.read_text().count("score against layer</figcaption>") == 3
    assert "| b | 2 |" in page_b.with_suffix(".md").read_text()
    assert split_layer_id("hf:org/x@rev@layer-12") == ("hf:org/x@rev", 12)
    shutil.rmtree(folders[0])


def test_probe_commands_take_layers(tmp_path):
    cache = str(tmp_path / "cache")
    out = tmp_path / "p"
    assert main(["probe", "gear", "--module", "toy_layers", "--layers", "1,last", "--quick",
                 "--out", str(out), "--cache", cache, "-q"]) == 0
    assert main(["probe", "ranking", "--module", "toy_layers", "--layers", "1,3", "--quick",
                 "--no-figures", "--out", str(out), "--cache", cache, "-q"]) == 0
    for k in (1, 3):
        assert {p.name for p in (out / f"layer-{k}").glob("*.json")} == {"gear.json", "ranking.json"}
    assert main(["probe", "gear", "--module", "toy_good", "--layers", "all", "--quick",
                 "--out", str(out), "--cache", cache]) == 2


def test_embed_command_layers(tmp_path, timbre_dir, monkeypatch):
    passes = tmp_path / "passes.txt"
    monkeypatch.setenv("TOY_LAYER_PASSES", str(passes))
    cache = tmp_path / "cache"
    args = ["embed", "--module", "toy_layers", "--layers", "all", "--data", str(timbre_dir),
            "--datasets", "Grey1977", "--cache", str(cache), "-q"]
    assert main(args) == 0
    n_passes = len(passes.read_text().split())
    for k in range(4):
        with h5py.File(cache / "embeddings" / f"toy_layers@layer-{k}.h5") as f:
            assert f["timbre/Grey1977/embeddings"].shape == (16, 8)
    assert main(args) == 0
    # only the contract check's two calls ran again: every layer's set was cached
    assert len(passes.read_text().split()) == n_passes + 2


def test_probe_timbre_takes_layers(tmp_path, timbre_dir, monkeypatch):
    passes = tmp_path / "passes.txt"
    monkeypatch.setenv("TOY_LAYER_PASSES", str(passes))
    out = tmp_path / "t"
    args = ["probe", "timbre", "--module", "toy_layers", "--layers", "0,2", "--data", str(timbre_dir),
            "--datasets", "Grey1977", "--reference", "none", "--no-regularised", "--workers", "1",
            "--out", str(out), "--cache", str(tmp_path / "cache"), "-q"]
    assert main(args) == 0
    for k in (0, 2):
        payload = json.loads((out / f"layer-{k}" / "timbre.json").read_text())
        assert payload["model"]["model_id"] == f"toy_layers@layer-{k}"
        assert set(payload["explained_variance"]) == {"Grey1977"}
    assert not (out / "timbre.json").exists()
    # the two layers came from one embedding pass over the study's sounds (plus contract checks)
    n = len(passes.read_text().split())
    assert main(args) == 0 and len(passes.read_text().split()) == n + 2
    assert main(["probe", "timbre", "--embeddings", str(tmp_path / "x.h5"), "--layers", "all",
                 "--out", str(out)]) == 2


def test_layer_id_made_and_parsed_in_one_place(tmp_path):
    """The ``@layer-K`` id: made by layer_model_id, parsed by split_layer_id, used by the store."""
    from types import SimpleNamespace

    from hear_probes.layers import layer_model_id, split_layer_id
    from hear_probes.store import EmbeddingStore, safe_name

    for base, k in (("hf:org/x@rev", 12), ("crepe-tiny", 0), ("m@layer-3", 4)):
        assert split_layer_id(layer_model_id(base, k)) == (base, k)
    assert split_layer_id("logmel") is None
    view = SimpleNamespace(model_id=layer_model_id("hf:/a/b", 2), layer=2)
    store = EmbeddingStore.for_model(view, tmp_path)
    assert store.path.name == f"{safe_name('hf:/a/b')}@layer-2.h5"
    assert store.model_id == "hf:/a/b@layer-2"


def test_plain_and_layered_models_share_one_embedding_path():
    """No second copy of the embedding computation (a model without layers is a group of one)."""
    import inspect

    from hear_probes import embed

    assert not hasattr(embed, "_compute_layers")
    assert "noqa" not in inspect.getsource(embed)
