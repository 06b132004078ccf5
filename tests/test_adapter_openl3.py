"""OpenL3 torch port: front-end against librosa (and TF's STFT), network against Keras, loader,
framing, timestamps, weights resolution, contract, hearvalidator and the openl3-package parity."""

from __future__ import annotations

import gzip
import importlib.util
import shutil

import numpy as np
import pytest
import torch
from fixtures_openl3 import SLIM_WIDTHS, write_openl3_h5
from hear_probes_adapters import openl3 as ol3
from hear_probes_adapters._common import WeightsNotFoundError
from hear_probes_adapters._openl3_net import KapreFrontEnd, load_openl3_net, mel_filterbank

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator
from hear_probes.hashing import sha256_file
from hear_probes.hear_module import load_hear_module

SR = 48000


@pytest.fixture(scope="module")
def h5_full(tmp_path_factory):
    return write_openl3_h5(tmp_path_factory.mktemp("ol3") / "openl3_audio_mel256_music.h5", seed=0)


@pytest.fixture(scope="module")
def model(h5_full):
    return ol3.load_model(str(h5_full))


def known_signal(noise: float = 0.05) -> np.ndarray:
    """1 s at 48 kHz: 440 Hz tone, decaying 3 kHz partial, linear chirp, white noise."""
    t = np.arange(SR) / SR
    x = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t) * np.exp(-3 * t)
    x += 0.1 * np.sin(2 * np.pi * (100 * t + 5000 * t**2))
    return x + noise * np.random.default_rng(0).standard_normal(SR)


def librosa_reference(x: np.ndarray, input_repr: str) -> np.ndarray:
    """Kapre's front-end as openl3 configures it, written with librosa (float64)."""
    librosa = pytest.importorskip("librosa")
    n_fft = 512 if input_repr == "linear" else 2048
    if input_repr != "linear":  # tf.signal.stft(pad_end=True): zeros up to 199 frames
        x = np.pad(x, (0, 198 * 242 + n_fft - len(x)))
    s = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=242, window="hann", center=False))
    if input_repr != "linear":
        s = librosa.filters.mel(sr=SR, n_fft=n_fft, n_mels=int(input_repr[3:]), fmin=0.0,
                                fmax=None, htk=False, norm="slaney", dtype=np.float64) @ s
    db = 10.0 * np.log10(np.maximum(s, 1e-10))
    return np.maximum(db - db.max(), -80.0)


@pytest.mark.parametrize("n_mels", [128, 256])
def test_mel_filterbank_matches_librosa(n_mels):
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(sr=SR, n_fft=2048, n_mels=n_mels, htk=False, norm="slaney")
    np.testing.assert_allclose(mel_filterbank(SR, 2048, n_mels), ref, rtol=0, atol=1e-7)


@pytest.mark.parametrize(("input_repr", "shape"), [("mel256", (256, 199)), ("mel128", (128, 199)),
                                                    ("linear", (257, 197))])
def test_frontend_matches_librosa(input_repr, shape):
    x = known_signal()
    ref = librosa_reference(x, input_repr)
    out = KapreFrontEnd(input_repr)(torch.from_numpy(x.astype(np.float32))[None])
    assert out.shape == (1, 1, *shape) and out.dtype == torch.float32
    np.testing.assert_allclose(out[0, 0].numpy(), ref, atol=0.01)
    assert out.max().item() == 0.0 and out.min().item() >= -80.0
    # A pure tone leaves most bins at the float32 noise floor (10 log10 of an amplitude puts
    # it near -70 dB): compare the bins above -50 dB only.
    tone = known_signal(noise=0.0)
    ref, out = librosa_reference(tone, input_repr), KapreFrontEnd(input_repr)(
        torch.from_numpy(tone.astype(np.float32))[None])[0, 0].numpy()
    np.testing.assert_allclose(out[ref > -50], ref[ref > -50], atol=0.05)


