"""musicnn / VGG taggers (MTT, MSD): pre-processing, checkpoint reading, errors, upstream parity.

The parity tests need the checkpoints (``hear-probes weights fetch musicnn``, 33 MB from
PyPI) and skip with that command as the reason when they are not fetched.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hear_probes_adapters import _musicnn_weights as mw  # noqa: E402
from hear_probes_adapters import musicnn  # noqa: E402
from hear_probes_adapters._tf_checkpoint import CheckpointFormatError, read_checkpoint  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import record_musicnn as rec  # noqa: E402
import wheel_fakes as wf  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "musicnn_upstream.npz"
SKIP = "musicnn checkpoints not fetched (hear-probes weights fetch musicnn)"


def _fetched(variant: str) -> bool:
    return wf.fetched(mw.require_checkpoint, variant)


def _map_to_channels_last(a: np.ndarray) -> np.ndarray:
    """Torch maps ``[B, C, T]`` / ``[B, C, T, F]`` → upstream's layout ``[B, positions, C]``."""
    if a.ndim == 4:
        return a.transpose(0, 2, 3, 1).reshape(a.shape[0], -1, a.shape[1])
    return a.transpose(0, 2, 1)


# --------------------------------------------------------------------------- pre-processing


def test_mel_matches_librosa():
    librosa = pytest.importorskip("librosa")
    basis = librosa.filters.mel(sr=16000, n_fft=512, n_mels=96)
    np.testing.assert_allclose(musicnn.mel_basis(), basis, rtol=0, atol=1e-8)
    x = rec.clips(1.0)[1]
    ref = librosa.feature.melspectrogram(y=x, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    got = musicnn.LogMel().mel(torch.from_numpy(x[None]))[0].numpy()
    assert got.shape == ref.shape == (1 + x.size // 256, 96)
    # float32 FFTs (pocketfft vs torch): 1e-6 of the largest value
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6 * ref.max())


def test_float32_log_equals_upstream_float16_where_finite_and_stays_finite_when_loud():
    x = torch.from_numpy(rec.clips(2.0))
    up = musicnn.LogMel(float16_log=True)(x)
    ours = musicnn.LogMel()(x)
    # upstream rounds the log to float16: half a float16 ulp at the largest value (< 8)
    np.testing.assert_allclose(ours.numpy(), up.numpy(), rtol=0, atol=2.0 ** -8)
    loud = musicnn.LogMel(float16_log=True)(x * 30)
    assert not torch.isfinite(loud).all()  # upstream overflows...
    assert torch.isfinite(musicnn.LogMel()(x * 30)).all()  # ...this adapter does not


def test_patches_every_187_frames_and_repeat_pad_short_clips():
    lm = torch.arange(2 * 400 * 96, dtype=torch.float32).reshape(2, 400, 96)
    x, count = musicnn.cut_patches(lm)
    assert count == 2 and x.shape == (4, 187, 96)
    torch.testing.assert_close(x[1], lm[0, 187:374])
    torch.testing.assert_close(x[2], lm[1, :187])
    short = lm[:, :50]
    x, count = musicnn.cut_patches(short)
    assert count == 1 and x.shape == (2, 187, 96)
    torch.testing.assert_close(x[0, 50:100], short[0])
    assert musicnn.patch_starts(187 * 3 + 186) == [0, 187, 374]


# --------------------------------------------------------------------------- layers and errors


def _random_model(vgg: bool = False) -> musicnn.MusicnnModel:
    torch.manual_seed(0)
    net = (musicnn.VggNet() if vgg else musicnn.MusicnnNet()).eval()
    return musicnn.MusicnnModel(net, "MTT_vgg" if vgg else "MTT_musicnn")


def test_layers_named_as_upstream_features_with_dims():
    model = _random_model()
    assert model.layer_names == ["timbral", "temporal", "cnn1", "cnn2", "cnn3", "mean_pool",
                                 "max_pool", "penultimate", "taggram"]
    x = torch.from_numpy(rec.clips(3.5))
    with torch.no_grad():
        scenes = musicnn.get_layer_scene_embeddings(x, model)
        emb, ts = musicnn.get_timestamp_embeddings(x, model)
    assert [s.shape[1] for s in scenes] == model.layer_dims
    assert emb.shape == (2, 1, 200) and ts.tolist() == [[1488.0], [1488.0]]
    torch.testing.assert_close(scenes[7], emb.mean(1))
    vgg = _random_model(vgg=True)
    assert vgg.layer_names == ["pool1", "pool2", "pool3", "pool4", "pool5", "taggram"]
    assert vgg.with_layer("pool3").layer == 3 and vgg.scene_embedding_size == 128


def test_gradients_reach_the_audio_and_batching_changes_nothing():
    model = _random_model()
    x = torch.from_numpy(rec.clips(3.2)).requires_grad_(True)
    scene = musicnn.get_scene_embeddings(x, model.with_layer("timbral"))
    scene.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with torch.no_grad():
        both = musicnn.get_scene_embeddings(x.detach(), model)
        one = musicnn.get_scene_embeddings(x.detach()[1:], model)
        model.patches_per_pass = 1
        chunked = musicnn.get_scene_embeddings(x.detach(), model)
    torch.testing.assert_close(both[1:], one, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(both, chunked, rtol=1e-5, atol=1e-6)


def test_unknown_layer_lists_the_valid_names():
    with pytest.raises(ValueError) as err:
        _random_model().with_layer("pool5")
    msg = str(err.value)
    assert "\n" not in msg and "musicnn-mtt has no layer 'pool5'" in msg
    assert "1 (timbral)" in msg and "9 (taggram)" in msg
    with pytest.raises(ValueError, match="musicnn-mtt has no layer True"):  # True == 1: refused
        _random_model().with_layer(True)
    assert _random_model().with_layer("taggram").layer == 9


def test_layers_option_parses_musicnn_names():
    from hear_probes.errors import HearProbesError
    from hear_probes.layers import parse_layers

    model = _random_model()
    assert parse_layers("timbral,penultimate", model.layer_ids, "musicnn-mtt",
                        model.layer_names) == [1, 8]
    with pytest.raises(HearProbesError, match="taggram"):
        parse_layers("pool5", model.layer_ids, "musicnn-mtt", model.layer_names)


def _fake_checkpoint(variant: str) -> Path:
    wf.fake_cached(mw.SPEC, f"{variant}/model{mw.INDEX}")
    return wf.fake_cached(mw.SPEC, f"{variant}/model{mw.DATA}").parent


def test_fetch_copies_the_pinned_files_out_of_the_wheel(monkeypatch, tmp_path):
    import zipfile

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    wheel = tmp_path / mw.SPEC.wheel
    spec = wf.fake_wheel(wheel, mw.SPEC, extra={"musicnn/tagger.py": b"code, not copied"})
    monkeypatch.setattr(mw, "SPEC", spec)
    wf.forbid_download(monkeypatch)
    folders = mw.fetch(wheel)
    assert [f.name for f in folders] == list(mw.FILES)
    with zipfile.ZipFile(wheel) as zf:
        assert (folders[2] / "model.data-00000-of-00001").read_bytes() == zf.read(
            f"musicnn/MTT_vgg/{mw.DATA}")
    assert sorted(p.name for p in folders[2].iterdir()) == ["model.data-00000-of-00001", "model.index"]
    assert mw.require_checkpoint("MSD_vgg")[2] == spec.member(f"MSD_vgg/model{mw.DATA}").sha256
    assert mw.fetch() == folders  # valid cache: nothing downloaded


def test_cli_weights_fetch_unknown_family_is_a_usage_error(capsys):
    from hear_probes.cli import main

    assert main(["weights", "fetch", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    from hear_probes.cli import WEIGHT_FETCHERS

    assert {"musicnn", "resemblyzer", "basic-pitch", "fcpe", "pesto"} <= set(WEIGHT_FETCHERS)
    assert err == "error: no weights to fetch for 'nope'; known: " + ", ".join(WEIGHT_FETCHERS)


def test_checkpoint_reader_rejects_garbage():
    with pytest.raises(CheckpointFormatError, match="x.index: no SSTable footer"):
        read_checkpoint(b"\0" * 100, b"", "x.index")


def test_registry_lists_the_four_models_with_their_readiness(monkeypatch, tmp_path):
    from hear_probes.registry import builtin_models

    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    specs = builtin_models()
    for name in ("musicnn-mtt", "musicnn-msd", "vgg-mtt", "vgg-msd"):
        ok, why = specs[name].readiness()  # not "downloads weights on first use": they do not
        assert not ok and why.startswith("weights missing: PyPI musicnn 0.1.0 checkpoint")
        assert why.endswith("(hear-probes weights fetch musicnn)")
    _fake_checkpoint("MSD_musicnn")
    assert specs["musicnn-msd"].readiness()[1].startswith("ready (weights here")


# --------------------------------------------------------------------------- real weights


@pytest.fixture(scope="module")
def upstream():
    return np.load(FIXTURE)


@pytest.fixture(scope="module")
def patches():
    """The fixture clips' network input, computed as upstream (float16 log)."""
    x, count = musicnn.cut_patches(musicnn.LogMel(float16_log=True)(torch.from_numpy(rec.clips())))
    assert count == 2
    return x


def test_input_equals_upstream(upstream, patches):
    got = patches.numpy()[rec.input_entries(tuple(patches.shape))]
    # both round the same librosa-equal mel to float16 (an FFT difference of 1e-6 relative
    # could flip one rounding: allow one float16 ulp at the largest value)
    np.testing.assert_allclose(got, upstream["input"], rtol=0, atol=2.0 ** -8)


@pytest.mark.parametrize("variant", musicnn.VARIANTS)
def test_every_layer_equals_the_upstream_tf_graph(variant, upstream, patches):
    if not _fetched(variant):
        pytest.skip(SKIP)
    model = musicnn.load_model(variant=variant, device="cpu")
    assert model.weights_id == f"{variant}:pypi:sha256:{mw.FILES[variant][mw.DATA][0]}"
    with torch.no_grad():
        out = model.net(patches)
    assert list(out) == model.layer_names
    for name, t in out.items():
        a = t.numpy()
        summ = (rec.summarise_map(f"{variant}_{name}", _map_to_channels_last(a)) if a.ndim > 2
                else rec.summarise_vec(f"{variant}_{name}", a))
        for key, got in summ.items():
            ref = upstream[key]
            # float32 TF (oneDNN) vs torch convolutions in another summation order, amplified
            # by batch norms of small variance (the temporal filters' moving variance is 2e-3):
            # measured at most 1.5e-4 of the layer's largest value (MSD_musicnn cnn3, 2.5e-3 on
            # values up to 16), most layers below 1e-5. 5e-4 of the largest value (+1e-5) leaves
            # a 3x margin; a wrong weight, layout or padding gives errors of the values' size
            tol = 5e-4 * np.abs(ref).max() + 1e-5
            np.testing.assert_allclose(got, ref, rtol=0, atol=tol, err_msg=key)


def test_scene_is_the_mean_of_patch_embeddings_of_the_real_model():
    if not _fetched("MTT_musicnn"):
        pytest.skip(SKIP)
    model = musicnn.load_model(variant="MTT_musicnn", layer="taggram", device="cpu")
    x = rec.clips()
    with torch.no_grad():
        emb, ts = musicnn.get_timestamp_embeddings(x, model)
        scene = musicnn.get_scene_embeddings(x, model)
    assert emb.shape == (2, 2, 50) and ts[0].tolist() == [1488.0, 4480.0]
    torch.testing.assert_close(scene, emb.mean(1))


def test_zoo_doc_names_musicnn_front_and_mid_end_layers_as_the_adapter_does():
    """docs/zoo.md's musicnn claim reads layers by position: they must be the adapter's."""
    from hear_probes_adapters.musicnn import MUSICNN_LAYERS

    from hear_probes.report.zoo_findings import MUSICNN_FRONT, MUSICNN_MID

    for k, name in {**MUSICNN_FRONT, **MUSICNN_MID}.items():
        assert MUSICNN_LAYERS[k - 1] == name
