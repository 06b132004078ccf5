"""Resemblyzer (GE2E speaker encoder) as a HEAR module, in torch, with real weights.

Resemble AI's ``Resemblyzer`` 0.1.4 (PyPI) ships a speaker encoder trained with the
generalised end-to-end loss of Wan et al. (2018, "Generalized end-to-end loss for speaker
verification"): a 3-layer LSTM (256 units) over 40-band mel frames, whose last layer's final
hidden state goes through a linear layer (256) and a ReLU and is L2-normalised. Registry name
``resemblyzer``.

Pre-processing, exactly as upstream (``resemblyzer.audio`` / ``VoiceEncoder.embed_utterance``
with its defaults ``rate=1.3``, ``min_coverage=0.75``):

1. 16 kHz (the HEAR rate; upstream resamples files with librosa);
2. volume normalisation to -30 dBFS RMS, **increase only** (``normalize_volume(wav, -30,
   increase_only=True)``): a clip quieter than -30 dBFS is scaled up to it, a louder one is
   left as is; a silent clip (where upstream divides by zero and returns NaN) is left silent;
3. optionally (``vad=True``, see below) upstream's voice-activity trimming;
4. the clip is cut into partial utterances of 160 mel frames (1.6 s) every
   ``round(16000 / 1.3 / 160) = 77`` frames (0.77 s), as ``compute_partial_slices``: starts
   ``0, 77, ...`` below ``ceil((n + 1) / 160) - 160 + 78``; the last partial is dropped when
   it covers less than 75 % of its 1.6 s with signal, unless it is the only one (a clip shorter
   than one partial gives one partial, zero-padded); the signal is zero-padded to the end of the
   last partial;
5. power mel spectrogram of the padded signal as ``librosa.feature.melspectrogram`` (librosa
   >= 0.10: n_fft 400 = 25 ms, hop 160 = 10 ms, periodic Hann, centred frames with zero
   padding, 40 Slaney bands 0-8 kHz, Slaney area norm; no log: upstream feeds power);
   partial ``p`` is mel frames ``77 p .. 77 p + 159``.

Network (upstream ``VoiceEncoder``): ``nn.LSTM(40, 256, 3, batch_first=True)``,
``Linear(256, 256)``, ReLU, L2 normalisation; the checkpoint's extra GE2E entries (similarity
weight and bias) are not part of it (upstream loads with ``strict=False``).

Layers (``--layers``), one vector per partial utterance:

- ``lstm1``, ``lstm2``, ``lstm3`` (256 each): each LSTM layer's hidden state after the last
  frame of the partial (``h_n`` of that layer);
- ``projection`` (256): ``relu(linear(h3))``, upstream's ``embeds_raw``;
- ``embedding`` (256, the default): the L2-normalised projection, upstream's partial embedding.

Timestamp embeddings: one per partial, at the centre of its 1.6-s window (0.8 s, 1.57 s,
2.34 s, ...: upstream's ``wav_slices`` midpoints). **Scene embedding**: for ``embedding``,
upstream's utterance embedding, the L2-normalised mean of the partial embeddings; for the other
layers the mean over partials.

Voice-activity trimming (``vad``). Upstream's ``preprocess_wav`` removes long non-speech
stretches with webrtcvad (mode 3, 30-ms windows, moving average of 8 windows, dilation by 7):
built to keep the speech of a recording. A probe of synthetic stimuli (tones, noise, chirps)
is not speech, and what webrtcvad keeps of it is arbitrary: on the fixture clips of
``tests/tools/record_resemblyzer.py`` it kept the whole tone and noise but marked 38 of the
chirp's 133 windows as non-speech and cut a quarter of it, which changes its utterance embedding
(cosine 0.94 to the untrimmed one, pinned by ``tests/test_adapter_resemblyzer.py``); a
stimulus with no voice-like window at all would be cut entirely. Trimming also gives the clips
of one batch different lengths and moves the timestamps. The registry model therefore runs
**without VAD** (``vad=False``, also the default of :func:`load_model`, so that the module
loads without webrtcvad); ``load_model(vad=True)`` reproduces ``preprocess_wav`` fully
(upstream's own default) and needs the ``webrtcvad`` module: ``pip install webrtcvad-wheels``
(prebuilt; its decisions equal webrtcvad 2.0.10's on the fixture clips), or upstream's
``webrtcvad``, a C extension built from source that imports ``pkg_resources`` (setuptools<81);
without it, ``load_model(vad=True)`` raises a one-line ImportError saying so. With
``vad=True`` the kept samples are not differentiable with respect to the VAD decision,
timestamps are mapped back to the times of the original clip, and a batch whose clips keep
different numbers of partials gives scene embeddings but no timestamp embeddings (one-line
error).

Weights: ``hear-probes weights fetch resemblyzer`` takes ``pretrained.pt`` out of the
``Resemblyzer`` 0.1.4 wheel (sha256-pinned, :mod:`hear_probes_adapters._resemblyzer_weights`);
the file of an installed ``Resemblyzer`` is used too. Parity with upstream:
``tests/test_adapter_resemblyzer.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import LayerViews, as_audio, frozen_eval, user_weight_file
from hear_probes_adapters._pypi_weights import WeightsCorruptError
from hear_probes_adapters._resemblyzer_weights import FETCH_HINT, MODEL, require_weights

ADAPTER_VERSION = "1"
SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 40
PARTIAL_FRAMES = 160
RATE = 1.3
MIN_COVERAGE = 0.75
TARGET_DBFS = -30.0
HIDDEN = 256
N_LSTM = 3
#: VAD settings of upstream's ``hparams`` (window ms, moving-average width, max silence).
VAD_WINDOW_MS = 30
VAD_AVERAGE = 8
VAD_MAX_SILENCE = 6
INT16_MAX = 2 ** 15 - 1

#: The built-in models of this module, read by :mod:`hear_probes.registry` with ``ast``.
BUILTIN_MODELS = (
    {
        "name": 'resemblyzer',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 256,
        "timestamp_dim": 256,
        "weights": "PyPI Resemblyzer 0.1.4 pretrained.pt (hear-probes weights fetch resemblyzer)",
        "options": {'vad': False},
        "requires": ('torch',),
        "description": 'Resemblyzer GE2E speaker encoder (Wan et al. 2018): L2-normalised embedding (256) of 1.6-s partials every 0.77 s, scene = upstream utterance embedding; no VAD',
        "weights_check": ('fetched:resemblyzer/pretrained.pt', 'pypi:resemblyzer/pretrained.pt'),
    },
)

LAYERS = ("lstm1", "lstm2", "lstm3", "projection", "embedding")


# --------------------------------------------------------------------------- pre-processing


def normalize_volume(audio: torch.Tensor, target_dbfs: float = TARGET_DBFS) -> torch.Tensor:
    """Upstream's ``normalize_volume(wav, -30, increase_only=True)`` per clip, ``[n, samples]``.

    A clip whose RMS is below ``10 ** (target / 20)`` is scaled to it; louder clips and silent
    ones (RMS 0, where upstream returns NaN) are unchanged. Differentiable.
    """
    rms = audio.square().mean(-1, keepdim=True).sqrt()
    target = 10.0 ** (target_dbfs / 20.0)
    gain = torch.where(rms < target, target / rms.clamp_min(1e-30), torch.ones_like(rms))
    gain = torch.where(rms > 0, gain, torch.ones_like(rms))
    return audio * gain


def partial_starts(n_samples: int, rate: float = RATE, min_coverage: float = MIN_COVERAGE
                   ) -> list[int]:
    """Start frames of the partial utterances of an ``n_samples`` clip (``compute_partial_slices``).

    Partial ``p`` is mel frames ``start .. start + 159`` and samples ``160 start .. 160 start
    + 25599``.
    """
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage}")
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLE_RATE / rate) / HOP))
    if not 0 < step <= PARTIAL_FRAMES:
        raise ValueError(f"rate {rate} gives a step of {step} frames; it must be in "
                         f"1 .. {PARTIAL_FRAMES} (rate between {SAMPLE_RATE / (HOP * PARTIAL_FRAMES)} "
                         f"and {2 * SAMPLE_RATE / HOP})")
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    coverage = (n_samples - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts = starts[:-1]
    return starts


class MelFrontend(torch.nn.Module):
    """librosa's power mel spectrogram (n_fft 400, hop 160, 40 Slaney bands), ``[n, frames, 40]``."""

    def __init__(self) -> None:
        super().__init__()
        from hear_probes_adapters.musicnn import mel_basis

        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)
        self.register_buffer("basis", torch.from_numpy(mel_basis(SAMPLE_RATE, N_FFT, N_MELS)),
                             persistent=False)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """Mel ``[n, 1 + samples // 160, 40]`` of 16-kHz audio ``[n, samples]``."""
        spec = torch.stft(audio, N_FFT, HOP, window=self.window, center=True, pad_mode="constant",
                          return_complex=True)
        power = spec.real.square() + spec.imag.square()
        return torch.einsum("mf,nft->ntm", self.basis, power)


