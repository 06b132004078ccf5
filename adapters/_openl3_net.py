"""OpenL3 audio network in PyTorch: Kapre front-end, conv net and the Keras HDF5 weight loader.

Everything here follows the source of the ``openl3`` package (v0.4.x, ``openl3/models.py``
and ``openl3/core.py``) and of Kapre 0.3.x, which that version uses for its front-end. No
TensorFlow, Kapre or librosa is needed at run time.

Front-end (one 1-s window of 48 000 samples → ``[1, F, T]`` decibels)
---------------------------------------------------------------------
``mel128`` / ``mel256`` (Kapre ``get_melspectrogram_layer``):

- STFT: ``tf.signal.stft`` with ``frame_length = fft_length = 2048``, ``frame_step = 242``,
  window ``tf.signal.hann_window`` (periodic Hann of 2048 points), no centring and no
  padding at the start, ``pad_end=True`` (zeros appended so that ``ceil(48000 / 242) = 199``
  frames start at ``t * 242``);
- magnitude ``|X|`` (Kapre ``Magnitude``, amplitude, not power);
- mel filterbank of ``librosa.filters.mel(sr=48000, n_fft=2048, n_mels=128|256, fmin=0,
  fmax=24000, htk=False, norm="slaney")`` (Slaney mel scale: linear below 1 kHz, log above;
  triangles normalised to unit area by ``2 / (f_{m+2} - f_m)``), reproduced by
  :func:`mel_filterbank`;
- decibels as openl3's ``kapre_v0_1_4_magnitude_to_decibel``: ``10 * log10(max(S, 1e-10))``
  (10, not 20, although ``S`` is an amplitude), minus its maximum over the whole window
  (``ref`` = window maximum), floored at ``-80`` dB (``top_db = 80``); no other
  normalisation;
- transposed to ``[frequency, time]`` (openl3's ``Permute((2, 1, 3))``): ``[1, n_mels, 199]``.

``linear`` (Kapre ``get_stft_magnitude_layer``): the same with ``n_fft = 512``, hop 242,
periodic Hann of 512 points, ``pad_end=False`` (``1 + (48000 - 512) // 242 = 197`` frames),
257 bins, no filterbank: ``[1, 257, 197]``.

Network (``_construct_<repr>_audio_network``)
--------------------------------------------
Batch norm of the input (Keras defaults, ``epsilon = 1e-3``), then four blocks of two
``Conv2D(3 x 3, padding="same")`` each followed by batch norm and ReLU, with
``MaxPooling2D(2, strides=2)`` (``valid``) after blocks 1-3; block 4 ends with its second
convolution (``audio_embedding_layer``, no batch norm, no ReLU). Widths 64, 128, 256, 512.
Then ``MaxPooling2D(pool_size, padding="same")`` and ``Flatten`` in channels-last order:
pool sizes ``linear``/``mel256``: (8, 8) → 6144, (32, 24) → 512; ``mel128``: (4, 8) → 6144,
(16, 24) → 512 (``AUDIO_POOLING_SIZES``).

Weight file (Keras 2 HDF5, what :func:`read_keras_h5` reads)
-----------------------------------------------------------
Root (or the ``model_weights`` group of a full-model file) with attribute ``layer_names``;
one group per layer with attribute ``weight_names`` (``"<layer>/<weight>:0"``) and one
dataset per weight name. In ``layer_names`` order, the layers that hold weights are
16: ``BatchNormalization`` (``gamma``, ``beta``, ``moving_mean``, ``moving_variance``,
each ``[C]``) and ``Conv2D`` (``kernel [3, 3, C_in, C_out]``, ``bias [C_out]``), as
BN(1), then for each of the 8 convolutions: Conv, followed by BN for the first 7. Layers
without weights (input, ReLU, pooling, the Kapre front-end) are skipped. Layers are matched by
position and weight name, as Keras' ``load_weights`` does, never by layer name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from hear_probes.dsp import mel_filterbank

SAMPLE_RATE = 48000
WINDOW = 48000
N_HOP = 242
AMIN = 1e-10
DYNAMIC_RANGE = 80.0
BN_EPS = 1e-3
INPUT_REPRS = ("linear", "mel128", "mel256")
CONTENT_TYPES = ("music", "env")
EMBEDDING_SIZES = (512, 6144)
#: ``openl3.models.AUDIO_POOLING_SIZES``.
POOLING_SIZES: dict[str, dict[int, tuple[int, int]]] = {
    "linear": {6144: (8, 8), 512: (32, 24)},
    "mel128": {6144: (4, 8), 512: (16, 24)},
    "mel256": {6144: (8, 8), 512: (32, 24)},
}
#: Official output channels of the 8 convolutions.
OFFICIAL_WIDTHS = (64, 64, 128, 128, 256, 256, 512, 512)


# --------------------------------------------------------------------------- front-end


class KapreFrontEnd(torch.nn.Module):
    """Kapre's spectrogram as openl3 configures it: ``[B, 48000]`` → ``[B, 1, F, T]`` dB.

    Parameters
    ----------
    input_repr : {"linear", "mel128", "mel256"}
        Which front-end (see the module docstring for every parameter).
    """

    def __init__(self, input_repr: str = "mel256") -> None:
        super().__init__()
        if input_repr not in INPUT_REPRS:
            raise ValueError(f"unknown OpenL3 input_repr {input_repr!r}; use one of {INPUT_REPRS}")
        self.input_repr = input_repr
        self.n_fft = 512 if input_repr == "linear" else 2048
        self.pad_end = input_repr != "linear"
        self.register_buffer("window", torch.hann_window(self.n_fft, periodic=True))
        if input_repr == "linear":
            self.mel = None
        else:
            n_mels = int(input_repr[3:])
            fb = mel_filterbank(SAMPLE_RATE, self.n_fft, n_mels)
            self.register_buffer("mel", torch.from_numpy(fb))

    def n_frames(self, n_samples: int = WINDOW) -> int:
        """Spectrogram frames of one window (199 for mel, 197 for linear)."""
        if self.pad_end:
            return -(-n_samples // N_HOP)
        return 1 + (n_samples - self.n_fft) // N_HOP

    def magnitude(self, x: torch.Tensor) -> torch.Tensor:
        """``|STFT|`` ``[B, bins, T]`` as ``tf.signal.stft`` (no centring, optional end pad)."""
        t = self.n_frames(x.shape[-1])
        if self.pad_end:
            need = (t - 1) * N_HOP + self.n_fft
            x = F.pad(x, (0, max(0, need - x.shape[-1])))
        spec = torch.stft(x, n_fft=self.n_fft, hop_length=N_HOP, win_length=self.n_fft,
                          window=self.window.to(x.dtype), center=False, return_complex=True)
        return spec[..., :t].abs()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Windows ``[B, samples]`` → decibel spectrograms ``[B, 1, F, T]``."""
        s = self.magnitude(x)
        if self.mel is not None:
            s = torch.matmul(self.mel.to(s.dtype), s)
        db = 10.0 * torch.log10(torch.clamp(s, min=AMIN))
        db = db - db.amax(dim=(1, 2), keepdim=True)
        return torch.clamp(db, min=-DYNAMIC_RANGE).unsqueeze(1)


