"""LAION CLAP audio encoder (``laion/larger_clap_music``) as a HEAR module, via transformers.

Outputs (``output=``): ``"pooled"`` (module ``clap``) = the HTSAT audio encoder's pooled
output before the projection (1024 for the larger models); ``"projected"`` (``clap-proj``) =
the L2-normalised 512-d joint-space embedding, exactly what ``ClapModel.get_audio_features``
returns as ``pooler_output`` in transformers 5.

Windows: CLAP sees 10-s clips at 48 kHz. A clip of at most 10 s is one window, padded as
the checkpoint's feature extractor does (``repeatpad``: tiled a whole number of times, then
zero-padded). A longer clip is covered by ``ceil(L / 10 s)`` full 10-s windows whose starts are
evenly spaced from 0 to ``L - 10 s`` (first window at the start, last at the end): this
replaces the extractor's random crop (``rand_trunc``) and the random crops of ``fusion`` by a
deterministic choice. The scene embedding is the mean of the window embeddings (the
projected one is not re-normalised); the timestamp embeddings are the window embeddings,
stamped at the window centres (one stamp at ``L / 2`` for a clip of at most 10 s).

Front end: the extractor's log-mel (periodic Hann 1024, hop 480, reflect-padded centred
frames, power, mel filters of the checkpoint's extractor, ``10 log10(max(x, 1e-10))``) is
recomputed in torch, so the embeddings keep the autograd graph of the input (checked against
``ClapFeatureExtractor`` in the tests). The graph is kept: CLAP is differentiable here.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import as_audio, batches, timestamps_ms
from hear_probes_adapters._hf_utils import load_pretrained

ADAPTER_VERSION = "1"
SAMPLE_RATE = 48000

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'clap',
        "backend": 'transformers',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 1024,
        "timestamp_dim": 1024,
        "weights": 'hf:laion/larger_clap_music',
        "options": {'output': 'pooled'},
        "requires": ('torch', 'transformers'),
        "description": 'LAION CLAP (larger_clap_music): pooled audio embedding before projection, 10-s windows',
    },
    {
        "name": 'clap-proj',
        "backend": 'transformers',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": 512,
        "timestamp_dim": 512,
        "weights": 'hf:laion/larger_clap_music',
        "options": {'output': 'projected'},
        "requires": ('torch', 'transformers'),
        "description": 'LAION CLAP (larger_clap_music): L2-normalised 512-d joint-space audio embedding',
    },
)

DEFAULT_CHECKPOINT = "laion/larger_clap_music"
OUTPUTS = ("pooled", "projected")


class ClapEmbedder(torch.nn.Module):
    """The audio branch of a ``ClapModel`` with a torch log-mel front end and windowing."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model, extractor, output: str, weights_id: str, batch_size: int) -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if int(extractor.sampling_rate) != SAMPLE_RATE:
            raise ValueError(f"CLAP feature extractor runs at {extractor.sampling_rate} Hz, not 48000")
        self.audio_model = model.audio_model
        self.audio_projection = model.audio_projection
        self.output = output
        self.fusion = bool(model.config.audio_config.enable_fusion)
        self.window = int(extractor.nb_max_samples)
        self.n_fft = int(extractor.fft_window_size)
        self.hop = int(extractor.hop_length)
        self.padding = str(extractor.padding)
        fusion_filters = extractor.truncation == "fusion"
        mel = extractor.mel_filters if fusion_filters else extractor.mel_filters_slaney
        self.register_buffer("mel", torch.tensor(np.asarray(mel), dtype=torch.float32))
        self.register_buffer("hann", torch.hann_window(self.n_fft, periodic=True))
        self.batch_size = int(batch_size)
        self.weights_id = weights_id
        cfg = model.config
        dim = cfg.projection_dim if output == "projected" else cfg.audio_config.hidden_size
        self.scene_embedding_size = self.timestamp_embedding_size = int(dim)

    # ---------------------------------------------------------------- front end
    def pad_window(self, x: torch.Tensor) -> torch.Tensor:
        """Clips ``[n, L <= window]`` → ``[n, window]`` as the extractor pads them."""
        n, length = x.shape
        if length < self.window and self.padding in {"repeat", "repeatpad"}:
            reps = self.window // length
            x = x.repeat(1, reps + 1)[:, : self.window] if self.padding == "repeat" else x.repeat(1, reps)
        return F.pad(x, (0, self.window - x.shape[-1]))

    def log_mel(self, x: torch.Tensor) -> torch.Tensor:
        """``[b, window]`` → ``[b, frames, n_mels]`` in dB (the extractor's features)."""
        spec = torch.stft(x, self.n_fft, self.hop, window=self.hann, center=True,
                          pad_mode="reflect", return_complex=True)
        power = spec.real.pow(2) + spec.imag.pow(2)  # [b, bins, frames]
        mel = torch.einsum("bft,fm->btm", power, self.mel)
        return 10.0 * torch.log10(mel.clamp_min(1e-10))

    def window_starts(self, length: int) -> tuple[list[int], list[float]]:
        """Window starts (samples) and centres (seconds) covering a clip of ``length``."""
        if length <= self.window:
            return [0], [length / 2 / SAMPLE_RATE]
        k = math.ceil(length / self.window)
        exact = np.linspace(0.0, length - self.window, k)
        centres = [(s + self.window / 2) / SAMPLE_RATE for s in exact]
        return [round(s) for s in exact], centres

    # ---------------------------------------------------------------- model
    def embed_windows(self, w: torch.Tensor) -> torch.Tensor:
        """Padded windows ``[b, window]`` → embeddings ``[b, d]``."""
        feats = self.log_mel(w).unsqueeze(1)
        if self.fusion:  # no window is "longer": the global channel is used, copies as the extractor
            feats = feats.expand(-1, 4, -1, -1)
        is_longer = torch.zeros(w.shape[0], 1, dtype=torch.bool, device=w.device)
        pooled = self.audio_model(input_features=feats, is_longer=is_longer).pooler_output
        if self.output == "pooled":
            return pooled
        return F.normalize(self.audio_projection(pooled), dim=-1)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, list[float]]:
        """``[n, samples]`` → window embeddings ``[n, W, d]`` and window centres (s)."""
        starts, centres = self.window_starts(audio.shape[-1])
        outs = []
        for s in starts:
            w = self.pad_window(audio[:, s : s + self.window])
            outs.append(torch.cat([self.embed_windows(w[b]) for b in batches(w.shape[0], self.batch_size)]))
        return torch.stack(outs, dim=1), centres


