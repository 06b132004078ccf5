"""A tiny valid HEAR module (torch): per-frame RMS and zero-crossing features, 16 kHz."""

import os
import time

import torch

ADAPTER_VERSION = "test-1"
HOP = 1600  # 100 ms


class Toy(torch.nn.Module):
    sample_rate = 16000
    scene_embedding_size = 3
    timestamp_embedding_size = 3

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.ones(1))


def load_model(model_file_path: str = ""):
    return Toy()


def _frames(audio):
    audio = torch.as_tensor(audio, dtype=torch.float32)
    n = audio.shape[1] // HOP
    fr = audio[:, : n * HOP].reshape(audio.shape[0], n, HOP)
    rms = fr.pow(2).mean(-1).sqrt()
    peak = fr.abs().amax(-1)
    mean = fr.mean(-1)
    return torch.stack([rms, peak, mean], dim=-1)


def get_timestamp_embeddings(audio, model):
    delay = float(os.environ.get("TOY_SLEEP", "0"))
    if delay:
        time.sleep(delay)
    counter = os.environ.get("TOY_COUNTER")
    if counter:
        with open(counter, "a") as fh:
            fh.write(f"{audio.shape[0]}\n")
    emb = _frames(audio)
    ts = (torch.arange(emb.shape[1], dtype=torch.float32) * HOP + HOP / 2) / 16.0
    return emb, ts.unsqueeze(0).expand(emb.shape[0], -1)


def get_scene_embeddings(audio, model):
    emb, _ = get_timestamp_embeddings(audio, model)
    return emb.mean(dim=1)
