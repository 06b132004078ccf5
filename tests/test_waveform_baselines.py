"""The trivial baselines: raw waveform and its seeded Gaussian random projection."""

import numpy as np
import pytest
import torch
from hear_probes_adapters import waveform

from hear_probes.hear_module import load_hear_module


def test_waveform_scene_is_the_padded_samples():
    model = waveform.load_model()
    x = np.random.default_rng(0).normal(size=(2, 1024)).astype(np.float32)
    out = waveform.get_scene_embeddings(x, model).numpy()
    assert out.shape == (2, 16000)
    np.testing.assert_array_equal(out[:, :1024], x)
    assert not out[:, 1024:].any()
    long = np.ones((1, 20000), np.float32)
    assert waveform.get_scene_embeddings(long, model).shape == (1, 16000)  # truncated


def test_random_projection_is_seeded_and_keeps_distances():
    a, b = waveform.load_model(projection_dim=512), waveform.load_model(projection_dim=512)
    torch.testing.assert_close(a.projection, b.projection)
    assert not torch.equal(a.projection, waveform.load_model(projection_dim=512, seed=1).projection)
    x = np.random.default_rng(1).normal(size=(20, 16000)).astype(np.float32)
    raw = waveform.get_scene_embeddings(x, waveform.load_model()).numpy()
    proj = waveform.get_scene_embeddings(x, a).numpy()
    iu = np.triu_indices(20, 1)
    d_raw = np.linalg.norm(raw[:, None] - raw[None], axis=-1)[iu]
    d_proj = np.linalg.norm(proj[:, None] - proj[None], axis=-1)[iu]
    ratio = d_proj / d_raw
    assert ratio.mean() == pytest.approx(1.0, abs=0.05) and ratio.std() < 0.1  # Johnson-Lindenstrauss


def test_timestamps_and_registry():
    loaded = load_hear_module(name="random-projection")
    assert loaded.sample_rate == 16000 and loaded.scene_embedding_size == 512
    frames, ts = waveform.get_timestamp_embeddings(np.zeros((1, 16000), np.float32), loaded.model)
    assert frames.shape == (1, 32, 512) and ts[0, 1] == pytest.approx(32.0)
    assert load_hear_module(name="waveform").scene_embedding_size == 16000
    with pytest.raises(ValueError, match="no weights"):
        waveform.load_model("/some/path")
