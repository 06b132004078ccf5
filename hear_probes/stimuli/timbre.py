"""The timbre dissimilarity studies (17 + 4): discovery, loading, verification and fetching.

Two datasets in the same layout (see ``datasets/timbre.json`` and
``datasets/timbre-extra.json``): ``sounds/<Dataset>/*.aiff`` and
``ratings/<Dataset>_dissimilarity_matrix.txt``. Row/column ``k`` of a matrix is the
``k``-th sound in **sorted file-name order**; only the upper triangle (i < j) holds ratings
(a filled diagonal is ignored with a warning).

Where studies are found: a timbre folder ``DIR`` (``--data DIR``, or the fetched copy) and,
when it exists, its sibling ``DIR/../timbre-extra`` (where ``hear-probes datasets fetch
timbre-extra`` puts the four extra studies next to the fetched 17). Study names are unique:
a study in ``DIR`` hides one of the same name in the sibling. ``--data`` may also point at a
``timbre-extra`` folder alone. See :func:`timbre_roots`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from hear_probes.errors import DatasetError, DatasetMissingError
from hear_probes.hashing import sha256_file
from hear_probes.stimuli.base import StimulusSet, fixed_hash

#: The studies in the order of Pascal & Lagrange (2024), Table I.
TIMBRE_DATASETS: list[str] = [
    "Grey1977", "Grey1978", "Iverson1993_Whole", "Iverson1993_Onset", "Iverson1993_Remainder",
    "McAdams1995", "Lakatos2000_Harm", "Lakatos2000_Perc", "Lakatos2000_Comb", "Barthet2010",
    "Patil2012_A3", "Patil2012_DX4", "Patil2012_GD4", "Siedenburg2016_e2set1",
    "Siedenburg2016_e2set2", "Siedenburg2016_e2set3", "Siedenburg2016_e3",
]

#: The four studies of ``timbre-extra`` (timbremetrics package), listed after the 17.
EXTRA_TIMBRE_DATASETS: list[str] = [
    "Saitis2020_e2set1_brightness", "Vahidi2020", "Zacharakis2014_english", "Zacharakis2014_greek",
]

#: All known studies in table order: Table I order, then the four extra ones.
ALL_TIMBRE_DATASETS: list[str] = TIMBRE_DATASETS + EXTRA_TIMBRE_DATASETS

#: Dataset manifests that ``hear-probes datasets fetch/verify`` know.
DATASET_MANIFESTS: tuple[str, ...] = ("timbre", "timbre-extra")

#: Name of the sibling folder searched next to a timbre folder.
EXTRA_FOLDER = "timbre-extra"

#: Number of raters per study (for delta_bar = 0.1 * sqrt(m) of the robustness sweep).
N_RATERS: dict[str, int] = {
    "Grey1977": 22, "Grey1978": 22, "Iverson1993_Whole": 10, "Iverson1993_Onset": 9,
    "Iverson1993_Remainder": 9, "McAdams1995": 24, "Lakatos2000_Harm": 34, "Lakatos2000_Perc": 34,
    "Lakatos2000_Comb": 34, "Barthet2010": 16, "Patil2012_A3": 20, "Patil2012_DX4": 20,
    "Patil2012_GD4": 20, "Siedenburg2016_e2set1": 24, "Siedenburg2016_e2set2": 24,
    "Siedenburg2016_e2set3": 24, "Siedenburg2016_e3": 24,
}

#: Explained variance of the STFT representation published by Pascal & Lagrange (2024), Table I.
PUBLISHED_STFT_EV: dict[str, float] = {
    "Grey1977": 0.29, "Grey1978": 0.18, "Iverson1993_Whole": 0.46, "Iverson1993_Onset": 0.18,
    "Iverson1993_Remainder": 0.16, "McAdams1995": 0.14, "Lakatos2000_Harm": 0.31,
    "Lakatos2000_Perc": 0.10, "Lakatos2000_Comb": 0.16, "Barthet2010": 0.11, "Patil2012_A3": 0.79,
    "Patil2012_DX4": 0.85, "Patil2012_GD4": 0.85, "Siedenburg2016_e2set1": 0.40,
    "Siedenburg2016_e2set2": 0.60, "Siedenburg2016_e2set3": 0.33, "Siedenburg2016_e3": 0.26,
}

AUDIO_SUFFIXES = (".aiff", ".aif", ".wav", ".flac")
#: Name of a study's rating matrix: ``ratings/<study>`` + this suffix.
RATINGS_SUFFIX = "_dissimilarity_matrix.txt"


@dataclass
class TimbreDataset:
    """One study: its sounds (sorted) and its rating matrix.

    Attributes
    ----------
    name : str
    sound_paths : list of Path
        Sorted by file name; row ``k`` of ``ratings`` is ``sound_paths[k]``.
    item_ids : list of str
        File names without extension (the ``item_ids`` of the embedding store).
    ratings : np.ndarray
        ``[n, n]`` float64; upper triangle = mean dissimilarity, NaN elsewhere (and where a
        rating is missing).
    n_raters : int
        Number of raters (0 when unknown).
    """

    name: str
    sound_paths: list[Path]
    item_ids: list[str]
    ratings: np.ndarray
    n_raters: int

    def pair_ratings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, s)`` for the unordered pairs i < j (NaN ratings kept)."""
        i, j = np.triu_indices(len(self.item_ids), k=1)
        return i, j, self.ratings[i, j]


