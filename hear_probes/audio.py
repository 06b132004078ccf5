"""Audio input: read, mix to mono, resample, validate.

All audio handed to a HEAR module goes through :func:`load_audio` (files) or
:func:`prepare_audio` (arrays), so that every model hears the same physical sound at its
own sample rate.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from hear_probes.errors import AudioError

#: Quality of the soxr resampler (very high quality, linear phase).
RESAMPLE_QUALITY = "VHQ"

#: Resampling methods a model may ask for with a ``resample_method`` attribute.
#: ``"soxr_vhq"`` (the default): soxr very high quality, soxr's output length.
#: ``"librosa_soxr_hq"``: exactly what ``librosa.load(path, sr=...)`` does by default
#: (librosa >= 0.10): soxr "HQ", then the length fixed to ``ceil(n * sr_out / sr_in)``
#: (zero-padded or truncated by one sample). Models that reproduce features computed with
#: librosa (``stft``) use it; the two differ by about 1e-4 relative in a time-averaged
#: magnitude spectrum (docs/timbre.md).
RESAMPLE_METHODS = ("soxr_vhq", "librosa_soxr_hq")
DEFAULT_RESAMPLE_METHOD = "soxr_vhq"


def resample(x: np.ndarray, sr_in: int, sr_out: int, method: str | None = None) -> np.ndarray:
    """Resample a mono signal with soxr.

    Parameters
    ----------
    x : np.ndarray
        Mono signal, shape ``[samples]``.
    sr_in, sr_out : int
        Input and output sample rates in Hz.
    method : str, optional
        One of :data:`RESAMPLE_METHODS` (default ``"soxr_vhq"``).

    Returns
    -------
    np.ndarray
        float32 signal at ``sr_out``; ``x`` itself (as float32) when the rates match.
    """
    method = method or DEFAULT_RESAMPLE_METHOD
    if method not in RESAMPLE_METHODS:
        raise ValueError(f"resample method {method!r}: choose one of {', '.join(RESAMPLE_METHODS)}")
    x = np.asarray(x, dtype=np.float32)
    if int(sr_in) == int(sr_out):
        return x
    import soxr

    if method == "soxr_vhq":
        return soxr.resample(x, int(sr_in), int(sr_out), quality=RESAMPLE_QUALITY).astype(
            np.float32, copy=False
        )
    y = soxr.resample(x, int(sr_in), int(sr_out), quality="HQ").astype(np.float32, copy=False)
    n = int(np.ceil(x.shape[-1] * float(sr_out) / float(sr_in)))  # librosa.util.fix_length
    if y.shape[-1] >= n:
        return y[:n]
    return np.concatenate([y, np.zeros(n - y.shape[-1], dtype=np.float32)])


def to_mono(x: np.ndarray) -> np.ndarray:
    """Mix a ``[samples]`` or ``[samples, channels]`` array to mono by averaging channels."""
    x = np.asarray(x)
    if x.ndim == 1:
        return x
    if x.ndim == 2:
        return x.mean(axis=1)
    raise AudioError(f"audio array has {x.ndim} dimensions; expected [samples] or [samples, channels]")


def prepare_audio(
    x: np.ndarray, sample_rate: int, target_rate: int, name: str = "<array>",
    method: str | None = None,
) -> np.ndarray:
    """Validate an in-memory signal, mix it to mono and resample it (``method``: see
    :func:`resample`).

    Raises
    ------
    AudioError
        When the signal is empty or holds NaN/inf (the message names ``name``).
    """
    x = to_mono(np.asarray(x, dtype=np.float32))
    if x.size == 0:
        raise AudioError(f"{name}: audio is empty (0 samples); remove or replace this file")
    if not np.all(np.isfinite(x)):
        bad = int(np.count_nonzero(~np.isfinite(x)))
        raise AudioError(
            f"{name}: audio holds {bad} NaN/inf samples; re-export the file or clean the array"
        )
    return resample(x, sample_rate, target_rate, method)


def load_audio(path: str | os.PathLike, sample_rate: int, method: str | None = None) -> np.ndarray:
    """Read a WAV/AIFF/FLAC file as mono float32 at ``sample_rate``.

    Parameters
    ----------
    path : path-like
        Audio file (any format libsndfile reads).
    sample_rate : int
        Rate of the module that will hear it.
    method : str, optional
        Resampling method (:data:`RESAMPLE_METHODS`); default ``"soxr_vhq"``.

    Returns
    -------
    np.ndarray
        float32 ``[samples]``.

    Raises
    ------
    AudioError
        Unreadable, empty, or non-finite files, with the file name and the reason.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such audio file")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=False)
    except Exception as exc:  # libsndfile raises a generic RuntimeError/LibsndfileError
        raise AudioError(f"{path}: cannot read audio ({exc}); is it WAV/AIFF/FLAC?") from exc
    _warn_if_suspicious(data, int(sr), path)
    return prepare_audio(data, int(sr), int(sample_rate), name=str(path), method=method)


#: Files shorter than this (seconds) get a warning: most models frame audio in 25-100 ms hops.
MIN_DURATION_S = 0.05
#: Files whose peak is below this (dBFS) get a warning: nearly silent.
SILENCE_DBFS = -80.0


def _warn_if_suspicious(data: np.ndarray, sr: int, path: Path) -> None:
    """Warn (not fail) on silent, nearly silent or very short audio files."""
    import warnings

    from hear_probes.errors import HearProbesWarning

    n = data.shape[0] if data.ndim else 0
    if n == 0 or not np.all(np.isfinite(data)):
        return  # prepare_audio raises a clear error
    if n / sr < MIN_DURATION_S:
        warnings.warn(f"{path}: only {1000 * n / sr:.1f} ms of audio ({n} samples at {sr} Hz); "
                      "most models need at least one 25-100 ms frame: its embedding may be meaningless",
                      HearProbesWarning, stacklevel=3)
    peak = float(np.max(np.abs(data)))
    if peak == 0.0:
        warnings.warn(f"{path}: the audio is silent (every sample is 0)", HearProbesWarning, stacklevel=3)
    elif 20 * np.log10(peak) < SILENCE_DBFS:
        warnings.warn(f"{path}: the audio is nearly silent (peak {20 * np.log10(peak):.0f} dBFS)",
                      HearProbesWarning, stacklevel=3)


def group_by_length(arrays: list[np.ndarray]) -> dict[int, list[int]]:
    """Indices of ``arrays`` grouped by length.

    Items are only batched with items of the same length, so that no clip is padded with
    another clip's silence (which would change a time-averaged scene embedding).
    """
    groups: dict[int, list[int]] = {}
    for i, a in enumerate(arrays):
        groups.setdefault(int(a.shape[-1]), []).append(i)
    return groups