def _moving_average(flags: np.ndarray, width: int) -> np.ndarray:
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    ret = np.cumsum(padded, dtype=float)
    ret[width:] = ret[width:] - ret[:-width]
    return ret[width - 1:] / width


def vad_flags(wav: np.ndarray) -> np.ndarray:
    """webrtcvad's voice flag of each 30-ms window (mode 3), as ``trim_long_silences``.

    The signal is rounded to int16 (clipped to its range, where upstream's cast wraps around).

    Raises
    ------
    ImportError
        webrtcvad is not installed (one line with the install command).
    """
    try:
        import webrtcvad
    except ImportError:
        raise ImportError(f"{MODEL}: vad=True needs the webrtcvad package (pip install "
                          "webrtcvad-wheels, or webrtcvad with setuptools<81); or use vad=False") from None
    win = VAD_WINDOW_MS * SAMPLE_RATE // 1000
    n = len(wav) - len(wav) % win
    # float32 product and rounding, as upstream's ``np.round(wav * int16_max)`` on float32
    pcm = np.clip(np.round(wav[:n].astype(np.float32) * np.float32(INT16_MAX)), -32768, 32767)
    pcm = pcm.astype("<i2")
    vad = webrtcvad.Vad(3)
    raw = pcm.tobytes()
    return np.array([vad.is_speech(raw[2 * s: 2 * (s + win)], SAMPLE_RATE)
                     for s in range(0, n, win)], dtype=bool)


