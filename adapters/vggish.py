"""VGGish (Hershey et al. 2017) from TensorFlow Hub as a HEAR module.

The hub model (``https://tfhub.dev/google/vggish/1``, loaded with ``hub.load``) takes one
1-D float32 waveform at 16 kHz and returns one 128-d embedding per 0.96-s example without
padding: log-mel frames of 25 ms every 10 ms, grouped 96 at a time with no overlap, so example
``k`` covers samples ``[15360 k, 15360 k + 15600)`` and a clip needs at least 15 600 samples
(0.975 s) for one example; trailing samples that do not fill an example are dropped, as in the
original. Here:

- clips shorter than 15 600 samples are zero-padded at the end to 15 600 (one example);
- a batch ``[n, samples]`` is embedded row by row (the hub signature is 1-D);
- timestamps are example centres, ``487.5 + 960 k`` ms;
- the scene embedding is the mean over examples.

The model object is a ``tf.Module``; outputs are tf float32 tensors. A SavedModel folder in
``model_file_path`` replaces the download; ``model.weights_id`` is ``tfhub:<handle>`` or the
sha256 of the folder.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from hear_probes_adapters._tfhub import (
    HubModel,
    as_numpy_audio,
    frame_timestamps,
    load_hub_model,
)

ADAPTER_VERSION = "1"
HANDLE = "https://tfhub.dev/google/vggish/1"
SAMPLE_RATE = 16000
EMBEDDING_SIZE = 128

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'vggish',
        "backend": 'tensorflow',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": EMBEDDING_SIZE,
        "timestamp_dim": EMBEDDING_SIZE,
        "weights": 'tfhub:https://tfhub.dev/google/vggish/1',
        "requires": ('tensorflow', 'tensorflow_hub'),
        "description": 'VGGish (TF Hub): 128-d per 0.96-s example, short clips padded, time-averaged',
    },
)

#: Samples of one example: 96 STFT hops of 160 plus the last 400-sample window minus one hop.
EXAMPLE_SAMPLES = 95 * 160 + 400
EXAMPLE_HOP = 96 * 160
HOP_S = EXAMPLE_HOP / SAMPLE_RATE
CENTRE_S = EXAMPLE_SAMPLES / 2 / SAMPLE_RATE


class VGGishModel(HubModel):
    """The hub VGGish model with HEAR attributes (``hub_model``, ``weights_id``)."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE

    @staticmethod
    def n_frames(n_samples: int) -> int:
        """Examples for a clip of ``n_samples`` samples (after padding short clips)."""
        return 1 + (max(n_samples, EXAMPLE_SAMPLES) - EXAMPLE_SAMPLES) // EXAMPLE_HOP

    def embed(self, audio: np.ndarray) -> tf.Tensor:
        """``[n, samples]`` numpy → ``[n, T, 128]`` tf float32."""
        if audio.shape[1] < EXAMPLE_SAMPLES:
            audio = np.pad(audio, ((0, 0), (0, EXAMPLE_SAMPLES - audio.shape[1])))
        rows = [tf.cast(self.hub_model(tf.constant(row)), tf.float32) for row in audio]
        if not rows:
            return tf.zeros((0, self.n_frames(audio.shape[1]), EMBEDDING_SIZE), tf.float32)
        return tf.stack(rows)


def load_model(model_file_path: str = "") -> VGGishModel:
    """Load VGGish from TF Hub (cached) or from a local SavedModel folder."""
    hub_model, wid = load_hub_model(model_file_path, HANDLE, "vggish")
    return VGGishModel(hub_model, wid, "vggish")


def get_timestamp_embeddings(audio, model: VGGishModel):
    """Embeddings of 0.96-s examples ``[n, T, 128]`` and their centres in ms ``[n, T]``."""
    x = as_numpy_audio(audio)
    emb = model.embed(x)
    return emb, frame_timestamps(x.shape[0], int(emb.shape[1]), HOP_S, CENTRE_S)


def get_scene_embeddings(audio, model: VGGishModel) -> tf.Tensor:
    """Mean over examples, ``[n, 128]``."""
    return tf.reduce_mean(model.embed(as_numpy_audio(audio)), axis=1)
