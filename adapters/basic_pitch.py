"""Basic Pitch (Bittner et al. 2022) as a HEAR module, in torch, with the published weights.

"A lightweight instrument-agnostic model for polyphonic note transcription and multipitch
estimation" (ICASSP 2022): a harmonic-CQT front end and three small convolutional heads that
give, every 256 samples at 22.05 kHz (86.13 frames per second), a pitch *contour*
posteriorgram (264 bins, 3 per semitone from A0), a *note* posteriorgram and an *onset*
posteriorgram (88 piano keys each). The weights are the ICASSP 2022 model of the PyPI package
``basic-pitch`` 0.4.0 (ONNX export, read without ``onnx``/``onnxruntime``:
:mod:`hear_probes_adapters._basic_pitch_weights`); the network is written here in torch.

Front end, exactly as upstream (``basic_pitch.models.get_cqt`` and ``layers/nnaudio.py``,
nnAudio's ``CQT2010v2`` ported to TF): audio at 22050 Hz (the HEAR rate of this module);
CQT of 309 bins (103 semitones x 3 bins from 27.5 Hz, 36 bins per octave, ``Q = 1 / (2^(1/36)
- 1)``) computed octave by octave: the top octave's 36 complex Hann-windowed, L1-normalised
kernels (256 taps) are correlated with the reflect-padded signal at hop 256, then the signal
is low-passed (256-tap ``firwin2`` half-band filter, zero-padded) and decimated by 2 eight
times while the hop halves; the 324 bins are cut to the top 309, scaled by ``sqrt`` of each
bin's kernel length, and their magnitude taken (no early downsampling for this setting).
Then ``NormalizedLog``: ``10 log10(|C|^2 + 1e-10)`` min-max normalised to [0, 1] over each
window; a (scalar) batch norm; harmonic stacking of the CQT shifted by ``round(36 log2 h)``
bins for ``h`` in 0.5, 1, 2, ..., 7 (zero-padded), first 264 bins kept.

Network (``basic_pitch.models.model``, ``n_harmonics=8``): contour branch = conv 8 x (3 x 39)
+ batch norm + ReLU, conv 1 x (5 x 5) + sigmoid = **contour** (the dead ``Conv2D(32, 5x5)``
whose output upstream overwrites is not part of the graph); note branch = conv 32 x (7 x 7)
stride 3 in frequency on the contour + ReLU, conv 1 x (7 x 3) + sigmoid = **note**; onset
branch = conv 32 x (5 x 5) stride 3 on the harmonic stack + batch norm + ReLU, concatenated
after the note map, conv 1 x (3 x 3) + sigmoid = **onset**. The batch norms after convolutions
are folded into them, as in the published ONNX file.

Windows, exactly as ``basic_pitch.inference.run_inference``: the clip is preceded by 3840
zeros (half of the 30-frame overlap), cut into windows of 43844 samples (2 s minus one hop,
172 frames) every 36164 samples, the last zero-padded; each window is normalised and run on
its own; 15 frames are dropped at each end of every window and the rest concatenated; the
result is trimmed to ``floor(samples * 86 / 22050)`` frames (at least one here; upstream
returns none for clips under 257 samples). Upstream's window hop (141.27 frames) is not a
whole number of frames, so frame ``k`` of window ``i`` is centred at ``(36164 i + 256 k) /
22050`` s while its index in the stitched output says ``(142 i + k) 256 / 22050`` s: the
stitched frames lag behind their index by 188 samples (8.5 ms) per window. This adapter
keeps upstream's frames and reports the evenly spaced index times (as the HEAR contract
requires and as upstream's outputs are indexed); ``load_model(aligned=True)`` instead hops by
142 frames (36352 samples) so that every frame sits exactly at its index time (not upstream).

Layers (``--layers``), one vector per frame, flattened frequency-major (channels fastest) as
upstream's ``FlattenFreqCh``: ``cqt`` (309, the normalised log CQT), ``harmonic_stack`` (264 x
8 = 2112), ``contour_conv`` (264 x 8 = 2112), ``onset_conv`` (88 x 32 = 2816), ``contour``
(264), ``note_conv`` (88 x 32 = 2816), ``note`` (88), ``onset`` (88). Default: ``contour``,
the model's multipitch estimate (what the paper evaluates for multipitch estimation), the only
input of the note branch, and compact; the layers before the heads are available by name.
Timestamp embeddings: every frame (86.13 Hz, 11.6 ms); **scene embedding: the mean over the
stitched frames** (upstream defines no clip-level output).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import LayerViews, as_audio, frozen_eval, user_weight_file

ADAPTER_VERSION = "1"
SAMPLE_RATE = 22050
HOP = 256
FMIN = 27.5
BINS_PER_SEMITONE = 3
BINS_PER_OCTAVE = 36
N_BINS = 309  # min(ceil(12 log2 8) + 88, floor(12 log2(11025 / 27.5))) = 103 semitones x 3
N_CONTOUR = 264  # 88 semitones x 3
N_NOTES = 88
HARMONICS = (0.5, 1, 2, 3, 4, 5, 6, 7)
WINDOW = 43844  # AUDIO_N_SAMPLES = 2 s x 22050 - 256
WINDOW_FRAMES = 172
OVERLAP_FRAMES = 30
WINDOW_HOP = WINDOW - OVERLAP_FRAMES * HOP  # 36164 samples (141.27 frames)
ALIGNED_HOP = (WINDOW_FRAMES - OVERLAP_FRAMES) * HOP  # 36352 samples (142 frames)
FPS = SAMPLE_RATE // HOP  # upstream's ANNOTATIONS_FPS = 86 (used for the trim)

#: The built-in models of this module, read by :mod:`hear_probes.registry` with ``ast``.
BUILTIN_MODELS = (
    {
        "name": 'basic-pitch',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 264,
        "timestamp_dim": 264,
        "weights": "PyPI basic-pitch 0.4.0 nmp.onnx (hear-probes weights fetch basic-pitch)",
        "options": {},
        "requires": ('torch', 'scipy'),
        "description": 'Basic Pitch ICASSP 2022 (Bittner et al. 2022): contour posteriorgram (264 bins, 1/3 semitone), harmonic CQT at 22.05 kHz, 11.6-ms frames, scene = mean of frames',
        "weights_check": ('fetched:basic-pitch/icassp_2022/nmp.onnx',),
    },
)

LAYERS = ("cqt", "harmonic_stack", "contour_conv", "onset_conv", "contour", "note_conv", "note",
          "onset")
DIMS = (N_BINS, N_CONTOUR * 8, N_CONTOUR * 8, N_NOTES * 32, N_CONTOUR, N_NOTES * 32, N_NOTES,
        N_NOTES)
DEFAULT_LAYER = "contour"
#: What each layer needs computed before it (the branches are skipped when not asked for).
_NEEDS = {"cqt": (), "harmonic_stack": (), "contour_conv": (), "contour": ("contour_conv",),
          "note_conv": ("contour_conv",), "note": ("contour_conv", "note_conv"),
          "onset_conv": (), "onset": ("contour_conv", "note_conv", "onset_conv")}


# --------------------------------------------------------------------------- CQT front end


def harmonic_shifts() -> list[int]:
    """Bins by which harmonic stacking shifts the CQT: ``round(36 log2 h)``."""
    return [int(round(BINS_PER_OCTAVE * math.log2(h))) for h in HARMONICS]


def cqt_design() -> dict:
    """The CQT that upstream builds (``CQT2010v2.build``), in float64.

    Returns
    -------
    dict
        ``kernels`` complex ``[36, 256]`` (top octave, L1-normalised Hann-windowed complex
        exponentials, centred as nnAudio does), ``lowpass`` ``[256]`` (``firwin2`` half-band
        filter), ``sqrt_lengths`` ``[309]`` (librosa-style rescaling), ``n_octaves`` (9),
        ``hop`` (256).
    """
    from scipy.signal import firwin2, get_window

    q = 1.0 / (2 ** (1 / BINS_PER_OCTAVE) - 1)
    n_octaves = int(np.ceil(N_BINS / BINS_PER_OCTAVE))
    fmin_t = FMIN * 2 ** (n_octaves - 1)
    rem = N_BINS % BINS_PER_OCTAVE
    fmax_t = fmin_t * 2 ** (((rem or BINS_PER_OCTAVE) - 1) / BINS_PER_OCTAVE)
    fmin_t = fmax_t / 2 ** (1 - 1 / BINS_PER_OCTAVE)
    # early downsampling (nnAudio/librosa rule): none for this CQT, which the port relies on
    cutoff = fmax_t * (1 + 0.5 * 1.5 / q)
    count1 = max(0, int(np.ceil(np.log2(0.85 * (SAMPLE_RATE // 2) / cutoff)) - 1) - 1)
    count2 = max(0, int(np.ceil(np.log2(HOP))) - n_octaves + 1)
    if min(count1, count2) != 0:  # pragma: no cover - constants fixed above
        raise AssertionError("Basic Pitch's CQT has no early downsampling")
    fft_len = 2 ** int(np.ceil(np.log2(np.ceil(q * SAMPLE_RATE / fmin_t))))
    freqs = fmin_t * 2.0 ** (np.arange(BINS_PER_OCTAVE) / BINS_PER_OCTAVE)
    kernels = np.zeros((BINS_PER_OCTAVE, fft_len), dtype=np.complex128)
    for k, f in enumerate(freqs):
        length = np.ceil(q * SAMPLE_RATE / f)
        start = int(np.ceil(fft_len / 2.0 - length / 2.0)) - int(length % 2)
        n = np.arange(-length // 2, length // 2)
        sig = get_window("hann", int(length), fftbins=True) * np.exp(n * 2j * np.pi * f / SAMPLE_RATE) / length
        kernels[k, start: start + int(length)] = sig / np.linalg.norm(sig, 1)
    lowpass = firwin2(256, [0.0, 0.5 / 1.001, 0.5 * 1.001, 1.0], [1.0, 1.0, 0.0, 0.0])
    all_freqs = FMIN * 2.0 ** (np.arange(N_BINS) / BINS_PER_OCTAVE)
    lengths = np.ceil(q * SAMPLE_RATE / all_freqs)
    return {"kernels": kernels, "lowpass": lowpass, "sqrt_lengths": np.sqrt(lengths),
            "n_octaves": n_octaves, "hop": HOP}


class HarmonicCQT(torch.nn.Module):
    """Upstream's input representation: normalised log CQT and harmonic stack of 2-s windows."""

    def __init__(self) -> None:
        super().__init__()
        d = cqt_design()
        k = d["kernels"].astype(np.complex64)
        basis = np.concatenate([k.real, k.imag])[:, None, :].astype(np.float32)  # [72, 1, 256]
        self.register_buffer("basis", torch.from_numpy(basis), persistent=False)
        self.register_buffer("lowpass", torch.from_numpy(d["lowpass"].astype(np.float32)).view(1, 1, -1),
                             persistent=False)
        self.register_buffer("sqrt_lengths", torch.from_numpy(d["sqrt_lengths"].astype(np.float32)),
                             persistent=False)
        self.n_octaves = d["n_octaves"]
        self.pad = self.basis.shape[-1] // 2
        self.shifts = harmonic_shifts()

    def power(self, x: torch.Tensor) -> torch.Tensor:
        """Squared CQT magnitude ``[B, frames, 309]`` of windows ``[B, samples]`` (nnAudio's CQT2010v2).

        Upstream takes the magnitude and ``NormalizedLog`` squares it again; the square root is
        skipped here (the same value to float32 rounding, and differentiable at silence).
        """
        x = x[:, None, :]
        hop, octaves = HOP, []
        for i in range(self.n_octaves):
            if i:
                hop //= 2
                lp = self.lowpass.shape[-1]
                x = F.conv1d(F.pad(x, ((lp - 1) // 2, (lp - 1) // 2)), self.lowpass, stride=2)
            octaves.append(F.conv1d(F.pad(x, (self.pad, self.pad), mode="reflect"), self.basis,
                                    stride=hop))
        nb = BINS_PER_OCTAVE  # octaves[i]: [B, 36 real + 36 imaginary, frames]; lowest first
        re = torch.cat([o[:, :nb] for o in octaves[::-1]], 1)[:, -N_BINS:]
        im = torch.cat([o[:, nb:] for o in octaves[::-1]], 1)[:, -N_BINS:]
        s = self.sqrt_lengths[:, None]
        return ((re * s).square() + (im * s).square()).transpose(1, 2)

    def magnitude(self, x: torch.Tensor) -> torch.Tensor:
        """CQT magnitude ``[B, frames, 309]`` (upstream's CQT layer output)."""
        return torch.sqrt(self.power(x))

    @staticmethod
    def normalized_log(power: torch.Tensor) -> torch.Tensor:
        """``NormalizedLog`` of the squared magnitude: dB, min-max scaled to [0, 1] per window."""
        log_power = 10.0 * torch.log10(power + 1e-10)
        lo = log_power.amin(dim=(1, 2), keepdim=True)
        off = log_power - lo
        hi = off.amax(dim=(1, 2), keepdim=True)
        return torch.where(hi == 0, torch.zeros_like(off), off / torch.where(hi == 0, 1.0, hi))

    def stack(self, x: torch.Tensor) -> torch.Tensor:
        """Harmonic stacking ``[B, T, 309]`` → ``[B, 8, T, 264]`` (zero-padded shifts)."""
        chans = []
        for s in self.shifts:
            if s > 0:
                chans.append(F.pad(x[..., s:], (0, s)))
            elif s < 0:
                chans.append(F.pad(x[..., :s], (-s, 0)))
            else:
                chans.append(x)
        return torch.stack(chans, 1)[..., :N_CONTOUR]


class BasicPitchNet(torch.nn.Module):
    """The ICASSP 2022 network after the front end (batch norms folded into the convolutions)."""

    def __init__(self) -> None:
        super().__init__()
        self.frontend = HarmonicCQT()
        self.bn_scale = torch.nn.Parameter(torch.ones(1))
        self.bn_offset = torch.nn.Parameter(torch.zeros(1))
        self.contour_conv = torch.nn.Conv2d(8, 8, (3, 39), padding=(1, 19))
        self.contour_head = torch.nn.Conv2d(8, 1, (5, 5), padding=(2, 2))
        self.note_conv = torch.nn.Conv2d(1, 32, (7, 7), stride=(1, 3))
        self.note_head = torch.nn.Conv2d(32, 1, (7, 3), padding=(3, 1))
        self.onset_conv = torch.nn.Conv2d(8, 32, (5, 5), stride=(1, 3))
        self.onset_head = torch.nn.Conv2d(33, 1, (3, 3), padding=(1, 1))

    def forward(self, windows: torch.Tensor, names: tuple[str, ...] = LAYERS) -> dict[str, torch.Tensor]:
        """Windows ``[B, 43844]`` → the requested maps, ``[B, C, T, F]`` (``cqt``: ``[B, T, 309]``).

        Only the branches that the requested layers need are computed.
        """
        need = set(names).union(*(_NEEDS[n] for n in names))
        out: dict[str, torch.Tensor] = {}
        cqt = self.frontend.normalized_log(self.frontend.power(windows))
        out["cqt"] = cqt
        # channels-last maps: oneDNN runs these thin (8-channel) convolutions ~3.5x faster
        hs = self.frontend.stack(cqt * self.bn_scale + self.bn_offset).contiguous(
            memory_format=torch.channels_last)
        out["harmonic_stack"] = hs
        if need & {"contour_conv", "contour", "note_conv", "note", "onset"}:
            cc = F.relu(self.contour_conv(hs))
            out["contour_conv"] = cc
            contour = torch.sigmoid(self.contour_head(cc))
            out["contour"] = contour
        if need & {"note_conv", "note", "onset"}:
            nc = F.relu(self.note_conv(F.pad(out["contour"], (2, 2, 3, 3))))  # TF 'same', stride 3
            out["note_conv"] = nc
            out["note"] = torch.sigmoid(self.note_head(nc))
        if need & {"onset_conv", "onset"}:
            oc = F.relu(self.onset_conv(F.pad(hs, (1, 1, 2, 2))))
            out["onset_conv"] = oc
            if "onset" in need:
                out["onset"] = torch.sigmoid(self.onset_head(torch.cat([out["note"], oc], 1)))
        return {n: out[n] for n in names}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy the tensors of :func:`~hear_probes_adapters._basic_pitch_weights.learned_arrays`.

        Raises
        ------
        ValueError
            A tensor is missing or has another shape (not the weights of this model).
        """
        state = {"bn_scale": arrays["bn_in.scale"], "bn_offset": arrays["bn_in.offset"]}
        for conv in ("contour_conv", "contour_head", "note_conv", "note_head", "onset_conv",
                     "onset_head"):
            state[f"{conv}.weight"] = arrays[f"{conv}.weight"]
            state[f"{conv}.bias"] = arrays[f"{conv}.bias"]
        own = dict(self.named_parameters())
        if set(own) != set(state):
            raise ValueError(f"parameters {sorted(set(own) ^ set(state))} unmatched; "
                             "not the weights of this model")
        with torch.no_grad():
            for name, arr in state.items():
                if tuple(arr.shape) != tuple(own[name].shape):
                    raise ValueError(f"{name}: weights of shape {arr.shape}, expected "
                                     f"{tuple(own[name].shape)}: not the weights of this model")
                own[name].copy_(torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)))


def flatten_frames(m: torch.Tensor) -> torch.Tensor:
    """A map ``[B, C, T, F]`` → ``[B, T, F * C]`` (channels fastest, as ``FlattenFreqCh``)."""
    if m.ndim == 3:
        return m
    b, c, t, f = m.shape
    return m.permute(0, 2, 3, 1).reshape(b, t, f * c)


# --------------------------------------------------------------------------- windows


def n_output_frames(samples: int) -> int:
    """Frames upstream keeps for a clip (``floor(samples * 86 / 22050)``), at least one."""
    return max(1, int(np.floor(samples * (FPS / SAMPLE_RATE))))


def cut_windows(audio: torch.Tensor, hop: int = WINDOW_HOP) -> torch.Tensor:
    """``[n, samples]`` → windows ``[n, W, 43844]`` as ``run_inference`` cuts them.

    ``OVERLAP_FRAMES * HOP / 2`` zeros are prepended, windows start every ``hop`` samples
    while the start is inside the padded clip, and the last one is zero-padded.
    """
    lead = OVERLAP_FRAMES * HOP // 2
    total = audio.shape[1] + lead
    count = -(-total // hop)
    padded = F.pad(audio, (lead, (count - 1) * hop + WINDOW - total))
    return padded.unfold(1, WINDOW, hop)


def stitch(frames: torch.Tensor, n: int, samples: int) -> torch.Tensor:
    """Per-window frames ``[n * W, 172, d]`` → clip frames ``[n, T, d]`` (``unwrap_output``)."""
    olap = OVERLAP_FRAMES // 2
    kept = frames[:, olap: frames.shape[1] - olap]
    clip = kept.reshape(n, -1, kept.shape[-1])
    t = n_output_frames(samples)
    if clip.shape[1] < t:  # pragma: no cover - windows always cover the clip
        raise AssertionError("windows do not cover the clip")
    return clip[:, :t]


# --------------------------------------------------------------------------- HEAR model


class BasicPitchModel(LayerViews, torch.nn.Module):
    """Basic Pitch with HEAR attributes: 2-s windows, stitched frames, named layers.

    Parameters
    ----------
    net : BasicPitchNet
        The network with its weights.
    weights_id : str
        Identity of the weights.
    aligned : bool
        Hop windows by 142 frames so every frame sits at its index time (not upstream's
        36164-sample hop; see the module docstring).
    windows_per_pass : int
        Windows per forward pass (bounds memory); it does not change the embeddings.
    """

    sample_rate = SAMPLE_RATE
    name = "basic-pitch"

    def __init__(self, net: BasicPitchNet, weights_id: str = "", aligned: bool = False,
                 windows_per_pass: int = 16) -> None:
        super().__init__()
        self.net = net
        self.weights_id = weights_id
        self.aligned = bool(aligned)
        self.windows_per_pass = int(windows_per_pass)
        self.layer_names = list(LAYERS)
        self.layer_dims = list(DIMS)
        self.layer_ids = list(range(1, len(LAYERS) + 1))
        self.layer = LAYERS.index(DEFAULT_LAYER) + 1
        self.scene_embedding_size = self.timestamp_embedding_size = DIMS[self.layer - 1]

    def frame_layers(self, audio: torch.Tensor, layers: list[int]) -> dict[int, torch.Tensor]:
        """Stitched frame embeddings ``{k: [n, T, d_k]}`` of ``layers`` for 22.05-kHz ``[n, samples]``."""
        names = tuple(self.layer_names[k - 1] for k in layers)
        wins = cut_windows(audio, ALIGNED_HOP if self.aligned else WINDOW_HOP)
        n, count = wins.shape[:2]
        flat = wins.reshape(n * count, WINDOW)
        parts: dict[str, list[torch.Tensor]] = {nm: [] for nm in names}
        for start in range(0, flat.shape[0], self.windows_per_pass):
            out = self.net(flat[start: start + self.windows_per_pass], names)
            for nm in names:
                parts[nm].append(flatten_frames(out[nm]))
        return {k: stitch(torch.cat(parts[nm]), n, audio.shape[1])
                for k, nm in zip(layers, names, strict=True)}

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """22.05-kHz audio ``[n, samples]`` → frame embeddings ``[n, T, d]`` of ``self.layer``."""
        return self.frame_layers(audio, [self.layer])[self.layer]

    def scenes(self, audio: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Scene embeddings (mean over the stitched frames) of ``layers``, one pass."""
        out = self.frame_layers(audio, layers)
        return [out[k].mean(1) for k in layers]


def build_net(arrays: dict[str, np.ndarray] | None = None) -> BasicPitchNet:
    """The network in eval mode, with ``arrays`` (:func:`learned_arrays`) loaded when given."""
    net = BasicPitchNet()
    if arrays is not None:
        try:
            net.load_arrays(arrays)
        except KeyError as exc:
            raise ValueError(f"basic-pitch: tensor {exc} missing; not the weights of this model") from None
    return net.to(memory_format=torch.channels_last).eval()


def load_model(
    model_file_path: str = "",
    layer: int | str | None = None,
    aligned: bool = False,
    device: str | None = None,
) -> BasicPitchModel:
    """Load Basic Pitch (ICASSP 2022) with its published weights.

    Parameters
    ----------
    model_file_path : str
        "" for the fetched ``nmp.onnx`` of ``basic-pitch`` 0.4.0 (checked against the published
        sha256; ``hear-probes weights fetch basic-pitch``), or the path of an ONNX export of
        the same graph.
    layer : int or str, optional
        Embedding layer (index or name; default ``contour``; see the module docstring).
    aligned : bool
        Hop windows by a whole number of frames (not upstream; see the module docstring).
    device : str, optional
        "cpu", "cuda", "mps" or "auto"; default ``$HEAR_PROBES_DEVICE`` or "auto".

    Returns
    -------
    BasicPitchModel
        In eval mode, ``weights_id = "basic-pitch-icassp2022:<source>:sha256:<digest>"``.
    """
    from hear_probes_adapters._basic_pitch_weights import read_arrays, require_weights

    if model_file_path:
        path, src, digest = user_weight_file(model_file_path, "basic-pitch", "ONNX file")
    else:
        path, digest = require_weights()
        src = "pypi"
    model = BasicPitchModel(build_net(read_arrays(path)), aligned=aligned,
                            weights_id=f"basic-pitch-icassp2022:{src}:sha256:{digest}")
    return frozen_eval(model, layer, device)


# --------------------------------------------------------------------------- HEAR API


def frame_times_ms(n: int, frames: int, device: torch.device | None = None) -> torch.Tensor:
    """Index times of the stitched frames, ``k * 256 / 22050`` s in ms, ``[n, frames]``."""
    ts = torch.arange(frames, dtype=torch.float64) * (1000.0 * HOP / SAMPLE_RATE)
    return ts.to(torch.float32).to(device).unsqueeze(0).expand(n, -1)


def get_timestamp_embeddings(audio, model: BasicPitchModel) -> tuple[torch.Tensor, torch.Tensor]:
    """One embedding per stitched frame ``[n, T, d]`` (86.13 Hz), frame times in ms."""
    x = as_audio(audio, model)
    emb = model(x)
    return emb, frame_times_ms(x.shape[0], emb.shape[1], emb.device)


def get_scene_embeddings(audio, model: BasicPitchModel) -> torch.Tensor:
    """Mean over the clip's stitched frames of the layer's embedding, ``[n, d]``."""
    return model.scenes(as_audio(audio, model), [model.layer])[0]


def get_layer_scene_embeddings(audio, model: BasicPitchModel) -> list[torch.Tensor]:
    """Scene embeddings of every layer (``model.layer_ids``), from one forward pass."""
    return model.scenes(as_audio(audio, model), list(model.layer_ids))
