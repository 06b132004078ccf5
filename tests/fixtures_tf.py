"""Tiny SavedModels with the signatures of the TF Hub VGGish and YAMNet models.

Both compute a known function of each 0.96-s window (15 600 samples): the window is cut into
120 chunks of 130 samples, the chunk means ``[T, 120]`` are multiplied by a fixed matrix
(:func:`projection`). :func:`expected_windows` gives the same in numpy, so tests can check
framing, padding and batching of the adapters numerically. Framing follows the real models:
VGGish has no padding (``1 + (S - 15600) // 15360`` examples, none below 15 600 samples);
YAMNet pads to at least 15 600 samples and to a whole number of 7 680-sample hops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

WINDOW = 15600
CHUNKS = 120


def projection(d: int, seed: int) -> np.ndarray:
    """The fixed ``[120, d]`` matrix of a fake model."""
    return np.random.default_rng(seed).standard_normal((CHUNKS, d)).astype(np.float32)


def expected_windows(x: np.ndarray, hop: int, d: int, seed: int) -> np.ndarray:
    """What the fake models return for the windows of an already padded 1-D signal."""
    t = 1 + (len(x) - WINDOW) // hop
    frames = np.stack([x[k * hop : k * hop + WINDOW] for k in range(t)])
    feats = frames.reshape(t, CHUNKS, -1).astype(np.float64).mean(-1)
    return (feats @ projection(d, seed)).astype(np.float32)


def _features(tf, frames, w):
    feats = tf.reduce_mean(tf.reshape(frames, [-1, CHUNKS, WINDOW // CHUNKS]), axis=-1)
    return tf.matmul(feats, w)


def save_fake_vggish(path: str | Path) -> Path:
    """SavedModel: waveform float32 ``[None]`` → embeddings ``[T, 128]`` (no padding)."""
    import tensorflow as tf

    class FakeVGGish(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(projection(128, 0))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, waveform):
            frames = tf.signal.frame(waveform, WINDOW, 96 * 160, pad_end=False)
            return _features(tf, frames, self.w)

    path = Path(path)
    tf.saved_model.save(FakeVGGish(), str(path))
    return path


def save_fake_yamnet(path: str | Path, class_map: bool = True) -> Path:
    """SavedModel: waveform ``[None]`` → (scores ``[T, 521]``, embeddings ``[T, 1024]``,
    log_mel_spectrogram ``[frames, 64]``), padding as YAMNet; optional class map asset."""
    import tensorflow as tf

    hop = 48 * 160

    class FakeYAMNet(tf.Module):
        def __init__(self, csv_path=None):
            super().__init__()
            self.w = tf.Variable(projection(1024, 1))
            if csv_path is not None:
                self.class_map_asset = tf.saved_model.Asset(str(csv_path))

                @tf.function(input_signature=[])
                def class_map_path():
                    return self.class_map_asset.asset_path

                self.class_map_path = class_map_path

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, waveform):
            n = tf.shape(waveform)[0]
            pad = tf.maximum(0, WINDOW - n)
            after = tf.maximum(n, WINDOW) - WINDOW
            hops = (after + hop - 1) // hop
            pad += hops * hop - after
            x = tf.pad(waveform, [[0, pad]])
            frames = tf.signal.frame(x, WINDOW, hop, pad_end=False)
            emb = _features(tf, frames, self.w)
            scores = tf.sigmoid(emb[:, :521])
            n_stft = 1 + (tf.shape(x)[0] - 400) // 160
            return scores, emb, tf.zeros([n_stft, 64])

    path = Path(path)
    csv_path = None
    if class_map:
        path.parent.mkdir(parents=True, exist_ok=True)
        csv_path = path.parent / "yamnet_class_map.csv"
        rows = ["index,mid,display_name"] + [f"{i},/m/{i:05d},class {i}" for i in range(521)]
        csv_path.write_text("\n".join(rows) + "\n")
    tf.saved_model.save(FakeYAMNet(csv_path), str(path))
    return path
