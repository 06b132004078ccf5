"""Fakes for the weight-fetch tests of the zoo adapters (``_wheel_weights``).

Each family's tests (musicnn, Resemblyzer, Basic Pitch, FCPE, PESTO) check the same cases on
their own :data:`SPEC`: a missing, truncated or altered cached file, a wrong wheel, a wheel whose
member is not the pinned file, and a failing pip. These helpers build the inputs of those cases.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest
from hear_probes_adapters import _wheel_weights as ww
from hear_probes_adapters._wheel_weights import WheelSpec


def _sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def fake_wheel(path: Path, spec: WheelSpec, blobs: dict[str, bytes] | None = None,
               extra: dict[str, bytes] | None = None) -> WheelSpec:
    """Write a wheel holding every member of ``spec`` (plus ``extra`` files); return ``spec``
    re-pinned to it (wheel and member digests and sizes).

    ``blobs`` maps a member's path in the wheel to its bytes (default: distinct small blobs).
    """
    blobs = blobs or {m.path: bytes([i + 1]) * (10 + i) for i, m in enumerate(spec.members)}
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in {**blobs, **(extra or {})}.items():
            zf.writestr(name, blob)
    members = tuple(dataclasses.replace(m, sha256=_sha(blobs[m.path]), size=len(blobs[m.path]))
                    for m in spec.members)
    return dataclasses.replace(spec, sha256=_sha(path.read_bytes()), members=members)


def repin_member(spec: WheelSpec, index: int, sha256: str = "0" * 64) -> WheelSpec:
    """``spec`` with member ``index`` pinned to another digest (its wheel copy is "altered")."""
    members = list(spec.members)
    members[index] = dataclasses.replace(members[index], sha256=sha256)
    return dataclasses.replace(spec, members=tuple(members))


def not_a_wheel(path: Path) -> Path:
    """A file named like the wheel that is not it."""
    path.write_bytes(b"PK not the wheel")
    return path


def fake_cached(spec: WheelSpec, dest: str, size: int | None = None) -> Path:
    """Zero bytes at the cache path of member ``dest`` (its pinned size unless ``size``)."""
    member = spec.member(dest)
    path = spec.target(member)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * (member.size if size is None else size))
    return path


def forbid_download(monkeypatch) -> None:
    """Make any pip download fail the test."""
    monkeypatch.setattr(ww, "download_wheel", lambda spec, dest: pytest.fail("must not download"))


def pip_fails(monkeypatch, stderr: str) -> None:
    """Make every subprocess (pip) exit 1 with ``stderr``."""
    monkeypatch.setattr(subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 1, "", stderr))


def one_line(excinfo) -> str:
    """The message of a raised error, checked to be one line."""
    msg = str(excinfo.value)
    assert msg and "\n" not in msg, msg
    return msg


def fetched(require, *args) -> bool:
    """Whether ``require(*args, check_digest=False)`` finds the cached weights (size-checked):
    the real-weight parity tests of a family skip when it does not."""
    from hear_probes_adapters._common import WeightsNotFoundError

    try:
        require(*args, check_digest=False)
    except WeightsNotFoundError:
        return False
    return True