def load_model(
    model_file_path: str = "",
    output: str = "pooled",
    checkpoint: str = DEFAULT_CHECKPOINT,
    revision: str | None = None,
    device: str | None = None,
    batch_size: int = 4,
) -> ClapEmbedder:
    """Load the CLAP audio encoder.

    Parameters
    ----------
    model_file_path : str
        "" for ``checkpoint`` from the Hugging Face hub (cached), or a ``save_pretrained``
        directory (with a ``preprocessor_config.json``; without one, the extractor defaults of
        ``laion/larger_clap_music`` are assumed: ``rand_trunc``, ``repeatpad``).
    output : {"pooled", "projected"}
        Pre-projection pooled embedding, or L2-normalised projected embedding.
    checkpoint, revision : str
        Hub id and revision.
    device : str, optional
        "cpu", "cuda", "mps", "auto" (default ``$HEAR_PROBES_DEVICE`` or "auto").
    batch_size : int
        10-s windows per forward pass.
    """
    from transformers import ClapFeatureExtractor, ClapModel

    model, source, weights_id = load_pretrained(ClapModel, model_file_path, checkpoint, revision, device)
    try:
        extractor = ClapFeatureExtractor.from_pretrained(source, revision=revision,
                                                         local_files_only=bool(model_file_path))
    except OSError:
        extractor = ClapFeatureExtractor(truncation="rand_trunc", padding="repeatpad")
    emb = ClapEmbedder(model, extractor, output, weights_id, batch_size)
    return emb.to(next(model.parameters()).device).eval()


def get_timestamp_embeddings(audio, model: ClapEmbedder) -> tuple[torch.Tensor, torch.Tensor]:
    """One embedding per 10-s window ``[n, W, d]``, stamped at the window centres (ms)."""
    x = as_audio(audio, model)
    emb, centres = model(x)
    ts = torch.tensor(centres, dtype=torch.float64, device=emb.device) * 1000.0
    if len(centres) > 1:  # evenly spaced by construction; rebuild from the exact step
        step = (centres[-1] - centres[0]) / (len(centres) - 1)
        ts = timestamps_ms(x.shape[0], len(centres), step, centres[0], emb.device)
        return emb, ts
    return emb, ts.to(torch.float32).unsqueeze(0).expand(x.shape[0], 1)


def get_scene_embeddings(audio, model: ClapEmbedder) -> torch.Tensor:
    """Mean of the window embeddings, ``[n, d]``."""
    emb, _ = model(as_audio(audio, model))
    return emb.mean(dim=1)
