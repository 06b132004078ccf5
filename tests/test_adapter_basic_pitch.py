"""Basic Pitch (ICASSP 2022): front end, windows, layers, weight errors, upstream parity.

The parity tests need the weights (``hear-probes weights fetch basic-pitch``, 230 KB from
PyPI) and skip with that command as the reason when they are not fetched.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hear_probes_adapters import _basic_pitch_weights as bw  # noqa: E402
from hear_probes_adapters import basic_pitch as bp  # noqa: E402
from hear_probes_adapters._pypi_weights import WeightsCorruptError  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import record_basic_pitch as rec  # noqa: E402
import wheel_fakes as wf  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "basic_pitch_upstream.npz"
SKIP = "basic-pitch weights not fetched (hear-probes weights fetch basic-pitch)"


def _fetched() -> bool:
    return wf.fetched(bw.require_weights)


def _random_model(**kw) -> bp.BasicPitchModel:
    torch.manual_seed(0)
    return bp.BasicPitchModel(bp.build_net(), **kw)


# --------------------------------------------------------------------------- front end, windows


def test_cqt_design_is_upstreams():
    d = bp.cqt_design()
    assert d["kernels"].shape == (36, 256) and d["n_octaves"] == 9
    # every kernel is L1-normalised and centred with its length ceil(Q sr / f)
    np.testing.assert_allclose(np.abs(d["kernels"]).sum(1), 1.0, rtol=1e-12)
    q = 1 / (2 ** (1 / 36) - 1)
    lengths = (np.abs(d["kernels"]) > 0).sum(1) + 1  # the periodic Hann window starts at 0
    fmin_t = 27.5 * 2 ** 8 * 2 ** (20 / 36) / 2 ** (35 / 36)
    np.testing.assert_array_equal(lengths, np.ceil(q * 22050 / (fmin_t * 2 ** (np.arange(36) / 36))))
    assert d["sqrt_lengths"].shape == (309,) and d["sqrt_lengths"][0] == pytest.approx(203.0887, abs=1e-4)
    assert bp.harmonic_shifts() == [-36, 0, 36, 57, 72, 84, 93, 101]


def test_cqt_peaks_at_the_tone_and_normalised_log_spans_zero_to_one():
    net = bp.build_net()
    t = np.arange(bp.WINDOW) / bp.SAMPLE_RATE
    x = torch.from_numpy((0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32))[None]
    with torch.no_grad():
        mag = net.frontend.magnitude(x)
        cqt = net.frontend.normalized_log(net.frontend.power(x))
    assert mag.shape == (1, bp.WINDOW_FRAMES, bp.N_BINS)
    # 440 Hz is 4 octaves above 27.5 Hz: bin 4 x 36 = 144
    assert int(mag[0, 50:120].mean(0).argmax()) == 144
    assert float(cqt.min()) == 0.0 and float(cqt.max()) == pytest.approx(1.0)
    with torch.no_grad():  # a silent window: divide_no_nan gives zeros, not NaN
        assert float(net.frontend.normalized_log(net.frontend.power(torch.zeros(1, bp.WINDOW))).abs().max()) == 0


def test_harmonic_stack_shifts_with_zero_padding():
    x = torch.arange(309, dtype=torch.float32).repeat(1, 2, 1)  # [1, T=2, 309]
    hs = bp.HarmonicCQT().stack(x)
    assert hs.shape == (1, 8, 2, 264)
    assert hs[0, 0, 0, :36].abs().sum() == 0 and hs[0, 0, 0, 36] == 0 and hs[0, 0, 0, 37] == 1
    assert hs[0, 1, 0, 5] == 5 and hs[0, 7, 0, 0] == 101 and hs[0, 7, 0, 207] == 308
    assert hs[0, 7, 0, 208:].abs().sum() == 0  # shifted past the top bin: zeros


def test_windows_and_stitching_follow_run_inference():
    n = 55125  # 2.5 s: two windows
    x = torch.arange(1, n + 1, dtype=torch.float32)[None]
    w = bp.cut_windows(x)
    assert w.shape == (1, 2, bp.WINDOW)
    assert w[0, 0, :3840].abs().sum() == 0 and w[0, 0, 3840] == 1
    assert w[0, 1, 0] == 36164 - 3840 + 1  # second window starts 36164 samples later
    assert w[0, 1, n + 3840 - 36164:].abs().sum() == 0  # zero-padded end
    frames = torch.arange(2 * 172, dtype=torch.float32).reshape(2, 172, 1)
    out = bp.stitch(frames, 1, n)
    assert out.shape == (1, 215, 1)  # floor(55125 * 86 / 22050)
    assert out[0, :3, 0].tolist() == [15, 16, 17] and out[0, 142, 0] == 172 + 15
    assert bp.n_output_frames(100) == 1 and bp.n_output_frames(22050) == 86
    assert bp.cut_windows(x, bp.ALIGNED_HOP).shape == (1, 2, bp.WINDOW)


# --------------------------------------------------------------------------- layers, HEAR API


def test_layers_dims_timestamps_and_scene_on_a_random_network():
    model = _random_model()
    assert model.layer_names == ["cqt", "harmonic_stack", "contour_conv", "onset_conv", "contour",
                                 "note_conv", "note", "onset"]
    assert model.layer_names[model.layer - 1] == "contour" and model.scene_embedding_size == 264
    x = torch.from_numpy(rec.clips()["chord"][None].repeat(2, 0))  # 1 s
    with torch.no_grad():
        scenes = bp.get_layer_scene_embeddings(x, model)
        emb, ts = bp.get_timestamp_embeddings(x, model)
    assert [s.shape[1] for s in scenes] == model.layer_dims == list(bp.DIMS)
    assert emb.shape == (2, 86, 264) and ts.shape == (2, 86) and emb.dtype == torch.float32
    step = np.diff(ts[0].double().numpy())
    np.testing.assert_allclose(step, 1000 * 256 / 22050, rtol=1e-5)  # float32 ms
    assert ts[0, 0] == 0
    torch.testing.assert_close(scenes[4], emb.mean(1))
    assert all(torch.isfinite(s).all() for s in scenes)


def test_a_clip_shorter_than_one_hop_gives_one_frame():
    model = _random_model()
    with torch.no_grad():
        emb, ts = bp.get_timestamp_embeddings(torch.full((1, 100), 0.1), model)
        scenes = bp.get_layer_scene_embeddings(torch.full((1, 100), 0.1), model)
    assert emb.shape == (1, 1, 264) and ts.tolist() == [[0.0]]
    assert all(s.shape[0] == 1 and torch.isfinite(s).all() for s in scenes)


def test_only_needed_branches_and_batching_change_nothing():
    model = _random_model()
    x = torch.from_numpy(rec.clips()["chirp"][None])
    with torch.no_grad():
        all_layers = bp.get_layer_scene_embeddings(x, model)
        model.windows_per_pass = 1
        onset = bp.get_scene_embeddings(x, model.with_layer("onset"))
        contour = bp.get_scene_embeddings(x, model)
    torch.testing.assert_close(onset, all_layers[7], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(contour, all_layers[4], rtol=1e-5, atol=1e-6)


def test_gradients_reach_the_audio():
    model = _random_model()
    x = torch.from_numpy(rec.clips()["sine"][None]).requires_grad_(True)
    bp.get_scene_embeddings(x, model.with_layer("note")).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_unknown_layer_lists_the_valid_names():
    with pytest.raises(ValueError) as err:
        _random_model().with_layer("penultimate")
    msg = str(err.value)
    assert "\n" not in msg and "basic-pitch has no layer 'penultimate'" in msg
    assert "1 (cqt)" in msg and "8 (onset)" in msg


def test_layers_option_parses_basic_pitch_names():
    from hear_probes.errors import HearProbesError
    from hear_probes.layers import parse_layers

    model = _random_model()
    assert parse_layers("cqt,note", model.layer_ids, "basic-pitch", model.layer_names) == [1, 7]
    with pytest.raises(HearProbesError, match="contour_conv"):
        parse_layers("taggram", model.layer_ids, "basic-pitch", model.layer_names)


# --------------------------------------------------------------------------- weight errors


def _fake_weights(size: int | None = None) -> Path:
    return wf.fake_cached(bw.SPEC, "icassp_2022/nmp.onnx", size)


def test_an_onnx_file_that_is_not_basic_pitch_is_one_line(tmp_path):
    garbage = tmp_path / "x.onnx"
    garbage.write_bytes(b"\x08\x07\x3a\x02\x0a\x00")  # ir_version 7, a graph with one empty node
    with pytest.raises(WeightsCorruptError) as err:
        bp.load_model(str(garbage))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("basic-pitch:") and "not the Basic Pitch" in msg
    garbage.write_bytes(b"\xff" * 20)
    with pytest.raises(WeightsCorruptError, match="not a readable ONNX model"):
        bp.load_model(str(garbage))


def test_fetch_copies_only_the_pinned_onnx_out_of_the_wheel(monkeypatch, tmp_path):
    import hashlib

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    wheel = tmp_path / bw.SPEC.wheel
    blob = b"onnx bytes" * 7
    spec = wf.fake_wheel(wheel, bw.SPEC, {bw.SPEC.members[0].path: blob},
                      {"basic_pitch/saved_models/icassp_2022/nmp.tflite": b"not copied"})
    monkeypatch.setattr(bw, "SPEC", spec)
    wf.forbid_download(monkeypatch)
    folders = bw.fetch(wheel)
    assert [p.name for p in folders[0].iterdir()] == ["nmp.onnx"]
    assert bw.require_weights() == (folders[0] / "nmp.onnx", hashlib.sha256(blob).hexdigest())
    assert bw.fetch() == folders  # valid cache: nothing downloaded
    monkeypatch.setattr(bw, "SPEC", wf.repin_member(spec, 0))
    with pytest.raises(WeightsCorruptError, match="nmp.onnx in the wheel is not the published"):
        bw.fetch(wheel, force=True)


def test_cli_weights_fetch_lists_basic_pitch(capsys):
    from hear_probes.cli import main

    assert main(["weights", "fetch", "nope"]) == 2
    assert "basic-pitch" in capsys.readouterr().err


def test_registry_lists_basic_pitch_with_its_readiness(monkeypatch, tmp_path):
    from hear_probes.registry import builtin_models

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    spec = builtin_models()["basic-pitch"]
    assert (spec.module, spec.sample_rate, spec.scene_dim) == ("hear_probes_adapters.basic_pitch", 22050, 264)
    ok, why = spec.readiness()
    assert not ok and why.endswith("(hear-probes weights fetch basic-pitch)")
    _fake_weights()
    assert spec.readiness()[1].startswith("ready (weights here")


# --------------------------------------------------------------------------- real weights


@pytest.fixture(scope="module")
def real():
    if not _fetched():
        pytest.skip(SKIP)
    return bp.load_model(device="cpu")


@pytest.fixture(scope="module")
def upstream():
    return np.load(FIXTURE)


def test_weights_identity_and_the_exports_cqt_constants(real):
    assert real.weights_id == f"basic-pitch-icassp2022:pypi:sha256:{bw.SPEC.members[0].sha256}"
    arrays = bw.read_arrays(bw.require_weights()[0])
    d = bp.cqt_design()
    k = d["kernels"].astype(np.complex64)
    # the CQT built here is, to the bit, the one baked into the published graph
    # (the graph lists the imaginary kernel first: its convolution feeds a Neg node)
    np.testing.assert_array_equal(arrays["cqt.kernels"][0], k.imag)
    np.testing.assert_array_equal(arrays["cqt.kernels"][1], k.real)
    np.testing.assert_array_equal(arrays["cqt.lowpass"], d["lowpass"].astype(np.float32))
    np.testing.assert_array_equal(arrays["cqt.sqrt_lengths"], d["sqrt_lengths"].astype(np.float32))


@pytest.mark.parametrize("clip", rec.CLIPS)
def test_matches_upstream_onnxruntime(real, upstream, clip):
    x = torch.from_numpy(rec.clips()[clip][None])
    with torch.no_grad():
        heads = real.frame_layers(x, [5, 7, 8])
        inter = real.net(bp.cut_windows(x)[0], ("cqt", "contour_conv"))
    n, frames = int(upstream[f"{clip}_n"]), upstream[f"{clip}_frames"]
    # Tolerances. The CQT magnitude is log-compressed down to a -100 dB floor, so bins barely
    # above silence (the zero-padded tail of a window: float32 convolution round-off of about
    # 1e-7 of the signal, times sqrt(kernel length) up to 203) differ by up to 3.2e-3 of the
    # normalised [0, 1] range between ONNX Runtime and torch (measured on `chord`); above 0.3
    # of the range (30 dB over the floor) they agree within 1.3e-4 (measured 2.8e-5 / 1.3e-4
    # on sine / chord, 1.5e-7 on the chirp, which has no silence). The heads are sigmoids in
    # [0, 1]; the near-silent CQT bins move them by at most 6e-4 (chord); 2e-3 keeps a 3x margin.
    # A wrong kernel, shift, padding or stitching moves them by 1e-2 and more (see
    # test_fixture_pins_upstreams_stitching).
    silent_tail = clip != "chirp"
    head_tol = 2e-3 if silent_tail else 1e-5
    for k, head in zip((5, 7, 8), rec.HEADS, strict=True):
        got = heads[k][0].double().numpy()
        assert got.shape[0] == n
        np.testing.assert_allclose(got[frames], upstream[f"{clip}_{head}"], rtol=0, atol=head_tol,
                                   err_msg=f"{clip} {head}")
        proj = got @ rec.directions(got.shape[1])
        np.testing.assert_allclose(proj, upstream[f"{clip}_{head}_proj"], rtol=0, atol=head_tol,
                                   err_msg=f"{clip} {head} projections")
    cqt, ref = inter["cqt"][:, list(rec.CQT_FRAMES)].numpy(), upstream[f"{clip}_cqt"]
    np.testing.assert_allclose(cqt, ref, rtol=0, atol=5e-3 if silent_tail else 1e-6)
    loud = ref > 0.3
    np.testing.assert_allclose(cqt[loud], ref[loud], rtol=0, atol=3e-4 if silent_tail else 1e-6)
    cc = bp.flatten_frames(inter["contour_conv"]).double().numpy() @ rec.directions(2112, salt=1)
    ref_cc = upstream[f"{clip}_contour_conv_proj"]  # values up to 2.4
    np.testing.assert_allclose(cc, ref_cc, rtol=0, atol=1e-2 if silent_tail else 1e-5)


def test_fixture_pins_upstreams_stitching(real, upstream):
    """Whole-frame (aligned) windows agree before the seam and not after it."""
    x = torch.from_numpy(rec.clips()["chirp"][None])
    with torch.no_grad():
        ours = bp.BasicPitchModel(real.net, aligned=True).frame_layers(x, [5])[5][0].numpy()
    frames, ref = upstream["chirp_frames"], upstream["chirp_contour"]
    before = frames < rec.SEAM
    np.testing.assert_allclose(ours[frames[before]], ref[before], rtol=0, atol=1e-5)
    assert np.abs(ours[frames[~before]] - ref[~before]).max() > 1e-2


def test_real_model_hears_the_chord_notes(real):
    x = torch.from_numpy(rec.clips()["chord"][None])
    with torch.no_grad():
        note = bp.get_scene_embeddings(x, real.with_layer("note"))[0]
    # C4, E4, G4 are piano keys 39, 43, 46 (A0 = 0)
    assert sorted(note.topk(3).indices.tolist()) == [39, 43, 46]
