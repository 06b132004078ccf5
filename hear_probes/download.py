"""Downloads with retries and checksums (through :mod:`pooch`), and archive extraction.

:func:`download` fetches one URL into a folder with pooch (``retry_if_failed`` retries, with
pooch's growing pauses, on a failed request or a checksum mismatch; pooch writes to a
temporary name and renames, so a half-written download never carries the final name).
:func:`extract_members` streams the wanted members out of a ``.tar.gz`` archive, each one
checked against its sha256 by the caller's ``install`` function.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

from hear_probes.errors import DatasetError

#: Retries after a failed download or checksum mismatch (pooch's ``retry_if_failed``).
DOWNLOAD_RETRIES = 3


def download(url: str, folder: Path, fname: str, *, sha256: str | None = None,  # noqa: PLR0913
             retries: int = DOWNLOAD_RETRIES, timeout: float = 60.0,
             progress: bool = False) -> Path:
    """Download ``url`` to ``folder/fname`` with retries and (optionally) a sha256 check.

    Parameters
    ----------
    url : str
        HTTP(S) or FTP address.
    folder : Path
        Where the file goes (created if needed).
    fname : str
        File name in ``folder``.
    sha256 : str, optional
        Expected sha256 (hex); ``None`` skips the check (the caller then verifies what it
        extracts, e.g. every member of an archive).
    retries : int
        Further attempts after a failure or mismatch.
    timeout : float
        Seconds per request.
    progress : bool
        Show pooch's progress bar.

    Returns
    -------
    Path
        The downloaded file.

    Raises
    ------
    DatasetError
        Every attempt failed (the message names the URL and the last error).
    """
    import pooch

    folder.mkdir(parents=True, exist_ok=True)
    fetcher = pooch.create(
        path=folder, base_url="", registry={fname: f"sha256:{sha256}" if sha256 else None},
        urls={fname: url}, retry_if_failed=retries,
    )
    downloader = pooch.HTTPDownloader(timeout=timeout, progressbar=progress)
    try:
        return Path(fetcher.fetch(fname, downloader=downloader))
    except ValueError as exc:  # pooch: checksum mismatch on every attempt
        raise DatasetError(f"{url}: {exc}".splitlines()[0]) from exc
    except Exception as exc:  # noqa: BLE001 - requests' errors (connection, HTTP status)
        raise DatasetError(f"cannot download {url} after {retries + 1} attempts: "
                           f"{type(exc).__name__}: {exc}".splitlines()[0]) from exc


def archive_members(archive: Path, folder: str) -> dict[str, tarfile.TarInfo]:
    """Regular files of a ``.tar(.gz)`` under ``<top>/<folder>/``, keyed by their path below it.

    GitHub's archives put everything under one top folder (``<repo>-<revision>/``), whose
    name this does not depend on.
    """
    prefix = folder.strip("/") + "/" if folder.strip("/") else ""
    out = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for m in tar.getmembers():
                parts = m.name.split("/", 1)
                if m.isfile() and len(parts) == 2 and parts[1].startswith(prefix):
                    out[parts[1][len(prefix):]] = m
    except (tarfile.TarError, OSError) as exc:
        raise DatasetError(f"{archive}: not a readable tar archive ({exc})") from exc
    return out


def extract_members(archive: Path, folder: str, wanted: dict[str, Path],
                    install: Callable[[Callable, Path, str], None]) -> None:
    """Stream the ``wanted`` members (``{path below folder: target}``) out of ``archive``.

    Parameters
    ----------
    archive : Path
        A ``.tar``/``.tar.gz`` file.
    folder : str
        The folder of the source repository that the member paths are relative to.
    wanted : dict
        ``{member path below folder: target path}``; nothing else is extracted (no member
        path is ever joined to a local folder, so no archive can write outside the targets).
    install : callable
        ``install(read, target, label)`` writes ``target`` from ``read(out_file)`` and checks
        it (e.g. its sha256).

    Raises
    ------
    DatasetError
        Members missing from the archive (the first few are named).
    """
    members = archive_members(archive, folder)
    missing = sorted(set(wanted) - set(members))
    if missing:
        raise DatasetError(f"{archive.name}: {len(missing)} file(s) of the manifest are not in the "
                           f"archive under {folder}/ (e.g. {', '.join(missing[:3])})")
    with tarfile.open(archive, "r:*") as tar:
        for rel, target in wanted.items():

            def _read(out, member=members[rel]):
                src = tar.extractfile(member)
                while chunk := src.read(1 << 20):
                    out.write(chunk)

            install(_read, target, f"{archive.name}:{folder}/{rel}")
