"""FCPE weights: ``fcpe_c_v001.pt`` of the ``torchfcpe`` 0.0.4 wheel, verified, read.

The PyPI package ``torchfcpe`` 0.0.4 ships the trained FCPE network as
``torchfcpe/assets/fcpe_c_v001.pt`` (43 MB) but requires ``torchaudio``, which has no build for
this project's torch. :func:`fetch` (``hear-probes weights fetch fcpe``) takes that one file
(sha256-pinned) out of the sha256-pinned wheel into ``<cache>/weights/fcpe/fcpe_c_v001.pt``
(the published file itself, not a converted copy; see
:mod:`hear_probes_adapters._wheel_weights`).

The file is a ``torch.save`` dict ``{"global_step", "model", "config_dict"}`` of tensors,
numbers, strings and dicts only, so :func:`read_checkpoint` loads it with
``torch.load(weights_only=True)``: no pickled class is instantiated.
"""

from __future__ import annotations

from pathlib import Path

from hear_probes_adapters import _wheel_weights as ww
from hear_probes_adapters._pypi_weights import WeightsCorruptError
from hear_probes_adapters._wheel_weights import Member, WheelSpec

NAME = "fcpe"
#: The wheel (sha256 measured on PyPI 2026-12-05) and the one file taken out of it.
SPEC = WheelSpec(
    NAME, "torchfcpe", "0.0.4", "torchfcpe-0.0.4-py3-none-any.whl",
    "f042c463d850d76c6f4899a0b84f0b694bb560adf05f4de951097a756d17472d",
    (Member("torchfcpe/assets/fcpe_c_v001.pt", "fcpe_c_v001.pt",
            "b9aeaeb673436eeda50ceafd632aa681aa63417e52eae4207503d180c9b10015", 43363260),))
FETCH_HINT = SPEC.fetch_hint


def weights_path() -> Path:
    """Cache path of the weight file (``<cache>/weights/fcpe/fcpe_c_v001.pt``)."""
    return SPEC.target(SPEC.members[0])


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put ``fcpe_c_v001.pt`` into the hear-probes cache.

    :func:`~hear_probes_adapters._wheel_weights.fetch` of :data:`SPEC`; returns
    the cached weight file (one).
    """
    return ww.fetch(SPEC, wheel, force)


def require_weights(check_digest: bool = True) -> tuple[Path, str]:
    """The cached, verified weight file and its sha256.

    Errors as :func:`hear_probes_adapters._wheel_weights.require` (one line with the fix).
    """
    return ww.require(SPEC, SPEC.members[0], check_digest)


def read_checkpoint(path: str | Path) -> tuple[dict, dict]:
    """``(state_dict, config_dict)`` of an FCPE ``.pt`` file, read with ``weights_only=True``.

    Raises
    ------
    WeightsCorruptError
        Not a readable FCPE checkpoint (one line naming the file).
    """
    import pickle

    import torch

    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise WeightsCorruptError(f"{NAME}: cannot read {path} as a torch checkpoint ({first}); "
                                  f"fetch it again with {FETCH_HINT} --force") from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), dict) \
            or not isinstance(ckpt.get("config_dict"), dict):
        raise WeightsCorruptError(f"{NAME}: {path} is not an FCPE checkpoint (no 'model' "
                                  "state dict and 'config_dict')")
    return ckpt["model"], ckpt["config_dict"]