def test_frontend_matches_tf_signal_stft():
    """Kapre calls tf.signal.stft(pad_end=True) with tf.signal.hann_window: same result."""
    tf = pytest.importorskip("tensorflow")
    x = known_signal().astype(np.float32)
    for input_repr in ("mel128", "linear"):
        n_fft = 512 if input_repr == "linear" else 2048
        s = tf.abs(tf.signal.stft(tf.constant(x[None]), frame_length=n_fft, frame_step=242,
                                  fft_length=n_fft, window_fn=tf.signal.hann_window,
                                  pad_end=input_repr != "linear"))[0].numpy().T
        if input_repr != "linear":
            s = mel_filterbank(SR, n_fft, 128) @ s
        db = 10 * np.log10(np.maximum(s, 1e-10))
        ref = np.maximum(db - db.max(), -80)
        out = KapreFrontEnd(input_repr)(torch.from_numpy(x)[None])[0, 0].numpy()
        np.testing.assert_allclose(out, ref, atol=0.02)


def _keras_openl3(keras, shape, pool):
    """The audio network of openl3.models (include_frontend=False), in Keras."""
    layers = keras.layers
    x = inp = keras.Input(shape=shape)
    x = layers.BatchNormalization()(x)
    for i, w in enumerate((64, 64, 128, 128, 256, 256, 512, 512)):
        x = layers.Conv2D(w, (3, 3), padding="same")(x)
        if i == 7:
            break
        x = layers.Activation("relu")(layers.BatchNormalization()(x))
        if i in (1, 3, 5):
            x = layers.MaxPooling2D(pool_size=(2, 2), strides=2)(x)
    x = layers.MaxPooling2D(pool_size=pool, padding="same")(x)
    return keras.Model(inp, layers.Flatten()(x))


@pytest.mark.parametrize(("input_repr", "size", "shape", "pool"), [
    ("mel256", 6144, (256, 199, 1), (8, 8)),
    ("mel128", 512, (128, 199, 1), (16, 24)),
    ("linear", 6144, (257, 197, 1), (8, 8)),
])
def test_network_matches_keras(h5_full, input_repr, size, shape, pool):
    """Keras loads the same HDF5 file with its own loader; the torch port gives the same output."""
    keras = pytest.importorskip("keras")
    pytest.importorskip("tensorflow")
    km = _keras_openl3(keras, shape, pool)
    km.load_weights(str(h5_full))
    spec = np.random.default_rng(1).uniform(-80, 0, (2, *shape)).astype(np.float32)
    ref = km.predict(spec, verbose=0)
    net = load_openl3_net(h5_full, input_repr, size)
    with torch.no_grad():
        out = net(torch.from_numpy(spec).permute(0, 3, 1, 2)).numpy()
    assert out.shape == ref.shape == (2, size)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


