"""CLAP adapter on a tiny random ClapModel (random weights: structure only, no results).

The tiny model uses 1-s windows and 16 mel bands (the real one: 10 s, 64 bands); the front
end is checked against ``ClapFeatureExtractor`` and the outputs against ``ClapModel``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

from hear_probes_adapters import clap  # noqa: E402
from tiny_clap import save_tiny_clap, tiny_clap_extractor  # noqa: E402

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator  # noqa: E402
from hear_probes.hear_module import load_hear_module  # noqa: E402

_extractor = tiny_clap_extractor


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("clap")
    save_tiny_clap(d)
    return d


@pytest.mark.parametrize(("name", "dim"), [("clap", 16), ("clap-proj", 8)])
def test_contract(tiny_dir, name, dim):
    report = check_module(load_hear_module(name=name, model_path=tiny_dir))
    assert report.scene_embedding_size == dim and report.sample_rate == 48000


def test_front_end_and_outputs_match_transformers(tiny_dir):
    model = clap.load_model(str(tiny_dir), output="projected")
    pooled = clap.load_model(str(tiny_dir), output="pooled")
    ref = transformers.ClapModel.from_pretrained(tiny_dir).eval()
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 17000))).astype(np.float32)
    feats = _extractor()(list(x), sampling_rate=48000, return_tensors="np")["input_features"]
    with torch.no_grad():
        ours = model.log_mel(model.pad_window(torch.from_numpy(x)))
        np.testing.assert_allclose(ours.numpy(), feats[:, 0], atol=1e-3)
        out = ref.get_audio_features(input_features=torch.from_numpy(feats).float(),
                                     is_longer=torch.zeros(2, 1, dtype=torch.bool))
        torch.testing.assert_close(clap.get_scene_embeddings(x, model), out.pooler_output,
                                   rtol=1e-4, atol=1e-5)
        raw = ref.audio_model(input_features=torch.from_numpy(feats).float()).pooler_output
        torch.testing.assert_close(clap.get_scene_embeddings(x, pooled), raw, rtol=1e-4, atol=1e-5)


def test_long_audio_windows_deterministic_and_differentiable(tiny_dir):
    model = clap.load_model(str(tiny_dir))
    x = torch.randn(2, 48000 * 2 + 500, requires_grad=True)
    emb, ts = clap.get_timestamp_embeddings(x, model)
    assert emb.shape == (2, 3, 16)
    starts = np.linspace(0, x.shape[1] - 48000, 3)
    np.testing.assert_allclose(ts[0].numpy(), (starts + 24000) / 48, rtol=1e-6)
    scene = clap.get_scene_embeddings(x, model)
    torch.testing.assert_close(scene, emb.mean(1))
    scene.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    again = clap.get_scene_embeddings(x.detach(), clap.load_model(str(tiny_dir)))
    torch.testing.assert_close(again, scene.detach(), rtol=0, atol=0)


@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator/tensorflow not installed")
def test_hearvalidator(tiny_dir):
    run_hearvalidator("hear_probes_adapters.clap", str(tiny_dir))
