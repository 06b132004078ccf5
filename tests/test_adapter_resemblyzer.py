"""Resemblyzer (GE2E speaker encoder): pre-processing, partials, layers, errors, upstream parity.

The fixture ``tests/fixtures/resemblyzer_upstream.npz`` was recorded once with the upstream
package (``tests/tools/record_resemblyzer.py``). Its pre-processing parts (volume gain, webrtcvad
flags, VAD length, partial slices, mel entries) are checked without weights; the network parts
need ``pretrained.pt`` (``hear-probes weights fetch resemblyzer``, 17 MB from PyPI) and skip
with that command as the reason when it is not fetched.
"""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hear_probes_adapters import _resemblyzer_weights as rw  # noqa: E402
from hear_probes_adapters import resemblyzer as rz  # noqa: E402
from hear_probes_adapters._pypi_weights import WeightsCorruptError  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import record_resemblyzer as rec  # noqa: E402
import wheel_fakes as wf  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "resemblyzer_upstream.npz"
SKIP = "resemblyzer weights not fetched (hear-probes weights fetch resemblyzer)"
NAMES = [name for name, _ in rec.CLIPS]


@pytest.fixture(scope="module")
def upstream():
    return dict(np.load(FIXTURE))


@pytest.fixture(scope="module")
def clips():
    return rec.clips()


def _fetched() -> bool:
    return wf.fetched(rw.require_weights)


def _random_model(vad: bool = False) -> rz.ResemblyzerModel:
    torch.manual_seed(0)
    return rz.ResemblyzerModel(rz.SpeakerEncoder().eval(), vad=vad)


def _normed(clip: np.ndarray) -> torch.Tensor:
    return rz.normalize_volume(torch.from_numpy(clip[None]))


# --------------------------------------------------------------------------- pre-processing


def test_volume_normalisation_is_increase_only_as_upstream(upstream, clips):
    for name in NAMES:
        x = torch.from_numpy(clips[name][None])
        gain = float(rz.normalize_volume(x).square().mean().sqrt() / x.square().mean().sqrt())
        # float32 RMS here and upstream: 1e-6 relative
        assert gain == pytest.approx(float(upstream[f"{name}_gain"]), rel=1e-5), name
    assert float(upstream["tone_gain"]) > 5 and float(upstream["noise_gain"]) == 1.0
    silent = torch.zeros(1, 1000)
    assert torch.equal(rz.normalize_volume(silent), silent)  # upstream: NaN


@pytest.mark.parametrize(("n", "starts"), [
    (0, [0]), (16000, [0]), (25600, [0]), (32000, [0, 77]), (40000, [0, 77]),
    (64000, [0, 77, 154, 231]), (5 * 16000, [0, 77, 154, 231, 308])])
def test_partial_starts_follow_compute_partial_slices(n, starts):
    assert rz.partial_starts(n) == starts


def test_partial_slices_equal_upstream(upstream, clips):
    for name in NAMES:
        starts = np.asarray(rz.partial_starts(clips[name].size))
        np.testing.assert_array_equal(np.stack([starts, starts + 160], 1) * 160,
                                      upstream[f"{name}_slices"], err_msg=name)
    with pytest.raises(ValueError, match="rate 0.1 gives a step of 1000 frames"):
        rz.partial_starts(1000, rate=0.1)


def test_mel_of_the_first_partial_equals_upstream(upstream, clips):
    model = _random_model()
    for name in NAMES:
        mels, _ = model._partial_mels(_normed(clips[name]))
        fi, bi = rec.mel_entries(160)
        got = mels[0, 0].numpy()[fi, bi]
        ref = upstream[f"{name}_mel"]
        # float32 torch STFT vs librosa's pocketfft: measured at most 5.5e-7 of the largest
        # value (the 1-s clip); 1e-5 leaves an 18x margin, a wrong window, hop or padding
        # changes entries by 1e-2 of it or more
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5 * np.abs(ref).max(), err_msg=name)


