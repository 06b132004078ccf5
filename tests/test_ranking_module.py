"""Ranking probe on HEAR modules: eps column, n/a, constant embeddings, outputs, CLI."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from hear_probes.probes.ranking.embedding import (
    embedding_distance,
    is_constant,
    module_gradient_scores,
    trial_items,
)
from hear_probes.stimuli.sines import sample_trials

CENTROID = '''
"""Tiny differentiable HEAR module: log2 spectral centroid and log energy of the whole clip."""
import torch

ADAPTER_VERSION = "test-1"

class Model(torch.nn.Module):
    sample_rate = 8000
    scene_embedding_size = 2
    timestamp_embedding_size = 2

def load_model(model_file_path=""):
    return Model()

def get_scene_embeddings(audio, model):
    audio = torch.as_tensor(audio)
    spec = torch.fft.rfft(audio * torch.hann_window(audio.shape[-1], dtype=audio.dtype)).abs()
    freqs = torch.linspace(0, 4000, spec.shape[-1], dtype=spec.dtype)
    centroid = (spec * freqs).sum(-1) / spec.sum(-1)
    energy = spec.square().sum(-1)
    return torch.stack([torch.log2(centroid), 0.1 * torch.log10(energy)], dim=-1).float()

def get_timestamp_embeddings(audio, model):
    emb = get_scene_embeddings(audio, model)[:, None]
    return emb, torch.zeros(emb.shape[0], 1)
'''

NUMPY = '''
"""Tiny non-differentiable HEAR module: features computed in numpy."""
import numpy as np
import torch

ADAPTER_VERSION = "test-1"

class Model(torch.nn.Module):
    sample_rate = 8000
    scene_embedding_size = 2
    timestamp_embedding_size = 2

def load_model(model_file_path=""):
    return Model()

def get_scene_embeddings(audio, model):
    x = audio.detach().numpy() if isinstance(audio, torch.Tensor) else np.asarray(audio)
    spec = np.abs(np.fft.rfft(x))
    return torch.from_numpy(np.stack([spec.argmax(-1), spec.max(-1)], -1).astype(np.float32))

def get_timestamp_embeddings(audio, model):
    emb = get_scene_embeddings(audio, model)[:, None]
    return emb, torch.zeros(emb.shape[0], 1)
'''

CONSTANT = '''
"""Tiny HEAR module whose embedding ignores the input."""
import torch

ADAPTER_VERSION = "test-1"

class Model(torch.nn.Module):
    sample_rate = 8000
    scene_embedding_size = 3
    timestamp_embedding_size = 3

def load_model(model_file_path=""):
    return Model()

def get_scene_embeddings(audio, model):
    return torch.ones(audio.shape[0], 3)

def get_timestamp_embeddings(audio, model):
    return torch.ones(audio.shape[0], 1, 3), torch.zeros(audio.shape[0], 1)
'''


@pytest.fixture
def tiny_modules(tmp_path, monkeypatch):
    folder = tmp_path / "mods"
    folder.mkdir()
    for name, src in {"tiny_centroid": CENTROID, "tiny_numpy": NUMPY,
                      "tiny_constant": CONSTANT}.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(src))
    monkeypatch.syspath_prepend(str(folder))
    return folder


def _import(name):
    import importlib

    return importlib.import_module(name)


def test_eps_column_on_differentiable_module(tiny_modules):
    mod = _import("tiny_centroid")
    tr = sample_trials(24, seed=0)
    scores, reason = module_gradient_scores(mod, mod.load_model(), 8000, tr, duration=0.1)
    assert reason is None
    assert scores["pitch"].mean() >= 0.9  # centroid distance points away from the target
    assert scores["level"].mean() >= 0.9  # so does the log-energy coordinate


def test_eps_column_na_for_numpy_module(tiny_modules):
    mod = _import("tiny_numpy")
    scores, reason = module_gradient_scores(mod, mod.load_model(), 8000,
                                            sample_trials(4, seed=0), duration=0.1)
    assert scores is None and "grad_fn" in reason


def test_trial_items_and_metrics():
    tr = sample_trials(10, seed=0)
    items = trial_items(tr)
    assert len(items.item_ids) == 60 == len(set(items.item_ids))
    assert set(items.index) == {"target", "prediction", "pitch-fine", "pitch-coarse",
                                "level-fine", "level-coarse"}
    a, b = np.array([[3.0, 4.0]]), np.array([[0.0, 0.0]])
    assert embedding_distance(a, b, "euclidean")[0] == 5.0
    assert embedding_distance(a, b, "l1")[0] == 7.0
    assert embedding_distance(a, 2 * a, "cosine")[0] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="valid: euclidean, cosine, l1"):
        embedding_distance(a, b, "bogus")
    assert is_constant(np.ones((4, 3))) and not is_constant(np.eye(3))


def _evaluate(module_name, tmp_path, **kw):
    from hear_probes.hear_module import load_hear_module
    from hear_probes.probes.ranking import RankingSettings
    from hear_probes.probes.ranking.run import run as evaluate
    from hear_probes.store import EmbeddingStore

    loaded = load_hear_module(module=module_name)
    store = EmbeddingStore.for_model(loaded, tmp_path / "cache")
    out = tmp_path / "out"
    kw.setdefault("min_decided", 1)  # 20 trials: below the default minimum of decided trials
    payload = evaluate(loaded, store, out, RankingSettings(
        quiet=True, n_trials=20, duration=0.1, curve_points=10, heatmap_cells=4, **kw))
    return payload, out


def test_evaluate_writes_outputs(tiny_modules, tmp_path):
    payload, out = _evaluate("tiny_centroid", tmp_path)
    data = json.loads((out / "ranking.json").read_text())
    res = data["representations"]["tiny_centroid"]
    assert data["probe"] == "ranking" and data["schema_version"] == 1
    assert data["provenance"]["seed"] == 0 and res["n_trials"] == 20
    for dim in ("pitch", "level"):
        for scale in ("eps", "fine", "coarse"):
            if res["accuracy"][dim][scale] == "n/a":  # level-invariant centroid: all ties
                assert dim == "level" and res["n_ties"][dim][scale] == 20
                assert "tie" in res["na_reason"][f"{dim}.{scale}"]
                continue
            assert 0.0 <= res["accuracy"][dim][scale] <= 1.0
            lo, hi = res["ci95"][dim][scale]
            assert lo <= res["accuracy"][dim][scale] <= hi
    assert res["accuracy"]["pitch"]["coarse"] >= 0.9
    header = (out / "ranking.csv").read_text().splitlines()[0]
    assert header == ("representation,pitch_eps,pitch_30c,pitch_600c,level_eps,level_2dB,"
                      "level_10dB,na_reason")
    assert (out / "ranking_pitch_curves.png").stat().st_size > 0
    assert (out / "ranking_heatmap.png").stat().st_size > 0
    assert (out / "ranking_pitch_curves_zoom.png").stat().st_size > 0
    assert (out / "ranking_accuracy_by_interval.png").stat().st_size > 0
    bins = res["by_pitch_interval"]
    assert sum(bins["n_trials"]) == 20 and bins["accuracy_chance"] == 0.5
    assert sum(bins["pitch"]["coarse"]["n_decided"]) == 20 - res["n_ties"]["pitch"]["coarse"]
    assert set(res["tie_sensitivity"]["strict"]["accuracy"]["pitch"]) == {"eps", "fine", "coarse"}


def test_evaluate_numpy_module_reports_na(tiny_modules, tmp_path):
    payload, out = _evaluate("tiny_numpy", tmp_path, figures=False)
    res = payload["representations"]["tiny_numpy"]
    assert res["accuracy"]["pitch"]["eps"] == "n/a" and res["ci95"]["level"]["eps"] is None
    assert "grad_fn" in res["na_reason"]["pitch.eps"]
    row = (out / "ranking.csv").read_text().splitlines()[1].split(",")
    assert row[1] == "" and "pitch_eps: " in (out / "ranking.csv").read_text()  # n/a: empty + reason


def test_constant_module_all_ties_with_warning(tiny_modules, tmp_path):
    with pytest.warns(UserWarning, match="identical scene embeddings"):
        payload, _ = _evaluate("tiny_constant", tmp_path, figures=False)
    res = payload["representations"]["tiny_constant"]
    # every trial ties; ties are left out of the accuracy, so no accuracy is defined
    assert res["accuracy"]["pitch"]["fine"] == "n/a" and res["accuracy"]["level"]["coarse"] == "n/a"
    assert res["n_ties"]["pitch"]["fine"] == 20 and "all 20 trials tie" in res["na_reason"]["pitch.fine"]
    assert payload["warnings"]


def test_cli_distances_and_bad_name(tmp_path):
    """The typer command (run through a one-command app: importing ``hear_probes.cli`` loads every
    probe and is slow)."""
    import typer
    from typer.testing import CliRunner

    from hear_probes.errors import HearProbesError
    from hear_probes.probes.ranking.command import command

    app = typer.Typer()
    app.command()(command)
    out = tmp_path / "spec"
    result = CliRunner().invoke(app, [
        "--distance", "log2-centroid,sot-512", "--trials", "4", "--duration", "0.06",
        "--curve-points", "3", "--heatmap-cells", "2", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "ranking.json").read_text())
    assert set(data["representations"]) == {"log2-centroid", "sot-512"}
    assert data["representations"]["sot-512"]["n_trials"] == 4
    assert data["representations"]["log2-centroid"]["published"]["pitch"]["fine"] == 1.0
    rows = (out / "ranking.csv").read_text().splitlines()
    assert rows[1].startswith("log2(Spectral Centroid),") and len(rows) == 3
    assert (out / "ranking_heatmap.png").exists()
    bad = CliRunner().invoke(app, ["--distance", "nope", "--out", str(out), "--quiet"])
    assert isinstance(bad.exception, HearProbesError)
    assert "valid: spectrogram" in str(bad.exception)
    both = CliRunner().invoke(app, ["--distance", "mss", "--module", "x", "--out", str(out)])
    assert isinstance(both.exception, HearProbesError)


def test_eps_pass_embeddings_stand_for_the_store_rows(tiny_modules, tmp_path):
    """The eps pass embeds targets and predictions once; those rows equal a plain embedding."""
    from hear_probes.embed import embed_stimulus_set
    from hear_probes.hear_module import load_hear_module
    from hear_probes.probes.ranking.embedding import module_gradient_pass, round_trials
    from hear_probes.stimuli.base import StimulusSet
    from hear_probes.stimuli.sines import render_items, stimulus_hash
    from hear_probes.store import EmbeddingStore

    loaded = load_hear_module(module="tiny_centroid")
    trials = round_trials(sample_trials(12, seed=3))
    items = trial_items(trials)
    grad = module_gradient_pass(loaded.module, loaded.model, 8000, trials, 0.1, batch_size=5)
    store = EmbeddingStore.for_model(loaded, tmp_path / "cache")
    plain = embed_stimulus_set(loaded, store, StimulusSet.from_loader(
        "ranking", "x", items.item_ids, lambda ids: render_items(ids, 8000, 0.1),
        stimulus_hash(8000, 0.1)), batch_size=5, quiet=True)
    np.testing.assert_array_equal(grad.target, plain[items.index["target"]])
    np.testing.assert_array_equal(grad.prediction, plain[items.index["prediction"]])
    calls = []
    render = lambda ids: calls.append(len(ids)) or render_items(ids, 8000, 0.1)  # noqa: E731
    pre = dict(zip((items.item_ids[i] for i in items.index["target"]), grad.target, strict=True))
    pre.update(zip((items.item_ids[i] for i in items.index["prediction"]), grad.prediction,
                   strict=True))
    again = embed_stimulus_set(loaded, EmbeddingStore.for_model(loaded, tmp_path / "c2"),
        StimulusSet.from_loader("ranking", "x", items.item_ids, render, stimulus_hash(8000, 0.1)),
        batch_size=100,
                      quiet=True, precomputed=pre)
    assert calls == [4 * 12]  # only the four perturbed predictions per trial were rendered
    np.testing.assert_array_equal(again, plain)


def test_ties_within_float_precision():
    from hear_probes.probes.ranking.accuracy import (
        GRADIENT_TIE_RTOL,
        TIE_RTOL,
        gradient_scores,
        rank_scores,
    )

    d = np.array([1.0, 1.0, 1.0])
    s = rank_scores(d, d * np.array([1 + 0.1 * TIE_RTOL, 1 + 10 * TIE_RTOL, 1 - 10 * TIE_RTOL]))
    assert s.tolist() == [0.5, 1.0, 0.0]
    g = gradient_scores([0.1 * GRADIENT_TIE_RTOL, 1.0, -1.0], [1, 1, 1], scale=[1.0, 1.0, 1.0])
    # with a rounding scale, the tolerance is relative to it, not to the distances
    assert rank_scores([1.0], [1.0 + 5 * TIE_RTOL], [10.0], [10.0]).tolist() == [0.5]
    assert g.tolist() == [0.5, 1.0, 0.0]
