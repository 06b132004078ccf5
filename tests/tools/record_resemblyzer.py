"""Record the fixture that pins the Resemblyzer adapter to the upstream package.

Upstream is PyPI ``Resemblyzer`` 0.1.4 (``VoiceEncoder``, ``preprocess_wav``), which installs
here with its own dependencies (librosa 0.11, webrtcvad 2.0.10 built from source, an unpinned
torch; webrtcvad imports ``pkg_resources``, hence setuptools<81). It is
never installed into the project environment; run this once, by hand, in a scratch one::

    python3 -m venv /work/venv-resemblyzer-upstream
    /work/venv-resemblyzer-upstream/bin/pip install torch==2.13.0 Resemblyzer==0.1.4 'setuptools<81'
    /work/venv-resemblyzer-upstream/bin/python tests/tools/record_resemblyzer.py

For each clip of :func:`clips` (a quiet harmonic tone, loud noise, a chirp, and a clip shorter
than one partial utterance), with upstream's own functions and weights (``pretrained.pt``):

- ``<c>_gain``: the factor of ``normalize_volume(wav, -30, increase_only=True)``;
- ``<c>_flags``: webrtcvad's per-30-ms voice flags as ``trim_long_silences`` computes them
  (``Vad(mode=3)`` on the rounded int16 signal), and ``<c>_vad_len``: the length of
  ``preprocess_wav(wav)`` (volume normalisation + VAD trimming);
- ``<c>_mel``: the mel of ``embed_utterance``'s first partial at fixed (frame, band) entries
  (``<c>_mel_idx``), from ``wav_to_mel_spectrogram`` of the zero-padded signal;
- ``<c>_lstm1`` .. ``<c>_lstm3``, ``<c>_projection``: the final hidden state of each LSTM layer
  and ``relu(linear(h3))`` of every partial, from upstream's own ``lstm`` / ``linear`` modules
  on the partials' mels;
- ``<c>_partials``, ``<c>_embedding``, ``<c>_slices``: ``embed_utterance(wav,
  return_partials=True)`` on the volume-normalised clip (no VAD: what the adapter computes by
  default), its partial embeddings, utterance embedding and wav slices (start, stop);
- ``<c>_vad_embedding``: ``embed_utterance(preprocess_wav(wav))``, upstream's full pipeline.

Plus ``versions`` (package versions) and the sha256 of ``pretrained.pt``. The fixture is
``tests/fixtures/resemblyzer_upstream.npz`` (57 KB).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "resemblyzer_upstream.npz"
SR = 16000
SEED = 22
N_MEL = 64
#: Clip names and lengths in seconds.
CLIPS = (("tone", 2.5), ("noise", 3.0), ("chirp", 4.0), ("short", 1.0))


def clips() -> dict[str, np.ndarray]:
    """The recorded 16-kHz float32 clips, by name.

    - ``tone``: 5-harmonic 220 Hz tone at about -45 dBFS RMS (raised to -30 dBFS by upstream's
      increase-only normalisation);
    - ``noise``: white noise at about -10 dBFS RMS (left unchanged: louder than -30 dBFS);
    - ``chirp``: 100 Hz -> 2 kHz exponential chirp with a 4-Hz amplitude modulation;
    - ``short``: a 1-s vowel-like pulse train (150 Hz, shorter than one 1.6-s partial).
    """
    rng = np.random.default_rng(SEED)
    out = {}
    for name, seconds in CLIPS:
        n = int(round(seconds * SR))
        t = np.arange(n) / SR
        if name == "tone":
            x = sum(np.sin(2 * np.pi * 220.0 * k * t + k) / k for k in range(1, 6))
            x = 0.0056 * x / np.sqrt(np.mean(x ** 2))
        elif name == "noise":
            x = 0.316 * rng.standard_normal(n)
        elif name == "chirp":
            phase = 2 * np.pi * 100.0 * seconds / np.log(20.0) * (20.0 ** (t / seconds) - 1.0)
            x = 0.2 * (0.6 + 0.4 * np.sin(2 * np.pi * 4.0 * t)) * np.sin(phase)
        else:
            pulses = (np.mod(t, 1 / 150.0) < 1 / SR).astype(float)
            formant = np.exp(-t[:400] * 600.0) * np.sin(2 * np.pi * 700.0 * t[:400])
            x = np.convolve(pulses, formant)[:n] + 0.001 * rng.standard_normal(n)
            x = 0.1 * x / np.abs(x).max()
        out[name] = x.astype(np.float32)
    return out


def mel_entries(frames: int, bands: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Fixed (frame, band) indices of the recorded mel entries of the first partial."""
    rng = np.random.default_rng(7)
    return rng.integers(0, frames, N_MEL), rng.integers(0, bands, N_MEL)