def default_timbre_dir(name: str = "timbre") -> Path:
    """Where ``hear-probes datasets fetch NAME`` puts the studies (``timbre-extra`` next to
    ``timbre``)."""
    from hear_probes.paths import data_root

    return data_root() / name


def _is_study_folder(p: Path) -> bool:
    return (p / "sounds").is_dir() and (p / "ratings").is_dir()


def timbre_roots(data_dir: str | os.PathLike) -> list[Path]:
    """Folders searched for studies: ``data_dir``, then its sibling ``timbre-extra``.

    Parameters
    ----------
    data_dir : path-like
        A timbre folder (``sounds/``, ``ratings/``).

    Returns
    -------
    list of Path
        ``[data_dir]`` plus ``data_dir/../timbre-extra`` when that folder exists, has the
        same layout and is not ``data_dir`` itself.
    """
    root = Path(data_dir)
    roots = [root]
    sib = root.parent / EXTRA_FOLDER
    if root.name != EXTRA_FOLDER and _is_study_folder(sib):
        roots.append(sib)
    return roots


def study_root(data_dir: str | os.PathLike, name: str) -> Path | None:
    """The folder of :func:`timbre_roots` that holds study ``name`` (None if none does)."""
    for r in timbre_roots(data_dir):
        if (r / "sounds" / name).is_dir():
            return r
    return None


