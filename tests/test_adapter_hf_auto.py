"""hf_auto (any transformers audio encoder) on tiny random models saved locally.

Random weights: structure only (layer counts, shapes, equality with the plain transformers
call, framing, revision parsing, remote-code refusal), never results.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers", reason="hf_auto needs transformers "
                                   "(pip install 'hear-probes[transformers]')")

from hear_probes_adapters import hf_auto  # noqa: E402

from hear_probes.contract import check_module  # noqa: E402
from hear_probes.hear_module import load_hear_module  # noqa: E402
from hear_probes.registry import get_spec  # noqa: E402

_SMALL = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
          "intermediate_size": 24}
_CONV = {"conv_dim": (8,) * 7, "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 2}


def _waveform_fe():
    return transformers.Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True)


def _build(arch: str):
    if arch == "wav2vec2":
        return transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**_SMALL, **_CONV)), _waveform_fe()
    if arch == "hubert":
        return transformers.HubertModel(transformers.HubertConfig(**_SMALL, **_CONV)), _waveform_fe()
    if arch == "wavlm":
        cfg = transformers.WavLMConfig(**_SMALL, **_CONV, num_buckets=16, max_bucket_distance=20)
        return transformers.WavLMModel(cfg), _waveform_fe()
    if arch == "data2vec":
        cfg = transformers.Data2VecAudioConfig(**_SMALL, conv_dim=(8,) * 7,
                                               num_conv_pos_embeddings=4, conv_pos_kernel_size=5)
        return transformers.Data2VecAudioModel(cfg), _waveform_fe()
    if arch == "whisper":
        cfg = transformers.WhisperConfig(d_model=16, encoder_layers=2, decoder_layers=1,
                                         encoder_attention_heads=2, decoder_attention_heads=2,
                                         encoder_ffn_dim=24, decoder_ffn_dim=24, num_mel_bins=80,
                                         vocab_size=64, max_target_positions=32,
                                         pad_token_id=0, bos_token_id=1, eos_token_id=2,
                                         decoder_start_token_id=1)
        return transformers.WhisperModel(cfg), transformers.WhisperFeatureExtractor(feature_size=80)
    if arch == "ast":
        cfg = transformers.ASTConfig(**_SMALL, num_mel_bins=128, max_length=100)
        fe = transformers.ASTFeatureExtractor(num_mel_bins=128, max_length=100)
        return transformers.ASTModel(cfg), fe
    raise ValueError(arch)


ARCHS = ("wav2vec2", "hubert", "wavlm", "data2vec", "whisper", "ast")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = {}
    for arch in ARCHS:
        torch.manual_seed(0)
        d = tmp_path_factory.mktemp(arch)
        model, fe = _build(arch)
        model.save_pretrained(d)
        fe.save_pretrained(d)
        out[arch] = d
    return out


def _reference(arch, d, x: np.ndarray):
    """hidden_states of the plain transformers call (feature extractor + model)."""
    model = transformers.AutoModel.from_pretrained(d).eval()
    fe = transformers.AutoFeatureExtractor.from_pretrained(d)
    feats = fe(list(x), sampling_rate=16000, return_tensors="pt")
    tower = model.get_encoder() if arch == "whisper" else model
    key = {"whisper": "input_features", "ast": "input_values"}.get(arch, "input_values")
    with torch.no_grad():
        return tower(feats[key], output_hidden_states=True).hidden_states


@pytest.mark.parametrize("arch", ARCHS)
def test_layers_equal_plain_transformers(saved, arch):
    model = hf_auto.load_model(str(saved[arch]))
    assert model.n_layers == 3 and model.layer_dims == [16, 16, 16] and model.sample_rate == 16000
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 16000)).astype(np.float32) * 0.1
    ref = _reference(arch, saved[arch], x)
    with torch.no_grad():
        states, ts = hf_auto.get_hidden_states(x, model)
        scenes = hf_auto.get_layer_scene_embeddings(x, model)
    assert len(states) == len(ref) == 3
    for k in range(3):
        r = ref[k]
        if arch == "whisper":
            r = r[:, : states[k].shape[1]]  # the frames over the 1-s clip (50 of 1500)
            assert states[k].shape[1] == 50
        if arch == "ast":  # patch tokens averaged over frequency
            f_dim, t_dim = 12, 9
            r = r[:, -f_dim * t_dim:].reshape(2, f_dim, t_dim, 16).mean(1)
        torch.testing.assert_close(states[k], r, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(scenes[k], states[k].mean(dim=1), rtol=1e-4, atol=1e-5)
        view = model.with_layer(k)
        with torch.no_grad():
            emb, ts_k = hf_auto.get_timestamp_embeddings(x, view)
            scene = hf_auto.get_scene_embeddings(x, view)
        torch.testing.assert_close(emb, states[k])
        torch.testing.assert_close(scene, emb.mean(dim=1), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(ts_k, ts)
    steps = np.diff(ts[0].numpy())
    assert np.allclose(steps, steps[0], atol=1e-3) and ts.shape == states[0].shape[:2]


def test_timestamps_by_family(saved):
    x = np.zeros((1, 16000), np.float32)
    w2v = hf_auto.load_model(str(saved["wav2vec2"]))
    _, ts = hf_auto.get_timestamp_embeddings(x, w2v)
    np.testing.assert_allclose(ts[0, :3].numpy(), [12.5, 32.5, 52.5], atol=1e-4)
    wh = hf_auto.load_model(str(saved["whisper"]))
    _, ts = hf_auto.get_timestamp_embeddings(x, wh)
    np.testing.assert_allclose(ts[0, :3].numpy(), [0.0, 20.0, 40.0], atol=1e-4)
    ast = hf_auto.load_model(str(saved["ast"]))
    _, ts = hf_auto.get_timestamp_embeddings(x, ast)
    np.testing.assert_allclose(ts[0, :2].numpy(), [87.5, 187.5], atol=1e-4)


def test_layer_argument_and_errors(saved):
    d = str(saved["hubert"])
    assert hf_auto.load_model(d, layer=0).layer == 0
    assert hf_auto.load_model(d, layer=-1).layer == 2
    with pytest.raises(ValueError, match=r"valid indices 0\.\.2"):
        hf_auto.load_model(d, layer=7)
    with pytest.raises(ValueError, match="no model given"):
        hf_auto.load_model("")


def test_parse_model_ref(tmp_path):
    assert hf_auto.parse_model_ref("org/name") == ("org/name", None)
    assert hf_auto.parse_model_ref("org/name@v1.0") == ("org/name", "v1.0")
    assert hf_auto.parse_model_ref("org/na@me@abc") == ("org/na@me", "abc")
    odd = tmp_path / "dir@x"
    odd.mkdir()
    assert hf_auto.parse_model_ref(str(odd)) == (str(odd), None)
    with pytest.raises(ValueError, match="no revision"):
        hf_auto.parse_model_ref(f"{tmp_path}@main")
    with pytest.raises(ValueError, match="bad model reference"):
        hf_auto.parse_model_ref("org/name@")


def test_remote_code_needs_opt_in(saved, tmp_path, monkeypatch):
    import shutil

    d = tmp_path / "remote"
    shutil.copytree(saved["hubert"], d)
    cfg = json.loads((d / "config.json").read_text())
    cfg["auto_map"] = {"AutoModel": "modeling_x.XModel"}
    (d / "config.json").write_text(json.dumps(cfg))
    monkeypatch.delenv("HEAR_PROBES_TRUST_REMOTE_CODE", raising=False)
    with pytest.raises(PermissionError, match="opt in"):
        hf_auto.load_model(str(d))
    # a hub id that needs remote code must be pinned to a commit even after the opt-in
    monkeypatch.setattr(hf_auto, "_config_json", lambda *_: {"auto_map": {}})
    with pytest.raises(PermissionError, match="pinned revision"):
        hf_auto.load_model("org/remote@main", trust_remote_code=True)


def test_registry_hf_prefix(saved):
    spec = get_spec(f"hf:{saved['wavlm']}")
    assert spec.module == "hear_probes_adapters.hf_auto" and spec.model_path == str(saved["wavlm"])
    spec = get_spec("hf:org/name@0123")
    assert spec.model_path == "org/name@0123" and spec.name == "hf:org/name@0123"
    from hear_probes.errors import ModelResolutionError

    with pytest.raises(ModelResolutionError, match="hf: needs"):
        get_spec("hf:")
    loaded = load_hear_module(name=f"hf:{saved['data2vec']}")
    report = check_module(loaded)
    assert report.scene_embedding_size == 16 and loaded.weights_id.startswith("sha256-tree:")
    assert loaded.model_path == str(saved["data2vec"])


def test_evaluate_layers_through_cli(saved, tmp_path):
    """``evaluate --model hf:<dir> --layers all``: per-layer folders, stores and report curves."""
    import h5py

    from hear_probes.cli import main

    out, cache = tmp_path / "out", tmp_path / "cache"
    code = main(["evaluate", "--model", f"hf:{saved['wavlm']}", "--layers", "all", "--quick",
                 "--probes", "gear", "--out", str(out), "--cache", str(cache), "-q"])
    assert code == 0
    assert sorted(p.name for p in out.glob("layer-*")) == ["layer-0", "layer-1", "layer-2"]
    stores = sorted((cache / "embeddings").glob("*@layer-*.h5"))
    assert len(stores) == 3
    with h5py.File(stores[1]) as f:
        grp = f["gear/tones-n400"]  # --quick: 400 tones
        assert grp["embeddings"].shape[1] == 16 and grp.attrs["layer"] == 1
    assert "## Layers" in (out / "report.md").read_text()
    assert main(["evaluate", "--model", f"hf:{saved['wavlm']}", "--layers", "3", "--quick",
                 "--out", str(out), "--cache", str(cache)]) == 2


def test_hub_id_from_local_cache(saved, tmp_path, monkeypatch):
    """``hf:org/name[@commit]`` loads offline from a Hugging Face cache snapshot."""
    import shutil

    import huggingface_hub.constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--hear-probes--tiny-hubert"
    shutil.copytree(saved["hubert"], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    model = hf_auto.load_model("hear-probes/tiny-hubert")
    assert model.weights_id == f"hf:hear-probes/tiny-hubert@{commit}" and model.n_layers == 3
    pinned = hf_auto.load_model(f"hear-probes/tiny-hubert@{commit}")
    assert pinned.weights_id == model.weights_id


@pytest.mark.skipif(not __import__("hear_probes.contract").contract.hearvalidator_available(),
                    reason="hearvalidator/tensorflow not installed")
def test_hearvalidator(saved):
    from hear_probes.contract import run_hearvalidator

    run_hearvalidator("hear_probes_adapters.hf_auto", str(saved["wav2vec2"]))


def test_wav2vec2_preset_and_hf_path_agree(saved):
    """The built-in wav2vec2 adapter and ``hf:<dir>`` compute the same hidden states.

    Layer K of both is ``hidden_states[K]``, for a short clip and for one long enough to be
    chunked; the adapter's default ("final", after the encoder's last layer norm) is what it
    adds over the generic loader (docs/layers.md, "Built-in adapters and hf:").
    """
    from hear_probes_adapters import wav2vec2

    d = str(saved["wav2vec2"])
    rng = np.random.default_rng(0)
    for seconds in (0.5, 2.3):
        x = torch.as_tensor(rng.standard_normal((2, int(16000 * seconds))).astype(np.float32))
        for k in (0, 1, 2):
            a = wav2vec2.load_model(d, layer=k, device="cpu", chunk_s=1.0)
            b = hf_auto.load_model(d, layer=k, device="cpu", chunk_s=1.0)
            with torch.no_grad():
                ea, eb = wav2vec2.get_scene_embeddings(x, a), hf_auto.get_scene_embeddings(x, b)
                ta, _ = wav2vec2.get_timestamp_embeddings(x, a)
                tb, _ = hf_auto.get_timestamp_embeddings(x, b)
            assert ta.shape == tb.shape
            torch.testing.assert_close(ea, eb, rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(ta, tb, rtol=1e-4, atol=1e-5)


def test_clap_audio_tower(tmp_path):
    """``hf:`` on a dual encoder (CLAP): the audio tower's HTSAT maps, one frame per layer."""
    from tiny_clap import save_tiny_clap, tiny_clap_extractor

    clap = save_tiny_clap(tmp_path)
    fe = tiny_clap_extractor()
    model = hf_auto.load_model(str(tmp_path), device="cpu")
    assert model.family == "clap" and model.sample_rate == 48000
    assert model.n_layers == 3 and model.layer_dims == [8, 16, 16] and model.layer == 2
    x = np.random.default_rng(0).standard_normal((2, 36000)).astype(np.float32) * 0.1
    feats = fe(list(x), sampling_rate=48000, return_tensors="pt")
    with torch.no_grad():
        ref = clap.eval().audio_model(input_features=feats["input_features"],
                                      is_longer=feats["is_longer"], output_hidden_states=True)
        states, ts = hf_auto.get_hidden_states(x, model)
        scene = hf_auto.get_scene_embeddings(x, model)
    for k in range(3):
        want = ref.hidden_states[k].flatten(2).mean(-1)
        torch.testing.assert_close(states[k][:, 0], want, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(scene, states[2][:, 0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ts.numpy(), [[375.0], [375.0]])  # one frame, at the centre
    with pytest.raises(ValueError, match="longer than the 1.00 s"):
        hf_auto.get_scene_embeddings(np.zeros((1, 60000), np.float32), model)
