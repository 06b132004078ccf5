"""FCPE (torchfcpe 0.0.4): front-end, layers, decoders, weight errors, upstream parity.

The parity tests of the network need ``fcpe_c_v001.pt`` (``hear-probes weights fetch fcpe``,
43 MB from PyPI) and skip with that command as the reason when it is not fetched; the
front-end's parity with upstream needs no weights.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hear_probes_adapters import _fcpe_weights as fw  # noqa: E402
from hear_probes_adapters import fcpe  # noqa: E402
from hear_probes_adapters._pypi_weights import WeightsCorruptError  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import record_fcpe as rec  # noqa: E402
import wheel_fakes as wf  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "fcpe_upstream.npz"
SKIP = "fcpe weights not fetched (hear-probes weights fetch fcpe)"
NAMES = ["input_stack", "block1", "block2", "block3", "block4", "block5", "block6", "norm",
         "latent"]


def _fetched() -> bool:
    return wf.fetched(fw.require_weights)


def _random_model(**kw) -> fcpe.FcpeModel:
    torch.manual_seed(0)
    return fcpe.FcpeModel(fcpe.FcpeNet().eval(), **kw)


@pytest.fixture(scope="module")
def upstream():
    return np.load(FIXTURE)


@pytest.fixture(scope="module")
def clips():
    return torch.from_numpy(rec.clips())


# --------------------------------------------------------------------------- front-end


def test_mel_basis_equals_librosa():
    librosa = pytest.importorskip("librosa")
    basis = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=128, fmin=0, fmax=8000)
    np.testing.assert_allclose(fcpe.FcpeMel().basis.numpy(), basis, rtol=0, atol=1e-8)


def test_frontend_equals_upstream_mel(upstream, clips):
    with torch.no_grad():
        mel = fcpe.FcpeMel()(clips).numpy()
    assert mel.shape == (5, rec.N_SAMPLES // 160 + 1, 128)
    sub = upstream["frames_subset"]
    assert sub[-1] == mel.shape[1] - 1  # the repeated last frame is recorded too
    # same torch.stft and float32 filters; only the mel product's summation order differs
    # (einsum vs matmul): measured 1e-6 on log-mel values up to 11.5. 1e-5 leaves 10x; a wrong
    # window, pad, hop or filter bank changes values by 1e-1 or more
    np.testing.assert_allclose(mel[:, sub], upstream["mel"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("n", [1, 100, 159, 160, 433, 1023, 24100])
def test_frame_count_is_upstream_n_over_hop_plus_one(n):
    x = torch.randn(2, n) * 0.1
    with torch.no_grad():
        mel = fcpe.FcpeMel()(x)
    assert mel.shape == (2, n // 160 + 1, 128) and torch.isfinite(mel).all()
    if n >= 320:  # the last frame is a copy of the one before (upstream)
        torch.testing.assert_close(mel[:, -1], mel[:, -2])


def test_frame_t_is_centred_on_sample_160t_plus_80():
    x = torch.zeros(1, 16000)
    x[0, 160 * 50 + 80] = 1.0  # an impulse at the centre of frame 50
    with torch.no_grad():
        energy = fcpe.FcpeMel()(x).exp().sum(-1)[0]
    assert int(energy.argmax()) == 50
    torch.testing.assert_close(energy[49], energy[51], rtol=1e-4, atol=0)  # symmetric around it


# --------------------------------------------------------------------------- layers, HEAR API


def test_layers_are_named_with_their_dims_and_default_is_the_final_norm():
    model = _random_model()
    assert model.layer_names == NAMES and model.layer_ids == list(range(1, 10))
    assert model.layer_dims == [512] * 8 + [360]
    assert model.layer == 8 and model.scene_embedding_size == model.timestamp_embedding_size == 512
    view = model.with_layer("latent")
    assert view.layer == 9 and view.scene_embedding_size == 360 and model.layer == 8
    assert model.with_layer(2).layer == 2


def test_hear_shapes_and_timestamps_on_random_weights():
    model = _random_model()
    x = torch.randn(3, 8000) * 0.1
    with torch.no_grad():
        emb, ts = fcpe.get_timestamp_embeddings(x, model)
        scene = fcpe.get_scene_embeddings(x, model)
        layers = fcpe.get_layer_scene_embeddings(x, model)
    assert emb.shape == (3, 51, 512) and ts.shape == (3, 51)
    assert ts[0, :3].tolist() == [5.0, 15.0, 25.0] and ts[2, -1].item() == 505.0
    torch.testing.assert_close(scene, emb.mean(1))
    assert [s.shape for s in layers] == [(3, d) for d in model.layer_dims]
    torch.testing.assert_close(layers[7], scene)
    assert fcpe.get_scene_embeddings(x.numpy(), model.with_layer("block3")).shape == (3, 512)


def test_batching_changes_nothing_and_gradients_reach_the_audio():
    model = _random_model()
    x = (torch.randn(3, 4000) * 0.1).requires_grad_(True)
    fcpe.get_scene_embeddings(x, model.with_layer("block2")).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with torch.no_grad():
        both = fcpe.get_layer_scene_embeddings(x.detach(), model)
        one = fcpe.get_layer_scene_embeddings(x.detach()[1:2], model)
        model.clips_per_pass = 1
        chunked = fcpe.get_layer_scene_embeddings(x.detach(), model)
    for a, b, c in zip(both, one, chunked, strict=True):
        torch.testing.assert_close(a[1:2], b, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(a, c, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad", ["pool5", 0, 10, "Norm"])
def test_unknown_layer_is_one_line_listing_the_valid_ones(bad):
    with pytest.raises(ValueError) as err:
        _random_model().with_layer(bad)
    msg = str(err.value)
    assert "\n" not in msg and f"fcpe has no layer {bad!r}" in msg
    assert "1 (input_stack)" in msg and "8 (norm)" in msg and "9 (latent)" in msg


def test_layers_option_is_a_usage_error_listing_the_names():
    from hear_probes.errors import HearProbesError
    from hear_probes.layers import parse_layers

    model = _random_model()
    assert parse_layers("input_stack,block6,latent", model.layer_ids, "fcpe",
                        model.layer_names) == [1, 7, 9]
    with pytest.raises(HearProbesError, match="block6"):
        parse_layers("block7", model.layer_ids, "fcpe", model.layer_names)


# --------------------------------------------------------------------------- decoders


def test_decoders_recover_the_bin_cents_and_mask_low_confidence():
    table = fcpe.FcpeNet().cent_table
    bins = torch.arange(360, dtype=torch.float32)
    latent = torch.stack([0.9 * torch.exp(-((bins - 100.0) ** 2) / 2.0),
                          0.005 * torch.exp(-((bins - 200.0) ** 2) / 2.0),
                          0.9 * torch.exp(-((bins - 0.0) ** 2) / 2.0)])[None]
    for decoder in ("local_argmax", "argmax"):
        f0 = fcpe.decode_latent(latent, table, decoder)[0]
        assert f0[0].item() == pytest.approx(10.0 * 2 ** (table[100].item() / 1200), rel=1e-4)
        assert f0[1].item() == 0.0  # max 0.005 <= 0.006: unvoiced, as upstream
    assert fcpe.decode_latent(latent, table, "local_argmax")[0, 2] > 0  # edge bins clipped
    with pytest.raises(ValueError, match="unknown FCPE decoder 'viterbi'"):
        fcpe.decode_latent(latent, table, "viterbi")
    assert table[0].item() == pytest.approx(1200 * np.log2(3.27), abs=1e-3)


# --------------------------------------------------------------------------- weight errors


def _fake_weights(size: int | None = None) -> Path:
    return wf.fake_cached(fw.SPEC, "fcpe_c_v001.pt", size)


def test_unreadable_checkpoint_file_is_one_line(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(WeightsCorruptError) as err:
        fcpe.load_model(str(bad))
    assert "\n" not in str(err.value) and "fcpe: cannot read" in str(err.value)
    with pytest.raises(FileNotFoundError, match="fcpe: no checkpoint file"):
        fcpe.load_model(str(tmp_path / "absent.pt"))


def _config(**model) -> dict:
    return {"mel": dict(fcpe.EXPECTED_MEL),
            "model": {"type": "CFNaiveMelPE", "out_dims": 360, "hidden_dims": 512, "n_layers": 6,
                      "conv_only": True, **model}}


def test_unsupported_or_mismatched_checkpoints_are_refused():
    with pytest.raises(ValueError, match="attention or harmonic embedding"):
        fcpe.load_net({}, _config(conv_only=False))
    cfg = _config()
    cfg["mel"]["hop_size"] = 320
    with pytest.raises(ValueError, match="'hop_size': 320"):
        fcpe.load_net({}, cfg)
    with pytest.raises(ValueError, match="does not match the FCPE network"):
        fcpe.load_net({"cent_table": torch.zeros(360)}, _config())


def test_load_net_maps_every_upstream_tensor(tmp_path):
    """A state dict in upstream's layout (random values) loads and gives its weight-normed linear."""
    ref = fcpe.FcpeNet()
    state = {"input_stack.0.weight": ref.conv_in.weight, "input_stack.0.bias": ref.conv_in.bias,
             "input_stack.1.weight": ref.group_norm.weight, "input_stack.1.bias": ref.group_norm.bias,
             "input_stack.3.weight": ref.conv_mid.weight, "input_stack.3.bias": ref.conv_mid.bias,
             "norm.weight": ref.norm.weight, "norm.bias": ref.norm.bias,
             "output_proj.bias": ref.out.bias, "cent_table": ref.cent_table,
             "output_proj.weight_g": torch.full((360, 1), 2.0),
             "output_proj.weight_v": ref.out.weight}
    for i, b in enumerate(ref.blocks):
        up = f"net.encoder_layers.{i}.conformer.net"
        for mod, k in ((b.norm, "0"), (b.pw1, "2"), (b.dw, "4.conv"), (b.pw2, "6")):
            w = mod.weight.unsqueeze(-1) if k in ("2", "6") else mod.weight
            state[f"{up}.{k}.weight"], state[f"{up}.{k}.bias"] = w, mod.bias
    path = tmp_path / "ck.pt"
    torch.save({"model": {k: v.detach().clone() for k, v in state.items()},
                "config_dict": _config()}, path)
    model = fcpe.load_model(str(path), layer="block1", device="cpu")
    assert model.layer == 2 and model.weights_id.startswith("ck:file:sha256:")
    w = model.net.out.weight
    torch.testing.assert_close(w.norm(dim=1), torch.full((360,), 2.0))
    torch.testing.assert_close(model.net.blocks[3].pw2.weight, ref.blocks[3].pw2.weight)


