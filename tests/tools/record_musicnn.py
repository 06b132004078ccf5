"""Record the fixture that pins musicnn / VGG (MTT, MSD) to the upstream TF graph.

The PyPI package ``musicnn`` 0.1.0 needs numpy<1.17 to install, but its modules
``models.py`` (the graph) and ``extractor.py`` (``batch_data``, the pre-processing) run under
``tf.compat.v1`` with today's TensorFlow. Run once, by hand, in a scratch environment::

    python3 -m venv /tmp/venv-tf
    /tmp/venv-tf/bin/pip install -c constraints/tf.txt tensorflow tf_keras librosa
    /tmp/venv-tf/bin/pip download --no-deps musicnn==0.1.0 -d /tmp/musicnn-whl
    unzip /tmp/musicnn-whl/musicnn-0.1.0-py3-none-any.whl -d /tmp/musicnn-pkg
    TF_USE_LEGACY_KERAS=1 PYTHONPATH=/tmp/musicnn-pkg /tmp/venv-tf/bin/python tests/tools/record_musicnn.py

Everything upstream is its own code: ``extractor.batch_data`` (librosa mel, float16, log,
187-frame patches; ``librosa.load`` is replaced by a function returning the clip, already at
16 kHz), ``models.define_model`` under ``tf.name_scope('model')`` with a float placeholder, the
checkpoint restored by ``tf.compat.v1.train.Saver`` exactly as ``extractor.extractor`` does,
and the features it names (``is_training=False``). Recorded per model ``<m>`` (MTT_musicnn,
MSD_musicnn, MTT_vgg, MSD_vgg), for the two clips of :func:`clips` (7 s: two patches each):

- ``<m>_input``: the log-mel network input at fixed (patch, frame, band) entries;
- for each frame-wise layer (musicnn ``timbral`` ... ``cnn3``, VGG ``pool1`` ... ``pool5``,
  whose VGG maps are flattened over time x frequency), over all patches of both clips
  (``[4, positions, channels]``): ``<m>_<layer>_proj`` / ``_sample``: 9 positions projected on
  8 fixed random directions / sampled at 8 fixed channels; ``_mean``: the mean over positions
  (the adapter's per-patch embedding), projected (:func:`summarise_map`);
- for each vector layer (``mean_pool``, ``max_pool``, ``penultimate``, ``taggram``):
  ``<m>_<layer>_proj`` and ``_sample`` of the ``[4, channels]`` vectors.

The fixture is ``tests/fixtures/musicnn_upstream.npz`` (about 40 KB).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "musicnn_upstream.npz"
MODELS = ("MTT_musicnn", "MSD_musicnn", "MTT_vgg", "MSD_vgg")
MAP_LAYERS = {"musicnn": ("timbral", "temporal", "cnn1", "cnn2", "cnn3"),
              "vgg": ("pool1", "pool2", "pool3", "pool4", "pool5")}
VEC_LAYERS = {"musicnn": ("mean_pool", "max_pool", "penultimate", "taggram"), "vgg": ("taggram",)}
SEED = 22
SR = 16000
N_POS = 9
N_PROJ = 8
N_CHAN = 8
N_INPUT = 64


def clips(seconds: float = 7.0) -> np.ndarray:
    """Two seeded 16-kHz test clips ``[2, n]`` float32 (quiet enough for upstream's float16 log).

    A 3-harmonic 196 Hz tone with a little noise, and a 110 → 880 Hz exponential chirp whose
    level rises by 20 dB plus noise bursts every 0.5 s, so the maps see changing pitch,
    level and onsets.
    """
    n = int(round(seconds * SR))
    t = np.arange(n) / SR
    rng = np.random.default_rng(SEED)
    tone = sum(0.03 / k * np.sin(2 * np.pi * 196.0 * k * t + k) for k in (1, 2, 3))
    tone = tone + 0.002 * rng.standard_normal(n)
    phase = 2 * np.pi * 110.0 * seconds / np.log(8.0) * (8.0 ** (t / seconds) - 1.0)
    chirp = 0.005 * 10.0 ** (t / seconds) * np.sin(phase)
    bursts = (np.mod(t, 0.5) < 0.05) * 0.01 * rng.standard_normal(n)
    return np.stack([tone, chirp + bursts]).astype(np.float32)


def input_entries(shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Fixed (patch, frame, band) indices of the recorded network-input entries."""
    rng = np.random.default_rng(7)
    return tuple(rng.integers(0, s, N_INPUT) for s in shape)


def _directions(dim: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(dim)
    proj = rng.standard_normal((dim, N_PROJ)) / np.sqrt(dim)
    chans = np.sort(rng.choice(dim, min(N_CHAN, dim), replace=False))
    return proj, chans


def positions(length: int) -> np.ndarray:
    """The recorded positions of a map of ``length`` positions."""
    return np.linspace(0, length - 1, N_POS).round().astype(int)


def summarise_map(prefix: str, maps: np.ndarray) -> dict[str, np.ndarray]:
    """Projections and samples of maps ``[patches, positions, channels]`` (channels last)."""
    maps = maps.astype(np.float64)
    proj, chans = _directions(maps.shape[-1])
    pos = positions(maps.shape[1])
    return {
        f"{prefix}_proj": maps[:, pos] @ proj,
        f"{prefix}_sample": maps[:, pos][..., chans],
        f"{prefix}_mean": maps.mean(axis=1) @ proj,
    }


def summarise_vec(prefix: str, vec: np.ndarray) -> dict[str, np.ndarray]:
    """Projections and samples of vectors ``[patches, channels]``."""
    vec = vec.astype(np.float64)
    proj, chans = _directions(vec.shape[-1])
    return {f"{prefix}_proj": vec @ proj, f"{prefix}_sample": vec[:, chans]}


def _batch(extractor, x: np.ndarray) -> np.ndarray:
    """Upstream ``batch_data`` on an in-memory 16-kHz clip (3-s patches, no overlap)."""
    import librosa

    load = librosa.load
    librosa.load = lambda *a, **k: (x, SR)
    try:
        n_frames = librosa.time_to_frames(3, sr=SR, n_fft=512, hop_length=256) + 1
        batch, _ = extractor.batch_data("clip", n_frames, n_frames)
    finally:
        librosa.load = load
    return batch


def _record(name: str, batch: np.ndarray) -> dict[str, np.ndarray]:
    import tensorflow as tf
    from musicnn import models

    kind = "vgg" if "vgg" in name else "musicnn"
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, batch.shape[1], 96])
        is_training = tf.compat.v1.placeholder(tf.bool)
        outs = models.define_model(x, is_training, name, 50)
    y, feats = outs[0], outs[1:]
    names = (*MAP_LAYERS[kind], *VEC_LAYERS[kind][:-1])
    tensors = dict(zip(names, feats, strict=True))
    tensors["taggram"] = tf.nn.sigmoid(y)
    sess = tf.compat.v1.Session()
    sess.run(tf.compat.v1.global_variables_initializer())
    folder = Path(models.__file__).parent / name
    tf.compat.v1.train.Saver().restore(sess, str(folder) + "/")
    vals = sess.run(tensors, feed_dict={x: batch, is_training: False})
    sess.close()
    out = {}
    for layer in MAP_LAYERS[kind]:
        v = np.asarray(vals[layer])
        if v.shape[-1] == 1:  # mid-end maps are [patches, frames, 64, 1]
            v = v[..., 0]
        out.update(summarise_map(f"{name}_{layer}", v.reshape(v.shape[0], -1, v.shape[-1])))
    for layer in VEC_LAYERS[kind]:
        out.update(summarise_vec(f"{name}_{layer}", np.asarray(vals[layer])))
    return out


def main() -> None:
    import librosa
    import tensorflow as tf
    from musicnn import extractor

    x = clips()
    batch = np.concatenate([_batch(extractor, c) for c in x])  # [4, 187, 96]
    if not np.isfinite(batch).all():
        raise SystemExit("upstream input overflowed float16: make the clips quieter")
    out: dict[str, np.ndarray] = {"input": batch[input_entries(batch.shape)].astype(np.float32)}
    for name in MODELS:
        out.update(_record(name, batch))
    out = {k: v.astype(np.float32) for k, v in out.items()}
    out["versions"] = np.array([f"tensorflow {tf.__version__}, librosa {librosa.__version__}, "
                                f"numpy {np.__version__}, musicnn 0.1.0"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
