"""A numpy HEAR module: frame RMS and zero-crossing rate (16 kHz).

Its models are declared in the literal ``BUILTIN_MODELS`` tuple below, which hear-probes reads
without importing this module (``hear_probes.models`` entry point).
"""

import numpy as np

ADAPTER_VERSION = "toy-plugin-1"
SAMPLE_RATE = 16000
EMBEDDING_SIZE = 2
HOP = 1600

BUILTIN_MODELS = (
    {
        "name": "toy-rms",
        "backend": "numpy",
        "sample_rate": SAMPLE_RATE,
        "scene_dim": EMBEDDING_SIZE,
        "timestamp_dim": EMBEDDING_SIZE,
        "description": "toy plug-in model: frame RMS and zero-crossing rate",
    },
)


class ToyModel:
    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE


def load_model(model_file_path: str = "") -> ToyModel:
    return ToyModel()


def get_timestamp_embeddings(audio, model):
    audio = np.asarray(audio, dtype=np.float32)
    n = max(1, audio.shape[1] // HOP)
    frames = audio[:, : n * HOP].reshape(audio.shape[0], n, -1)
    rms = np.sqrt(np.mean(frames**2, axis=-1))
    zcr = np.mean(np.abs(np.diff(np.signbit(frames), axis=-1)), axis=-1)
    emb = np.stack([rms, zcr], axis=-1).astype(np.float32)
    ts = ((np.arange(n) + 0.5) * HOP * 1000.0 / SAMPLE_RATE).astype(np.float32)
    return emb, np.broadcast_to(ts, (audio.shape[0], n)).copy()


def get_scene_embeddings(audio, model):
    emb, _ = get_timestamp_embeddings(audio, model)
    return emb.mean(axis=1).astype(np.float32)