def test_mel_matches_librosa():
    librosa = pytest.importorskip("librosa")
    x = rec.clips()["chirp"][:20000]
    ref = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    got = rz.MelFrontend()(torch.from_numpy(x[None]))[0].numpy()
    assert got.shape == ref.shape == (1 + x.size // 160, 40)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5 * ref.max())


def test_vad_trimming_from_upstream_flags_keeps_upstream_length(upstream, clips):
    for name in NAMES:
        keep = rz.vad_keep(upstream[f"{name}_flags"])
        assert int(keep.sum()) == int(upstream[f"{name}_vad_len"]), name
        assert keep.size == clips[name].size - clips[name].size % 480


def test_webrtcvad_flags_equal_upstream(upstream, clips):
    pytest.importorskip("webrtcvad", reason="webrtcvad not installed (pip install webrtcvad-wheels)")
    for name in NAMES:
        flags = rz.vad_flags(_normed(clips[name])[0].numpy())
        np.testing.assert_array_equal(flags, upstream[f"{name}_flags"], err_msg=name)


def test_upstream_vad_cuts_part_of_a_synthetic_stimulus(upstream):
    """The evidence for ``vad=False`` in the registry model (module docstring)."""
    assert upstream["tone_flags"].all() and upstream["short_flags"].all()
    assert int(upstream["chirp_flags"].sum()) == 95 and upstream["chirp_flags"].size == 133
    assert int(upstream["chirp_vad_len"]) == 48000  # of 64000 samples
    cos = float(upstream["chirp_vad_embedding"] @ upstream["chirp_embedding"])
    assert 0.9 < cos < 0.95


def test_vad_without_webrtcvad_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "webrtcvad", None)
    with pytest.raises(ImportError) as err:
        rz.load_model(model_file_path="unused", vad=True)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("resemblyzer: vad=True needs the webrtcvad package")
    assert "pip install webrtcvad-wheels" in msg and "vad=False" in msg


def test_vad_option_through_the_registry_without_webrtcvad_is_one_line(monkeypatch):
    from hear_probes.errors import ModelResolutionError
    from hear_probes.hear_module import load_hear_module

    monkeypatch.setitem(sys.modules, "webrtcvad", None)
    with pytest.raises(ModelResolutionError) as err:
        load_hear_module(name="resemblyzer", options={"vad": True})
    assert "\n" not in str(err.value) and "vad=True needs the webrtcvad package" in str(err.value)


# --------------------------------------------------------------------------- layers and HEAR shapes


def test_layers_are_named_with_dims():
    model = _random_model()
    assert model.layer_names == ["lstm1", "lstm2", "lstm3", "projection", "embedding"]
    assert model.layer_dims == [256] * 5 and model.layer == 5
    assert model.with_layer("lstm2").layer == 2 and model.with_layer(4).layer == 4


def test_unknown_layer_lists_the_valid_names():
    with pytest.raises(ValueError) as err:
        _random_model().with_layer("lstm4")
    msg = str(err.value)
    assert "\n" not in msg and "resemblyzer has no layer 'lstm4'" in msg
    assert "1 (lstm1)" in msg and "5 (embedding)" in msg


def test_layers_option_parses_names():
    from hear_probes.errors import HearProbesError
    from hear_probes.layers import parse_layers

    model = _random_model()
    assert parse_layers("lstm1,embedding", model.layer_ids, "resemblyzer",
                        model.layer_names) == [1, 5]
    with pytest.raises(HearProbesError, match="projection"):
        parse_layers("pool5", model.layer_ids, "resemblyzer", model.layer_names)


def test_hear_shapes_timestamps_and_scene_on_random_weights():
    model = _random_model()
    x = torch.from_numpy(np.stack([rec.clips()["chirp"][:40000], rec.clips()["tone"]]))
    with torch.no_grad():
        emb, ts = rz.get_timestamp_embeddings(x, model)
        scene = rz.get_scene_embeddings(x, model)
        scenes = rz.get_layer_scene_embeddings(x, model)
    assert emb.shape == (2, 2, 256) and ts.tolist() == [[800.0, 1570.0]] * 2
    assert [s.shape for s in scenes] == [(2, 256)] * 5
    mean = emb.mean(1)
    torch.testing.assert_close(scene, mean / mean.norm(dim=1, keepdim=True))
    torch.testing.assert_close(scenes[4], scene)
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(2, 2))
    proj, _ = model.with_layer("projection").timestamps(x)
    torch.testing.assert_close(scenes[3], proj.mean(1))


