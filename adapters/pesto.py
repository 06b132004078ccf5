"""PESTO pitch estimators (Riou et al. 2023) as a HEAR module, in torch, with real weights.

"PESTO: Pitch Estimation with Self-supervised Transposition-equivariant Objective" (ISMIR
2023): a small network trained without labels on MIR-1K to map each constant-Q spectrum frame
to a 384-bin pitch distribution (3 bins per semitone, MIDI 0-128), made equivariant to
transposition (a shift of the CQT shifts the output) by a Toeplitz final layer. Two published
checkpoints (PyPI ``pesto-pitch`` 2.0.1, ``hear-probes weights fetch pesto``):

=================  ===========  ==================  ==================  =====================
model              checkpoint   CQT                 prefilters          upstream release
=================  ===========  ==================  ==================  =====================
``pesto-mir1k``    mir-1k       296 bins, Q const.  2 x width 15 (1)    pesto-pitch 1.0.0
``pesto-mir1k-g7`` mir-1k_g7    251 bins, gamma 7   3 x width 39        pesto-pitch 2.0.1
=================  ===========  ==================  ==================  =====================

(1) ``mir-1k`` runs as in 1.0.0, the release it was published with: its second prefilter is a
convolution *without* activation (a side effect of ``nn.ModuleList(*[...])`` there) and the
encoder input is in dB. pesto-pitch 2.0.1 cannot run this checkpoint (it renamed the prefilter
modules, leaving that convolution random, and its confidence head does not fit the 296-bin
CQT); see ``tests/tools/record_pesto.py``.

Pre-processing, exactly as upstream (``pesto.data.Preprocessor`` with the default step of
10 ms): 16-kHz audio (the rate of MIR-1K, the training data; upstream builds its CQT for any
rate, and the top bin, 7.9 kHz, needs at least 16 kHz); a constant-Q transform as nnAudio's
(bins from 27.5 Hz · 2^(-1/36), A0 centred, 36 per octave; periodic Hann windows of
``ceil(Q sr / (f + gamma / alpha))`` samples, L1-normalised, centred in a frame of the next
power of two, 32768 samples; librosa normalisation ``x sqrt(length)``), one frame every 160
samples (10 ms), frames centred with reflect padding; ``20 log10(max(|C|, eps32))`` in dB
(mir-1k), times ``ln(10) / 10`` (mir-1k_g7, as 2.0.1 does in place), cropped by 16 bins at each
end (the pitch-shift margin: 264 and 219 bins). The CQT is computed octave by octave on each
kernel's non-zero span only (the same sums, 4x fewer operations than upstream's full-width
convolution). One deviation: upstream's reflect padding (``torch`` ``reflect``) fails for a clip
shorter than half the frame (16385 samples, 1.02 s); here such clips are extended by repeated
reflection (``np.pad(mode="reflect")``), identical to upstream wherever upstream runs.

Encoder (``Resnet1d``): layer norm over the frequency bins; prefilter 1 (1 → 40 channels,
convolution along frequency, LeakyReLU 0.3); further prefilters (40 → 40, residual; LeakyReLU
for mir-1k_g7 only); four 1x1 convolutions 40 → 30 → 30 → 10 → 3 (LeakyReLU each); the
channel-major flattened map (3 x bins) into a Toeplitz layer (a 1-channel convolution: the
same weights at every transposition) giving 384 logits; softmax; rolled by the checkpoint's
``shift`` (x 3 bins) so that bin ``b`` is MIDI pitch ``b / 3``.

Layers (``--layers``), per 10-ms frame:

- ``cqt``: the encoder input (cropped log-magnitude CQT, 264 / 219);
- ``layernorm``: after the learned layer norm (264 / 219);
- ``prefilter1`` .. ``prefilterK``: the prefilter maps, channel-major flattened (40 x bins);
- ``pointwise1`` .. ``pointwise4``: the 1x1 convolution maps, flattened (30, 30, 10, 3 x bins);
- ``logits``: the Toeplitz layer's output (384, rolled as the activations);
- ``activations``: the pitch distribution (384, softmax), upstream's ``activations``.

Frequency is a feature axis here (the network is convolutional along it and pitch is where
the energy sits), so the maps are kept whole, not pooled over frequency. **Default:
``pointwise4``**, the last layer before the pitch classifier (the Toeplitz layer): the
network's final representation, pitch read from it by one shift-equivariant linear map, like
the classifier inputs chosen for CREPE and FCN. Timestamp embeddings: one per upstream frame,
every 10 ms, centred on ``t * 10`` ms; **scene embedding: the mean over frames** (upstream
defines no clip-level output).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import LayerViews, as_audio, frozen_eval, user_weight_file
from hear_probes_adapters._pesto_weights import read_checkpoint, require_checkpoint

ADAPTER_VERSION = "1"
SAMPLE_RATE = 16000
STEP_MS = 10.0
HOP = 160
BINS_PER_SEMITONE = 3
PITCH_BINS = 384

#: The built-in models of this module, read by :mod:`hear_probes.registry` with ``ast``.
BUILTIN_MODELS = (
    {
        "name": 'pesto-mir1k',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 792,
        "timestamp_dim": 792,
        "weights": "PyPI pesto-pitch 2.0.1 checkpoint mir-1k (hear-probes weights fetch pesto)",
        "options": {'checkpoint': 'mir-1k'},
        "requires": ('torch', 'scipy'),
        "description": 'PESTO self-supervised pitch estimator, MIR-1K (Riou et al. 2023): last 1x1 conv before the Toeplitz classifier (3 x 264), 10-ms frames, scene = mean of frames',
        "weights_check": ('fetched:pesto/mir-1k.ckpt',),
    },
    {
        "name": 'pesto-mir1k-g7',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 657,
        "timestamp_dim": 657,
        "weights": "PyPI pesto-pitch 2.0.1 checkpoint mir-1k_g7 (hear-probes weights fetch pesto)",
        "options": {'checkpoint': 'mir-1k_g7'},
        "requires": ('torch', 'scipy'),
        "description": 'PESTO self-supervised pitch estimator, MIR-1K, variable-Q CQT gamma 7 (Riou et al. 2023): last 1x1 conv before the Toeplitz classifier (3 x 219), 10-ms frames, scene = mean of frames',
        "weights_check": ('fetched:pesto/mir-1k_g7.ckpt',),
    },
)

CHECKPOINTS = {"mir-1k": "pesto-mir1k", "mir-1k_g7": "pesto-mir1k-g7"}


# --------------------------------------------------------------------------- CQT


def cqt_kernels(sr: int, fmin: float, n_bins: int, bins_per_octave: int, gamma: float = 0.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """nnAudio's time-domain CQT kernels (as upstream): ``[n_bins, width]`` complex64, lengths.

    Bin ``k`` is a periodic Hann window of ``l_k = ceil(Q sr / (f_k + gamma / alpha))`` samples
    times ``exp(2 pi i f_k n / sr)``, ``n = floor(-l/2) .. floor(l/2) - 1``, divided by ``l_k``
    and L1-normalised, placed at the centre of ``width`` = the next power of two of ``max l``.
    """
    from scipy.signal import get_window

    q = 1.0 / (2.0 ** (1.0 / bins_per_octave) - 1.0)
    freqs = fmin * 2.0 ** (np.arange(n_bins) / float(bins_per_octave))
    if freqs.max() > sr / 2:
        raise ValueError(f"PESTO CQT: top bin {freqs.max():.0f} Hz is above the Nyquist "
                         f"frequency of {sr} Hz")
    alpha = 2.0 ** (1.0 / bins_per_octave) - 1.0
    lengths = np.ceil(q * sr / (freqs + gamma / alpha))
    width = int(2 ** np.ceil(np.log2(lengths.max())))
    kern = np.zeros((n_bins, width), dtype=np.complex64)
    for k, (f, ln) in enumerate(zip(freqs, lengths, strict=True)):  # one-off, 300 kernels
        n = int(ln)
        start = int(np.ceil(width / 2.0 - ln / 2.0)) - (n % 2)
        sig = get_window("hann", n, fftbins=True) * np.exp(
            np.arange((-n) // 2, n // 2) * 1j * 2 * np.pi * f / sr) / ln
        kern[k, start: start + n] = sig / np.abs(sig).sum()
    return kern, lengths


def reflect_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """``x`` ``[n, L]`` mirrored by ``pad`` samples at both ends (edge sample not repeated).

    Equal to ``F.pad(x, (pad, pad), mode="reflect")`` where that works (``pad < L``) and to
    ``np.pad(mode="reflect")`` (repeated reflection) for shorter clips.
    """
    length = x.shape[-1]
    if pad < length:
        return F.pad(x.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    idx = torch.arange(-pad, length + pad, device=x.device)
    if length == 1:
        return x[:, torch.zeros_like(idx)]
    period = 2 * (length - 1)
    idx = idx.remainder(period)
    return x[:, torch.where(idx >= length, period - idx, idx)]


class PestoCQT(torch.nn.Module):
    """Upstream's log-magnitude CQT, computed on each octave's non-zero kernel span.

    Parameters
    ----------
    hcqt : dict
        The checkpoint's ``hcqt_params`` (``fmin``, ``n_bins``, ``bins_per_semitone``,
        ``center_bins``, ``gamma``, ``harmonics`` = [1]).
    legacy_db : bool
        Output in dB (pesto 1.0.0, mir-1k); else dB x ln(10)/10 (2.0.1).
    frames_per_pass : int
        Frames per matrix product (bounds memory: 128 KB per frame); no effect on values.
    """

    def __init__(self, hcqt: dict, legacy_db: bool = False, frames_per_pass: int = 256) -> None:
        super().__init__()
        if list(hcqt.get("harmonics", [1])) != [1]:
            raise ValueError(f"PESTO: harmonics {hcqt['harmonics']} not supported (only [1])")
        bps = int(hcqt["bins_per_semitone"])
        fmin = float(hcqt["fmin"])
        if hcqt.get("center_bins", True):
            fmin = fmin / 2 ** ((bps - 1) / (24 * bps))
        kern, lengths = cqt_kernels(SAMPLE_RATE, fmin, int(hcqt["n_bins"]), 12 * bps,
                                    float(hcqt.get("gamma", 0) or 0))
        self.n_bins, self.width = kern.shape
        self.legacy_db = bool(legacy_db)
        self.frames_per_pass = int(frames_per_pass)
        nz = np.abs(kern) > 0
        first = nz.argmax(1)
        last = self.width - nz[:, ::-1].argmax(1)
        per_octave = 12 * bps
        self.spans: list[tuple[int, int, int, int]] = []  # (bin from, bin to, col from, col to)
        for i, lo in enumerate(range(0, self.n_bins, per_octave)):
            hi = min(self.n_bins, lo + per_octave)
            self.spans.append((lo, hi, int(first[lo:hi].min()), int(last[lo:hi].max())))
            w = np.concatenate([kern.real[lo:hi], -kern.imag[lo:hi]])[:, self.spans[-1][2]: self.spans[-1][3]]
            self.register_buffer(f"kernel{i}", torch.from_numpy(np.ascontiguousarray(w.T, dtype=np.float32)))
        self.register_buffer("sqrt_lengths", torch.from_numpy(lengths.astype(np.float32)).sqrt())

    def magnitude(self, audio: torch.Tensor) -> torch.Tensor:
        """|CQT| ``[n, frames, n_bins]`` of 16-kHz audio ``[n, samples]`` (frames = 1 + samples // 160)."""
        n, length = audio.shape
        frames = length // HOP + 1
        padded = reflect_pad(audio, self.width // 2)
        parts = []
        for i, (lo, hi, c0, c1) in enumerate(self.spans):
            kernel = getattr(self, f"kernel{i}")
            cols = padded[:, c0:].unfold(-1, c1 - c0, HOP)[:, :frames]  # [n, T, span] view
            out = torch.cat([cols[:, s: s + self.frames_per_pass] @ kernel
                             for s in range(0, frames, self.frames_per_pass)], 1)
            re, im = out[..., : hi - lo], out[..., hi - lo:]
            parts.append(torch.sqrt(re.square() + im.square()))
        return torch.cat(parts, -1) * self.sqrt_lengths

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """Log-magnitude CQT ``[n, frames, n_bins]`` as the encoder's upstream input (uncropped)."""
        eps = torch.finfo(torch.float32).eps
        db = 20.0 * torch.log10(self.magnitude(audio).clamp_min(eps))
        return db if self.legacy_db else db * (np.log(10.0) / 10.0)


# --------------------------------------------------------------------------- encoder


class PestoEncoder(torch.nn.Module):
    """``Resnet1d`` of PESTO, returning every named layer of one batch of CQT frames.

    Parameters
    ----------
    n_bins_in : int
        Cropped CQT bins.
    channels : tuple of int
        Prefilter channels then the 1x1 convolutions' outputs (40, 30, 30, 10, 3).
    n_prefilters, kernel_size : int
        Prefilter convolutions and their width along frequency.
    output_dim : int
        Pitch bins (384).
    slope : float
        LeakyReLU negative slope.
    prefilter_activation : bool
        LeakyReLU after prefilters 2.. (2.0.1); False for pesto 1.0.0 checkpoints.
    """

    def __init__(self, n_bins_in: int, channels: tuple[int, ...] = (40, 30, 30, 10, 3),
                 n_prefilters: int = 2, kernel_size: int = 15, output_dim: int = PITCH_BINS,
                 slope: float = 0.3, prefilter_activation: bool = True) -> None:
        super().__init__()
        c0 = channels[0]
        self.n_bins_in, self.channels, self.slope = n_bins_in, tuple(channels), float(slope)
        self.prefilter_activation = bool(prefilter_activation)
        self.layernorm = torch.nn.LayerNorm([1, n_bins_in])
        self.prefilters = torch.nn.ModuleList([
            torch.nn.Conv1d(1 if i == 0 else c0, c0, kernel_size, padding=kernel_size // 2)
            for i in range(n_prefilters)])
        self.pointwise = torch.nn.ModuleList([torch.nn.Conv1d(a, b, 1) for a, b in
                                              zip(channels[:-1], channels[1:], strict=True)])
        flat = n_bins_in * channels[-1]
        self.toeplitz = torch.nn.Conv1d(1, 1, flat + output_dim - 1, padding=output_dim - 1, bias=False)

    @property
    def layer_names(self) -> list[str]:
        """Names of :meth:`forward`'s outputs except ``activations`` (added by the model)."""
        return (["cqt", "layernorm"] + [f"prefilter{i + 1}" for i in range(len(self.prefilters))]
                + [f"pointwise{i + 1}" for i in range(len(self.pointwise))] + ["logits"])

    def layer_dims(self) -> list[int]:
        """Flattened sizes of :attr:`layer_names` (and 384 for the activations)."""
        n = self.n_bins_in
        return ([n, n] + [self.channels[0] * n] * len(self.prefilters)
                + [c * n for c in self.channels[1:]] + [PITCH_BINS])

    def forward(self, x: torch.Tensor, upto: int | None = None) -> list[torch.Tensor]:
        """Cropped log-CQT frames ``[N, bins]`` → the layers' outputs ``[N, d]`` in order.

        ``upto``: stop after that many layers (1-based), to skip unneeded work.
        """
        upto = upto or len(self.layer_names)
        act = lambda h: F.leaky_relu(h, self.slope)  # noqa: E731
        h = self.layernorm(x.unsqueeze(1))
        outs = [x, h.flatten(1)]
        for i, conv in enumerate(self.prefilters):
            if len(outs) >= upto:
                return outs[:upto]
            y = conv(h)
            h = act(y) if i == 0 else h + (act(y) if self.prefilter_activation else y)
            outs.append(h.flatten(1))
        for conv in self.pointwise:
            if len(outs) >= upto:
                return outs[:upto]
            h = act(conv(h))
            outs.append(h.flatten(1))
        if len(outs) < upto:
            outs.append(self.toeplitz(h.flatten(1).unsqueeze(1)).squeeze(1))
        return outs[:upto]


class ConfidenceHead(torch.nn.Module):
    """pesto 2.x voicing classifier: CQT energy → conv (width 39, stride 3) + flatness → sigmoid."""

    def __init__(self, n_bins: int) -> None:
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 1, 39, stride=3)
        self.linear = torch.nn.Linear((n_bins - 39) // 3 + 2, 1)

    def forward(self, energy: torch.Tensor) -> torch.Tensor:
        """``[N, bins]`` power → ``[N]`` confidence in [0, 1]."""
        flatness = energy.log().mean(-1, keepdim=True).exp() / energy.mean(-1, keepdim=True).clamp_min(1e-8)
        h = F.relu(self.conv(energy.unsqueeze(1)).squeeze(1))
        return torch.sigmoid(self.linear(torch.cat((h, flatness), -1))).squeeze(-1)


# --------------------------------------------------------------------------- HEAR model


class PestoModel(LayerViews, torch.nn.Module):
    """A PESTO checkpoint with HEAR attributes: CQT, named layers, frame chunking.

    Parameters
    ----------
    cqt : PestoCQT
        The front-end.
    encoder : PestoEncoder
        The network with its weights.
    crop : int
        Bins cropped at each end of the CQT (16).
    shift_bins : int
        Roll of the logits/activations to absolute pitch (``round(3 * shift)``).
    name : str
        Registry name (used in messages).
    weights_id : str
        Identity of the weights.
    confidence : ConfidenceHead, optional
        The 2.x voicing head (None: pesto 1.0.0's energy confidence).
    frames_per_pass : int
        Frames per encoder pass (bounds memory: about 170 KB per frame); no effect on values.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, cqt: PestoCQT, encoder: PestoEncoder, crop: int = 16, shift_bins: int = 0,
                 name: str = "pesto", weights_id: str = "",
                 confidence: ConfidenceHead | None = None, frames_per_pass: int = 2048) -> None:
        super().__init__()
        self.cqt, self.encoder, self.confidence = cqt, encoder, confidence
        self.crop, self.shift_bins = int(crop), int(shift_bins)
        self.name, self.weights_id = name, weights_id
        self.frames_per_pass = int(frames_per_pass)
        self.layer_names = [*encoder.layer_names, "activations"]
        self.layer_dims = [*encoder.layer_dims(), PITCH_BINS]
        self.layer_ids = list(range(1, len(self.layer_names) + 1))
        self.layer = self.layer_names.index(f"pointwise{len(encoder.pointwise)}") + 1
        self.scene_embedding_size = self.timestamp_embedding_size = self.layer_dims[self.layer - 1]

    def log_cqt(self, audio: torch.Tensor) -> torch.Tensor:
        """Uncropped log-magnitude CQT ``[n, frames, bins]`` (upstream's preprocessor output)."""
        return self.cqt(audio)

    def _chunks(self, audio: torch.Tensor, layers: list[int]):
        """Yield ``(first frame row, {k: [rows, d_k]})`` over the clips' frames, chunk by chunk.

        Rows are clip-major (row ``i`` = clip ``i // frames``, frame ``i % frames``).
        """
        logc = self.log_cqt(audio)
        n, frames, bins = logc.shape
        x = logc[..., self.crop: bins - self.crop].reshape(n * frames, -1)
        upto = min(max(layers), len(self.encoder.layer_names))
        last = len(self.layer_names)
        for s in range(0, x.shape[0], self.frames_per_pass):
            outs = self.encoder(x[s: s + self.frames_per_pass], upto=upto)
            got = {}
            for k in layers:
                if k == last:
                    got[k] = torch.softmax(outs[-1], -1).roll(-self.shift_bins, -1)
                elif k == last - 1:
                    got[k] = outs[-1].roll(-self.shift_bins, -1)
                else:
                    got[k] = outs[k - 1]
            yield s, got

    def frame_layers(self, audio: torch.Tensor, layers: list[int]) -> dict[int, torch.Tensor]:
        """Per-frame embeddings ``{k: [n, frames, d_k]}`` of ``layers`` for 16-kHz audio."""
        n, frames = audio.shape[0], audio.shape[-1] // HOP + 1
        parts: dict[int, list[torch.Tensor]] = {k: [] for k in layers}
        for _, got in self._chunks(audio, layers):
            for k in layers:
                parts[k].append(got[k])
        return {k: torch.cat(v).reshape(n, frames, -1) for k, v in parts.items()}

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """16-kHz audio ``[n, samples]`` → timestamp embeddings ``[n, frames, d]`` every 10 ms."""
        return self.frame_layers(audio, [self.layer])[self.layer]

    def scenes(self, audio: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Scene embeddings (mean over frames) of ``layers``, one pass.

        Equal to ``frame_layers(...)[k].mean(1)``, summed chunk by chunk into the clips (the
        frame maps of all layers are never held at once).
        """
        n, frames = audio.shape[0], audio.shape[-1] // HOP + 1
        sums: dict[int, torch.Tensor] = {}
        for start, got in self._chunks(audio, layers):
            for k in layers:
                v = got[k]
                clip = torch.arange(start, start + v.shape[0], device=v.device) // frames
                if k not in sums:
                    sums[k] = v.new_zeros(n, v.shape[1])
                sums[k] = sums[k].index_add(0, clip, v)
        return [sums[k] / frames for k in layers]


# --------------------------------------------------------------------------- weights


def _architecture(ckpt: dict, where: str) -> tuple[dict, dict, bool]:
    """Encoder hyper-parameters, HCQT parameters and whether it is a pesto 1.0.0 checkpoint."""
    state, hp, hcqt = ckpt["state_dict"], ckpt["hparams"], ckpt["hcqt_params"]
    try:
        enc = hp["encoder"]
        legacy = "encoder.prefilt_layers.0.weight" in state
        arch = {"n_bins_in": int(enc["n_bins_in"]), "channels": tuple(int(c) for c in enc["n_chan_layers"]),
                "n_prefilters": int(enc["n_prefilt_layers"]),
                "kernel_size": int(enc.get("prefilt_kernel_size", 15)),
                "output_dim": int(enc["output_dim"]), "slope": float(enc.get("a_lrelu", 0.3)),
                "prefilter_activation": not legacy}
        ok = (enc.get("activation_fn", "leaky") == "leaky" and enc.get("residual", True)
              and int(enc.get("n_chan_input", 1)) == 1 and len(arch["channels"]) == 5
              and arch["output_dim"] == PITCH_BINS and int(hcqt["n_bins"]) - 2 * int(
                  hp["pitch_shift"]["max_steps"]) == arch["n_bins_in"]
              and -int(hp["pitch_shift"]["min_steps"]) == int(hp["pitch_shift"]["max_steps"])
              and int(hcqt["bins_per_semitone"]) == BINS_PER_SEMITONE)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: hyper-parameter {exc} missing or malformed; not a PESTO checkpoint") from None
    if not ok:
        raise ValueError(f"{where}: a PESTO architecture this adapter does not implement ({hp})")
    return arch, hcqt, legacy


def _encoder_state(state: dict, legacy: bool, n_prefilters: int) -> dict[str, torch.Tensor]:
    """Upstream ``encoder.*`` keys → :class:`PestoEncoder` keys."""
    out = {"layernorm.weight": state["encoder.layernorm.weight"],
           "layernorm.bias": state["encoder.layernorm.bias"],
           "prefilters.0.weight": state["encoder.conv1.0.weight"],
           "prefilters.0.bias": state["encoder.conv1.0.bias"],
           "toeplitz.weight": state["encoder.fc.weight"]}
    for i in range(1, n_prefilters):
        src = f"encoder.prefilt_layers.{i - 1}." + ("" if legacy else "0.")
        out[f"prefilters.{i}.weight"] = state[src + "weight"]
        out[f"prefilters.{i}.bias"] = state[src + "bias"]
    for j in range(4):
        out[f"pointwise.{j}.weight"] = state[f"encoder.conv_layers.{3 * j}.weight"]
        out[f"pointwise.{j}.bias"] = state[f"encoder.conv_layers.{3 * j}.bias"]
    return out


def build_model(ckpt: dict, name: str = "pesto", weights_id: str = "") -> PestoModel:
    """A :class:`PestoModel` from a checkpoint read by :func:`read_checkpoint`.

    Raises
    ------
    ValueError
        Not a PESTO checkpoint of a supported architecture, or a tensor is missing / misshapen.
    """
    arch, hcqt, legacy = _architecture(ckpt, name)
    state = ckpt["state_dict"]
    encoder = PestoEncoder(**arch)
    try:
        encoder.load_state_dict(_encoder_state(state, legacy, arch["n_prefilters"]), strict=True)
        confidence = None
        if not legacy:
            confidence = ConfidenceHead(int(hcqt["n_bins"]))
            confidence.load_state_dict({k.split(".", 1)[1]: v for k, v in state.items()
                                        if k.startswith("confidence.")}, strict=True)
        shift = float(state["shift"])
    except (KeyError, RuntimeError) as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise ValueError(f"{name}: checkpoint tensor {first[:200]} missing or misshapen; "
                         "not the weights of this model") from None
    crop = int(ckpt["hparams"]["pitch_shift"]["max_steps"])
    return PestoModel(PestoCQT(hcqt, legacy_db=legacy), encoder.eval(), crop=crop,
                      shift_bins=round(shift * BINS_PER_SEMITONE), name=name,
                      weights_id=weights_id, confidence=confidence).eval()


def load_model(
    model_file_path: str = "",
    checkpoint: str = "mir-1k_g7",
    layer: int | str | None = None,
    device: str | None = None,
) -> PestoModel:
    """Load a PESTO model with its pretrained weights.

    Parameters
    ----------
    model_file_path : str
        "" for the fetched checkpoint ``checkpoint`` (checked against the published sha256;
        ``hear-probes weights fetch pesto``), or a path to a PESTO ``.ckpt`` file.
    checkpoint : {"mir-1k", "mir-1k_g7"}
        Which published checkpoint.
    layer : int or str, optional
        Embedding layer (index or name, see the module docstring); default ``pointwise4``.
    device : str, optional
        "cpu", "cuda", "mps" or "auto"; default ``$HEAR_PROBES_DEVICE`` or "auto".

    Returns
    -------
    PestoModel
        In eval mode, ``weights_id = "<checkpoint>:<source>:sha256:<digest>"``.
    """
    if checkpoint not in CHECKPOINTS:
        raise ValueError(f"unknown PESTO checkpoint {checkpoint!r}; use one of {', '.join(CHECKPOINTS)}")
    name = CHECKPOINTS[checkpoint]
    if model_file_path:
        path, src, digest = user_weight_file(model_file_path, name)
    else:
        path, digest = require_checkpoint(checkpoint)
        src = "pypi"
    model = build_model(read_checkpoint(path, name), name, f"{checkpoint}:{src}:sha256:{digest}")
    return frozen_eval(model, layer, device)


# --------------------------------------------------------------------------- HEAR API


def get_timestamp_embeddings(audio, model: PestoModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Layer-``model.layer`` embeddings of every 10-ms frame ``[n, T, d]``, centres in ms."""
    x = as_audio(audio, model)
    emb = model(x)
    ts = torch.arange(emb.shape[1], device=emb.device, dtype=torch.float64) * STEP_MS
    return emb, ts.to(torch.float32).unsqueeze(0).expand(x.shape[0], -1)


def get_scene_embeddings(audio, model: PestoModel) -> torch.Tensor:
    """Mean over the clip's 10-ms frames of the layer's embeddings, ``[n, d]``."""
    return model.scenes(as_audio(audio, model), [model.layer])[0]


def get_layer_scene_embeddings(audio, model: PestoModel) -> list[torch.Tensor]:
    """Scene embeddings of every layer (``model.layer_ids``), from one forward pass."""
    return model.scenes(as_audio(audio, model), list(model.layer_ids))


# --------------------------------------------------------------------------- pitch head


def reduce_alwa(act: torch.Tensor) -> torch.Tensor:
    """Pitch in semitones from activations ``[..., 384]``: weighted mean of the bins within
    ±2 of the argmax (argmax-local weighted average, upstream's default ``alwa``)."""
    bps = BINS_PER_SEMITONE
    centre = act.argmax(-1, keepdim=True)
    idx = (centre + torch.arange(1 - bps, bps, device=act.device)).clamp(0, act.shape[-1] - 1)
    w = act.gather(-1, idx)
    return (w * idx.to(act.dtype) / bps).sum(-1) / w.sum(-1)


def predict_pitch(audio, model: PestoModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Pitch (MIDI semitones) and confidence every 10 ms, both ``[n, T]``, as upstream.

    Confidence: the 2.x voicing head (mir-1k_g7); pesto 1.0.0's for mir-1k (each frame's
    largest cropped-CQT dB value, min-max scaled over the clip's frames).
    """
    x = as_audio(audio, model)
    k = len(model.layer_names)
    with torch.no_grad():
        act = model.frame_layers(x, [k])[k]
        logc = model.log_cqt(x)
    if model.confidence is None:
        peak = logc[..., model.crop: logc.shape[-1] - model.crop].amax(-1)
        lo, hi = peak.amin(-1, keepdim=True), peak.amax(-1, keepdim=True)
        conf = (peak - lo) / (hi - lo)
    else:
        with torch.no_grad():
            conf = model.confidence(logc.exp().flatten(0, 1)).reshape(logc.shape[:2])
    return reduce_alwa(act), conf
