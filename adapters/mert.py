"""MERT (``m-a-p/MERT-v1-95M``) as a HEAR module, via transformers (remote code, opt-in).

MERT is a HuBERT-style music model at 24 kHz (75-Hz frames). Variants (``layers=``):
``"mean"`` (module ``mert``) = the fixed, unweighted mean of the 13 hidden-state layers (768);
``"cat"`` (``mert-cat``) = the 13 layers concatenated (9,984); ``K`` (``mert --layers K``) = layer
``K``. Hidden state 0 is the input of the first transformer layer (CNN features, projection,
positional convolution); state ``K`` is the output of transformer layer ``K``; the last one is
the model's ``last_hidden_state``. ``checkpoint="m-a-p/MERT-v1-330M"`` selects the large
model (25 layers of 1024).

Hidden states are collected with forward hooks on the encoder's layers, not with
``output_hidden_states``: MERT's remote code returns none under transformers 5. The hooks are
checked against ``output_hidden_states`` on a tiny ``HubertModel`` in the tests.

Remote code: the hub checkpoints of MERT need ``trust_remote_code``. It runs only after an
explicit opt-in (``trust_remote_code=True``, or ``--trust-remote-code`` on the command line) and only at
a pinned revision: a 40-hex commit hash given as ``revision=`` or
``$HEAR_PROBES_MERT_REVISION`` (review the code at that commit first). A local directory whose
``config.json`` maps to remote code needs the same opt-in; a directory of a model class that
transformers ships (e.g. a ``HubertModel``) loads without it.

Sample rate: the module declares 48 kHz (24 kHz is not a HEAR rate) and decimates by 2 in
torch (zero-phase FIR, differentiable). Frame ``i`` covers 24-kHz samples
``[320 i, 320 i + 400)`` and is stamped at its centre, ``13.333 i + 8.333`` ms. Long audio is
chunked (30 s by default, ``hear_probes_adapters._ssl``). Differentiable w.r.t. the input.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import torch
from hear_probes_adapters._common import HalfbandDecimator, as_audio, timestamps_ms
from hear_probes_adapters._hf_utils import (
    check_remote_code,
    load_feature_config,
    load_pretrained,
    needs_remote_code,
)
from hear_probes_adapters._ssl import conv_geometry, normalise, run_chunked

ADAPTER_VERSION = "1"
SAMPLE_RATE = 48000

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'mert',
        "backend": 'transformers',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 768,
        "timestamp_dim": 768,
        "weights": 'hf:m-a-p/MERT-v1-95M (remote code, opt-in)',
        "options": {'layers': 'mean'},
        "requires": ('torch', 'transformers'),
        "remote_code": True,
        "description": 'MERT-v1-95M: mean of the 13 hidden-state layers, 75-Hz frames (input 48 kHz -> 24 kHz)',
    },
    {
        "name": 'mert-cat',
        "backend": 'transformers',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 9984,
        "timestamp_dim": 9984,
        "weights": 'hf:m-a-p/MERT-v1-95M (remote code, opt-in)',
        "options": {'layers': 'cat'},
        "requires": ('torch', 'transformers'),
        "remote_code": True,
        "description": 'MERT-v1-95M: the 13 hidden-state layers concatenated (13 x 768)',
    },
)

DEFAULT_CHECKPOINT = "m-a-p/MERT-v1-95M"
REVISION_ENV = "HEAR_PROBES_MERT_REVISION"
FEATURE_DEFAULTS = {"do_normalize": True, "return_attention_mask": True, "sampling_rate": 24000}


def encoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The transformer layers of a wav2vec2/HuBERT/MERT model (``model.encoder.layers``)."""
    layers = getattr(getattr(model, "encoder", None), "layers", None)
    if not isinstance(layers, torch.nn.ModuleList) or len(layers) == 0:
        raise ValueError(f"{type(model).__name__} has no encoder.layers: not a HuBERT-style model")
    return layers


