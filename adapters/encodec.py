"""EnCodec (``facebook/encodec_24khz``) encoder latent as a HEAR module, via transformers.

The embedding is the continuous output of ``EncodecModel.encoder`` before the residual vector
quantiser: 128 dimensions at 75 Hz (hop 320 samples at 24 kHz).

Sample rate: EnCodec runs at 24 kHz, which is not a HEAR rate, so the module declares
48 kHz and decimates by 2 in torch (zero-phase Kaiser FIR, differentiable; see
``HalfbandDecimator``). Frame ``t`` summarises the hop ``[320 t, 320 t + 320)`` at 24 kHz (the
24 kHz encoder is causal: its receptive field extends to the left) and is stamped at the centre
of that hop, ``13.333 t + 6.667`` ms; a clip of ``L`` samples at 48 kHz has
``ceil(ceil(L / 2) / 320)`` frames. Long audio is processed in chunks of whole hops (60 s by
default), so the grid stays even. Differentiable with respect to the input.
"""

from __future__ import annotations

import torch
from hear_probes_adapters._common import HalfbandDecimator, as_audio, batches, timestamps_ms
from hear_probes_adapters._hf_utils import load_pretrained

ADAPTER_VERSION = "1"
SAMPLE_RATE = 48000

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'encodec',
        "backend": 'transformers',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 128,
        "timestamp_dim": 128,
        "weights": 'hf:facebook/encodec_24khz',
        "requires": ('torch', 'transformers'),
        "description": 'EnCodec 24 kHz: encoder latent before quantisation, 75-Hz frames (input 48 kHz -> 24 kHz)',
    },
)

DEFAULT_CHECKPOINT = "facebook/encodec_24khz"


class EncodecEmbedder(torch.nn.Module):
    """The encoder of an ``EncodecModel`` with HEAR attributes."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model, weights_id: str, chunk_s: float, batch_size: int) -> None:
        super().__init__()
        cfg = model.config
        if cfg.audio_channels != 1 or cfg.sampling_rate not in (24000, 48000):
            raise ValueError("only mono EnCodec models at 24 or 48 kHz are supported")
        self.encoder = model.encoder
        self.decimate = HalfbandDecimator() if cfg.sampling_rate == 24000 else None
        self.model_rate = int(cfg.sampling_rate)
        self.normalize = bool(cfg.normalize)
        hop = 1
        for r in cfg.upsampling_ratios:
            hop *= int(r)
        self.hop = hop
        self.chunk = max(1, int(chunk_s * self.model_rate) // hop) * hop
        self.batch_size = int(batch_size)
        self.weights_id = weights_id
        self.scene_embedding_size = self.timestamp_embedding_size = int(cfg.hidden_size)

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        if self.normalize:  # EncodecModel._encode_frame's RMS scaling (48 kHz model)
            x = x / (x.pow(2).mean(dim=-1, keepdim=True).sqrt() + 1e-8)
        return self.encoder(x.unsqueeze(1)).transpose(1, 2)  # [b, T, d]

    def forward(self, audio: torch.Tensor, reduce_mean: bool = False) -> torch.Tensor:
        """``[n, samples]`` at 48 kHz → ``[n, T, 128]`` (or ``[n, 128]`` with ``reduce_mean``)."""
        x = self.decimate(audio) if self.decimate is not None else audio
        n = x.shape[0]
        parts, total, count = [], None, 0
        for start in range(0, x.shape[-1], self.chunk):
            seg = x[:, start : start + self.chunk]
            out = torch.cat([self._encode(seg[s]) for s in batches(n, self.batch_size)], dim=0)
            if reduce_mean:
                total = out.sum(1) if total is None else total + out.sum(1)
                count += out.shape[1]
            else:
                parts.append(out)
        return total / count if reduce_mean else torch.cat(parts, dim=1)


def load_model(
    model_file_path: str = "",
    checkpoint: str = DEFAULT_CHECKPOINT,
    revision: str | None = None,
    device: str | None = None,
    chunk_s: float = 60.0,
    batch_size: int = 8,
) -> EncodecEmbedder:
    """Load the EnCodec encoder.

    Parameters
    ----------
    model_file_path : str
        "" for ``checkpoint`` from the Hugging Face hub (cached), or a ``save_pretrained`` dir.
    checkpoint, revision : str
        Hub id and revision.
    device : str, optional
        "cpu", "cuda", "mps", "auto" (default ``$HEAR_PROBES_DEVICE`` or "auto").
    chunk_s : float
        Longest piece of audio encoded at once.
    batch_size : int
        Clips per forward pass.
    """
    from transformers import EncodecModel

    model, _, weights_id = load_pretrained(EncodecModel, model_file_path, checkpoint, revision, device)
    emb = EncodecEmbedder(model, weights_id, chunk_s, batch_size)
    return emb.to(next(model.parameters()).device).eval()


def get_timestamp_embeddings(audio, model: EncodecEmbedder) -> tuple[torch.Tensor, torch.Tensor]:
    """Latent frames ``[n, T, 128]`` and hop centres in ms."""
    x = as_audio(audio, model)
    emb = model(x)
    step = model.hop / model.model_rate
    return emb, timestamps_ms(x.shape[0], emb.shape[1], step, step / 2, emb.device)


def get_scene_embeddings(audio, model: EncodecEmbedder) -> torch.Tensor:
    """Mean over frames of the latent, ``[n, 128]``."""
    return model(as_audio(audio, model), reduce_mean=True)