def vad_keep(flags: np.ndarray) -> np.ndarray:
    """Sample mask of ``trim_long_silences`` from the per-window voice ``flags``.

    Moving average over 8 windows, rounded, dilated by 7 windows, repeated to samples; the
    mask covers ``30 ms x len(flags)`` samples (the clip's tail shorter than a window is
    dropped, as upstream).
    """
    from scipy.ndimage import binary_dilation

    if flags.size == 0:
        return np.zeros(0, dtype=bool)
    mask = np.round(_moving_average(flags.astype(float), VAD_AVERAGE)).astype(bool)
    mask = binary_dilation(mask, np.ones(VAD_MAX_SILENCE + 1))
    return np.repeat(mask, VAD_WINDOW_MS * SAMPLE_RATE // 1000)


# --------------------------------------------------------------------------- network


class SpeakerEncoder(torch.nn.Module):
    """Upstream's ``VoiceEncoder`` network: 3-layer LSTM (256), linear (256), ReLU, L2 norm."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(N_MELS, HIDDEN, N_LSTM, batch_first=True)
        self.linear = torch.nn.Linear(HIDDEN, HIDDEN)

    def forward(self, mels: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every layer of partials' mels ``[B, 160, 40]``: ``{name: [B, 256]}`` (:data:`LAYERS`).

        A zero projection (upstream: NaN) gives a zero embedding.
        """
        _, (hidden, _) = self.lstm(mels)
        proj = F.relu(self.linear(hidden[-1]))
        norm = proj.norm(dim=1, keepdim=True)
        out = {f"lstm{k + 1}": hidden[k] for k in range(N_LSTM)}
        out["projection"] = proj
        out["embedding"] = proj / norm.clamp_min(1e-30)
        return out


class ResemblyzerModel(LayerViews, torch.nn.Module):
    """Resemblyzer with HEAR attributes: volume normalisation, partials, named layers.

    Parameters
    ----------
    net : SpeakerEncoder
        The network with its weights.
    weights_id : str
        Identity of the weights.
    vad : bool
        Apply upstream's webrtcvad trimming (module docstring).
    partials_per_pass : int
        Partials per LSTM call (bounds memory); it does not change the embeddings.
    """

    sample_rate = SAMPLE_RATE
    name = MODEL

    def __init__(self, net: SpeakerEncoder, weights_id: str = "", vad: bool = False,
                 partials_per_pass: int = 256) -> None:
        super().__init__()
        self.net = net
        self.frontend = MelFrontend()
        self.weights_id = weights_id
        self.vad = bool(vad)
        self.partials_per_pass = int(partials_per_pass)
        self.layer_names = list(LAYERS)
        self.layer_dims = [HIDDEN] * len(LAYERS)
        self.layer_ids = list(range(1, len(LAYERS) + 1))
        self.layer = LAYERS.index("embedding") + 1
        self.scene_embedding_size = self.timestamp_embedding_size = HIDDEN

    # ------------------------------------------------------------------ partials

    def _run(self, mels: torch.Tensor, names: list[str]) -> dict[str, torch.Tensor]:
        parts: dict[str, list[torch.Tensor]] = {nm: [] for nm in names}
        for start in range(0, mels.shape[0], self.partials_per_pass):
            out = self.net(mels[start: start + self.partials_per_pass])
            for nm in names:
                parts[nm].append(out[nm])
        return {nm: torch.cat(v) for nm, v in parts.items()}

    def _partial_mels(self, audio: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
        """Mels of the partials ``[n, P, 160, 40]`` of equal-length clips, and the starts."""
        starts = partial_starts(audio.shape[-1])
        need = (starts[-1] + PARTIAL_FRAMES) * HOP
        x = F.pad(audio, (0, max(0, need - audio.shape[-1])))
        mel = self.frontend(x)
        idx = (torch.tensor(starts, device=mel.device)[:, None]
               + torch.arange(PARTIAL_FRAMES, device=mel.device))
        return mel[:, idx], starts

    def partial_layers(self, audio: torch.Tensor, layers: list[int]) -> tuple[dict, torch.Tensor | list]:
        """Per-partial embeddings ``{k: [n, P, 256]}`` of ``layers`` and the centres ``[n, P]`` (ms).

        ``audio`` is 16-kHz ``[n, samples]``, before volume normalisation. With ``vad=True``
        and clips that keep different numbers of partials ``P_i``, each layer's value and the
        centres are lists of ``n`` arrays ``[P_i, 256]`` and ``[P_i]`` instead.
        """
        names = [self.layer_names[k - 1] for k in layers]
        x = normalize_volume(audio)
        if self.vad:
            return self._vad_partial_layers(x, layers)
        mels, starts = self._partial_mels(x)
        n, count = mels.shape[:2]
        out = self._run(mels.reshape(n * count, PARTIAL_FRAMES, N_MELS), names)
        centres = _centres_ms(np.asarray(starts)).to(audio.device)
        return ({k: out[nm].reshape(n, count, -1) for k, nm in zip(layers, names, strict=True)},
                centres.unsqueeze(0).expand(n, -1))

    def _vad_partial_layers(self, x: torch.Tensor, layers: list[int]) -> tuple[dict, torch.Tensor | list]:
        """As :meth:`partial_layers` with VAD trimming, clip by clip (lengths differ)."""
        names = [self.layer_names[k - 1] for k in layers]
        per_clip, centres = [], []
        for clip in x:
            keep = vad_keep(vad_flags(clip.detach().cpu().numpy()))
            kept = np.flatnonzero(keep)
            trimmed = clip[torch.from_numpy(kept).to(clip.device)]
            mels, starts = self._partial_mels(trimmed.unsqueeze(0))
            per_clip.append(self._run(mels[0], names))
            c = (np.asarray(starts) * HOP + PARTIAL_FRAMES * HOP // 2).astype(np.int64)
            if kept.size:  # a centre in the trimmed clip -> the original clip's time
                c = kept[np.minimum(c, kept.size - 1)] + np.maximum(0, c - kept.size + 1)
            centres.append(c * 1000.0 / SAMPLE_RATE)
        counts = {len(c) for c in centres}
        if len(counts) > 1:
            return ({k: [p[nm] for p in per_clip] for k, nm in zip(layers, names, strict=True)},
                    [torch.tensor(c, dtype=torch.float32) for c in centres])
        return ({k: torch.stack([p[nm] for p in per_clip]) for k, nm in zip(layers, names,
                                                                             strict=True)},
                torch.tensor(np.stack(centres), dtype=torch.float32, device=x.device))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """16-kHz audio ``[n, samples]`` → per-partial embeddings ``[n, P, d]``."""
        return self.timestamps(audio)[0]

    def timestamps(self, audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-partial embeddings ``[n, P, d]`` of the layer and their centres ``[n, P]`` in ms.

        Raises
        ------
        ValueError
            ``vad=True`` and the clips keep different numbers of partials.
        """
        out, centres = self.partial_layers(audio, [self.layer])
        emb = out[self.layer]
        if isinstance(emb, list):
            raise ValueError(f"{MODEL} (vad=True): the clips of this batch keep "
                             f"{sorted({e.shape[0] for e in emb})} partials after VAD trimming, so "
                             "their timestamp embeddings cannot share one array; embed one clip "
                             "per call, or use vad=False")
        return emb, centres

    def scenes(self, audio: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Scene embeddings of ``layers`` (``embedding``: upstream's utterance embedding)."""
        out, _ = self.partial_layers(audio, layers)
        result = []
        for k in layers:
            v = out[k]
            mean = (torch.stack([e.mean(0) for e in v]) if isinstance(v, list) else v.mean(1))
            if self.layer_names[k - 1] == "embedding":
                mean = mean / mean.norm(dim=-1, keepdim=True).clamp_min(1e-30)
            result.append(mean)
        return result


def _centres_ms(starts: np.ndarray) -> torch.Tensor:
    """Centre (ms) of each partial's 1.6-s sample window ``[160 s, 160 (s + 160))``."""
    return torch.tensor((starts * HOP + PARTIAL_FRAMES * HOP / 2) * 1000.0 / SAMPLE_RATE,
                        dtype=torch.float32)


# --------------------------------------------------------------------------- weights


def load_net(path: str | Path) -> SpeakerEncoder:
    """A :class:`SpeakerEncoder` with the weights of an upstream checkpoint (``pretrained.pt``).

    The file is read with ``torch.load(weights_only=True)`` (no code runs); its
    ``model_state`` must hold every LSTM and linear tensor with upstream's shapes (the GE2E
    similarity entries are ignored, as upstream's ``strict=False`` does).

    Raises
    ------
    WeightsCorruptError
        Not a readable checkpoint of this network (one line naming the file).
    """
    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling error is a bad file
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise WeightsCorruptError(f"{MODEL}: cannot read the checkpoint {path} ({first}); "
                                  f"fetch it again with {FETCH_HINT} --force") from None
    state = ckpt.get("model_state") if isinstance(ckpt, dict) else None
    net = SpeakerEncoder()
    want = net.state_dict()
    if not isinstance(state, dict):
        raise WeightsCorruptError(f"{MODEL}: {path} has no 'model_state'; not a Resemblyzer "
                                  "checkpoint")
    bad = [k for k, v in want.items()
           if k not in state or tuple(getattr(state[k], "shape", ())) != tuple(v.shape)]
    if bad:
        raise WeightsCorruptError(f"{MODEL}: {path} lacks or misshapes {', '.join(bad[:4])}; "
                                  "not a Resemblyzer checkpoint")
    net.load_state_dict({k: state[k].float() for k in want}, strict=True)
    return net


def load_model(
    model_file_path: str = "",
    vad: bool = False,
    layer: int | str | None = None,
    device: str | None = None,
) -> ResemblyzerModel:
    """Load Resemblyzer's speaker encoder with its pretrained weights.

    Parameters
    ----------
    model_file_path : str
        "" for the fetched (or installed) ``pretrained.pt``, checked against the published
        sha256 (``hear-probes weights fetch resemblyzer``); or the path of a checkpoint of the
        same network (``{"model_state": ...}``).
    vad : bool
        Trim non-speech with webrtcvad as upstream's ``preprocess_wav`` (needs the
        ``webrtcvad`` package). Default False: the registry model probes synthetic stimuli,
        which VAD would cut (module docstring).
    layer : int or str, optional
        Embedding layer (index or name: lstm1, lstm2, lstm3, projection, embedding).
    device : str, optional
        "cpu", "cuda", "mps" or "auto"; default ``$HEAR_PROBES_DEVICE`` or "auto".

    Returns
    -------
    ResemblyzerModel
        In eval mode, ``weights_id = "resemblyzer:<source>:sha256:<digest>"``.
    """
    if vad:
        vad_flags(np.zeros(480, dtype=np.float32))  # webrtcvad missing: one line, now
    if model_file_path:
        path, src, digest = user_weight_file(model_file_path, MODEL)
    else:
        path, src, digest = require_weights()
    model = ResemblyzerModel(load_net(path), weights_id=f"{MODEL}:{src}:sha256:{digest}", vad=vad)
    return frozen_eval(model, layer, device)


# --------------------------------------------------------------------------- HEAR API


def get_timestamp_embeddings(audio, model: ResemblyzerModel) -> tuple[torch.Tensor, torch.Tensor]:
    """One embedding per 1.6-s partial ``[n, P, d]``, at the partial centres in ms ``[n, P]``."""
    return model.timestamps(as_audio(audio, model))


def get_scene_embeddings(audio, model: ResemblyzerModel) -> torch.Tensor:
    """Utterance embedding (``embedding``) or mean over partials (other layers), ``[n, d]``."""
    return model.scenes(as_audio(audio, model), [model.layer])[0]


def get_layer_scene_embeddings(audio, model: ResemblyzerModel) -> list[torch.Tensor]:
    """Scene embeddings of every layer (``model.layer_ids``), from one forward pass."""
    return model.scenes(as_audio(audio, model), list(model.layer_ids))

