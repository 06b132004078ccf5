import numpy as np
import pytest
import soundfile as sf

from hear_probes.audio import load_audio, prepare_audio, resample
from hear_probes.errors import AudioError


@pytest.mark.parametrize(("fmt", "suffix"), [("WAV", ".wav"), ("AIFF", ".aiff"), ("FLAC", ".flac")])
def test_formats_mono_and_resampling(tmp_path, fmt, suffix):
    sr = 44100
    t = np.arange(sr) / sr
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([left, left], axis=1)
    path = tmp_path / f"tone{suffix}"
    sf.write(path, stereo, sr, format=fmt, subtype="PCM_16")
    x = load_audio(path, 16000)
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) - 16000) <= 1
    spec = np.abs(np.fft.rfft(x))
    assert abs(np.argmax(spec) * 16000 / len(x) - 440) < 2


def test_resample_preserves_sine_level():
    sr = 48000
    t = np.arange(sr) / sr
    x = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    y = resample(x, sr, 16000)
    assert np.sqrt(np.mean(y[1000:-1000] ** 2)) == pytest.approx(1 / np.sqrt(2), rel=1e-3)
    assert resample(x, sr, sr) is not None


def test_bad_audio(tmp_path):
    with pytest.raises(AudioError, match="no such audio file"):
        load_audio(tmp_path / "missing.wav", 16000)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="junk.wav: cannot read audio"):
        load_audio(junk, 16000)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0), 16000)
    with pytest.raises(AudioError, match="empty.wav: audio is empty"):
        load_audio(empty, 16000)
    nan = tmp_path / "nan.wav"
    sf.write(nan, np.array([0.0, np.nan, 0.1], dtype=np.float32), 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="nan.wav: audio holds 1 NaN/inf"):
        load_audio(nan, 16000)
    with pytest.raises(AudioError, match="x: audio holds"):
        prepare_audio(np.array([np.inf, 0.0]), 16000, 16000, name="x")


def test_librosa_resampling_method_matches_librosa_load():
    """``librosa_soxr_hq`` = ``librosa.load(sr=...)``: soxr HQ and length ceil(n * ratio)."""
    rng = np.random.default_rng(0)
    for n in (44100, 44101, 3969, 12345):
        x = rng.standard_normal(n).astype(np.float32)
        y = resample(x, 44100, 16000, "librosa_soxr_hq")
        assert len(y) == int(np.ceil(n * 16000 / 44100))
        try:
            import librosa
        except ImportError:
            continue
        ref = librosa.resample(x, orig_sr=44100, target_sr=16000, res_type="soxr_hq")
        np.testing.assert_array_equal(y, ref)
    with pytest.raises(ValueError, match="resample method 'bogus'"):
        resample(x, 44100, 16000, "bogus")