def hidden_states_by_hooks(model: torch.nn.Module, x: torch.Tensor, mask=None) -> list[torch.Tensor]:
    """All hidden states ``[input of layer 1, output of layer 1, ..., last_hidden_state]``.

    Forward hooks on ``model.encoder.layers`` record each layer's input (first) and outputs;
    the final state is the model's ``last_hidden_state`` (after a final layer norm where the
    architecture has one, as transformers 4 reported it).
    """
    layers = encoder_layers(model)
    seen: list[torch.Tensor] = []

    def pre(_mod, args, kwargs):
        seen.append(args[0] if args else kwargs["hidden_states"])

    def post(_mod, _args, output):
        seen.append(output[0] if isinstance(output, (tuple, list)) else output)

    handles = [layers[0].register_forward_pre_hook(pre, with_kwargs=True)]
    handles += [layer.register_forward_hook(post) for layer in layers[:-1]]
    try:
        out = model(x, attention_mask=mask) if mask is not None else model(x)
    finally:
        for h in handles:
            h.remove()
    last = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
    states = seen + [last]
    if len(states) != len(layers) + 1:
        raise RuntimeError(f"collected {len(states)} hidden states, expected {len(layers) + 1}")
    return states


class MertEmbedder(torch.nn.Module):
    """A HuBERT-style model with HEAR attributes, 48 → 24 kHz decimation and layer selection."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model, layers: str | int, features: dict, weights_id: str,
                 chunk_s: float, batch_size: int) -> None:
        super().__init__()
        self.model = model
        n_states = len(encoder_layers(model)) + 1
        if isinstance(layers, str) and layers.isdigit():
            layers = int(layers)
        if not (layers in ("mean", "cat") or (isinstance(layers, int) and 0 <= layers < n_states)):
            raise ValueError(f"layers must be 'mean', 'cat' or 0..{n_states - 1}, got {layers!r}")
        self.layers = layers
        rate = int(features["sampling_rate"])
        if rate not in (24000, 48000):
            raise ValueError(f"model runs at {rate} Hz; only 24 or 48 kHz models are supported")
        self.model_rate = rate
        self.decimate = HalfbandDecimator() if rate == 24000 else None
        self.do_normalize = bool(features["do_normalize"])
        self.use_mask = bool(features["return_attention_mask"])
        cfg = model.config
        self.field, self.stride = conv_geometry(cfg.conv_kernel, cfg.conv_stride)
        self.chunk_frames = max(1, int(chunk_s * rate) // self.stride)
        self.batch_size = int(batch_size)
        self.weights_id = weights_id
        d = int(cfg.hidden_size)
        dim = d * n_states if layers == "cat" else d
        self.scene_embedding_size = self.timestamp_embedding_size = dim
        #: Layers (``--layers``): hidden states 0..n_states-1 (:meth:`with_layer`).
        self.layer_ids = list(range(n_states))
        self.layer_dims = [d] * n_states

    def with_layer(self, layer: int) -> MertEmbedder:
        """A view (same weights) embedding with hidden state ``layer`` (``mert --layers K``)."""
        if layer not in self.layer_ids:
            raise ValueError(f"MERT layer {layer!r} out of range: valid 0..{self.layer_ids[-1]}")
        view = copy.copy(self)
        view.layers = int(layer)
        view.scene_embedding_size = view.timestamp_embedding_size = self.layer_dims[layer]
        return view

    def layer_scenes(self, audio: torch.Tensor) -> list[torch.Tensor]:
        """Scene embeddings of every hidden state ``[n, d]``, from one pass per chunk."""
        x = self.decimate(audio) if self.decimate is not None else audio
        if self.do_normalize:
            x = normalise(x)

        def encode_all(chunk: torch.Tensor) -> torch.Tensor:
            mask = torch.ones(chunk.shape, dtype=torch.long, device=chunk.device) if self.use_mask else None
            return torch.cat(hidden_states_by_hooks(self.model, chunk, mask), dim=-1)

        both = run_chunked(x, encode_all, self.field, self.stride, self.chunk_frames,
                           self.batch_size, reduce_mean=True)
        return list(torch.split(both, self.layer_dims, dim=-1))

    def encode(self, chunk: torch.Tensor) -> torch.Tensor:
        """Samples ``[b, s]`` at the model rate → ``[b, T, d]`` of the selected layers."""
        mask = torch.ones(chunk.shape, dtype=torch.long, device=chunk.device) if self.use_mask else None
        states = hidden_states_by_hooks(self.model, chunk, mask)
        if self.layers == "mean":
            return torch.stack(states, dim=0).mean(dim=0)
        if self.layers == "cat":
            return torch.cat(states, dim=-1)
        return states[self.layers]

    def forward(self, audio: torch.Tensor, reduce_mean: bool = False) -> torch.Tensor:
        """``[n, samples]`` at 48 kHz → ``[n, T, d]`` (or ``[n, d]`` with ``reduce_mean``)."""
        x = self.decimate(audio) if self.decimate is not None else audio
        if self.do_normalize:
            x = normalise(x)
        return run_chunked(x, self.encode, self.field, self.stride, self.chunk_frames,
                           self.batch_size, reduce_mean)


def load_model(
    model_file_path: str = "",
    layers: str | int = "mean",
    checkpoint: str = DEFAULT_CHECKPOINT,
    revision: str | None = None,
    trust_remote_code: bool | None = None,
    device: str | None = None,
    chunk_s: float = 30.0,
    batch_size: int = 4,
) -> MertEmbedder:
    """Load MERT.

    Parameters
    ----------
    model_file_path : str
        "" for ``checkpoint`` from the Hugging Face hub (cached; remote code: see the module
        docstring), or a local ``save_pretrained`` directory.
    layers : "mean", "cat" or int
        Fixed mean of all hidden states, their concatenation, or one of them.
    checkpoint : str
        ``m-a-p/MERT-v1-95M`` (default) or ``m-a-p/MERT-v1-330M``.
    revision : str, optional
        40-hex commit of the checkpoint (default ``$HEAR_PROBES_MERT_REVISION``); required when
        remote code runs from the hub.
    trust_remote_code : bool, optional
        Opt in to the checkpoint's code (default: no; ``--trust-remote-code``).
    device : str, optional
        "cpu", "cuda", "mps", "auto" (default ``$HEAR_PROBES_DEVICE`` or "auto").
    chunk_s, batch_size : float, int
        Longest piece of audio per pass; clips per pass.
    """
    from transformers import AutoModel

    revision = revision or os.environ.get(REVISION_ENV) or None
    remote = needs_remote_code(model_file_path) if model_file_path else True
    if model_file_path and not Path(model_file_path).is_dir():
        raise ValueError(f"{model_file_path} is not a save_pretrained directory")
    allow = check_remote_code(model_file_path or checkpoint, revision, trust_remote_code) if remote else False
    model, source, weights_id = load_pretrained(AutoModel, model_file_path, checkpoint, revision,
                                                device, trust_remote_code=allow)
    features = load_feature_config(source, revision, FEATURE_DEFAULTS)
    emb = MertEmbedder(model, layers, features, weights_id, chunk_s, batch_size)
    return emb.to(next(model.parameters()).device).eval()


def _timestamps(model: MertEmbedder, n: int, n_frames: int, device) -> torch.Tensor:
    step = model.stride / model.model_rate
    return timestamps_ms(n, n_frames, step, model.field / 2 / model.model_rate, device)


def get_timestamp_embeddings(audio, model: MertEmbedder) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame embeddings ``[n, T, d]`` and frame centres in ms (``13.333 i + 8.333``)."""
    x = as_audio(audio, model)
    emb = model(x)
    return emb, _timestamps(model, x.shape[0], emb.shape[1], emb.device)


def get_layer_scene_embeddings(audio, model: MertEmbedder) -> list[torch.Tensor]:
    """Scene embeddings of all hidden states (``model.layer_ids``), one forward pass."""
    return model.layer_scenes(as_audio(audio, model))


def get_scene_embeddings(audio, model: MertEmbedder) -> torch.Tensor:
    """Mean over frames of the timestamp embeddings, ``[n, d]``."""
    return model(as_audio(audio, model), reduce_mean=True)
