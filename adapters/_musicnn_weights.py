"""musicnn / VGG weights: the ``musicnn`` 0.1.0 wheel's TF1 checkpoints, verified, read.

The PyPI package ``musicnn`` 0.1.0 (Pons & Serra 2019) ships four TF1 checkpoints
(``MTT_musicnn``, ``MSD_musicnn``, ``MTT_vgg``, ``MSD_vgg``) but cannot be installed with this
project (its code needs ``numpy<1.17`` and TF1 layers). :func:`fetch` (``hear-probes weights
fetch musicnn``) takes each checkpoint's two files (``.index``, ``.data-00000-of-00001``, pinned
in :data:`FILES`) out of the sha256-pinned wheel into ``<cache>/weights/musicnn/<MODEL>/``
(see :mod:`hear_probes_adapters._wheel_weights`). The upstream files themselves are cached, not
a converted copy, so that the pinned digests are the published ones; they are read at load time
by :mod:`hear_probes_adapters._tf_checkpoint`, without TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hear_probes_adapters import _wheel_weights as ww
from hear_probes_adapters._pypi_weights import WeightsCorruptError
from hear_probes_adapters._tf_checkpoint import CheckpointFormatError, read_checkpoint
from hear_probes_adapters._wheel_weights import Member, WheelSpec

INDEX, DATA = ".index", ".data-00000-of-00001"
#: {upstream model: {file: (sha256, size)}} of the checkpoint files inside the wheel.
FILES: dict[str, dict[str, tuple[str, int]]] = {
    "MTT_musicnn": {
        INDEX: ("da2d7bb670b2b31e9bc441bb1bd75eca31b5b061f963cc1f9630c1aff3238f57", 4948),
        DATA: ("041f3935e981a65cea739842d30c188d3a7d2adf4410955c8668eb3de4a5acab", 9465596)},
    "MSD_musicnn": {
        INDEX: ("87f3e0f3550c8d3bafc840374003e5c8af5eeb5ecf6add61af09a7822d3282c8", 4948),
        DATA: ("8579734ee6388f799ed0def4bbd0d1fdcbeaf213ef2a9dc860917bd76a303de6", 9465596)},
    "MTT_vgg": {
        INDEX: ("4b0d3d2d02bbe0919c063c1fb74bfa9018ac3517e362d681b07444d4207a5f5f", 2994),
        DATA: ("458f5c8bcecc086a3bba3dce83809df6da6e0a3560a59ddd84711bf3d5fd8303", 7274112)},
    "MSD_vgg": {
        INDEX: ("50e499238457558bba9f34f8b84d4afb8279afd43520cdf0a4fdf805a49c9ca3", 2994),
        DATA: ("9683d756b8311146534f333502ebf4a2a78a3e320c54ab0411dff6186d8375fc", 7274112)},
}
#: The wheel (sha256 measured on PyPI 2026-12-04) and the files taken out of it.
SPEC = WheelSpec(
    "musicnn", "musicnn", "0.1.0", "musicnn-0.1.0-py3-none-any.whl",
    "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa",
    tuple(Member(f"musicnn/{model}/{ext}", f"{model}/model{ext}", sha, size, f"musicnn {model}")
          for model, files in FILES.items() for ext, (sha, size) in files.items()))
FETCH_HINT = SPEC.fetch_hint


def weights_dir(upstream: str) -> Path:
    """Cache folder of one checkpoint (``<cache>/weights/musicnn/<MODEL>``)."""
    return SPEC.folder() / upstream


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put the four musicnn checkpoints into the hear-probes cache.

    :func:`~hear_probes_adapters._wheel_weights.fetch` of :data:`SPEC`; returns
    the cached checkpoint folders (one per model).
    """
    return list(dict.fromkeys(p.parent for p in ww.fetch(SPEC, wheel, force)))


def require_checkpoint(upstream: str, check_digest: bool = True) -> tuple[Path, Path, str]:
    """The cached, verified ``(index, data, data sha256)`` files of an upstream checkpoint.

    Errors as :func:`hear_probes_adapters._wheel_weights.require` (one line with the fix).
    """
    members = [SPEC.member(f"{upstream}/model{ext}") for ext in (INDEX, DATA)]
    (index, _), (data, digest) = ww.require_all(SPEC, members, check_digest)
    return index, data, digest


def read_arrays(index: Path, data: Path, name: str = "musicnn") -> dict[str, np.ndarray]:
    """Every variable of a checkpoint (optimizer slots dropped), by TF variable name.

    Raises
    ------
    WeightsCorruptError
        The files are not a readable TF checkpoint (one line naming them).
    """
    try:
        arrays = read_checkpoint(index.read_bytes(), data.read_bytes(), str(index))
    except CheckpointFormatError as exc:
        raise WeightsCorruptError(f"{name}: {exc}; fetch it again with {FETCH_HINT} --force") from None
    return {k: v for k, v in arrays.items() if "Adam" not in k and "power" not in k}