# --------------------------------------------------------------------------- network


def _same_max_pool(x: torch.Tensor, pool: tuple[int, int]) -> torch.Tensor:
    """``MaxPooling2D(pool, padding="same")`` of Keras (stride = pool, -inf padding)."""
    pads = []
    for size, p in zip(x.shape[-2:], pool, strict=True):
        out = -(-size // p)
        total = max((out - 1) * p + p - size, 0)
        pads.append((total // 2, total - total // 2))
    (ht, hb), (wl, wr) = pads
    if ht or hb or wl or wr:
        x = F.pad(x, (wl, wr, ht, hb), value=float("-inf"))
    return F.max_pool2d(x, pool, stride=pool)


class OpenL3Net(torch.nn.Module):
    """The OpenL3 audio conv net on decibel spectrograms ``[B, 1, F, T]``.

    Parameters
    ----------
    input_repr : {"linear", "mel128", "mel256"}
        Selects the final pooling size.
    embedding_size : {512, 6144}
        Output size (with the official 512-channel last layer).
    widths : sequence of 8 ints
        Output channels of the 8 convolutions (the official files: 64, 64, 128, 128, 256,
        256, 512, 512; the loader takes them from the weight file).
    """

    def __init__(self, input_repr: str = "mel256", embedding_size: int = 6144,
                 widths: tuple[int, ...] = OFFICIAL_WIDTHS) -> None:
        super().__init__()
        if embedding_size not in EMBEDDING_SIZES:
            raise ValueError(f"OpenL3 embedding_size must be 512 or 6144, got {embedding_size!r}")
        if len(widths) != 8 or widths[-1] != 512:
            raise ValueError(f"OpenL3 has 8 convolutions, the last with 512 channels; got {widths}")
        self.input_repr = input_repr
        self.embedding_size = int(embedding_size)
        self.pool = POOLING_SIZES[input_repr][self.embedding_size]
        self.bn_in = torch.nn.BatchNorm2d(1, eps=BN_EPS)
        chans = (1, *widths)
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv2d(chans[i], chans[i + 1], 3, padding=1) for i in range(8)
        )
        self.bns = torch.nn.ModuleList(torch.nn.BatchNorm2d(w, eps=BN_EPS) for w in widths[:7])

    def feature_map(self, spec: torch.Tensor) -> torch.Tensor:
        """Output of ``audio_embedding_layer``, ``[B, 512, F/8, T/8]``."""
        x = self.bn_in(spec)
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 7:
                break
            x = F.relu(self.bns[i](x))
            if i in (1, 3, 5):
                x = F.max_pool2d(x, 2, stride=2)
        return x

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        """Spectrograms ``[B, 1, F, T]`` → embeddings ``[B, embedding_size]``."""
        x = _same_max_pool(self.feature_map(spec), self.pool)
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras Flatten, channels last


# --------------------------------------------------------------------------- weights


def read_keras_h5(path: str | Path) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Layers with weights of a Keras 2 HDF5 file, in file order: ``[(name, {weight: array})]``.

    Weight keys are the last part of the weight name without ``:0`` (``kernel``, ``gamma``...).
    """
    import h5py

    out = []
    with h5py.File(path, "r") as f:
        g = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in g.attrs:
            raise ValueError(f"{path}: not a Keras HDF5 weight file (no 'layer_names' attribute)")
        for raw in g.attrs["layer_names"]:
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            layer = g[name]
            names = [n.decode() if isinstance(n, bytes) else str(n)
                     for n in layer.attrs.get("weight_names", [])]
            if not names:
                continue
            weights = {}
            for wn in names:
                key = wn.rsplit("/", 1)[-1].split(":")[0]
                weights[key] = np.asarray(layer[wn])
            out.append((name, weights))
    return out


def _bn_state(prefix: str, w: dict[str, np.ndarray], name: str) -> dict[str, torch.Tensor]:
    missing = {"gamma", "beta", "moving_mean", "moving_variance"} - set(w)
    if missing:
        raise ValueError(f"layer {name!r} should be a BatchNormalization, missing {sorted(missing)}")
    return {
        f"{prefix}.weight": torch.from_numpy(w["gamma"].astype(np.float32)),
        f"{prefix}.bias": torch.from_numpy(w["beta"].astype(np.float32)),
        f"{prefix}.running_mean": torch.from_numpy(w["moving_mean"].astype(np.float32)),
        f"{prefix}.running_var": torch.from_numpy(w["moving_variance"].astype(np.float32)),
    }


def _conv_state(prefix: str, w: dict[str, np.ndarray], name: str) -> dict[str, torch.Tensor]:
    if "kernel" not in w or "bias" not in w or w["kernel"].ndim != 4:
        raise ValueError(f"layer {name!r} should be a Conv2D with a 4-D kernel and a bias")
    kernel = w["kernel"].astype(np.float32)  # Keras [kh, kw, in, out] → torch [out, in, kh, kw]
    return {
        f"{prefix}.weight": torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))),
        f"{prefix}.bias": torch.from_numpy(w["bias"].astype(np.float32)),
    }


def load_openl3_net(path: str | Path, input_repr: str, embedding_size: int) -> OpenL3Net:
    """Build :class:`OpenL3Net` from an official ``openl3_audio_<repr>_<content>.h5`` file.

    Raises
    ------
    ValueError
        When the file does not hold the 16 weighted layers of the OpenL3 audio network.
    """
    layers = read_keras_h5(path)
    if len(layers) != 16:
        raise ValueError(
            f"{path}: expected the 16 weighted layers of the OpenL3 audio network "
            f"(8 Conv2D + 8 BatchNormalization), found {len(layers)}"
        )
    state = _bn_state("bn_in", layers[0][1], layers[0][0])
    widths = []
    pos = 1
    for i in range(8):
        name, w = layers[pos]
        state.update(_conv_state(f"convs.{i}", w, name))
        if w["kernel"].shape[:2] != (3, 3):
            raise ValueError(f"layer {name!r}: OpenL3 kernels are 3 x 3, got {w['kernel'].shape[:2]}")
        widths.append(int(w["kernel"].shape[3]))
        pos += 1
        if i < 7:
            state.update(_bn_state(f"bns.{i}", layers[pos][1], layers[pos][0]))
            pos += 1
    net = OpenL3Net(input_repr, embedding_size, tuple(widths))
    net.load_state_dict(state, strict=True)
    return net.eval()
