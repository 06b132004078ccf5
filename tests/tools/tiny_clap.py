"""A tiny random-initialised CLAP (``ClapModel`` + ``ClapFeatureExtractor``) for structure tests.

1-s windows and 16 mel bands (the LAION checkpoints: 10 s, 64 bands); random weights, never
results.
"""

from __future__ import annotations

from pathlib import Path


def tiny_clap_extractor():
    """The extractor: 48 kHz, 1-s window, 16 mel bands, random crop of longer clips."""
    import transformers

    return transformers.ClapFeatureExtractor(feature_size=16, max_length_s=1,
                                             truncation="rand_trunc", padding="repeatpad")


def save_tiny_clap(folder: Path, seed: int = 0):
    """Build the tiny CLAP with ``torch.manual_seed(seed)``, ``save_pretrained`` it (and its
    extractor) into ``folder``; return the model."""
    import torch
    import transformers

    torch.manual_seed(seed)
    audio = dict(spec_size=64, window_size=4, num_mel_bins=16, depths=[1, 1],
                 num_attention_heads=[1, 2], patch_embeds_hidden_size=8, hidden_size=16,
                 projection_hidden_size=16, enable_fusion=False)
    text = dict(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                intermediate_size=16, projection_hidden_size=16)
    model = transformers.ClapModel(transformers.ClapConfig(audio_config=audio, text_config=text,
                                                           projection_dim=8))
    model.save_pretrained(folder)
    tiny_clap_extractor().save_pretrained(folder)
    return model
