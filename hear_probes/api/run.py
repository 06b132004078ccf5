"""``hear_probes.evaluate`` (defined here, in ``api/run.py``, so that the function never
shares its name with a module): run probes on a model from Python and get a :class:`Results`."""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from hear_probes.api._internals import get
from hear_probes.api.results import ResultEntry, Results
from hear_probes.errors import DatasetMissingError, HearProbesError, HearProbesWarning

__all__ = ["EvaluateSettings", "evaluate"]


@dataclass(frozen=True)
class EvaluateSettings:
    """The keyword settings of :func:`evaluate` (each validated here, once).

    Attributes
    ----------
    quick : bool
        Small stimulus sets and few trials (seconds instead of minutes).
    seed : int
        Seed of every random draw (recorded in the results).
    data : path, optional
        Folder of the timbre datasets (``sounds/``, ``ratings/``).
    cache : path, optional
        Embedding cache folder (default: ``$XDG_CACHE_HOME/hear-probes``).
    device : str
        Torch device of a torch model (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).
    batch_size : int, optional
        Clips per call of the model when embedding the probes' stimuli (default: each
        probe's own, 8-16).
    sample_rate : int, optional
        The rate a plain callable model expects (required for one).
    model_path : path, optional
        ``model_file_path`` given to ``load_model``.
    name : str, optional
        Model id in the results (default: registry name, module or function name).
    quiet : bool
        No progress bars and no per-probe lines.
    """

    quick: bool = False
    seed: int = 0
    data: str | Path | None = None
    cache: str | Path | None = None
    device: str = "cpu"
    batch_size: int | None = None
    sample_rate: int | None = None
    model_path: str | Path | None = None
    name: str | None = None
    quiet: bool = True

    def __post_init__(self) -> None:
        if self.batch_size is not None and (not isinstance(self.batch_size, int)
                                            or self.batch_size < 1):
            raise HearProbesError(f"batch_size={self.batch_size!r}: give a positive integer")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise HearProbesError(f"seed={self.seed!r}: give an integer")
        if not isinstance(self.device, str) or not self.device:
            raise HearProbesError(f"device={self.device!r}: give a torch device such as 'cpu'")

    @classmethod
    def from_keywords(cls, keywords: dict) -> EvaluateSettings:
        """Settings from ``evaluate``'s keywords; an unknown one is a one-line TypeError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(keywords) - known)
        if unknown:
            raise TypeError(f"evaluate() got unknown keyword(s) {', '.join(unknown)}; "
                            f"valid: {', '.join(sorted(known))}")
        return cls(**keywords)


def _wanted(probes) -> tuple[list[str], bool]:
    """``(names, explicit)``: every registered probe when ``probes`` is None."""
    known = get("probes")()
    if probes is None:
        return list(known), False
    names = [probes] if isinstance(probes, str) else list(probes)
    unknown = [p for p in names if p not in known]
    if unknown:
        raise HearProbesError(f"unknown probe(s) {', '.join(unknown)}; registered: {', '.join(known)}")
    return names, True


def _layers_spec(layers) -> str | None:
    if layers is None or isinstance(layers, str):
        return layers
    if isinstance(layers, int):
        return str(layers)
    return ",".join(str(int(k)) for k in layers)


def _to_device(loaded, device: str) -> None:
    if loaded.framework == "torch":
        loaded.model.to(device)
    elif device != "cpu":
        raise HearProbesError(f"device={device!r}: only torch models can be moved; "
                              f"{loaded.model_id} is a {loaded.framework} model (use 'cpu')")


def _prepare(view, store, wanted: list[str], options, st: EvaluateSettings,
             explicit: bool) -> tuple[list[str], dict[str, str]]:
    """The probes to run and those skipped for missing data (an error when asked for by name).

    With ``batch_size``, each probe's stimuli are embedded here in batches of that size, so
    that the probe finds them cached (the probes' own runs use their default batch sizes).
    """
    run, skipped = [], {}
    for name in wanted:
        probe = get("get_probe")(name)
        try:
            sets = probe.stimulus_sets(options) if probe.stimulus_sets is not None else []
        except DatasetMissingError as exc:
            if explicit:
                raise HearProbesError(
                    f"probe {name} needs its data: {exc} (pass data=FOLDER, e.g. "
                    "data='../shared/data/timbre', or leave the probe out)") from exc
            skipped[name] = str(exc)
            warnings.warn(f"probe {name} skipped: {exc} (pass data=FOLDER to run it)",
                          HearProbesWarning, stacklevel=5)
            continue
        for sset in sets if st.batch_size is not None else ():
            get("embed_stimulus_set")(view, store, sset, batch_size=st.batch_size, quiet=st.quiet)
        run.append(name)
    return run, skipped


def _run_view(view, folder: Path, wanted: list[str], options, st: EvaluateSettings,
              explicit: bool) -> ResultEntry:
    store = get("open_store")(view, st.cache)
    run, skipped = _prepare(view, store, wanted, options, st, explicit)
    folder.mkdir(parents=True, exist_ok=True)
    ran = get("run_probes")(view, store, folder, run, options) if run else []
    entry = ResultEntry.from_folder(folder, ran, keep_folder=False)
    entry.model, entry.layer = get("model_and_layer")({"model": {"model_id": view.model_id}})
    entry.skipped.update(skipped)
    entry.skipped.update({n: "skipped by the probe (see the warning above)"
                          for n in run if n not in ran})
    return entry


def evaluate(model: Any, probes=None, layers=None, out: str | Path | None = None,
             **settings) -> Results:
    """Run probes on a model and return their results; write files only with ``out``.

    Parameters
    ----------
    model : str, module, HearModel or callable
        A registry name (``"logmel"``; ``hear-probes models`` lists them, plug-ins included),
        ``"hf:<repo id>[@revision]"``, ``"module:pkg.mod"``, a HEAR module object (with
        ``load_model``, ``get_scene_embeddings``, ``get_timestamp_embeddings``), a
        :class:`~hear_probes.api.models.HearModel` (a loaded model and its HEAR functions), or
        a plain callable ``embed(audio, sample_rate) -> embeddings`` taking float32
        ``[n_clips, n_samples]`` and returning ``[n_clips, dim]`` (give ``sample_rate=``).
    probes : str or sequence of str, optional
        Probes to run (``"ranking"``, ``"gear"``, ``"timbre"``, plug-ins). Default: every
        registered probe, where one whose data are missing (timbre without ``data=``) is
        skipped with a warning; a probe named here whose data are missing is an error.
    layers : str, int or sequence of int, optional
        Layers of a layered model (``"all"``, ``"last"``, ``[0, 4, 8]``): every probe runs on
        each (one forward pass embeds them all).
    out : path, optional
        Folder for the same files as ``hear-probes evaluate --out`` (JSON, CSV, PNG, the tidy
        ``results.csv``; ``layer-K/`` subfolders with ``layers``). Without it nothing is kept:
        the probes run in a temporary folder that is removed before this returns.
    **settings
        Keywords of :class:`EvaluateSettings`: ``quick``, ``seed``, ``data``, ``cache``,
        ``device``, ``batch_size``, ``sample_rate``, ``model_path``, ``name``, ``quiet``.

    Returns
    -------
    Results
        One entry per model layer; ``.to_pandas()`` gives the tidy table.

    Raises
    ------
    HearProbesError
        Unknown model or probe, a callable without ``sample_rate``, a broken HEAR contract,
        a probe asked for by name whose data are missing, an unwritable ``out``.

    Examples
    --------
    >>> import numpy as np, hear_probes
    >>> def spectrum(audio, sr):
    ...     return np.log1p(np.abs(np.fft.rfft(audio, n=512, axis=1)))
    >>> res = hear_probes.evaluate(spectrum, probes="ranking", sample_rate=16000,
    ...                            quick=True)                       # doctest: +SKIP
    >>> res.to_pandas()[["probe", "study_or_condition", "value"]]    # doctest: +SKIP
    """
    from hear_probes.api.models import load

    st = EvaluateSettings.from_keywords(settings)
    wanted, explicit = _wanted(probes)
    if out is not None:
        out = get("check_out_dir")(Path(out), "out")
    get("check_cache_dir")(st.cache)
    t0 = time.perf_counter()
    loaded, scene_only = load(model, sample_rate=st.sample_rate, model_path=st.model_path,
                              name=st.name)
    _to_device(loaded, st.device)
    if scene_only:
        get("check_attributes")(loaded)
        audio = get("probe_signal")(loaded.sample_rate)
        get("check_scene_output")(loaded, loaded.module.get_scene_embeddings(audio, loaded.model), 2)
    else:
        get("check_module")(loaded)
    spec = _layers_spec(layers)
    views = [loaded] if spec is None else get("layer_views")(loaded, spec, st.cache)
    options = get("RunOptions")(quick=st.quick, seed=st.seed, quiet=st.quiet,
                                data=Path(st.data) if st.data is not None else None)
    root = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="hear-probes-"))
    try:
        entries = []
        for view in views:
            folder = root if view.layer is None else get("layer_out_dir")(root, view.layer)
            entries.append(_run_view(view, folder, wanted, options, st, explicit))
            if out is not None:
                entries[-1].folder = folder
    finally:
        if out is None:
            shutil.rmtree(root, ignore_errors=True)
    return Results(entries, seconds=time.perf_counter() - t0)
