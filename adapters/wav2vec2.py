"""wav2vec 2.0 (``facebook/wav2vec2-large-lv60``) as a HEAR module, via transformers.

``Wav2Vec2Model`` on 16-kHz audio, with its feature extractor's preprocessing done in torch
(zero-mean unit-variance per clip when ``do_normalize``; an all-ones attention mask when the
checkpoint's extractor returns one, as for this stable-layer-norm model).

Output: by default the final encoder output after the encoder's last layer norm
(``last_hidden_state``). In transformers 5, ``hidden_states[-1]`` of a stable-layer-norm model
is the last layer's output *before* that norm (checked in ``tests/test_adapter_wav2vec2.py``),
so the default is read from ``last_hidden_state``. ``layer=K`` selects ``hidden_states[K]``
(0 = input of the first transformer layer, K = output of layer K, before any final norm).

Frames: 20 ms hop, 25 ms receptive field; frame ``i`` covers samples ``[320 i, 320 i + 400)``
and is stamped at its centre, ``20 i + 12.5`` ms. Long audio is chunked (30 s by default,
see ``hear_probes_adapters._ssl``). Differentiable with respect to the input.
"""

from __future__ import annotations

import torch
from hear_probes_adapters._common import as_audio, timestamps_ms
from hear_probes_adapters._hf_utils import load_feature_config, load_pretrained
from hear_probes_adapters._ssl import conv_geometry, normalise, run_chunked

ADAPTER_VERSION = "1"
SAMPLE_RATE = 16000

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'wav2vec2',
        "backend": 'transformers',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 1024,
        "timestamp_dim": 1024,
        "weights": 'hf:facebook/wav2vec2-large-lv60',
        "requires": ('torch', 'transformers'),
        "description": 'wav2vec 2.0 large (LV-60k): final encoder output, 20-ms frames, time-averaged',
    },
)

DEFAULT_CHECKPOINT = "facebook/wav2vec2-large-lv60"
#: Preprocessing of the default checkpoint (used when a directory has no preprocessor config).
FEATURE_DEFAULTS = {"do_normalize": True, "return_attention_mask": True}


class Wav2Vec2Embedder(torch.nn.Module):
    """A ``Wav2Vec2Model`` with HEAR attributes, chunking and layer selection."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model, layer: int | str, features: dict, weights_id: str,
                 chunk_s: float, batch_size: int) -> None:
        super().__init__()
        self.model = model
        cfg = model.config
        if isinstance(layer, str) and layer.isdigit():
            layer = int(layer)
        if layer != "final" and not (isinstance(layer, int) and 0 <= layer <= cfg.num_hidden_layers):
            raise ValueError(f"layer must be 'final' or 0..{cfg.num_hidden_layers}, got {layer!r}")
        self.layer = layer
        self.do_normalize = bool(features["do_normalize"])
        self.use_mask = bool(features["return_attention_mask"])
        self.field, self.stride = conv_geometry(cfg.conv_kernel, cfg.conv_stride)
        self.chunk_frames = max(1, int(chunk_s * SAMPLE_RATE) // self.stride)
        self.batch_size = int(batch_size)
        self.weights_id = weights_id
        self.scene_embedding_size = self.timestamp_embedding_size = int(cfg.hidden_size)

    def encode(self, chunk: torch.Tensor) -> torch.Tensor:
        """Normalised samples ``[b, s]`` → frames ``[b, T, d]`` of the selected layer."""
        mask = torch.ones(chunk.shape, dtype=torch.long, device=chunk.device) if self.use_mask else None
        want_all = self.layer != "final"
        out = self.model(chunk, attention_mask=mask, output_hidden_states=want_all)
        return out.hidden_states[self.layer] if want_all else out.last_hidden_state

    def forward(self, audio: torch.Tensor, reduce_mean: bool = False) -> torch.Tensor:
        """``[n, samples]`` → ``[n, T, d]`` (or ``[n, d]`` with ``reduce_mean``)."""
        x = normalise(audio) if self.do_normalize else audio
        return run_chunked(x, self.encode, self.field, self.stride, self.chunk_frames,
                           self.batch_size, reduce_mean)


def load_model(
    model_file_path: str = "",
    layer: int | str = "final",
    checkpoint: str = DEFAULT_CHECKPOINT,
    revision: str | None = None,
    device: str | None = None,
    chunk_s: float = 30.0,
    batch_size: int = 4,
) -> Wav2Vec2Embedder:
    """Load wav2vec 2.0.

    Parameters
    ----------
    model_file_path : str
        "" for ``checkpoint`` from the Hugging Face hub (cached after the first download), or a
        local ``save_pretrained`` directory.
    layer : "final" or int
        "final" = ``last_hidden_state``; ``K`` = ``hidden_states[K]``.
    checkpoint, revision : str
        Hub id and revision of the default weights.
    device : str, optional
        "cpu", "cuda", "mps", "auto" (default ``$HEAR_PROBES_DEVICE`` or "auto").
    chunk_s : float
        Longest piece of audio given to the model at once.
    batch_size : int
        Clips per forward pass.
    """
    from transformers import Wav2Vec2Model

    model, source, weights_id = load_pretrained(Wav2Vec2Model, model_file_path, checkpoint,
                                                revision, device)
    features = load_feature_config(source, revision, FEATURE_DEFAULTS)
    return Wav2Vec2Embedder(model, layer, features, weights_id, chunk_s, batch_size).eval()


def _timestamps(model: Wav2Vec2Embedder, n: int, n_frames: int, device) -> torch.Tensor:
    step = model.stride / SAMPLE_RATE
    return timestamps_ms(n, n_frames, step, model.field / 2 / SAMPLE_RATE, device)


def get_timestamp_embeddings(audio, model: Wav2Vec2Embedder) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame embeddings ``[n, T, d]`` and frame centres in ms (``20 i + 12.5``)."""
    x = as_audio(audio, model)
    emb = model(x)
    return emb, _timestamps(model, x.shape[0], emb.shape[1], emb.device)


def get_scene_embeddings(audio, model: Wav2Vec2Embedder) -> torch.Tensor:
    """Mean over frames of the timestamp embeddings, ``[n, d]``."""
    return model(as_audio(audio, model), reduce_mean=True)