# --------------------------------------------------------------------------- fetch, registry, CLI


def test_fetch_takes_only_the_pinned_file_out_of_the_wheel(monkeypatch, tmp_path):
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    wheel = tmp_path / fw.SPEC.wheel
    blob = b"fcpe weights" * 7
    spec = wf.fake_wheel(wheel, fw.SPEC, {fw.SPEC.members[0].path: blob},
                      {"torchfcpe/models.py": b"code that must not be copied"})
    monkeypatch.setattr(fw, "SPEC", spec)
    wf.forbid_download(monkeypatch)
    [path] = fw.fetch(wheel)
    assert path == fw.weights_path() and path.read_bytes() == blob
    assert sorted(p.name for p in path.parent.iterdir()) == ["fcpe_c_v001.pt"]
    assert fw.fetch() == [path]  # valid cache: nothing downloaded
    monkeypatch.setattr(fw, "SPEC", wf.repin_member(spec, 0))  # a wheel whose member is not the pin
    with pytest.raises(WeightsCorruptError, match="is not the published file"):
        fw.fetch(wheel, force=True)


def test_registry_says_how_to_make_fcpe_ready(monkeypatch, tmp_path):
    from hear_probes.registry import builtin_models

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    spec = builtin_models()["fcpe"]
    assert spec.module == "hear_probes_adapters.fcpe" and spec.scene_dim == 512
    ok, why = spec.readiness()
    assert not ok and why.startswith("weights missing: PyPI torchfcpe 0.0.4")
    assert why.endswith("(hear-probes weights fetch fcpe)")
    _fake_weights(10)
    assert spec.readiness()[1].startswith("ready (weights here")


