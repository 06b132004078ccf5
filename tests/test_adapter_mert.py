"""MERT adapter: hidden states by hooks, checked on tiny random HuBERT models.

MERT's own remote code cannot be fetched here: what is tested is the hook mechanism (against
``output_hidden_states`` of ``HubertModel``), the variants, framing and the remote-code
opt-in rules. Random weights: structure only, no results.
"""

from __future__ import annotations

import json

import pytest
import torch

transformers = pytest.importorskip("transformers")

from hear_probes_adapters import mert  # noqa: E402

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator  # noqa: E402
from hear_probes.hear_module import load_hear_module  # noqa: E402


def _hubert(stable: bool = False):
    cfg = transformers.HubertConfig(
        hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=24,
        conv_dim=(8,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        do_stable_layer_norm=stable, feat_extract_norm="layer" if stable else "group",
    )
    return transformers.HubertModel(cfg).eval()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("mert")
    _hubert().save_pretrained(d)
    transformers.Wav2Vec2FeatureExtractor(sampling_rate=24000, do_normalize=True,
                                          return_attention_mask=True).save_pretrained(d)
    return d


@pytest.mark.parametrize("stable", [False, True])
def test_hooks_match_output_hidden_states(stable):
    torch.manual_seed(1)
    model = _hubert(stable)
    x = torch.randn(2, 6000)
    with torch.no_grad():
        ref = model(x, output_hidden_states=True)
        got = mert.hidden_states_by_hooks(model, x)
    assert len(got) == len(ref.hidden_states) == 4
    for a, b in zip(got[:-1], ref.hidden_states[:-1], strict=True):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(got[-1], ref.last_hidden_state)  # post-norm where there is one


def test_mert_layer_names_folded_into_layers():
    from hear_probes.errors import ModelResolutionError

    with pytest.raises(ModelResolutionError, match="--model mert --layers 2"):
        load_hear_module(name="mert-layer-2")


@pytest.mark.parametrize(("name", "dim"), [("mert", 16), ("mert-cat", 64)])
def test_contract_variants(tiny_dir, name, dim):
    loaded = load_hear_module(name=name, model_path=tiny_dir)
    report = check_module(loaded)
    assert report.scene_embedding_size == dim and report.sample_rate == 48000
    assert report.timestamp_step_ms == pytest.approx(320 / 24)


def test_variants_are_consistent_and_differentiable(tiny_dir):
    mean, cat, one = (mert.load_model(str(tiny_dir), layers=k) for k in ("mean", "cat", 2))
    x = torch.randn(2, 30000, requires_grad=True)
    with torch.no_grad():
        c, ts = mert.get_timestamp_embeddings(x, cat)
        m = mert.get_timestamp_embeddings(x, mean)[0]
        o = mert.get_timestamp_embeddings(x, one)[0]
    layers = c.view(*c.shape[:2], 4, 16)
    torch.testing.assert_close(m, layers.mean(2), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(o, layers[:, :, 2])
    assert abs(ts[0, 0].item() - 200 / 24) < 1e-3
    s = mert.get_scene_embeddings(x, mean)
    s.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    chunked = mert.load_model(str(tiny_dir), layers="mean", chunk_s=0.2, batch_size=1)
    with torch.no_grad():
        assert mert.get_timestamp_embeddings(x, chunked)[0].shape == m.shape


def test_remote_code_needs_opt_in_and_pin(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("HEAR_PROBES_TRUST_REMOTE_CODE", raising=False)
    monkeypatch.delenv("HEAR_PROBES_MERT_REVISION", raising=False)
    with pytest.raises(PermissionError, match="--trust-remote-code"):
        mert.load_model()  # hub checkpoint: remote code, no opt-in
    with pytest.raises(PermissionError, match="40-hex"):
        mert.load_model(trust_remote_code=True, revision="main")
    remote = tmp_path / "remote"
    remote.mkdir()
    cfg = json.loads((tiny_dir / "config.json").read_text())
    cfg["auto_map"] = {"AutoModel": "modeling_mert.MERTModel"}
    (remote / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(PermissionError, match="remote code"):
        mert.load_model(str(remote))


@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator/tensorflow not installed")
def test_hearvalidator(tiny_dir):
    run_hearvalidator("hear_probes_adapters.mert", str(tiny_dir))


def test_layer_views_from_one_pass(tiny_dir):
    """``mert --layers K``: view K equals the old ``layers=K`` variant; all layers in one pass."""
    model = mert.load_model(str(tiny_dir))
    assert model.layer_ids == [0, 1, 2, 3] and model.layer_dims == [16] * 4
    x = torch.randn(2, 30000)
    with torch.no_grad():
        scenes = mert.get_layer_scene_embeddings(x, model)
        for k in model.layer_ids:
            one = mert.load_model(str(tiny_dir), layers=k)
            torch.testing.assert_close(scenes[k], mert.get_scene_embeddings(x, one), rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(mert.get_scene_embeddings(x, model.with_layer(k)), scenes[k],
                                       rtol=1e-5, atol=1e-6)
