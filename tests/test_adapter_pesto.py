"""PESTO (mir-1k, mir-1k_g7): CQT, layers, checkpoint fetching/reading, errors, upstream parity.

The parity tests need the checkpoints (``hear-probes weights fetch pesto``, 0.6 MB from PyPI)
and skip with that command as the reason when they are not fetched. The fixture was recorded
with pesto-pitch 2.0.1 (mir-1k_g7) and 1.0.0 (mir-1k) by ``tests/tools/record_pesto.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hear_probes_adapters import _pesto_weights as pw  # noqa: E402
from hear_probes_adapters import pesto  # noqa: E402
from hear_probes_adapters._pypi_weights import WeightsCorruptError  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import record_pesto as rec  # noqa: E402
import wheel_fakes as wf  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "pesto_upstream.npz"
SKIP = "PESTO checkpoints not fetched (hear-probes weights fetch pesto)"
KEYS = {"mir-1k": "mir1k", "mir-1k_g7": "g7"}
G7_HCQT = {"harmonics": [1], "fmin": 27.5, "fmax": None, "bins_per_semitone": 3, "n_bins": 251,
           "center_bins": True, "gamma": 7, "center": True}


def _fetched(ckpt: str) -> bool:
    return wf.fetched(pw.require_checkpoint, ckpt)


def _tiny_model(legacy: bool = False) -> pesto.PestoModel:
    """Random weights, the g7 CQT, a narrow encoder (same structure as the published ones)."""
    torch.manual_seed(0)
    enc = pesto.PestoEncoder(219, (4, 3, 3, 2, 3), n_prefilters=3, kernel_size=5,
                             prefilter_activation=not legacy).eval()
    return pesto.PestoModel(pesto.PestoCQT(G7_HCQT, legacy_db=legacy), enc, crop=16, shift_bins=20,
                            name="pesto-tiny", confidence=None if legacy else pesto.ConfidenceHead(251))


# --------------------------------------------------------------------------- front-end


def test_cqt_kernels_follow_the_constant_q_design():
    kern, lengths = pesto.cqt_kernels(16000, 27.5 / 2 ** (1 / 36), 296, 36)
    assert kern.shape == (296, 32768) and kern.dtype == np.complex64
    q = 1 / (2 ** (1 / 36) - 1)
    np.testing.assert_array_equal(lengths, np.ceil(q * 16000 / (27.5 / 2 ** (1 / 36) * 2 ** (np.arange(296) / 36))))
    np.testing.assert_allclose(np.abs(kern).sum(1), 1.0, rtol=1e-5)  # L1-normalised
    nz = (np.abs(kern) > 0).sum(1)
    np.testing.assert_array_equal(nz, lengths - 1)  # periodic Hann: zero only at its first sample
    with pytest.raises(ValueError, match="above the Nyquist"):
        pesto.cqt_kernels(8000, 27.5, 296, 36)


def test_octave_spans_equal_the_full_width_convolution():
    """The octave-by-octave CQT equals upstream's full-width strided convolution (same sums)."""
    cqt = pesto.PestoCQT(G7_HCQT)
    kern, lengths = pesto.cqt_kernels(16000, 27.5 / 2 ** (1 / 36), 251, 36, 7.0)
    x = torch.from_numpy(rec.signals()[1:])
    w = torch.from_numpy(np.concatenate([kern.real, -kern.imag])).unsqueeze(1)
    ref = F_conv(x, w, cqt.width)
    ref = torch.sqrt(ref[:, :251] ** 2 + ref[:, 251:] ** 2).transpose(1, 2)
    ref = ref * torch.from_numpy(lengths.astype(np.float32)).sqrt()
    got = cqt.magnitude(x)
    assert got.shape == ref.shape == (2, 19200 // 160 + 1, 251)
    # float32 sums of up to 16k products in another order: 1e-5 of the largest magnitude
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-5 * float(ref.max()))