def test_cli_weights_fetch_knows_fcpe(monkeypatch, capsys, tmp_path):
    from hear_probes.cli import main

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    monkeypatch.setattr(fw, "fetch", lambda wheel, force=False: [tmp_path / "fcpe" / "x.pt"])
    assert main(["weights", "fetch", "fcpe"]) == 0
    assert capsys.readouterr().out.strip() == f"fcpe: 1 checkpoint verified in {tmp_path / 'fcpe'}"
    assert main(["weights", "fetch", "nope"]) == 2
    assert ", fcpe" in capsys.readouterr().err.strip()


# --------------------------------------------------------------------------- real weights


@pytest.fixture(scope="module")
def real_outputs(clips):
    if not _fetched():
        pytest.skip(SKIP)
    model = fcpe.load_model(device="cpu")
    with torch.no_grad():
        outs = model.net(model.frontend(clips))
    return model, outs


def test_weights_identity_is_the_published_file(real_outputs):
    model, _ = real_outputs
    assert model.weights_id == f"fcpe_c_v001:pypi:sha256:{fw.SPEC.members[0].sha256}"


def test_every_layer_equals_upstream(real_outputs, upstream):
    model, outs = real_outputs
    assert len(outs) == len(NAMES)
    for name, h in zip(NAMES[:-1], outs[:-1], strict=True):
        ref = upstream[f"{name}_proj"]
        # float32, same torch, other kernels (linear vs 1x1 conv, einsum vs matmul): measured
        # at most 3e-7 of the layer's largest value (block6: 1e-4 on values up to 305). 1e-5 of
        # the largest value leaves 30x; one wrong weight or pad moves values by their own size
        tol = 1e-5 * np.abs(ref).max() + 1e-6
        np.testing.assert_allclose(rec.project(h.numpy()), ref, rtol=0, atol=tol, err_msg=name)
    latent = outs[-1].numpy()
    sub = upstream["frames_subset"]
    # sigmoid outputs in [0, 1]: measured 5e-7; 1e-5 leaves 20x
    np.testing.assert_allclose(latent[:, sub], upstream["latent"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(latent.max(-1), upstream["latent_max"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(latent.astype(np.float64) @ rec.directions(360),
                               upstream["latent_proj"], rtol=0, atol=1e-4)
    np.testing.assert_array_equal(latent.argmax(-1), upstream["latent_argmax"])


@pytest.mark.parametrize("decoder", ["local_argmax", "argmax"])
def test_f0_equals_upstream(real_outputs, upstream, decoder):
    model, outs = real_outputs
    ref = upstream[f"f0_{decoder}"]
    # the voicing decision is determined: no frame's maximum salience lies within the latent's
    # tolerance (1e-5, above) of the threshold (closest: 3.6e-5, the noise clip)
    assert np.abs(upstream["latent_max"] - fcpe.THRESHOLD).min() > 1e-5
    f0 = fcpe.decode_latent(outs[-1], model.net.cent_table, decoder).numpy()
    np.testing.assert_array_equal(f0 > 0, ref > 0)
    voiced = ref > 0
    # measured 0.002 cent; 0.05 cent (3e-5 relative) leaves 25x, far below one 20-cent bin
    cents = 1200 * np.abs(np.log2(f0[voiced] / ref[voiced]))
    assert cents.max() < 0.05


def test_pitch_of_the_sines_and_hear_api_on_the_real_model(real_outputs, clips):
    model, _ = real_outputs
    f0, conf = fcpe.predict_pitch(clips[:2], model)
    med = f0.median(dim=1).values
    assert abs(1200 * np.log2(med[0].item() / 220.0)) < 20
    assert abs(1200 * np.log2(med[1].item() / 880.0)) < 20
    assert conf.shape == f0.shape == (2, 151)
    with torch.no_grad():
        emb, ts = fcpe.get_timestamp_embeddings(clips[:2], model)
        scene = fcpe.get_scene_embeddings(clips[:2], model)
    assert emb.shape == (2, 151, 512) and ts[0, -1].item() == 1505.0
    torch.testing.assert_close(scene, emb.mean(1))