def _openl3_core_windows(x: np.ndarray) -> np.ndarray:
    """openl3.core._preprocess_audio_batch(center=True, hop_size=0.1), at 48 kHz."""
    x = np.pad(x, (SR // 2, 0))
    n = len(x)
    pad = SR - n if n < SR else int(np.ceil((n - SR) / 4800)) * 4800 - (n - SR)
    x = np.pad(x, (0, max(pad, 0)))
    t = 1 + (len(x) - SR) // 4800
    return np.stack([x[k * 4800 : k * 4800 + SR] for k in range(t)])


@pytest.mark.parametrize("n_samples", [1000, 24000, 48000, 48001, 100000])
def test_windows_follow_openl3_core(model, n_samples):
    x = np.random.default_rng(n_samples).standard_normal((2, n_samples)).astype(np.float32)
    win = model.windows(torch.from_numpy(x)).numpy()
    for i in range(2):
        np.testing.assert_array_equal(win[i], _openl3_core_windows(x[i]))
    assert model.n_frames(n_samples) == win.shape[1]


@pytest.fixture(scope="module")
def h5_slim(tmp_path_factory):
    """Same layout, narrow early layers (last one 512): fast end-to-end runs."""
    path = tmp_path_factory.mktemp("ol3slim") / "openl3_audio_mel256_music.h5"
    return write_openl3_h5(path, widths=SLIM_WIDTHS, seed=2)


def test_full_size_shapes(h5_full, model):
    x = torch.from_numpy(np.stack([known_signal()[:9600], known_signal(0.2)[:9600]]).astype(np.float32))
    with torch.no_grad():
        emb, ts = ol3.get_timestamp_embeddings(x, model)
    assert emb.shape == (2, 1, 6144) and emb.dtype == torch.float32 and ts.shape == (2, 1)
    assert torch.isfinite(emb).all() and not torch.equal(emb[0], emb[1])
    assert model.weights_id == f"sha256:{sha256_file(h5_full)}"
    assert (model.input_repr, model.content_type, model.sample_rate) == ("mel256", "music", 48000)


def test_timestamps_batching_determinism(h5_slim):
    model = ol3.load_model(str(h5_slim))
    x = torch.from_numpy(np.stack([known_signal(), known_signal(0.2)]).astype(np.float32))
    with torch.no_grad():
        emb, ts = ol3.get_timestamp_embeddings(x, model)
        scene = ol3.get_scene_embeddings(x, model)
        one = ol3.get_timestamp_embeddings(x[1:], model)[0]
        again = ol3.get_timestamp_embeddings(x, ol3.load_model(str(h5_slim), frame_batch=5))[0]
    assert emb.shape == (2, 6, 6144) and emb.dtype == torch.float32
    np.testing.assert_allclose(ts[1].numpy(), 100.0 * np.arange(6))
    torch.testing.assert_close(scene, emb.mean(1))
    torch.testing.assert_close(one[0], emb[1], rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(again, emb, rtol=1e-5, atol=1e-4)


def test_layouts_and_variants(tmp_path, h5_full):
    full = write_openl3_h5(tmp_path / "openl3_audio_mel256_music.h5", seed=0, full_model=True)
    a = load_openl3_net(h5_full, "mel256", 512).state_dict()
    b = load_openl3_net(full, "mel256", 512).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    linear = write_openl3_h5(tmp_path / "openl3_audio_linear_env.h5", widths=SLIM_WIDTHS)
    m = ol3.load_model(str(linear), embedding_size=512)
    assert (m.input_repr, m.content_type, m.scene_embedding_size) == ("linear", "env", 512)
    with pytest.raises(ValueError, match="contradicts"):
        ol3.load_model(str(linear), input_repr="mel256")
    with pytest.raises(ValueError, match="512 or 6144"):
        ol3.load_model(str(linear), embedding_size=1024)
    plain = shutil.copy(linear, tmp_path / "weights.h5")
    assert ol3.load_model(str(plain), input_repr="mel128").input_repr == "mel128"
    bad = tmp_path / "bad.h5"
    import h5py

    with h5py.File(bad, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense"])
        f.create_group("dense").attrs["weight_names"] = np.array([b"dense/kernel:0"])
        f["dense"].create_dataset("dense/kernel:0", data=np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="16 weighted layers"):
        load_openl3_net(bad, "mel256", 6144)


def test_download_cache_and_digests(tmp_path, monkeypatch, h5_full):
    """The real download code on a file:// URL, the recorded digest, the pinned digest."""
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(ol3, "_installed_openl3_file", lambda name: None)
    src = tmp_path / "srv"
    src.mkdir()
    with open(h5_full, "rb") as f, gzip.open(src / "openl3_audio_mel128_env-v0_4_0.h5.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    monkeypatch.setattr(ol3, "WEIGHTS_URL", src.as_uri() + "/openl3_audio_{repr}_{content}-v0_4_0.h5.gz")
    m = ol3.load_model(content_type="env", input_repr="mel128")
    cached = ol3.weights_dir() / "openl3_audio_mel128_env.h5"
    assert m.weights_id == f"sha256:{sha256_file(h5_full)}" == f"sha256:{sha256_file(cached)}"
    assert (cached.parent / (cached.name + ".sha256")).read_text().split()[0] == sha256_file(h5_full)
    assert ol3.load_model(content_type="env", input_repr="mel128").weights_id == m.weights_id
    with open(cached, "r+b") as f:  # corrupt the cached copy: the recorded digest catches it
        f.seek(-8, 2)
        f.write(b"corrupt!")
    with pytest.raises(WeightsNotFoundError, match="sha256"):
        ol3.load_model(content_type="env", input_repr="mel128")
    # mel256/music has a pinned digest: a random file in the cache is refused
    shutil.copy(h5_full, ol3.weights_dir() / "openl3_audio_mel256_music.h5")
    with pytest.raises(WeightsNotFoundError, match="expected 624ee7b1"):
        ol3.load_model()


def test_offline_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(ol3, "_installed_openl3_file", lambda name: None)
    monkeypatch.setattr(ol3, "WEIGHTS_URL", "http://127.0.0.1:9/openl3_audio_{repr}_{content}.h5.gz")
    with pytest.raises(WeightsNotFoundError) as err:
        ol3.load_model()
    msg = str(err.value)
    assert "model_file_path" in msg and "openl3_audio_mel256_music.h5" in msg and "\n" not in msg


def test_contract_checks(h5_slim):
    loaded = load_hear_module(name="openl3", model_path=h5_slim)
    report = check_module(loaded)
    assert (report.sample_rate, report.scene_embedding_size, report.n_frames) == (48000, 6144, 6)
    assert report.timestamp_step_ms == pytest.approx(100.0)
    assert loaded.options["input_repr"] == "mel256"


@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator is not installed")
def test_official_hearvalidator(h5_slim):
    """On the slim weight file (same layout, narrow early layers) to keep the run short."""
    run_hearvalidator("hear_probes_adapters.openl3", str(h5_slim))


@pytest.mark.skipif(importlib.util.find_spec("openl3") is None,
                    reason="the openl3 package is not installed (its setup downloads the weights "
                           "from GitHub, which is unreachable here)")
def test_parity_with_openl3_package():
    """Both backends on the weights bundled with the openl3 package (needs network at install)."""
    path = ol3._installed_openl3_file("openl3_audio_mel256_music.h5")
    if path is None:
        pytest.skip("the openl3 package has no bundled mel256/music weight file")
    x = np.stack([known_signal()[:36000], known_signal(0.2)[:36000]]).astype(np.float32)
    torch_model = ol3.load_model(str(path), embedding_size=512)
    keras_model = ol3.load_model(str(path), embedding_size=512, backend="openl3")
    with torch.no_grad():
        a, ta = ol3.get_timestamp_embeddings(x, torch_model)
    b, tb = ol3.get_timestamp_embeddings(x, keras_model)
    np.testing.assert_allclose(ta.numpy(), tb.numpy(), atol=1e-3)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-3 * float(np.abs(b).max()))


def test_registry_lists_tf_era_models():
    """vggish, yamnet and openl3 are registered with their rates and sizes (no import)."""
    from hear_probes.registry import builtin_models

    models = builtin_models()
    got = {n: (models[n].backend, models[n].sample_rate, models[n].scene_dim,
               models[n].timestamp_dim) for n in ("vggish", "yamnet", "openl3")}
    assert got == {"vggish": ("tensorflow", 16000, 128, 128),
                   "yamnet": ("tensorflow", 16000, 1024, 1024),
                   "openl3": ("torch", 48000, 6144, 6144)}
    assert models["openl3"].options == {"content_type": "music", "input_repr": "mel256",
                                        "embedding_size": 6144}
