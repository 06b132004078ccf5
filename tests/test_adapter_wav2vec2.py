"""wav2vec2 adapter on a tiny random Wav2Vec2Model (random weights: structure only, no results)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

from hear_probes_adapters import wav2vec2  # noqa: E402

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator  # noqa: E402
from hear_probes.hear_module import load_hear_module  # noqa: E402


def _tiny_config(stable: bool = True):
    return transformers.Wav2Vec2Config(
        hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
        conv_dim=(8,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        do_stable_layer_norm=stable, feat_extract_norm="layer" if stable else "group",
    )


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("w2v2")
    transformers.Wav2Vec2Model(_tiny_config()).save_pretrained(d)
    transformers.Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True).save_pretrained(d)
    return d


def test_contract(tiny_dir):
    loaded = load_hear_module(name="wav2vec2", model_path=tiny_dir)
    report = check_module(loaded)
    assert report.n_frames == 49 and report.timestamp_step_ms == pytest.approx(20.0)
    assert loaded.weights_id.startswith("sha256-tree:")


def test_default_layer_is_final_layer_norm_output(tiny_dir):
    model = wav2vec2.load_model(str(tiny_dir))
    x = torch.randn(2, 8000)
    with torch.no_grad():
        emb, ts = wav2vec2.get_timestamp_embeddings(x, model)
        ref = model.model(_fe(x),
                          attention_mask=torch.ones(2, 8000, dtype=torch.long),
                          output_hidden_states=True)
    torch.testing.assert_close(emb, ref.last_hidden_state, rtol=1e-4, atol=1e-5)
    # transformers 5: for stable-layer-norm models hidden_states[-1] is *before* the final norm
    assert not torch.allclose(ref.hidden_states[-1], ref.last_hidden_state, atol=1e-3)
    np.testing.assert_allclose(ts[0, :3].numpy(), [12.5, 32.5, 52.5], atol=1e-4)
    layer1 = wav2vec2.load_model(str(tiny_dir), layer=1)
    with torch.no_grad():
        torch.testing.assert_close(wav2vec2.get_timestamp_embeddings(x, layer1)[0],
                                   ref.hidden_states[1], rtol=1e-4, atol=1e-5)


def _fe(x: torch.Tensor) -> torch.Tensor:
    """The reference feature extractor's normalisation (numpy)."""
    fe = transformers.Wav2Vec2FeatureExtractor(do_normalize=True)
    arr = fe(list(x.numpy()), sampling_rate=16000, return_tensors="np")["input_values"]
    return torch.from_numpy(np.asarray(arr, dtype=np.float32))


def test_chunking_keeps_the_frame_grid(tiny_dir):
    whole = wav2vec2.load_model(str(tiny_dir))
    chunked = wav2vec2.load_model(str(tiny_dir), chunk_s=0.5, batch_size=1)
    x = torch.randn(3, 16000 * 2 + 123)
    with torch.no_grad():
        a, ta = wav2vec2.get_timestamp_embeddings(x, whole)
        b, tb = wav2vec2.get_timestamp_embeddings(x, chunked)
        scene = wav2vec2.get_scene_embeddings(x, chunked)
    assert a.shape == b.shape and a.shape[1] == (x.shape[1] - 400) // 320 + 1
    torch.testing.assert_close(ta, tb)
    torch.testing.assert_close(scene, b.mean(1), rtol=1e-5, atol=1e-6)
    short = wav2vec2.get_timestamp_embeddings(torch.randn(1, 100), whole)[0]
    assert short.shape[1] == 1


def test_differentiable_and_deterministic(tiny_dir):
    model = wav2vec2.load_model(str(tiny_dir))
    x = torch.randn(2, 8000, requires_grad=True)
    y = wav2vec2.get_scene_embeddings(x, model)
    assert y.grad_fn is not None and y.dtype == torch.float32
    y.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    again = wav2vec2.get_scene_embeddings(x.detach(), wav2vec2.load_model(str(tiny_dir)))
    torch.testing.assert_close(again, y.detach(), rtol=0, atol=0)


def test_bad_layer(tiny_dir):
    with pytest.raises(ValueError, match="layer"):
        wav2vec2.load_model(str(tiny_dir), layer=7)


def test_offline_missing_weights_one_line(monkeypatch):
    import huggingface_hub.constants
    from hear_probes_adapters._common import WeightsNotFoundError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(WeightsNotFoundError) as err:
        wav2vec2.load_model(checkpoint="hear-probes-test/not-downloaded")
    msg = str(err.value)
    assert "\n" not in msg and "hf download hear-probes-test/not-downloaded" in msg


def test_timbre_end_to_end(timbre_dir, tiny_dir, cache_dir):
    from hear_probes.probes.timbre.run import embed_studies
    from hear_probes.store import EmbeddingStore

    loaded = load_hear_module(name="wav2vec2", model_path=tiny_dir)
    store = EmbeddingStore.for_model(loaded, cache_dir)
    out = embed_studies(loaded, store, timbre_dir, datasets=["Iverson1993_Onset", "Patil2012_A3"],
                       quiet=True)
    assert all(e.shape[1] == 16 and np.isfinite(e).all() for e in out.values())


@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator/tensorflow not installed")
def test_hearvalidator(tiny_dir):
    run_hearvalidator("hear_probes_adapters.wav2vec2", str(tiny_dir))


def test_hub_cache_offline_records_commit(tmp_path, monkeypatch):
    import huggingface_hub.constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--hear-probes--tiny-w2v2"
    transformers.Wav2Vec2Model(_tiny_config()).save_pretrained(repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    model = wav2vec2.load_model(checkpoint="hear-probes/tiny-w2v2")
    assert model.weights_id == f"hf:hear-probes/tiny-w2v2@{commit}"