def find_timbre_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The timbre folder to use: ``data_dir``, else the fetched copy.

    Raises
    ------
    DatasetMissingError
        When no folder with ``sounds/`` and ``ratings/`` is found, saying how to get one.
    """
    candidates = [Path(data_dir).expanduser()] if data_dir else [default_timbre_dir()]
    for c in candidates:
        if (c / "sounds").is_dir() and (c / "ratings").is_dir():
            return c
    where = candidates[0]
    raise DatasetMissingError(
        f"no timbre datasets at {where} (expected sounds/ and ratings/ inside). Run "
        "'hear-probes datasets fetch timbre [--from DIR]' or pass --data DIR."
    )


def list_timbre_datasets(data_dir: str | os.PathLike) -> list[str]:
    """Studies in ``data_dir`` and its sibling ``timbre-extra`` (:func:`timbre_roots`).

    Order: the 17 in Table I order, then the four extra studies, then unknown ones sorted.
    """
    present: set[str] = set()
    rated: set[str] = set()
    for r in timbre_roots(data_dir):
        if (r / "sounds").is_dir():
            present |= {p.name for p in (r / "sounds").iterdir() if p.is_dir() and not p.name.startswith(".")}
        if (r / "ratings").is_dir():
            rated |= {p.name[: -len(RATINGS_SUFFIX)] for p in (r / "ratings").iterdir()
                      if p.name.endswith(RATINGS_SUFFIX) and not p.name.startswith(".")}
    orphans = table_order(rated - present)
    if orphans:  # a study with ratings but no sounds would silently drop out of the run
        import warnings

        from hear_probes.errors import HearProbesWarning

        warnings.warn(f"{data_dir}: {len(orphans)} study(ies) have a rating matrix but no sounds "
                      f"folder and are left out: {', '.join(orphans)} (restore sounds/<study>/, e.g. "
                      "'hear-probes datasets fetch', or check with 'hear-probes datasets verify')",
                      HearProbesWarning, stacklevel=2)
    return table_order(present)


def table_order(names) -> list[str]:
    """``names`` in table order: Table I (17), the four extra studies, then the rest sorted."""
    names = set(names)
    known = [d for d in ALL_TIMBRE_DATASETS if d in names]
    return known + sorted(names - set(ALL_TIMBRE_DATASETS))


def read_rating_matrix(path: Path, n_sounds: int) -> np.ndarray:
    """Read a square rating matrix; keep the upper triangle, NaN elsewhere.

    Raises
    ------
    DatasetError
        Unreadable, non-square, or not ``n_sounds`` × ``n_sounds``.
    """
    try:
        m = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except Exception as exc:
        raise DatasetError(f"{path}: cannot parse the rating matrix ({exc})") from exc
    if m.shape[0] != m.shape[1]:
        raise DatasetError(f"{path}: rating matrix is {m.shape[0]}x{m.shape[1]}, not square")
    if m.shape[0] != n_sounds:
        raise DatasetError(
            f"{path}: rating matrix is {m.shape[0]}x{m.shape[0]} but the sounds folder has "
            f"{n_sounds} sounds; rows must match the sorted sound files one to one"
        )
    diag = np.diag(m)
    filled = np.isfinite(diag) & (diag != 0)
    if filled.any():
        import warnings

        from hear_probes.errors import HearProbesWarning

        warnings.warn(
            f"{path}: {int(filled.sum())} of {n_sounds} diagonal entries are filled (ratings of a "
            "sound with itself, max "
            f"{float(np.max(np.abs(diag[filled]))):g}); ignored: only pairs i < j are used",
            HearProbesWarning, stacklevel=3)
    out = np.full_like(m, np.nan)
    iu = np.triu_indices(n_sounds, k=1)
    out[iu] = m[iu]
    return out


def load_timbre_dataset(data_dir: str | os.PathLike, name: str) -> TimbreDataset:
    """Load one study (sorted sounds + rating matrix) from ``data_dir`` or its sibling
    ``timbre-extra`` (:func:`timbre_roots`)."""
    root = study_root(data_dir, name)
    if root is None:
        root = Path(data_dir)
        have = ", ".join(list_timbre_datasets(root)) if (root / "sounds").is_dir() else "none"
        raise DatasetError(f"{root}: no study {name!r} (sounds/{name} missing); available: {have}")
    sound_dir = root / "sounds" / name
    candidates = sorted(p for p in sound_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    hidden = [p for p in candidates if p.name.startswith(".")]
    if hidden:  # macOS AppleDouble files (._BN.aiff) and other hidden files are not sounds
        import warnings

        from hear_probes.errors import HearProbesWarning

        warnings.warn(f"{sound_dir}: ignored {len(hidden)} hidden file(s) ("
                      + ", ".join(p.name for p in hidden[:5]) + (" ..." if len(hidden) > 5 else "")
                      + "): macOS metadata, not sounds", HearProbesWarning, stacklevel=2)
    sounds = [p for p in candidates if not p.name.startswith(".")]
    if not sounds:
        raise DatasetError(f"{sound_dir}: no audio files")
    ids = [p.stem for p in sounds]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{sound_dir}: two files share a name without extension")
    rpath = root / "ratings" / f"{name}_dissimilarity_matrix.txt"
    if not rpath.is_file():
        raise DatasetError(f"{rpath}: rating matrix missing")
    ratings = read_rating_matrix(rpath, len(sounds))
    return TimbreDataset(name, sounds, ids, ratings, N_RATERS.get(name, 0))


def stimulus_hash(ds: TimbreDataset) -> str:
    """Content hash of a study's sounds (names and bytes)."""
    import hashlib

    h = hashlib.sha256()
    for p in ds.sound_paths:
        h.update(p.stem.encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()


# -- manifest, verification and fetching -----------------------------------------------------
def load_manifest(name: str = "timbre") -> dict:
    """A dataset manifest (``datasets/<name>.json``, installed as ``hear_probes.manifests``).

    Raises
    ------
    DatasetError
        Unknown name (the message lists :data:`DATASET_MANIFESTS`).
    """
    if name not in DATASET_MANIFESTS:
        raise DatasetError(f"unknown dataset {name!r}; available: {', '.join(DATASET_MANIFESTS)}")
    try:
        text = resources.files("hear_probes.manifests").joinpath(f"{name}.json").read_text("utf-8")
    except ModuleNotFoundError:
        # running from a source checkout (e.g. ``python -m hear_probes.cli`` in the repository
        # root, which puts the source folder first on sys.path ahead of an installed copy): the
        # manifests are in the repository's datasets/ folder, not yet mapped into the package
        source = Path(__file__).resolve().parents[2] / "datasets" / f"{name}.json"
        if not source.is_file():
            raise DatasetError(
                f"dataset manifest {name}.json not found: neither the installed "
                f"hear_probes.manifests nor {source}; reinstall hear-probes (pip install .)"
            ) from None
        text = source.read_text("utf-8")
    return json.loads(text)


def verify_timbre_dir(data_dir: str | os.PathLike, quiet: bool = True, name: str = "timbre") -> list[str]:
    """Problems of a dataset folder against manifest ``name`` (empty = all good).

    Each entry names a file: ``(missing)``, ``(sha256 mismatch)``, or ``(not in the
    manifest)`` for an extra sound file in a study folder of the manifest (the probe reads
    every sound there, so an extra one breaks the match with the rating matrix). Hidden
    files (``._*``, ``.DS_Store``) are ignored, as the probe ignores them.
    """
    root = Path(data_dir)
    files = load_manifest(name)["files"]
    bad = []
    for f in tqdm(files, desc=f"verify {name}", unit="file", disable=quiet):
        p = root / f["path"]
        if not p.is_file():
            bad.append(f"{f['path']} (missing)")
        elif sha256_file(p) != f["sha256"]:
            bad.append(f"{f['path']} (sha256 mismatch)")
    return bad + extra_files(root, files)


def extra_files(root: Path, files: list[dict]) -> list[str]:
    """Sound files in the manifest's study folders that the manifest does not list."""
    listed = {f["path"] for f in files}
    studies = sorted({f["path"].split("/")[1] for f in files if f["path"].startswith("sounds/")})
    out = []
    for study in studies:
        folder = root / "sounds" / study
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            rel = f"sounds/{study}/{p.name}"
            if (p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")
                    and rel not in listed):
                out.append(f"{rel} (not in the manifest)")
    return out


def _install_file(src_read, target: Path, sha256: str, label: str) -> None:
    from hear_probes.atomic import atomic_path

    with atomic_path(target, suffix=".part") as tmp:
        with open(tmp, "wb") as out:
            src_read(out)
        got = sha256_file(tmp)
        if got != sha256:
            raise DatasetError(f"{label}: sha256 {got[:12]}… does not match the manifest ({sha256[:12]}…)")


def fetch_timbre(dest: str | os.PathLike | None = None, source_dir: str | os.PathLike | None = None,
                 revision: str | None = None, quiet: bool = False, timeout: float = 60.0,
                 name: str = "timbre") -> Path:
    """Copy (``source_dir``) or download a timbre dataset into ``dest``, verifying sha256.

    ``name="timbre"``: the 17 studies; ``name="timbre-extra"``: the four extra studies (by
    default next to the 17, where :func:`timbre_roots` finds them).

    Files already present with the right checksum are kept; every new file is written to a
    staging folder next to ``dest`` and verified; only when every checksum matches are the
    files moved into ``dest``, so a failed or interrupted fetch leaves ``dest`` untouched.

    Parameters
    ----------
    dest : path-like, optional
        Target folder (default :func:`default_timbre_dir` of ``name``).
    source_dir : path-like, optional
        A local copy with the same layout (``sounds/``, ``ratings/``).
    revision : str, optional
        Git revision of the public repository (default: the manifest's ``commit``; a
        manifest without one falls back to its branch, with a warning).
    quiet : bool
        No progress bar.
    timeout : float
        Seconds per download.
    name : str
        Manifest: "timbre" or "timbre-extra".

    Returns
    -------
    Path
        ``dest``.
    """
    manifest = load_manifest(name)
    dest = Path(dest).expanduser() if dest else default_timbre_dir(name)
    src_root = Path(source_dir).expanduser() if source_dir else None
    if src_root is not None and not src_root.is_dir():
        raise DatasetError(f"--from {src_root}: no such folder")
    todo = [f for f in manifest["files"]
            if not ((dest / f["path"]).is_file() and sha256_file(dest / f["path"]) == f["sha256"])]
    if not todo:
        return dest
    rev = source_revision(manifest, revision) if src_root is None else ""
    from hear_probes.checks import check_writable_dir

    check_writable_dir(dest, "--dest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # every file goes to a staging folder next to dest; only when all checksums match are
    # they moved into place, so a failed or interrupted fetch leaves dest as it was
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.fetch-"))
    try:
        _fetch_files(todo, staging, src_root, manifest, rev, name, quiet, timeout)
        _move_into_place(staging, dest, todo)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _move_into_place(staging: Path, dest: Path, todo: list[dict]) -> None:
    """Move verified files from ``staging`` to ``dest`` (a new ``dest``: one rename)."""
    if not os.path.lexists(dest):
        os.replace(staging, dest)
        return
    for f in todo:
        target = dest / f["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / f["path"], target)


#: A fetch that misses at least this many files downloads the dataset's one archive (when its
#: manifest names one) instead of one request per file.
ARCHIVE_MIN_FILES = 10


def source_revision(manifest: dict, revision: str | None = None) -> str:
    """The git revision to download: ``revision``, else the manifest's ``commit``.

    A manifest whose ``commit`` is not known (``null``) falls back to its ``revision``
    (a branch) with a one-line warning: the files are still checked against their sha256.
    """
    source = manifest["source"]
    if revision:
        return revision
    if source.get("commit"):
        return str(source["commit"])
    import warnings

    from hear_probes.errors import HearProbesWarning

    warnings.warn(f"dataset {manifest['name']}: the manifest is not pinned to a commit; "
                  f"downloading branch {source['revision']!r} (every file is still checked "
                  "against its sha256)", HearProbesWarning, stacklevel=3)
    return str(source["revision"])


def _fetch_files(todo: list[dict], staging: Path, src_root: Path | None, manifest: dict,
                 rev: str, name: str, quiet: bool, timeout: float) -> None:
    """Copy or download ``todo`` into ``staging``, each file checked against its sha256."""
    if src_root is None:
        try:
            if manifest["source"].get("archive_url_template") and len(todo) >= ARCHIVE_MIN_FILES:
                _fetch_archive(todo, staging, manifest, rev, quiet, timeout)
            else:
                _download_files(todo, staging, manifest, rev, quiet, timeout)
        except DatasetError as exc:
            raise DatasetError(f"{exc}. Without network, copy the files and use "
                               f"'hear-probes datasets fetch {name} --from DIR'") from exc
        return
    for f in tqdm(todo, desc=f"fetch {name}", unit="file", disable=quiet):
        src = src_root / f["path"]
        if not src.is_file():
            raise DatasetError(f"{src}: missing from the local copy given with --from")

        def _read(out, src=src):
            with open(src, "rb") as fh:
                shutil.copyfileobj(fh, out)

        _install_file(_read, staging / f["path"], f["sha256"], str(src))


def _download_files(todo: list[dict], staging: Path, manifest: dict, rev: str, quiet: bool,
                    timeout: float) -> None:
    """One request per file (pooch: retries, sha256 checked, written under a temporary name)."""
    from hear_probes.download import download

    for f in tqdm(todo, desc=f"download {manifest['name']}", unit="file", disable=quiet):
        target = staging / f["path"]
        url = manifest["source"]["url_template"].format(revision=rev, remote=f["remote"])
        download(url, target.parent, target.name, sha256=f["sha256"], timeout=timeout)


def _fetch_archive(todo: list[dict], staging: Path, manifest: dict, rev: str, quiet: bool,
                   timeout: float) -> None:
    """The dataset's one archive (pooch, retries), then every wanted member checked by sha256.

    The archive itself has no pinned checksum (GitHub builds its archives on request and does
    not promise stable bytes); each extracted file is checked against the manifest instead.
    """
    from hear_probes.download import download, extract_members

    source = manifest["source"]
    url = source["archive_url_template"].format(revision=rev)
    where = staging / ".archive"
    archive = download(url, where, f"{manifest['name']}.tar.gz",
                       sha256=source.get("archive_sha256"), timeout=timeout, progress=not quiet)
    sha = {staging / f["path"]: f["sha256"] for f in todo}
    try:
        extract_members(archive, source["folder"], {f["remote"]: staging / f["path"] for f in todo},
                        lambda read, target, label: _install_file(read, target, sha[target], label))
    finally:
        shutil.rmtree(where, ignore_errors=True)


def timbre_stimulus_sets(data_dir: str | os.PathLike | None = None,
                         datasets: list[str] | None = None) -> list[StimulusSet]:
    """One :class:`~hear_probes.stimuli.base.StimulusSet` per study (``/timbre/<Dataset>``).

    Parameters
    ----------
    data_dir : path-like, optional
        Timbre folder (default: the fetched copy; :func:`find_timbre_dir`).
    datasets : list of str, optional
        Studies (default: every study found).
    """
    root = find_timbre_dir(data_dir)
    return [_study_set(load_timbre_dataset(root, name))
            for name in (datasets or list_timbre_datasets(root))]


def _study_set(ds) -> StimulusSet:
    from hear_probes.audio import load_audio

    by_id = dict(zip(ds.item_ids, ds.sound_paths, strict=True))

    def render(ids, sample_rate: int, resample_method: str) -> list[np.ndarray]:
        return [load_audio(by_id[i], sample_rate, resample_method) for i in ids]

    return StimulusSet("timbre", ds.name, tuple(ds.item_ids), render, fixed_hash(stimulus_hash(ds)))
