"""musicnn and VGG music taggers (Pons & Serra 2019) as HEAR modules, in torch, with real weights.

"musicnn: pre-trained convolutional neural networks for music audio tagging" (ISMIR 2019 LBD):
four tagging networks trained on MagnaTagATune (MTT, 50 tags) or the Million Song Dataset
(MSD, 50 tags), shipped as TF1 checkpoints in the PyPI package ``musicnn`` 0.1.0. Models:
``musicnn-mtt``, ``musicnn-msd``, ``vgg-mtt``, ``vgg-msd``.

Pre-processing, exactly as ``musicnn.extractor.batch_data`` (``input_length=3``, no overlap):
16-kHz audio (HEAR rate; upstream resamples files with librosa), power mel spectrogram as
``librosa.feature.melspectrogram`` (n_fft 512, hop 256, periodic Hann window, centred frames
with zero padding, 96 Slaney mel bands 0-8 kHz with Slaney area normalisation), rounded to
float16 (as upstream), ``log10(10000 x + 1)``, cut into patches of 187 frames (3 s) every 187
frames; the last incomplete patch is dropped. Two documented deviations:

- upstream also computes the log in float16, which overflows to ``inf`` (and makes the whole
  network output NaN) when a mel value exceeds 6.55 (e.g. any full-scale tone); here the log
  is taken in float32 on the float16-rounded mel, identical up to float16 rounding where
  upstream is finite;
- a clip shorter than 3 s (fewer than 187 frames; upstream crashes) is repeated frame by frame
  up to 187 frames, the ``pad_short: repeat-pad`` of the models' training configuration.

Networks (batch norm in inference mode, eps 1e-3 as ``tf.compat.v1.layers``):

- musicnn: input batch norm; front-end = timbral filters (7x38 and 7x67 time-frequency
  kernels, 204 each, time padded by 3, max over frequency) and temporal filters (128x1, 64x1,
  32x1 kernels, 51 each, ``same``, max over frequency); mid-end = three 7-wide convolutions of
  64 channels over time (dense connections, residual for 2 and 3); back-end = max and mean over
  the patch of the concatenated front- and mid-end features (753 each), batch norm, dense 200 +
  ReLU + batch norm (penultimate), dense 50 + sigmoid (taggram);
- VGG: input batch norm, five 3x3 convolutions of 128 channels (ReLU, batch norm, max-pool
  4x1 stride 2, 2x2, 2x2, 2x2, 4x4), dense 50 + sigmoid.

Layers (``--layers``), named as the package's ``extractor`` names its features:
``timbral`` (408), ``temporal`` (153), ``cnn1``, ``cnn2``, ``cnn3`` (64 each), ``mean_pool``,
``max_pool`` (753 each), ``penultimate`` (200), ``taggram`` (50) for musicnn; ``pool1`` ..
``pool5`` (128 each), ``taggram`` (50) for VGG. Upstream returns frame-wise maps for the
front-/mid-end layers and VGG pools; here each patch's embedding of such a layer is the mean of
its map over the patch's frames (and frequency bins for VGG pools). Defaults: ``penultimate``
(musicnn), ``pool5`` (VGG). Timestamp embeddings: one per patch, at the patch centre; **scene
embedding: the mean over patches** (upstream defines no clip-level output; its extractor returns
per-patch features).

Weights: ``hear-probes weights fetch musicnn`` takes the checkpoints out of the ``musicnn``
0.1.0 wheel (sha256-pinned, see :mod:`hear_probes_adapters._musicnn_weights`); they are read
without TensorFlow. Parity with the upstream TF graph: ``tests/test_adapter_musicnn.py``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import LayerViews, as_audio, frozen_eval
from hear_probes_adapters._musicnn_weights import read_arrays, require_checkpoint

ADAPTER_VERSION = "1"
SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH = 187
BN_EPS = 1e-3

#: The built-in models of this module, read by :mod:`hear_probes.registry` with ``ast``.
BUILTIN_MODELS = (
    {
        "name": 'musicnn-mtt',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 200,
        "timestamp_dim": 200,
        "weights": "PyPI musicnn 0.1.0 checkpoint MTT_musicnn (hear-probes weights fetch musicnn)",
        "options": {'variant': 'MTT_musicnn'},
        "requires": ('torch',),
        "description": 'musicnn tagger trained on MagnaTagATune (Pons & Serra 2019): penultimate layer (200), 3-s patches, scene = mean of patches',
        "weights_check": ('fetched:musicnn/MTT_musicnn/model.data-00000-of-00001',),
    },
    {
        "name": 'musicnn-msd',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 200,
        "timestamp_dim": 200,
        "weights": "PyPI musicnn 0.1.0 checkpoint MSD_musicnn (hear-probes weights fetch musicnn)",
        "options": {'variant': 'MSD_musicnn'},
        "requires": ('torch',),
        "description": 'musicnn tagger trained on the Million Song Dataset (Pons & Serra 2019): penultimate layer (200), 3-s patches, scene = mean of patches',
        "weights_check": ('fetched:musicnn/MSD_musicnn/model.data-00000-of-00001',),
    },
    {
        "name": 'vgg-mtt',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 128,
        "timestamp_dim": 128,
        "weights": "PyPI musicnn 0.1.0 checkpoint MTT_vgg (hear-probes weights fetch musicnn)",
        "options": {'variant': 'MTT_vgg'},
        "requires": ('torch',),
        "description": 'VGG-like tagger trained on MagnaTagATune (Pons & Serra 2019): pool5 (128, mean over time and frequency), 3-s patches, scene = mean of patches',
        "weights_check": ('fetched:musicnn/MTT_vgg/model.data-00000-of-00001',),
    },
    {
        "name": 'vgg-msd',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 128,
        "timestamp_dim": 128,
        "weights": "PyPI musicnn 0.1.0 checkpoint MSD_vgg (hear-probes weights fetch musicnn)",
        "options": {'variant': 'MSD_vgg'},
        "requires": ('torch',),
        "description": 'VGG-like tagger trained on the Million Song Dataset (Pons & Serra 2019): pool5 (128, mean over time and frequency), 3-s patches, scene = mean of patches',
        "weights_check": ('fetched:musicnn/MSD_vgg/model.data-00000-of-00001',),
    },
)

MUSICNN_LAYERS = ("timbral", "temporal", "cnn1", "cnn2", "cnn3", "mean_pool", "max_pool",
                  "penultimate", "taggram")
MUSICNN_DIMS = (408, 153, 64, 64, 64, 753, 753, 200, 50)
VGG_LAYERS = ("pool1", "pool2", "pool3", "pool4", "pool5", "taggram")
VGG_DIMS = (128, 128, 128, 128, 128, 50)
VARIANTS = ("MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg")


# --------------------------------------------------------------------------- pre-processing


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale (librosa ``htk=False``)."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    logstep = np.log(6.4) / 27.0
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / logstep, lin)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    logstep = np.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), m * 200.0 / 3)


def mel_basis(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)`` (Slaney scale and norm), float32."""
    fft_f = np.linspace(0.0, sr / 2.0, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_f[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0.0, np.minimum(lower, upper))
    w *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return w.astype(np.float32)


class LogMel(torch.nn.Module):
    """musicnn's input: ``log10(10000 mel + 1)`` of float16-rounded power mel, ``[n, frames, 96]``.

    Parameters
    ----------
    float16_log : bool
        Take the log in float16 as upstream does (``inf`` where ``10000 mel`` exceeds 65504;
        not differentiable). Default False: float32 log of the float16-rounded mel.
    """

    def __init__(self, float16_log: bool = False) -> None:
        super().__init__()
        self.float16_log = bool(float16_log)
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)
        self.register_buffer("basis", torch.from_numpy(mel_basis()), persistent=False)

    def mel(self, audio: torch.Tensor) -> torch.Tensor:
        """Power mel spectrogram ``[n, frames, 96]`` (librosa's, float32; frames = 1 + len // 256)."""
        spec = torch.stft(audio, N_FFT, HOP, window=self.window, center=True, pad_mode="constant",
                          return_complex=True)
        power = spec.real.square() + spec.imag.square()
        return torch.einsum("mf,nft->ntm", self.basis, power)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """Log-mel ``[n, frames, 96]`` of 16-kHz audio ``[n, samples]``."""
        mel = self.mel(audio)
        if self.float16_log:  # numpy: float16 array * 10000 + 1 stays float16, log10 rounds to it
            m16 = mel.detach().cpu().numpy().astype(np.float16)
            with np.errstate(over="ignore"):
                out = np.log10(np.float16(10000) * m16 + np.float16(1))
            return torch.from_numpy(out.astype(np.float32)).to(mel.device)
        # float16 rounding as upstream (straight-through: keeps gradients)
        mel = mel + (mel.half().float() - mel).detach()
        return torch.log10(10000.0 * mel + 1.0)


