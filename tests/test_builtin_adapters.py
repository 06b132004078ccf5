import numpy as np
import pytest
import torch
from hear_probes_adapters import logmel, stft
from scipy.signal import stft as scipy_stft


def test_stft_matches_scipy_reference():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(44100).astype(np.float32)
    model = stft.load_model(sample_rate=44100)
    frames, ts = stft.get_timestamp_embeddings(x[None], model)
    # scipy with a periodic Hann window, centred zero-padded frames, no scaling
    _, _, z = scipy_stft(x, window="hann", nperseg=1024, noverlap=512, nfft=1024, boundary="zeros",
                         padded=False, scaling="spectrum", detrend=False, return_onesided=True)
    ref = np.abs(z) * np.hanning(1025)[:-1].sum()  # undo scipy's 1/sum(window) scaling
    n = min(ref.shape[1], frames.shape[1])
    np.testing.assert_allclose(frames[0, :n].T.numpy(), ref[:, :n], rtol=1e-3, atol=1e-3)
    assert ts[0, 1].item() == pytest.approx(512 / 44100 * 1000)
    scene = stft.get_scene_embeddings(x[None], model)
    np.testing.assert_allclose(scene[0].numpy(), frames[0].mean(0).numpy(), rtol=1e-6)


def test_stft_default_is_16k_released_features():
    """``stft`` = the released features: 16 kHz, librosa-style resampling; stft-44k kept."""
    from hear_probes.hear_module import load_hear_module

    loaded = load_hear_module(name="stft")
    assert loaded.sample_rate == 16000 and loaded.resample_method == "librosa_soxr_hq"
    assert loaded.scene_embedding_size == 513
    _, ts = stft.get_timestamp_embeddings(np.zeros((1, 16000), np.float32), loaded.model)
    assert ts[0, 1].item() == pytest.approx(512 / 16000 * 1000)
    old = load_hear_module(name="stft-44k")
    assert old.sample_rate == 44100 and old.resample_method == "soxr_vhq"
    assert old.key() != loaded.key()  # different cache entries


@pytest.mark.parametrize("mod", [stft, logmel])
def test_differentiable_and_deterministic(mod):
    model = mod.load_model()
    x = torch.randn(2, 22050, requires_grad=True)
    y = mod.get_scene_embeddings(x, model)
    assert y.grad_fn is not None
    y.sum().backward()
    assert torch.isfinite(x.grad).all()
    a = mod.get_scene_embeddings(x.detach(), mod.load_model())
    np.testing.assert_array_equal(a.numpy(), y.detach().numpy())


def test_logmel_projection_fixed_by_seed():
    a, b, c = logmel.load_model(seed=0), logmel.load_model(seed=0), logmel.load_model(seed=1)
    assert torch.equal(a.projection, b.projection) and not torch.equal(a.projection, c.projection)


def test_weight_free_models_reject_paths():
    with pytest.raises(ValueError, match="no weights"):
        stft.load_model("/some/path")
