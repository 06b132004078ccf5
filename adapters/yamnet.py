"""YAMNet (Plakal & Ellis 2020) from TensorFlow Hub as a HEAR module.

The hub model (``https://tfhub.dev/google/yamnet/1``, loaded with ``hub.load``) takes one
1-D float32 waveform at 16 kHz and returns ``(scores [T, 521], embeddings [T, 1024],
log_mel_spectrogram [frames, 64])`` for 0.96-s patches every 0.48 s. It pads the waveform
itself (``features.pad_waveform``): to at least 15 600 samples, then to a whole number of
hops, so ``T = 1 + ceil((max(S, 15600) - 15600) / 7680)`` and patch ``k`` covers samples
``[7680 k, 7680 k + 15600)``. Here:

- a batch ``[n, samples]`` is embedded row by row (the hub signature is 1-D);
- timestamps are patch centres, ``487.5 + 480 k`` ms;
- the scene embedding is the mean over patches;
- :func:`get_class_scores` returns the 521 AudioSet class scores per patch and
  :func:`class_names` their names (from the model's class map, when it ships one).

The model object is a ``tf.Module``; outputs are tf float32 tensors. A SavedModel folder in
``model_file_path`` replaces the download; ``model.weights_id`` is ``tfhub:<handle>`` or the
sha256 of the folder.
"""

from __future__ import annotations

import csv

import numpy as np
import tensorflow as tf
from hear_probes_adapters._tfhub import (
    HubModel,
    as_numpy_audio,
    frame_timestamps,
    load_hub_model,
)

ADAPTER_VERSION = "1"
HANDLE = "https://tfhub.dev/google/yamnet/1"
SAMPLE_RATE = 16000
EMBEDDING_SIZE = 1024

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'yamnet',
        "backend": 'tensorflow',
        "sample_rate": SAMPLE_RATE,
        "scene_dim": EMBEDDING_SIZE,
        "timestamp_dim": EMBEDDING_SIZE,
        "weights": 'tfhub:https://tfhub.dev/google/yamnet/1',
        "requires": ('tensorflow', 'tensorflow_hub'),
        "description": 'YAMNet (TF Hub): 1024-d per 0.96-s patch, 0.48-s hop, time-averaged',
    },
)

N_CLASSES = 521
PATCH_SAMPLES = 95 * 160 + 400
PATCH_HOP = 48 * 160
HOP_S = PATCH_HOP / SAMPLE_RATE
CENTRE_S = PATCH_SAMPLES / 2 / SAMPLE_RATE


class YAMNetModel(HubModel):
    """The hub YAMNet model with HEAR attributes (``hub_model``, ``weights_id``)."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE

    @staticmethod
    def n_frames(n_samples: int) -> int:
        """Patches for a clip of ``n_samples`` samples (YAMNet's own padding)."""
        return 1 + -(-(max(n_samples, PATCH_SAMPLES) - PATCH_SAMPLES) // PATCH_HOP)

    def run(self, audio: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
        """``[n, samples]`` numpy → scores ``[n, T, 521]``, embeddings ``[n, T, 1024]``."""
        scores, embs = [], []
        for row in audio:
            s, e, _ = self.hub_model(tf.constant(row))
            scores.append(tf.cast(s, tf.float32))
            embs.append(tf.cast(e, tf.float32))
        if not embs:
            t = self.n_frames(audio.shape[1])
            return tf.zeros((0, t, N_CLASSES)), tf.zeros((0, t, EMBEDDING_SIZE))
        return tf.stack(scores), tf.stack(embs)


def load_model(model_file_path: str = "") -> YAMNetModel:
    """Load YAMNet from TF Hub (cached) or from a local SavedModel folder."""
    hub_model, wid = load_hub_model(model_file_path, HANDLE, "yamnet")
    return YAMNetModel(hub_model, wid, "yamnet")


def get_timestamp_embeddings(audio, model: YAMNetModel):
    """Embeddings of 0.96-s patches ``[n, T, 1024]`` and their centres in ms ``[n, T]``."""
    x = as_numpy_audio(audio)
    _, emb = model.run(x)
    return emb, frame_timestamps(x.shape[0], int(emb.shape[1]), HOP_S, CENTRE_S)


def get_scene_embeddings(audio, model: YAMNetModel) -> tf.Tensor:
    """Mean over patches, ``[n, 1024]``."""
    return tf.reduce_mean(model.run(as_numpy_audio(audio))[1], axis=1)


def get_class_scores(audio, model: YAMNetModel):
    """AudioSet class scores per patch ``[n, T, 521]`` and patch centres in ms ``[n, T]``."""
    x = as_numpy_audio(audio)
    scores, _ = model.run(x)
    return scores, frame_timestamps(x.shape[0], int(scores.shape[1]), HOP_S, CENTRE_S)


def class_names(model: YAMNetModel) -> list[str]:
    """The 521 display names, from the class map CSV the hub model ships.

    Raises
    ------
    FileNotFoundError
        When the loaded SavedModel has no ``class_map_path``.
    """
    fn = getattr(model.hub_model, "class_map_path", None)
    if fn is None:
        raise FileNotFoundError("this YAMNet SavedModel ships no class map (class_map_path)")
    path = fn().numpy().decode()
    with tf.io.gfile.GFile(path) as f:
        return [row["display_name"] for row in csv.DictReader(f)]