def patch_starts(frames: int) -> list[int]:
    """Start frames of the 187-frame patches (every 187 frames; incomplete last one dropped)."""
    return list(range(0, max(frames, PATCH) - PATCH + 1, PATCH))


def cut_patches(logmel: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``[n, frames, 96]`` → patches ``[n * P, 187, 96]`` (clip-major) and ``P``.

    A clip shorter than 187 frames is repeated frame by frame to 187 (training's repeat-pad).
    """
    n, frames, _ = logmel.shape
    if frames < PATCH:
        logmel = logmel[:, torch.arange(PATCH, device=logmel.device) % frames]
        frames = PATCH
    count = len(patch_starts(frames))
    x = logmel[:, : count * PATCH].reshape(n * count, PATCH, N_MELS)
    return x, count


# --------------------------------------------------------------------------- networks


def _bn_max(h: torch.Tensor, bn: torch.nn.BatchNorm2d) -> torch.Tensor:
    """``bn(h).amax(-1)`` for a frozen batch norm, computed after the max: ``[B, C, T, F] → [B, C, T]``.

    Inference batch norm is a per-channel affine map ``a x + b``: its max over frequency is
    ``a max(x) + b`` where ``a >= 0`` and ``a min(x) + b`` where ``a < 0`` (exact; the affine
    map then runs on ``F`` times fewer values).
    """
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    pick = torch.where((scale >= 0)[:, None], h.amax(-1), h.amin(-1))
    return F.batch_norm(pick, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)


def _bn(c: int, d: int = 1) -> torch.nn.Module:
    return (torch.nn.BatchNorm1d if d == 1 else torch.nn.BatchNorm2d)(c, eps=BN_EPS)


class MusicnnNet(torch.nn.Module):
    """The musicnn graph (``models.build_musicnn`` with 64 mid-end filters, 200 back-end units)."""

    layer_names = MUSICNN_LAYERS

    def __init__(self, n_classes: int = 50, midend: int = 64, backend: int = 200) -> None:
        super().__init__()
        self.bn_in = _bn(1, 2)
        self.timbral = torch.nn.ModuleList([torch.nn.Conv2d(1, 204, (7, w)) for w in (38, 67)])
        self.timbral_bn = torch.nn.ModuleList([_bn(204, 2) for _ in range(2)])
        self.tempo_k = (128, 64, 32)
        self.tempo = torch.nn.ModuleList([torch.nn.Conv2d(1, 51, (k, 1)) for k in self.tempo_k])
        self.tempo_bn = torch.nn.ModuleList([_bn(51, 2) for _ in range(3)])
        self.mid = torch.nn.ModuleList([torch.nn.Conv1d(561 if i == 0 else midend, midend, 7,
                                                        padding=3) for i in range(3)])
        self.mid_bn = torch.nn.ModuleList([_bn(midend) for _ in range(3)])
        feat = 561 + 3 * midend
        self.pool_bn = _bn(2 * feat)
        self.dense = torch.nn.Linear(2 * feat, backend)
        self.dense_bn = _bn(backend)
        self.out = torch.nn.Linear(backend, n_classes)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Log-mel patches ``[B, 187, 96]`` → upstream's features (maps ``[B, C, T]``, vectors ``[B, C]``)."""
        z = self.bn_in(x.unsqueeze(1))  # [B, 1, T, F]
        zt = F.pad(z, (0, 0, 3, 3))
        front = [_bn_max(F.relu(conv(zt)), bn) for conv, bn in zip(self.timbral, self.timbral_bn,
                                                                    strict=True)]
        for k, conv, bn in zip(self.tempo_k, self.tempo, self.tempo_bn, strict=True):
            front.append(_bn_max(F.relu(conv(F.pad(z, (0, 0, (k - 1) // 2, k - 1 - (k - 1) // 2)))), bn))
        fe = torch.cat(front, 1)  # [B, 561, T]
        c1 = self.mid_bn[0](F.relu(self.mid[0](fe)))
        c2 = self.mid_bn[1](F.relu(self.mid[1](c1))) + c1
        c3 = self.mid_bn[2](F.relu(self.mid[2](c2))) + c2
        feats = torch.cat([fe, c1, c2, c3], 1)
        mx, mean = feats.amax(-1), feats.mean(-1)
        flat = torch.stack([mx, mean], -1).flatten(1)  # TF flattens [753, 2]: max, mean interleaved
        pen = self.dense_bn(F.relu(self.dense(self.pool_bn(flat))))
        return {"timbral": torch.cat(front[:2], 1), "temporal": torch.cat(front[2:], 1),
                "cnn1": c1, "cnn2": c2, "cnn3": c3, "mean_pool": mean, "max_pool": mx,
                "penultimate": pen, "taggram": torch.sigmoid(self.out(pen))}

    def load_tf(self, arrays: dict[str, np.ndarray]) -> None:
        """Load the variables of an upstream checkpoint (TF creation order of the layers)."""
        convs = [*self.timbral, *self.tempo]
        bns = [self.bn_in, *self.timbral_bn, *self.tempo_bn, *self.mid_bn, self.pool_bn, self.dense_bn]
        state = {}
        for i, conv in enumerate(convs):
            _put_conv2d(state, conv, arrays, f"conv2d{_sfx(i)}")
        for i, conv in enumerate(self.mid):
            k = arrays[f"conv2d{_sfx(5 + i)}/kernel"]  # [7, C_in, 1, C_out]
            state[conv.weight] = k[:, :, 0, :].transpose(2, 1, 0)
            state[conv.bias] = arrays[f"conv2d{_sfx(5 + i)}/bias"]
        for i, bn in enumerate(bns):
            _put_bn(state, bn, arrays, f"batch_normalization{_sfx(i)}")
        for lin, name in ((self.dense, "dense"), (self.out, "dense_1")):
            state[lin.weight] = arrays[f"{name}/kernel"].T
            state[lin.bias] = arrays[f"{name}/bias"]
        _assign(self, state)


class VggNet(torch.nn.Module):
    """The VGG-like graph (``models.vgg`` with 128 filters)."""

    layer_names = VGG_LAYERS
    pools = ((4, 1), (2, 2), (2, 2), (2, 2), (4, 4))
    strides = ((2, 2), (2, 2), (2, 2), (2, 2), (4, 4))

    def __init__(self, n_classes: int = 50, filters: int = 128) -> None:
        super().__init__()
        self.bn_in = _bn(1, 2)
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(1 if i == 0 else filters, filters, 3,
                                                          padding=1) for i in range(5)])
        self.bns = torch.nn.ModuleList([_bn(filters, 2) for _ in range(5)])
        self.out = torch.nn.Linear(filters * 2, n_classes)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Log-mel patches ``[B, 187, 96]`` → ``pool1`` .. ``pool5`` maps ``[B, C, T, F]``, taggram."""
        z = self.bn_in(x.unsqueeze(1))
        out = {}
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns, strict=True)):
            z = F.max_pool2d(bn(F.relu(conv(z))), self.pools[i], self.strides[i])
            out[f"pool{i + 1}"] = z
        flat = z.permute(0, 2, 3, 1).flatten(1)  # TF flattens NHWC
        out["taggram"] = torch.sigmoid(self.out(flat))
        return out

    def load_tf(self, arrays: dict[str, np.ndarray]) -> None:
        """Load the variables of an upstream checkpoint."""
        state = {}
        for i, conv in enumerate(self.convs):
            _put_conv2d(state, conv, arrays, f"{i + 1}CNN")
        for i, bn in enumerate([self.bn_in, *self.bns]):
            _put_bn(state, bn, arrays, f"batch_normalization{_sfx(i)}")
        state[self.out.weight] = arrays["dense/kernel"].T
        state[self.out.bias] = arrays["dense/bias"]
        _assign(self, state)


def _sfx(i: int) -> str:
    return f"_{i}" if i else ""


def _put_conv2d(state: dict, conv: torch.nn.Conv2d, arrays: dict, name: str) -> None:
    state[conv.weight] = arrays[f"{name}/kernel"].transpose(3, 2, 0, 1)
    state[conv.bias] = arrays[f"{name}/bias"]


def _put_bn(state: dict, bn: torch.nn.Module, arrays: dict, name: str) -> None:
    for attr, var in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                      ("running_var", "moving_variance")):
        state[getattr(bn, attr)] = arrays[f"{name}/{var}"]


def _assign(net: torch.nn.Module, state: dict) -> None:
    """Copy arrays into tensors, checking shapes; every parameter/buffer must be set."""
    tensors = [*net.parameters(), *(b for n, b in net.named_buffers() if "running" in n)]
    missing = [t for t in tensors if not any(t is k for k in state)]
    if missing:
        raise ValueError(f"{len(missing)} tensors of {type(net).__name__} not in the checkpoint")
    with torch.no_grad():
        for t, arr in state.items():
            if tuple(arr.shape) != tuple(t.shape):
                raise ValueError(f"checkpoint tensor of shape {arr.shape}, expected {tuple(t.shape)}: "
                                 "not the weights of this model")
            t.copy_(torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)))


def build_net(variant: str, arrays: dict[str, np.ndarray]) -> torch.nn.Module:
    """The network of an upstream checkpoint name (``MTT_musicnn``, ...) with its variables."""
    net = VggNet() if variant.endswith("vgg") else MusicnnNet()
    try:
        net.load_tf(arrays)
    except KeyError as exc:
        raise ValueError(f"{variant}: variable {exc} missing from the checkpoint; "
                         "not the weights of this model") from None
    return net.eval()


# --------------------------------------------------------------------------- HEAR model


class MusicnnModel(LayerViews, torch.nn.Module):
    """A musicnn/VGG tagger with HEAR attributes: log-mel, 3-s patches, named layers.

    Parameters
    ----------
    net : MusicnnNet or VggNet
        The network with its weights.
    variant : str
        Upstream checkpoint name.
    weights_id : str
        Identity of the weights.
    patches_per_pass : int
        Patches per forward pass (bounds memory: about 25 MB per musicnn patch); it does not
        change the embeddings.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, net: torch.nn.Module, variant: str, weights_id: str = "",
                 patches_per_pass: int = 16) -> None:
        super().__init__()
        self.net = net
        self.frontend = LogMel()
        self.variant = variant
        self.name = variant.split("_")[1] + "-" + variant.split("_")[0].lower()
        self.weights_id = weights_id
        self.patches_per_pass = int(patches_per_pass)
        vgg = isinstance(net, VggNet)
        self.layer_names = list(VGG_LAYERS if vgg else MUSICNN_LAYERS)
        self.layer_dims = list(VGG_DIMS if vgg else MUSICNN_DIMS)
        self.layer_ids = list(range(1, len(self.layer_names) + 1))
        self.layer = self.layer_names.index("pool5" if vgg else "penultimate") + 1
        self.scene_embedding_size = self.timestamp_embedding_size = self.layer_dims[self.layer - 1]

    def patch_layers(self, audio: torch.Tensor, layers: list[int]) -> tuple[dict[int, torch.Tensor], int]:
        """Per-patch embeddings ``{k: [n, P, d_k]}`` of ``layers`` and ``P``."""
        x, count = cut_patches(self.frontend(audio))
        names = [self.layer_names[k - 1] for k in layers]
        parts: dict[str, list[torch.Tensor]] = {nm: [] for nm in names}
        for start in range(0, x.shape[0], self.patches_per_pass):
            out = self.net(x[start: start + self.patches_per_pass])
            for nm in names:
                v = out[nm]
                parts[nm].append(v.flatten(2).mean(-1) if v.ndim > 2 else v)
        n = audio.shape[0]
        return {k: torch.cat(parts[nm]).reshape(n, count, -1) for k, nm in zip(layers, names,
                                                                                strict=True)}, count

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """16-kHz audio ``[n, samples]`` → per-patch embeddings ``[n, P, d]``."""
        return self.patch_layers(audio, [self.layer])[0][self.layer]

    def scenes(self, audio: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Scene embeddings (mean over patches) of ``layers``, one pass."""
        out, _ = self.patch_layers(audio, layers)
        return [out[k].mean(1) for k in layers]


def load_model(
    model_file_path: str = "",
    variant: str = "MTT_musicnn",
    layer: int | str | None = None,
    device: str | None = None,
) -> MusicnnModel:
    """Load a musicnn/VGG tagger with its pretrained weights.

    Parameters
    ----------
    model_file_path : str
        "" for the fetched checkpoint of ``variant`` (checked against the published sha256;
        ``hear-probes weights fetch musicnn``), or a checkpoint prefix ``<dir>/<prefix>`` whose
        ``.index`` and ``.data-00000-of-00001`` files exist (as in the upstream package folders:
        ``.../MTT_musicnn/``).
    variant : {"MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg"}
        Which network.
    layer : int or str, optional
        Embedding layer (index or name, see the module docstring).
    device : str, optional
        "cpu", "cuda", "mps" or "auto"; default ``$HEAR_PROBES_DEVICE`` or "auto".

    Returns
    -------
    MusicnnModel
        In eval mode, ``weights_id = "<variant>:<source>:sha256:<digest of the .data file>"``.
    """
    from pathlib import Path

    from hear_probes.hashing import sha256_file

    if variant not in VARIANTS:
        raise ValueError(f"unknown musicnn variant {variant!r}; use one of {', '.join(VARIANTS)}")
    if model_file_path:
        index = Path(model_file_path + ".index")
        data = Path(model_file_path + ".data-00000-of-00001")
        if not index.is_file() or not data.is_file():
            raise FileNotFoundError(f"{variant}: no checkpoint files {index} and {data}")
        src, digest = "file", sha256_file(data)
    else:
        index, data, digest = require_checkpoint(variant)
        src = "pypi"
    net = build_net(variant, read_arrays(index, data, f"musicnn {variant}"))
    model = MusicnnModel(net, variant, weights_id=f"{variant}:{src}:sha256:{digest}")
    return frozen_eval(model, layer, device)


# --------------------------------------------------------------------------- HEAR API


def get_timestamp_embeddings(audio, model: MusicnnModel) -> tuple[torch.Tensor, torch.Tensor]:
    """One embedding per 3-s patch ``[n, P, d]``, at the patch centres in ms."""
    x = as_audio(audio, model)
    emb = model(x)
    centres = (torch.arange(emb.shape[1], dtype=torch.float64) * PATCH + PATCH // 2) * HOP
    ts = (1000.0 * centres / SAMPLE_RATE).to(torch.float32).to(emb.device)
    return emb, ts.unsqueeze(0).expand(x.shape[0], -1)


def get_scene_embeddings(audio, model: MusicnnModel) -> torch.Tensor:
    """Mean over the clip's 3-s patches of the layer's per-patch embedding, ``[n, d]``."""
    return model.scenes(as_audio(audio, model), [model.layer])[0]


def get_layer_scene_embeddings(audio, model: MusicnnModel) -> list[torch.Tensor]:
    """Scene embeddings of every layer (``model.layer_ids``), from one forward pass."""
    return model.scenes(as_audio(audio, model), list(model.layer_ids))
