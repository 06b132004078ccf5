"""FCPE, Fast Context-based Pitch Estimation (``torchfcpe`` 0.0.4), as a HEAR module, in torch.

The network of the PyPI package ``torchfcpe`` 0.0.4 (CNChTu, MIT licence), re-implemented here
because the package requires torchaudio, which has no build for this project's torch. The
published weights ``fcpe_c_v001.pt`` (600 000 training steps; ``hear-probes weights fetch
fcpe``) are those of ``spawn_bundled_infer_model``.

Pre-processing, exactly as upstream's ``Wav2MelModule`` at its native 16 kHz (upstream resamples
other rates with torchaudio's ``Resample``; HEAR audio is already 16 kHz, so no resampler
runs, upstream's or ours):

1. the signal is padded by 432 samples on the left and ``max(432, 592 - n)`` on the right,
   by reflection when the right pad is shorter than the signal, otherwise by zeros;
2. magnitude STFT without centring: periodic Hann window of 1024, FFT 1024, hop 160,
   ``sqrt(re² + im² + 1e-9)``;
3. 128 Slaney mel filters 0-8 kHz with Slaney area normalisation (``librosa.filters.mel``),
   ``log(max(mel, 1e-5))``;
4. ``n // 160`` frames come out; upstream appends a copy of the last one so that a clip of
   ``n`` samples gives ``n // 160 + 1`` frames. Frame ``t`` is centred on sample
   ``160 t + 80``: **timestamps are ``10 t + 5`` ms** (the appended last frame repeats the one
   before it and is stamped 10 ms later).

Network (``CFNaiveMelPE`` with the configuration stored in the weight file: 128 mel bins, 512
hidden units, 6 layers, ``conv_only=True``, 360 output bins):

- input stack: conv 3 (128 → 512), group norm (4 groups, over the whole clip: the network is
  not causal or local, so each clip runs in one pass), leaky ReLU (0.01), conv 3 (512 → 512);
- six residual convolution blocks ``x + f(x)``, ``f`` = layer norm, pointwise conv to 2048 and
  GLU (1024), depthwise conv of width 31, SiLU, pointwise conv to 512 (the published model is
  ``conv_only``: its blocks have no attention; a checkpoint with attention is refused);
- layer norm, linear 512 → 360 (weight-normalised), sigmoid: the latent, a pitch salience over
  360 bins evenly spaced in cents from 32.70 Hz to 1975.5 Hz (about 20 cents apart).

Layers (``--layers``): ``input_stack`` (512), ``block1`` .. ``block6`` (512), ``norm`` (512: the
final layer norm), ``latent`` (360). **Default: ``norm``**, the layer before the pitch output:
the one representation that the network reads pitch from by a single linear map (its output
projection), as CREPE's and FCN-F0's defaults are their classifiers' inputs; ``latent`` is that
readout itself, specialised to pitch. Timestamp embeddings: one per upstream frame (10 ms);
**scene embedding: the mean over the frames** (upstream defines no clip-level output; the
mean includes the repeated last frame, as upstream returns it).

Pitch head: :func:`predict_pitch`, upstream's decoders (``local_argmax``, default: salience-
weighted mean of the cents of the 9 bins around the argmax; ``argmax``: over all bins; frames
whose maximum salience is at most ``threshold`` = 0.006 get f0 = 0, as upstream's ``infer``).

Parity with upstream inference: ``tests/test_adapter_fcpe.py`` (fixture recorded by
``tests/tools/record_fcpe.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hear_probes_adapters._common import (
    LayerViews,
    as_audio,
    batches,
    frozen_eval,
    user_weight_file,
)
from hear_probes_adapters._fcpe_weights import read_checkpoint, require_weights
from hear_probes_adapters.musicnn import mel_basis

ADAPTER_VERSION = "1"
SAMPLE_RATE = 16000
N_FFT = 1024
HOP = 160
N_MELS = 128
CLIP_VAL = 1e-5
HIDDEN = 512
N_BLOCKS = 6
OUT_BINS = 360
F0_MIN_HZ = 32.70
F0_MAX_HZ = 1975.5
KERNEL = 31
THRESHOLD = 0.006

#: The built-in models of this module, read by :mod:`hear_probes.registry` with ``ast``.
BUILTIN_MODELS = (
    {
        "name": 'fcpe',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": HIDDEN,
        "timestamp_dim": HIDDEN,
        "weights": "PyPI torchfcpe 0.0.4 assets/fcpe_c_v001.pt (hear-probes weights fetch fcpe)",
        "options": {},
        "requires": ('torch',),
        "description": 'FCPE pitch estimator (torchfcpe 0.0.4): final layer norm before the pitch output (512), 10-ms frames, scene = mean of frames',
        "weights_check": ('fetched:fcpe/fcpe_c_v001.pt',),
    },
)

LAYER_NAMES = ("input_stack", *(f"block{k}" for k in range(1, N_BLOCKS + 1)), "norm", "latent")
DEFAULT_LAYER = "norm"

#: The upstream configuration this implementation reproduces (``config_dict`` of the file).
EXPECTED_MEL = {"sr": SAMPLE_RATE, "num_mels": N_MELS, "n_fft": N_FFT, "win_size": N_FFT,
                "hop_size": HOP, "fmin": 0, "fmax": SAMPLE_RATE // 2}


# --------------------------------------------------------------------------- pre-processing


class FcpeMel(torch.nn.Module):
    """Upstream's log-mel front-end at 16 kHz: ``[n, samples]`` → ``[n, samples // 160 + 1, 128]``."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)
        self.register_buffer("basis", torch.from_numpy(mel_basis(SAMPLE_RATE, N_FFT, N_MELS)),
                             persistent=False)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """Log-mel frames of 16-kHz audio (steps 1-4 of the module docstring)."""
        n = audio.shape[-1]
        left = (N_FFT - HOP) // 2
        right = max((N_FFT - HOP + 1) // 2, N_FFT - n - left)
        mode = "reflect" if right < n else "constant"
        y = F.pad(audio.unsqueeze(1), (left, right), mode=mode).squeeze(1)
        spec = torch.stft(y, N_FFT, hop_length=HOP, win_length=N_FFT, window=self.window,
                          center=False, normalized=False, onesided=True, return_complex=True)
        mag = torch.sqrt(spec.real.square() + spec.imag.square() + 1e-9)
        mel = torch.log(torch.clamp(torch.matmul(self.basis, mag), min=CLIP_VAL)).transpose(1, 2)
        frames = n // HOP + 1
        if frames > mel.shape[1]:
            mel = torch.cat([mel, mel[:, -1:]], dim=1)
        return mel[:, :frames]


# --------------------------------------------------------------------------- network


class ConvBlock(torch.nn.Module):
    """One residual block: ``x + pw2(silu(dw(glu(pw1(layernorm(x))))))`` on ``[B, T, C]``."""

    def __init__(self, dim: int = HIDDEN, kernel: int = KERNEL) -> None:
        super().__init__()
        self.norm = torch.nn.LayerNorm(dim)
        self.pw1 = torch.nn.Linear(dim, 4 * dim)
        self.dw = torch.nn.Conv1d(2 * dim, 2 * dim, kernel, padding=kernel // 2, groups=2 * dim)
        self.pw2 = torch.nn.Linear(2 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, T, C]`` → ``[B, T, C]``."""
        y = F.glu(self.pw1(self.norm(x)), dim=-1)
        y = F.silu(self.dw(y.transpose(1, 2))).transpose(1, 2)
        return x + self.pw2(y)


class FcpeNet(torch.nn.Module):
    """The FCPE network (conv-only ``CFNaiveMelPE``): log-mel ``[B, T, 128]`` → named layers."""

    def __init__(self, n_mels: int = N_MELS, hidden: int = HIDDEN, n_blocks: int = N_BLOCKS,
                 out_bins: int = OUT_BINS) -> None:
        super().__init__()
        self.conv_in = torch.nn.Conv1d(n_mels, hidden, 3, padding=1)
        self.group_norm = torch.nn.GroupNorm(4, hidden)
        self.conv_mid = torch.nn.Conv1d(hidden, hidden, 3, padding=1)
        self.blocks = torch.nn.ModuleList(ConvBlock(hidden) for _ in range(n_blocks))
        self.norm = torch.nn.LayerNorm(hidden)
        self.out = torch.nn.Linear(hidden, out_bins)
        lo, hi = (1200.0 * torch.log2(torch.tensor([f / 10.0])) for f in (F0_MIN_HZ, F0_MAX_HZ))
        self.register_buffer("cent_table", torch.linspace(lo[0], hi[0], out_bins))
        self.layer_names = ("input_stack", *(f"block{k}" for k in range(1, n_blocks + 1)),
                            "norm", "latent")
        self.layer_dims = (hidden,) * (n_blocks + 2) + (out_bins,)

    def forward(self, mel: torch.Tensor, upto: int | None = None) -> list[torch.Tensor]:
        """Layer outputs ``[B, T, d]`` in :attr:`layer_names` order (the first ``upto`` only)."""
        upto = len(self.layer_names) if upto is None else upto
        h = self.conv_in(mel.transpose(1, 2))
        h = self.conv_mid(F.leaky_relu(self.group_norm(h), 0.01)).transpose(1, 2)
        outs = [h]
        for block in self.blocks:
            if len(outs) >= upto:
                return outs
            h = block(h)
            outs.append(h)
        if len(outs) < upto:
            outs.append(self.norm(h))
        if len(outs) < upto:
            outs.append(torch.sigmoid(self.out(outs[-1])))
        return outs[:upto]


def _weight_norm(state: dict, prefix: str) -> torch.Tensor:
    """``g v / ||v||`` (rows) from old-style ``weight_g``/``weight_v`` or parametrization keys."""
    g = state.get(f"{prefix}.weight_g", state.get(f"{prefix}.parametrizations.weight.original0"))
    v = state.get(f"{prefix}.weight_v", state.get(f"{prefix}.parametrizations.weight.original1"))
    if g is None or v is None:
        raise KeyError(f"{prefix}.weight_g/weight_v")
    return g * v / v.norm(dim=1, keepdim=True)


def _check_config(config: dict, where: str) -> tuple[int, int, int]:
    """``(hidden, blocks, out_bins)`` of a checkpoint whose configuration this code reproduces."""
    mel = config.get("mel", {})
    model = config.get("model", {})
    bad = {k: mel.get(k) for k, v in EXPECTED_MEL.items() if mel.get(k) != v}
    if bad or model.get("type") != "CFNaiveMelPE":
        raise ValueError(f"{where}: mel settings {bad} or model type {model.get('type')!r} differ "
                         f"from FCPE's ({EXPECTED_MEL}, CFNaiveMelPE); not supported")
    if not model.get("conv_only") or model.get("use_harmonic_emb"):
        raise ValueError(f"{where}: a CFNaiveMelPE with attention or harmonic embedding "
                         "(conv_only False / use_harmonic_emb True) is not implemented; only the "
                         "conv-only networks such as fcpe_c_v001 are")
    return int(model["hidden_dims"]), int(model["n_layers"]), int(model["out_dims"])


def load_net(state: dict, config: dict, where: str = "fcpe") -> FcpeNet:
    """An :class:`FcpeNet` with the weights of an upstream state dict and its ``config_dict``.

    Raises
    ------
    ValueError
        Unsupported configuration, or the state dict does not match it.
    """
    hidden, n_blocks, out_bins = _check_config(config, where)
    net = FcpeNet(N_MELS, hidden, n_blocks, out_bins)
    ours = {"conv_in.weight": "input_stack.0.weight", "conv_in.bias": "input_stack.0.bias",
            "group_norm.weight": "input_stack.1.weight", "group_norm.bias": "input_stack.1.bias",
            "conv_mid.weight": "input_stack.3.weight", "conv_mid.bias": "input_stack.3.bias",
            "norm.weight": "norm.weight", "norm.bias": "norm.bias", "out.bias": "output_proj.bias",
            "cent_table": "cent_table"}
    for i in range(n_blocks):
        up = f"net.encoder_layers.{i}.conformer.net"
        for mine, theirs in (("norm", "0"), ("pw1", "2"), ("dw", "4.conv"), ("pw2", "6")):
            for p in ("weight", "bias"):
                ours[f"blocks.{i}.{mine}.{p}"] = f"{up}.{theirs}.{p}"
    try:
        new = {k: state[v] for k, v in ours.items()}
        new["out.weight"] = _weight_norm(state, "output_proj")
        for i in range(n_blocks):
            for pw in ("pw1", "pw2"):
                new[f"blocks.{i}.{pw}.weight"] = new[f"blocks.{i}.{pw}.weight"].squeeze(-1)
        net.load_state_dict({k: v.float() for k, v in new.items()}, strict=True)
    except (KeyError, RuntimeError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"{where}: the state dict does not match the FCPE network ({first}); "
                         "not the weights of this model") from None
    return net.eval()


# --------------------------------------------------------------------------- HEAR model


class FcpeModel(LayerViews, torch.nn.Module):
    """FCPE with HEAR attributes: log-mel front-end, network, named layers.

    Parameters
    ----------
    net : FcpeNet
        The network with its weights.
    weights_id : str
        Identity of the weights.
    clips_per_pass : int
        Clips per forward pass (bounds memory: about 60 kB per frame and clip at the widest
        intermediate); it does not change the embeddings (each clip is normalised alone).
    """

    sample_rate = SAMPLE_RATE
    name = "fcpe"

    def __init__(self, net: FcpeNet, weights_id: str = "", clips_per_pass: int = 16) -> None:
        super().__init__()
        self.net = net
        self.frontend = FcpeMel()
        self.weights_id = weights_id
        self.clips_per_pass = int(clips_per_pass)
        self.layer_names = list(net.layer_names)
        self.layer_dims = list(net.layer_dims)
        self.layer_ids = list(range(1, len(self.layer_names) + 1))
        self.layer = self.layer_names.index(DEFAULT_LAYER) + 1
        self.scene_embedding_size = self.timestamp_embedding_size = self.layer_dims[self.layer - 1]

    def frame_layers(self, audio: torch.Tensor, layers: list[int]) -> dict[int, torch.Tensor]:
        """Per-frame embeddings ``{k: [n, frames, d_k]}`` of ``layers`` (one pass per chunk of clips)."""
        upto = max(layers)
        parts: dict[int, list[torch.Tensor]] = {k: [] for k in layers}
        for sl in batches(audio.shape[0], self.clips_per_pass):
            outs = self.net(self.frontend(audio[sl]), upto=upto)
            for k in layers:
                parts[k].append(outs[k - 1])
        return {k: torch.cat(v) for k, v in parts.items()}

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """16-kHz audio ``[n, samples]`` → per-frame embeddings ``[n, samples // 160 + 1, d]``."""
        return self.frame_layers(audio, [self.layer])[self.layer]

    def scenes(self, audio: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Scene embeddings (mean over frames) of ``layers``, one pass."""
        out = self.frame_layers(audio, layers)
        return [out[k].mean(1) for k in layers]


def load_model(
    model_file_path: str = "",
    layer: int | str | None = None,
    device: str | None = None,
) -> FcpeModel:
    """Load FCPE with its pretrained weights.

    Parameters
    ----------
    model_file_path : str
        "" for the fetched ``fcpe_c_v001.pt`` (checked against the published size and sha256;
        ``hear-probes weights fetch fcpe``), or the path of an FCPE ``.pt`` checkpoint
        (``{"model": state_dict, "config_dict": ...}``, conv-only, 16-kHz mel settings).
    layer : int or str, optional
        Embedding layer (index or name, see the module docstring); default ``norm``.
    device : str, optional
        "cpu", "cuda", "mps" or "auto"; default ``$HEAR_PROBES_DEVICE`` or "auto".

    Returns
    -------
    FcpeModel
        In eval mode, ``weights_id = "fcpe_c_v001:<source>:sha256:<digest>"``.
    """
    if model_file_path:
        path, src, digest = user_weight_file(model_file_path, "fcpe")
    else:
        path, digest = require_weights()
        src = "pypi"
    state, config = read_checkpoint(path)
    net = load_net(state, config, f"fcpe ({path})")
    stem = path.stem if src == "file" else "fcpe_c_v001"
    model = FcpeModel(net, weights_id=f"{stem}:{src}:sha256:{digest}")
    return frozen_eval(model, layer, device)


# --------------------------------------------------------------------------- HEAR API


def frame_times_ms(n: int, n_frames: int, device: torch.device | None = None) -> torch.Tensor:
    """Frame centres ``10 t + 5`` ms, ``[n, n_frames]`` float32."""
    t = torch.arange(n_frames, dtype=torch.float64, device=device)
    return (1000.0 * (HOP * t + HOP // 2) / SAMPLE_RATE).to(torch.float32).unsqueeze(0).expand(n, -1)


def get_timestamp_embeddings(audio, model: FcpeModel) -> tuple[torch.Tensor, torch.Tensor]:
    """One embedding per 10-ms frame ``[n, samples // 160 + 1, d]``, centres in ms (5, 15, ...)."""
    x = as_audio(audio, model)
    emb = model(x)
    return emb, frame_times_ms(x.shape[0], emb.shape[1], emb.device)


def get_scene_embeddings(audio, model: FcpeModel) -> torch.Tensor:
    """Mean over the clip's frames of the layer's embedding, ``[n, d]``."""
    return model.scenes(as_audio(audio, model), [model.layer])[0]


def get_layer_scene_embeddings(audio, model: FcpeModel) -> list[torch.Tensor]:
    """Scene embeddings of every layer (``model.layer_ids``), from one forward pass."""
    return model.scenes(as_audio(audio, model), list(model.layer_ids))


# --------------------------------------------------------------------------- pitch head


def decode_latent(latent: torch.Tensor, cent_table: torch.Tensor, decoder: str = "local_argmax",
                  threshold: float = THRESHOLD) -> torch.Tensor:
    """f0 in Hz ``[n, T]`` from the latent ``[n, T, bins]`` as upstream's decoders (0 = unvoiced).

    ``local_argmax``: salience-weighted mean of the cents of the 9 bins centred on the argmax
    (indices clipped to the table, so edge bins repeat, as upstream); ``argmax``: over all
    bins. Frames whose maximum salience is at most ``threshold`` get 0.
    """
    conf, idx = latent.max(dim=-1, keepdim=True)
    if decoder == "local_argmax":
        window = (idx + torch.arange(-4, 5, device=latent.device)).clamp(0, latent.shape[-1] - 1)
        y = torch.gather(latent, -1, window)
        cents = (cent_table[window] * y).sum(-1) / y.sum(-1)
    elif decoder == "argmax":
        cents = (cent_table * latent).sum(-1) / latent.sum(-1)
    else:
        raise ValueError(f"unknown FCPE decoder {decoder!r}; use 'local_argmax' or 'argmax'")
    f0 = 10.0 * 2.0 ** (cents / 1200.0)
    return torch.where(conf[..., 0] > threshold, f0, torch.zeros_like(f0))


def predict_pitch(audio, model: FcpeModel, decoder: str = "local_argmax",
                  threshold: float = THRESHOLD) -> tuple[torch.Tensor, torch.Tensor]:
    """f0 in Hz (0 where unvoiced) and confidence (max salience), both ``[n, frames]``."""
    x = as_audio(audio, model)
    k = model.layer_names.index("latent") + 1
    with torch.no_grad():
        latent = model.frame_layers(x, [k])[k]
    return decode_latent(latent, model.net.cent_table, decoder, threshold), latent.max(-1).values