def _vad_flags(wav: np.ndarray) -> np.ndarray:
    """``trim_long_silences``' voice flags, computed by its own steps (webrtcvad, mode 3)."""
    import struct

    import webrtcvad
    from resemblyzer.audio import int16_max
    from resemblyzer.hparams import sampling_rate, vad_window_length

    win = (vad_window_length * sampling_rate) // 1000
    wav = wav[:len(wav) - (len(wav) % win)]
    pcm = struct.pack(f"{len(wav)}h", *(np.round(wav * int16_max)).astype(np.int16))
    vad = webrtcvad.Vad(mode=3)
    return np.array([vad.is_speech(pcm[s * 2:(s + win) * 2], sample_rate=sampling_rate)
                     for s in range(0, len(wav), win)], dtype=bool)


def record() -> dict[str, np.ndarray]:
    """Run upstream on :func:`clips` and return the fixture arrays."""
    import librosa
    import resemblyzer
    import torch
    from resemblyzer import VoiceEncoder, audio, normalize_volume, preprocess_wav

    torch.set_num_threads(1)
    enc = VoiceEncoder(device="cpu", verbose=False)
    weights = Path(resemblyzer.__file__).parent / "pretrained.pt"
    out: dict[str, np.ndarray] = {
        "pretrained_sha256": np.array(hashlib.sha256(weights.read_bytes()).hexdigest()),
        "versions": np.array(f"Resemblyzer 0.1.4, torch {torch.__version__}, librosa "
                             f"{librosa.__version__}, numpy {np.__version__}"),
    }
    for name, wav in clips().items():
        normed = normalize_volume(wav, -30, increase_only=True)
        out[f"{name}_gain"] = np.array(float(np.sqrt(np.mean(normed.astype(np.float64) ** 2))
                                             / np.sqrt(np.mean(wav.astype(np.float64) ** 2))))
        out[f"{name}_flags"] = _vad_flags(normed)
        pre = preprocess_wav(wav)
        out[f"{name}_vad_len"] = np.array(len(pre))
        out[f"{name}_vad_embedding"] = enc.embed_utterance(pre).astype(np.float32)
        embed, partials, slices = enc.embed_utterance(normed, return_partials=True)
        out[f"{name}_embedding"] = embed.astype(np.float32)
        out[f"{name}_partials"] = partials.astype(np.float32)
        out[f"{name}_slices"] = np.array([[s.start, s.stop] for s in slices])
        # the partials' mels exactly as embed_utterance builds them, then upstream's modules
        _, mel_slices = enc.compute_partial_slices(len(normed), 1.3, 0.75)
        padded = np.pad(normed, (0, max(0, slices[-1].stop - len(normed))))
        mel = audio.wav_to_mel_spectrogram(padded)
        mels = np.array([mel[s] for s in mel_slices])
        fi, bi = mel_entries(mels.shape[1])
        out[f"{name}_mel"] = mels[0][fi, bi]
        with torch.no_grad():
            _, (hidden, _) = enc.lstm(torch.from_numpy(mels))
            proj = enc.relu(enc.linear(hidden[-1]))
        for k in range(3):
            out[f"{name}_lstm{k + 1}"] = hidden[k].numpy()
        out[f"{name}_projection"] = proj.numpy()
        np.testing.assert_allclose(proj.numpy() / np.linalg.norm(proj.numpy(), axis=1, keepdims=True),
                                   partials, rtol=1e-6, atol=1e-7)
    return out


def main() -> None:
    """Write :data:`OUT`."""
    arrays = record()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    for name, _ in CLIPS:
        print(name, "gain", float(arrays[f"{name}_gain"]), "voiced windows",
              int(arrays[f"{name}_flags"].sum()), "/", arrays[f"{name}_flags"].size,
              "vad length", int(arrays[f"{name}_vad_len"]), "partials",
              arrays[f"{name}_partials"].shape[0])


if __name__ == "__main__":
    main()
