"""Random OpenL3 weight files in the official Keras 2 HDF5 layout (for the OpenL3 tests)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

OFFICIAL_WIDTHS = (64, 64, 128, 128, 256, 256, 512, 512)
#: Small widths (last one fixed at 512 by the embedding sizes) for fast end-to-end runs.
SLIM_WIDTHS = (2, 2, 2, 2, 2, 2, 2, 512)


def _layers(widths):
    """(name, [(weight name, array maker)]) in the order Keras 2 wrote openl3's model."""
    layers = [("input_1", [])]
    n_bn = n_conv = n_act = n_pool = 0

    def bn(c):
        nonlocal n_bn
        n_bn += 1
        name = f"batch_normalization_{n_bn}"
        return (name, [(f"{name}/{w}:0", (w, c)) for w in ("gamma", "beta", "moving_mean",
                                                             "moving_variance")])

    def conv(cin, cout, name=None):
        nonlocal n_conv
        n_conv += 1
        name = name or f"conv2d_{n_conv}"
        return (name, [(f"{name}/kernel:0", ("kernel", (3, 3, cin, cout))),
                       (f"{name}/bias:0", ("bias", cout))])

    def act():
        nonlocal n_act
        n_act += 1
        return (f"activation_{n_act}", [])

    def pool():
        nonlocal n_pool
        n_pool += 1
        return (f"max_pooling2d_{n_pool}", [])

    layers.append(bn(1))
    cin = 1
    for i, w in enumerate(widths):
        last = i == 7
        layers.append(conv(cin, w, "audio_embedding_layer" if last else None))
        cin = w
        if not last:
            layers += [bn(w), act()]
            if i in (1, 3, 5):
                layers.append(pool())
    return layers


def write_openl3_h5(path: str | Path, widths=OFFICIAL_WIDTHS, seed: int = 0,
                    full_model: bool = False) -> Path:
    """Write random weights for the OpenL3 audio network in Keras 2's HDF5 layout.

    Parameters
    ----------
    path : path-like
        Output ``.h5`` file.
    widths : sequence of 8 ints
        Output channels of the convolutions.
    seed : int
        Random seed.
    full_model : bool
        Put the layers under ``model_weights`` (``model.save``) instead of the root
        (``model.save_weights``).
    """
    rng = np.random.default_rng(seed)

    def make(kind, shape):
        if kind == "kernel":
            fan_in = shape[0] * shape[1] * shape[2]
            return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        if kind == "gamma":
            return rng.uniform(0.8, 1.2, shape)
        if kind == "moving_variance":
            return rng.uniform(0.5, 1.5, shape)
        return rng.normal(0.0, 0.1, shape)  # beta, moving_mean, bias

    path = Path(path)
    with h5py.File(path, "w") as f:
        g = f.create_group("model_weights") if full_model else f
        layers = _layers(tuple(widths))
        g.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.4.0"
        for name, weights in layers:
            grp = g.create_group(name)
            grp.attrs["weight_names"] = np.array([wn.encode() for wn, _ in weights])
            for wn, (kind, shape) in weights:
                grp.create_dataset(wn, data=make(kind, shape).astype(np.float32))
    return path
