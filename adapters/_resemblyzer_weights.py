"""Resemblyzer weights: ``pretrained.pt`` of the ``Resemblyzer`` 0.1.4 wheel, verified.

The PyPI package ``Resemblyzer`` 0.1.4 (Resemble AI's GE2E speaker encoder) ships its trained
weights as ``resemblyzer/pretrained.pt`` (17 MB, a torch checkpoint). The package itself
installs here, but pulls in webrtcvad (a C extension built from source), librosa, an unpinned
torch and the ``typing`` backport; none of them is needed to run the network, which is written in
torch in :mod:`hear_probes_adapters.resemblyzer`. :func:`fetch` (``hear-probes weights fetch
resemblyzer``) therefore takes only ``pretrained.pt`` (sha256-pinned) out of the sha256-pinned
wheel into ``<cache>/weights/resemblyzer/`` (see :mod:`hear_probes_adapters._wheel_weights`).
A ``pretrained.pt`` of an installed ``Resemblyzer`` (``pip install Resemblyzer``) is used as
well when nothing was fetched (:func:`require_weights`), after the same checks.
"""

from __future__ import annotations

from pathlib import Path

from hear_probes_adapters import _wheel_weights as ww
from hear_probes_adapters._pypi_weights import site_file
from hear_probes_adapters._wheel_weights import Member, WheelSpec

MODEL = "resemblyzer"
#: The wheel (sha256 measured on PyPI 2026-12-05) and the one file taken out of it.
SPEC = WheelSpec(
    MODEL, "Resemblyzer", "0.1.4", "Resemblyzer-0.1.4-py3-none-any.whl",
    "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f",
    (Member("resemblyzer/pretrained.pt", "pretrained.pt",
            "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e", 17090379),))
FETCH_HINT = SPEC.fetch_hint


def weights_file() -> Path:
    """Cached weight file (``<cache>/weights/resemblyzer/pretrained.pt``)."""
    return SPEC.target(SPEC.members[0])


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put Resemblyzer's ``pretrained.pt`` into the hear-probes cache.

    :func:`~hear_probes_adapters._wheel_weights.fetch` of :data:`SPEC`; returns
    the cached weight file (one).
    """
    return ww.fetch(SPEC, wheel, force)


def installed_file() -> Path | None:
    """``pretrained.pt`` of an installed ``Resemblyzer`` package (found without importing it)."""
    return site_file("resemblyzer", "pretrained.pt")


def require_weights(check_digest: bool = True) -> tuple[Path, str, str]:
    """The verified weight file, its source (``"fetched"`` or ``"pypi"``) and its sha256.

    The fetched cache file is preferred; otherwise the file of an installed ``Resemblyzer``.

    Raises
    ------
    WeightsNotFoundError
        Neither is there (one line: the fetch command).
    WeightsCorruptError
        The file is truncated or altered (one line: the command that replaces it).
    """
    member = SPEC.members[0]
    installed = None if SPEC.target(member).is_file() else installed_file()
    if installed is None:
        path, digest = ww.require(SPEC, member, check_digest)
        return path, "fetched", digest
    fix = f"{FETCH_HINT} (or pip install --force-reinstall --no-deps {SPEC.dist}=={SPEC.version})"
    return installed, "pypi", ww.check_file(SPEC, member, installed, check_digest, fix)