def F_conv(x: torch.Tensor, w: torch.Tensor, width: int) -> torch.Tensor:  # noqa: N802
    return torch.nn.functional.conv1d(torch.nn.functional.pad(x.unsqueeze(1), (width // 2, width // 2),
                                                              mode="reflect"), w, stride=160)


def test_reflect_pad_matches_torch_and_numpy_for_short_clips():
    x = torch.arange(10, dtype=torch.float32).reshape(2, 5)
    torch.testing.assert_close(pesto.reflect_pad(x, 3),
                               torch.nn.functional.pad(x.unsqueeze(1), (3, 3), mode="reflect").squeeze(1))
    np.testing.assert_array_equal(pesto.reflect_pad(x, 12).numpy(), np.pad(x.numpy(), ((0, 0), (12, 12)), "reflect"))
    assert pesto.reflect_pad(x[:, :1], 4).tolist() == [[0.0] * 9, [5.0] * 9]


# --------------------------------------------------------------------------- layers, HEAR API


def test_layer_names_dims_and_default():
    model = _tiny_model()
    assert model.layer_names == ["cqt", "layernorm", "prefilter1", "prefilter2", "prefilter3",
                                 "pointwise1", "pointwise2", "pointwise3", "pointwise4",
                                 "logits", "activations"]
    assert model.layer_dims == [219, 219, 876, 876, 876, 657, 657, 438, 657, 384, 384]
    assert model.layer_names[model.layer - 1] == "pointwise4" and model.scene_embedding_size == 657
    view = model.with_layer("activations")
    assert view.layer == 11 and view.timestamp_embedding_size == 384 and model.layer == 9


def test_unknown_layer_lists_the_valid_names():
    from hear_probes.errors import HearProbesError
    from hear_probes.layers import parse_layers

    model = _tiny_model()
    with pytest.raises(ValueError) as err:
        model.with_layer("pool5")
    msg = str(err.value)
    assert "\n" not in msg and "pesto-tiny has no layer 'pool5'" in msg
    assert "1 (cqt)" in msg and "11 (activations)" in msg
    assert parse_layers("cqt,pointwise4", model.layer_ids, "pesto", model.layer_names) == [1, 9]
    with pytest.raises(HearProbesError, match="prefilter3"):
        parse_layers("conv9", model.layer_ids, "pesto", model.layer_names)


def test_hear_functions_shapes_timestamps_and_scene_mean():
    model = _tiny_model()
    x = torch.from_numpy(rec.signals()[:, :8000])  # 0.5 s: shorter than upstream allows
    with torch.no_grad():
        emb, ts = pesto.get_timestamp_embeddings(x, model)
        scene = pesto.get_scene_embeddings(x, model)
        layers = pesto.get_layer_scene_embeddings(x, model)
    assert emb.shape == (3, 51, 657) and ts.shape == (3, 51)
    assert ts[0, :3].tolist() == [0.0, 10.0, 20.0] and ts[2, -1].item() == 500.0
    torch.testing.assert_close(scene, emb.mean(1))
    assert [t.shape[1] for t in layers] == model.layer_dims
    torch.testing.assert_close(layers[8], scene)
    act = layers[-1]
    torch.testing.assert_close(act.sum(-1), torch.ones(3))  # mean of distributions
    assert torch.isfinite(emb).all()


def test_chunking_and_batching_change_nothing_and_gradients_reach_the_audio():
    model = _tiny_model(legacy=True)
    x = torch.from_numpy(rec.signals()[:, :6000])
    with torch.no_grad():
        ref = model.frame_layers(x, [3, 11])
        one = model.frame_layers(x[2:], [3, 11])
        model.frames_per_pass, model.cqt.frames_per_pass = 7, 5
        small = model.frame_layers(x, [3, 11])
    for k in (3, 11):
        torch.testing.assert_close(small[k], ref[k], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(one[k], ref[k][2:], rtol=1e-5, atol=1e-5)
    xg = x.clone().requires_grad_(True)
    pesto.get_scene_embeddings(xg, model.with_layer("prefilter2")).sum().backward()
    assert xg.grad is not None and torch.isfinite(xg.grad).all() and xg.grad.abs().sum() > 0


def test_pitch_reduction_is_the_local_weighted_average():
    act = torch.zeros(2, 384)
    act[0, 171] = 1.0  # MIDI 57
    act[1, 99:102] = torch.tensor([1.0, 2.0, 1.0])  # centred on 100 → 33.333
    act[1, 300] = 1.5  # far from the argmax: ignored
    torch.testing.assert_close(pesto.reduce_alwa(act), torch.tensor([57.0, 100 / 3]))


# --------------------------------------------------------------------------- weights and errors


def _fake(ckpt: str, size: int | None = None) -> Path:
    return wf.fake_cached(pw.SPEC, f"{ckpt}.ckpt", size)


def test_unreadable_checkpoint_file_is_one_line(tmp_path):
    bad = tmp_path / "x.ckpt"
    bad.write_bytes(b"PK\3\4 garbage")
    with pytest.raises(WeightsCorruptError) as err:
        pesto.load_model(str(bad), checkpoint="mir-1k")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("pesto-mir1k: cannot read the checkpoint")
    with pytest.raises(ValueError, match="unknown PESTO checkpoint 'crepe'"):
        pesto.load_model(checkpoint="crepe")


def test_checkpoint_reader_executes_no_pickled_code(tmp_path):
    import os

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hparams": Evil(), "hcqt_params": {}}, path)
    with pytest.raises(WeightsCorruptError, match="cannot read the checkpoint"):
        pw.read_checkpoint(path)


def test_fetch_copies_the_pinned_files_out_of_the_wheel(monkeypatch, tmp_path):
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    wheel = tmp_path / pw.SPEC.wheel
    blobs = {f"pesto/weights/{ckpt}.ckpt": bytes([i]) * (10 + i) for i, ckpt in enumerate(pw.FILES)}
    monkeypatch.setattr(pw, "SPEC", wf.fake_wheel(wheel, pw.SPEC, blobs, {"pesto/core.py": b"import torchaudio"}))
    wf.forbid_download(monkeypatch)
    paths = pw.fetch(wheel)
    assert [p.name for p in paths] == ["mir-1k.ckpt", "mir-1k_g7.ckpt"]
    assert paths[1].read_bytes() == bytes([1]) * 11
    assert sorted(p.name for p in paths[0].parent.iterdir()) == ["mir-1k.ckpt", "mir-1k_g7.ckpt"]
    assert pw.fetch() == paths  # valid cache: nothing downloaded


def test_a_wheel_without_a_member_is_one_line_through_the_cli(monkeypatch, tmp_path, capsys):
    from hear_probes.cli import main

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    wheel = tmp_path / pw.SPEC.wheel
    first = wf.fake_wheel(wheel, dataclasses.replace(pw.SPEC, members=pw.SPEC.members[:1]))
    monkeypatch.setattr(pw, "SPEC", dataclasses.replace(
        pw.SPEC, sha256=first.sha256, members=(first.members[0], pw.SPEC.members[1])))
    assert main(["weights", "fetch", "pesto", "--wheel", str(wheel)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.endswith("has no pesto/weights/mir-1k_g7.ckpt; "
                                             "run hear-probes weights fetch pesto without --wheel")
    assert not (tmp_path / "cache" / "weights").exists()


def test_cli_fetch_knows_pesto(monkeypatch, tmp_path, capsys):
    from hear_probes.cli import main

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    wheel = wf.not_a_wheel(tmp_path / pw.SPEC.wheel)
    assert main(["weights", "fetch", "pesto", "--wheel", str(wheel)]) != 0
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not the published pesto_pitch-2.0.1" in err


def test_registry_lists_both_models_with_their_readiness(monkeypatch, tmp_path):
    from hear_probes.registry import builtin_models

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    specs = builtin_models()
    for name in ("pesto-mir1k", "pesto-mir1k-g7"):
        ok, why = specs[name].readiness()
        assert not ok and why.startswith("weights missing: PyPI pesto-pitch 2.0.1 checkpoint")
        assert why.endswith("(hear-probes weights fetch pesto)")
    _fake("mir-1k")
    assert specs["pesto-mir1k"].readiness()[1].startswith("ready (weights here")


# --------------------------------------------------------------------------- real weights


@pytest.fixture(scope="module")
def upstream():
    data = np.load(FIXTURE)
    assert str(data["signals_sha"]) == hashlib.sha256(rec.signals().tobytes()).hexdigest()
    return data


@pytest.mark.parametrize("ckpt", list(KEYS))
def test_published_checkpoint_loads_with_its_architecture(ckpt):
    if not _fetched(ckpt):
        pytest.skip(SKIP)
    model = pesto.load_model(checkpoint=ckpt, device="cpu")
    assert model.weights_id == f"{ckpt}:pypi:sha256:{pw.FILES[ckpt][0]}"
    g7 = ckpt == "mir-1k_g7"
    assert model.layer_dims[0] == (219 if g7 else 264) and model.cqt.width == (4096 if g7 else 32768)
    assert len(model.encoder.prefilters) == (3 if g7 else 2) and model.shift_bins == (20 if g7 else 138)
    assert model.scene_embedding_size == pesto.BUILTIN_MODELS[int(g7)]["scene_dim"]


@pytest.mark.parametrize("ckpt", list(KEYS))
def test_encoder_equals_upstream_on_its_recorded_input(ckpt, upstream):
    """The network alone, fed upstream's own encoder input: exact up to float32 rounding."""
    if not _fetched(ckpt):
        pytest.skip(SKIP)
    key = KEYS[ckpt]
    model = pesto.load_model(checkpoint=ckpt, device="cpu")
    x = torch.from_numpy(upstream[f"{key}_cqt"]).reshape(9, -1)
    with torch.no_grad():
        outs = model.encoder(x)
    pw4 = outs[model.layer_names.index("pointwise4")].numpy()
    ref = upstream[f"{key}_pointwise4"].reshape(9, -1)
    # same float32 operations in the same order: measured 0.0; 1e-6 of the largest value
    np.testing.assert_allclose(pw4, ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    act = torch.softmax(outs[-1], -1).roll(-model.shift_bins, -1).numpy().reshape(3, 3, -1)
    ref_act = upstream[f"{key}_act"][:, [rec.ACT_FRAMES.index(f) for f in rec.MAP_FRAMES]]
    # measured 1.5e-5 (g7: softmax of logits up to ~100 in another kernel); 1e-4 absolute
    np.testing.assert_allclose(act, ref_act, rtol=0, atol=1e-4)


@pytest.mark.parametrize("ckpt", list(KEYS))
def test_cqt_equals_upstream_to_float32_rounding(ckpt, upstream):
    if not _fetched(ckpt):
        pytest.skip(SKIP)
    key = KEYS[ckpt]
    model = pesto.load_model(checkpoint=ckpt, device="cpu")
    with torch.no_grad():
        logc = model.log_cqt(torch.from_numpy(rec.signals()))
    db = 1.0 if key == "mir1k" else np.log(10) / 10  # g7's input is dB x ln(10)/10
    got = 10 ** (logc[:, list(rec.MAP_FRAMES), 16:-16].numpy() / db / 20)  # magnitudes
    ref = 10 ** (upstream[f"{key}_cqt"] / db / 20)
    peak = ref.max(-1, keepdims=True)
    # float32 sums of up to 32768 products in another order than upstream's convolution: an
    # absolute error of a few 1e-6 of the frame's peak magnitude (measured 3.3e-6, mir-1k).
    # In dB this is nothing near the peak and several dB for bins 130-150 dB under a pure
    # sine's peak, where both values are float32 rounding noise (measured 4.4 dB): hence a
    # test on magnitudes. 2e-5 of the peak leaves a 6x margin; a wrong kernel, hop, window
    # or normalisation gives errors of the peak's order
    np.testing.assert_allclose(got / peak, ref / peak, rtol=0, atol=2e-5)
    assert got.shape == ref.shape == (3, 3, 264 if key == "mir1k" else 219)


@pytest.mark.parametrize("ckpt", list(KEYS))
def test_end_to_end_equals_upstream(ckpt, upstream):
    if not _fetched(ckpt):
        pytest.skip(SKIP)
    key = KEYS[ckpt]
    model = pesto.load_model(checkpoint=ckpt, device="cpu")
    x = torch.from_numpy(rec.signals())
    with torch.no_grad():
        act = model.frame_layers(x, [len(model.layer_names)])[len(model.layer_names)]
    pitch, conf = pesto.predict_pitch(x, model)
    # noise: every CQT bin is far above the float32 floor, so outputs agree to float32
    # rounding (measured 6e-6)
    np.testing.assert_allclose(act[2, list(rec.ACT_FRAMES)].numpy(), upstream[f"{key}_act"][2],
                               rtol=0, atol=1e-4)
    # sine and chirp: the network also sees the CQT's float32 noise floor (bins 130 dB under
    # the peak, see above), which upstream's summation order sets differently: the pitch
    # distributions move by up to 0.04 (mir-1k) and the pitch by up to 0.02 semitones
    # (2 cents); 0.1 and 5 cents leave a 2.5x margin; a wrong CQT or weight moves the pitch
    # by semitones
    np.testing.assert_allclose(act[:2, list(rec.ACT_FRAMES)].numpy(), upstream[f"{key}_act"][:2],
                               rtol=0, atol=0.1)
    np.testing.assert_allclose(pitch.numpy(), upstream[f"{key}_pitch"], rtol=0, atol=0.05)
    # confidence: measured 1.5e-5
    np.testing.assert_allclose(conf.numpy(), upstream[f"{key}_confidence"], rtol=0, atol=1e-4)