def test_clip_shorter_than_one_partial_gives_one_zero_padded_partial():
    model = _random_model()
    short = torch.from_numpy(rec.clips()["short"][None, :8000])
    with torch.no_grad():
        emb, ts = rz.get_timestamp_embeddings(short, model)
        empty = rz.get_scene_embeddings(torch.zeros(1, 1), model)
    assert emb.shape == (1, 1, 256) and ts.tolist() == [[800.0]]
    # as upstream: the 0.5-s clip is zero-padded to one 1.6-s partial (same volume gain)
    gain = float(rz.normalize_volume(short).norm() / short.norm())
    torch.testing.assert_close(emb, rz.get_timestamp_embeddings(
        torch.nn.functional.pad(short * gain, (0, 25600 - 8000)), model)[0], rtol=1e-4, atol=1e-5)
    # (the fixture's 1-s "short" clip pins the same case to upstream with the real weights)
    assert empty.shape == (1, 256) and torch.isfinite(empty).all()


def test_batching_changes_nothing_and_gradients_reach_the_audio():
    model = _random_model()
    c = rec.clips()
    x = torch.from_numpy(np.stack([c["noise"][:30000], c["chirp"][:30000]])).requires_grad_(True)
    rz.get_scene_embeddings(x, model.with_layer("lstm1")).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with torch.no_grad():
        both = rz.get_scene_embeddings(x.detach(), model)
        one = rz.get_scene_embeddings(x.detach()[1:], model)
        model.partials_per_pass = 1
        chunked = rz.get_scene_embeddings(x.detach(), model)
    torch.testing.assert_close(both[1:], one, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(both, chunked, rtol=1e-5, atol=1e-6)


def _fake_webrtcvad(monkeypatch, threshold: int = 300) -> None:
    """A webrtcvad stand-in: a 30-ms window is speech when its mean |int16| exceeds ``threshold``."""

    class Vad:
        def __init__(self, mode):
            assert mode == 3

        def is_speech(self, buf, sample_rate):
            assert sample_rate == 16000 and len(buf) == 960
            return float(np.abs(np.frombuffer(buf, dtype="<i2")).mean()) > threshold

    monkeypatch.setitem(sys.modules, "webrtcvad", types.SimpleNamespace(Vad=Vad))


def test_vad_trims_silence_and_maps_timestamps_to_the_original_clip(monkeypatch):
    _fake_webrtcvad(monkeypatch)
    model = _random_model(vad=True)
    tone = rec.clips()["chirp"][:32000]
    gap = np.zeros(16000, dtype=np.float32)  # 1 s (33 windows) of silence: VAD cuts most of it
    x = torch.from_numpy(np.concatenate([tone, gap, tone])[None])
    with torch.no_grad():
        emb, ts = rz.get_timestamp_embeddings(x, model)
    kept = int(rz.vad_keep(rz.vad_flags(x[0].numpy())).sum())
    assert 64000 < kept < 64000 + 8 * 480 and emb.shape[1] == len(rz.partial_starts(kept))
    # the first centre lies before the gap; the last one, after it, moves by the cut silence
    last = rz.partial_starts(kept)[-1] * 160 + 12800
    assert ts[0, 0] == 800.0 and ts[0, -1] == (last + 166 * 480 - kept) / 16.0
    other = torch.from_numpy(np.concatenate([tone, tone, tone[:16000]])[None])  # nothing cut
    with pytest.raises(ValueError) as err, torch.no_grad():
        rz.get_timestamp_embeddings(torch.cat([x, other]), model)
    assert "\n" not in str(err.value) and "partials after VAD trimming" in str(err.value)
    with torch.no_grad():
        scenes = rz.get_scene_embeddings(torch.cat([x, other]), model)
    assert scenes.shape == (2, 256)


# --------------------------------------------------------------------------- weights and errors


def _no_installed(monkeypatch, tmp_path):
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    monkeypatch.setattr(rw, "installed_file", lambda: None)


def test_cli_missing_weights_is_one_error_line(monkeypatch, tmp_path, capsys):
    from hear_probes.cli import main

    _no_installed(monkeypatch, tmp_path)
    assert main(["validate", "--model", "resemblyzer", "--no-hearvalidator"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: ")
    assert "resemblyzer: weights not fetched" in err and "hear-probes weights fetch resemblyzer" in err


def test_damaged_installed_package_file_names_the_reinstall(monkeypatch, tmp_path):
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "pretrained.pt"
    bad.write_bytes(b"\0" * 10)
    monkeypatch.setattr(rw, "installed_file", lambda: bad)
    with pytest.raises(WeightsCorruptError) as err:
        rz.load_model()
    assert "\n" not in str(err.value)
    assert "pip install --force-reinstall --no-deps Resemblyzer==0.1.4" in str(err.value)


def test_unreadable_or_foreign_checkpoint_is_one_line(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsCorruptError) as err:
        rz.load_model(str(junk))
    assert "\n" not in str(err.value) and "resemblyzer: cannot read the checkpoint" in str(err.value)
    other = tmp_path / "other.pt"
    torch.save({"model_state": {"lstm.weight_ih_l0": torch.zeros(3, 3)}}, other)
    with pytest.raises(WeightsCorruptError, match="lacks or misshapes lstm.weight_ih_l0"):
        rz.load_model(str(other))


def test_checkpoint_file_round_trip_and_extra_ge2e_entries_ignored(tmp_path):
    net = _random_model().net
    state = dict(net.state_dict(), similarity_weight=torch.tensor([10.0]),
                 similarity_bias=torch.tensor([-5.0]))
    path = tmp_path / "ckpt.pt"
    torch.save({"step": 1, "model_state": state}, path)
    model = rz.load_model(str(path), device="cpu")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert model.weights_id == f"resemblyzer:file:sha256:{digest}"
    x = torch.from_numpy(rec.clips()["tone"][None])
    with torch.no_grad():
        torch.testing.assert_close(rz.get_scene_embeddings(x, model),
                                   rz.get_scene_embeddings(x, _random_model()))


def _fake_wheel(tmp_path, monkeypatch, blob: bytes = b"weights") -> Path:
    wheel = tmp_path / rw.SPEC.wheel
    monkeypatch.setattr(rw, "SPEC", wf.fake_wheel(wheel, rw.SPEC, {"resemblyzer/pretrained.pt": blob},
                                               {"resemblyzer/__init__.py": b""}))
    return wheel


def test_fetch_copies_only_the_pinned_file_out_of_the_wheel(monkeypatch, tmp_path):
    _no_installed(monkeypatch, tmp_path / "cache")
    wheel = _fake_wheel(tmp_path, monkeypatch)
    wf.forbid_download(monkeypatch)
    assert rw.fetch(wheel) == [rw.weights_file()]
    assert rw.weights_file().read_bytes() == b"weights"
    assert sorted(p.name for p in rw.weights_file().parent.iterdir()) == ["pretrained.pt"]
    assert rw.require_weights()[:2] == (rw.weights_file(), "fetched")
    assert rw.fetch() == [rw.weights_file()]  # valid cache: nothing downloaded


def test_cli_weights_fetch_resemblyzer(monkeypatch, tmp_path, capsys):
    from hear_probes.cli import main

    _no_installed(monkeypatch, tmp_path / "cache")
    wheel = _fake_wheel(tmp_path, monkeypatch)
    assert main(["weights", "fetch", "resemblyzer", "--wheel", str(wheel)]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"resemblyzer: 1 checkpoint verified in {rw.weights_file().parent}"


def test_registry_shows_readiness_and_the_fetch_command(monkeypatch, tmp_path):
    from hear_probes.registry import builtin_models

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    spec = builtin_models()["resemblyzer"]
    assert spec.options == {"vad": False} and spec.scene_dim == 256
    ok, why = spec.readiness()
    if not ok:  # no Resemblyzer installed either
        assert why == ("weights missing: PyPI Resemblyzer 0.1.4 pretrained.pt "
                       "(hear-probes weights fetch resemblyzer)")
    rw.weights_file().parent.mkdir(parents=True)
    rw.weights_file().write_bytes(b"x")
    assert spec.readiness()[1].startswith("ready (weights here")


# --------------------------------------------------------------------------- real weights


@pytest.fixture(scope="module")
def real():
    if not _fetched():
        pytest.skip(SKIP)
    return rz.load_model(device="cpu")


def test_weights_identity(real, upstream):
    assert str(upstream["pretrained_sha256"]) == rw.SPEC.members[0].sha256
    assert real.weights_id.endswith(f":sha256:{rw.SPEC.members[0].sha256}")
    assert real.weights_id.split(":")[1] in ("fetched", "pypi")


@pytest.mark.parametrize("name", NAMES)
def test_every_layer_equals_upstream(real, upstream, clips, name):
    x = torch.from_numpy(clips[name][None])
    with torch.no_grad():
        out, ts = real.partial_layers(x, real.layer_ids)
        scene = rz.get_scene_embeddings(x, real)
    # float32 LSTM over 160 frames in both (same torch kernels; the inputs differ by the
    # mel's float32 rounding, below 6e-7 relative): measured at most 2.2e-6 absolute (lstm2)
    # on hidden states in (-1, 1), projections and unit-norm embeddings, 1.6e-7 on the
    # utterance embedding; 1e-4 leaves a 45x margin, while a wrong gate order, mel scale or
    # partial boundary moves them by 1e-2 or more
    for k, layer in zip(real.layer_ids, real.layer_names, strict=True):
        ref = upstream[f"{name}_{'partials' if layer == 'embedding' else layer}"]
        np.testing.assert_allclose(out[k][0].numpy(), ref, rtol=0, atol=1e-4,
                                   err_msg=f"{name} {layer}")
    np.testing.assert_allclose(scene[0].numpy(), upstream[f"{name}_embedding"], rtol=0, atol=1e-4)
    starts = upstream[f"{name}_slices"][:, 0]
    np.testing.assert_allclose(ts[0].numpy(), (starts + 12800) / 16.0)


@pytest.mark.parametrize("name", NAMES)
def test_vad_pipeline_equals_preprocess_wav(real, upstream, clips, name, monkeypatch):
    # webrtcvad's decisions come from the fixture, so this runs without webrtcvad
    monkeypatch.setattr(rz, "vad_flags", lambda wav: upstream[f"{name}_flags"])
    model = rz.ResemblyzerModel(real.net, vad=True)
    with torch.no_grad():
        scene = rz.get_scene_embeddings(torch.from_numpy(clips[name][None]), model)
    np.testing.assert_allclose(scene[0].numpy(), upstream[f"{name}_vad_embedding"], rtol=0,
                               atol=1e-4)


def test_vad_true_with_webrtcvad_equals_upstream_pipeline(real, upstream, clips):
    pytest.importorskip("webrtcvad", reason="webrtcvad not installed (pip install webrtcvad-wheels)")
    from hear_probes.hear_module import load_hear_module

    model = load_hear_module(name="resemblyzer", options={"vad": True}).model
    assert model.vad is True
    for name in NAMES:
        with torch.no_grad():
            scene = rz.get_scene_embeddings(torch.from_numpy(clips[name][None]), model)
        np.testing.assert_allclose(scene[0].numpy(), upstream[f"{name}_vad_embedding"], rtol=0,
                                   atol=1e-4, err_msg=name)


def test_hear_module_through_the_registry(real):
    from hear_probes.hear_module import load_hear_module

    loaded = load_hear_module(name="resemblyzer")
    assert loaded.weights_id == real.weights_id and loaded.model.vad is False
