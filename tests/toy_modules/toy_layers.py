"""A tiny *layered* HEAR module (torch): 4 layers of fixed random projections of frame features.

Layer ``k`` = ``tanh`` of ``k + 1`` stacked projections of per-frame log-spectrum bands; it
exposes ``layer_ids``, ``layer_dims``, ``with_layer`` and ``get_layer_scene_embeddings``.
``$TOY_LAYER_PASSES`` (a file) gets one line per forward pass, to count them.
"""

import copy
import os

import torch

ADAPTER_VERSION = "test-layers-1"
HOP = 400
N_LAYERS = 4


class ToyLayers(torch.nn.Module):
    sample_rate = 16000

    def __init__(self, layer: int = N_LAYERS - 1):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.register_buffer("w", torch.randn(N_LAYERS, 8, 8, generator=g) / 3)
        self.layer_ids = list(range(N_LAYERS))
        self.layer_dims = [8] * N_LAYERS
        self.layer = layer
        self.scene_embedding_size = self.timestamp_embedding_size = 8

    def with_layer(self, k: int):
        if k not in self.layer_ids:
            raise ValueError(f"layer {k} out of range 0..{N_LAYERS - 1}")
        view = copy.copy(self)
        view.layer = k
        return view

    def all_layers(self, audio):
        path = os.environ.get("TOY_LAYER_PASSES")
        if path:
            with open(path, "a") as fh:
                fh.write(f"{audio.shape[0]}\n")
        audio = torch.as_tensor(audio, dtype=torch.float32)
        n = max(1, audio.shape[1] // HOP)
        fr = torch.nn.functional.pad(audio, (0, n * HOP - audio.shape[1] if audio.shape[1] < HOP else 0))
        fr = fr[:, : n * HOP].reshape(audio.shape[0], n, HOP)
        spec = torch.fft.rfft(fr, dim=-1).abs()[..., :200].reshape(audio.shape[0], n, 8, 25).mean(-1)
        x = torch.log1p(spec)
        outs = []
        for k in range(N_LAYERS):
            x = torch.tanh(x @ self.w[k])
            outs.append(x)
        return outs


def load_model(model_file_path: str = "", layer: int = N_LAYERS - 1):
    return ToyLayers(layer)


def get_layer_scene_embeddings(audio, model):
    return [s.mean(dim=1) for s in model.all_layers(audio)]


def get_timestamp_embeddings(audio, model):
    emb = model.all_layers(audio)[model.layer]
    ts = (torch.arange(emb.shape[1], dtype=torch.float32) * HOP + HOP / 2) / 16.0
    return emb, ts.unsqueeze(0).expand(emb.shape[0], -1)


def get_scene_embeddings(audio, model):
    return get_timestamp_embeddings(audio, model)[0].mean(dim=1)
