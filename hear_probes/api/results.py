"""Results of probe runs in Python: one object for fresh runs, saved folders and scorers.

:class:`Results` holds one :class:`ResultEntry` per model (and layer): the probes' payloads
(the content of their JSON files) and, for timbre, the pair-level predictions that paired
comparisons need. :meth:`Results.to_pandas` gives the tidy table of :mod:`hear_probes.tidy`;
:meth:`Results.compare` runs the paired tests of :mod:`hear_probes.compare`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hear_probes.api._internals import get
from hear_probes.errors import HearProbesError

__all__ = ["ResultEntry", "Results", "load_results"]


@dataclass
class ResultEntry:
    """The results of one model (or one layer of it).

    Attributes
    ----------
    model : str
        Model id (without ``@layer-K``).
    layer : int or None
        Layer of a ``layers=`` run.
    payloads : dict of str to dict
        ``{probe: payload}``: the content of ``<probe>.json``.
    timbre_pairs : dict, optional
        ``{study: StudyPairs}``: pair-level timbre predictions (``timbre_pairs.h5``).
    folder : Path, optional
        Where the files are (None when nothing was kept).
    skipped : dict of str to str
        ``{probe: why}`` for probes that did not run.
    """

    model: str
    layer: int | None
    payloads: dict[str, dict] = field(default_factory=dict)
    timbre_pairs: dict | None = None
    folder: Path | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``model`` or ``model@layer-K``."""
        return self.model if self.layer is None else f"{self.model}@layer-{self.layer}"

    @classmethod
    def from_folder(cls, folder: str | Path, names: Iterable[str] | None = None,
                    keep_folder: bool = True) -> ResultEntry:
        """Read a result folder: every registered probe's JSON file (or ``names``), checked
        against the probe's schema, and ``timbre_pairs.h5`` when present.

        Raises
        ------
        HearProbesError
            The folder holds no result file, or a file is unreadable or off its schema.
        """
        folder = Path(folder)
        if names is None:
            res = get("load_result_folder")(folder)  # validates every file against its schema
            payloads = dict(res.probes)
        else:
            payloads = {n: _read_payload(folder / get("get_probe")(n).filename, n) for n in names}
        pairs = None
        if (folder / get("PAIRS_NAME")).is_file():
            _, pairs = get("read_pairs")(folder / get("PAIRS_NAME"))
        model, layer = get("model_and_layer")(next(iter(payloads.values()), {}), folder)
        return cls(model, layer, payloads, pairs, folder if keep_folder else None)

    def rows(self) -> list[dict]:
        """Tidy rows of every payload (:mod:`hear_probes.tidy`)."""
        out: list[dict] = []
        for probe, payload in self.payloads.items():
            out += get("payload_rows")(probe, payload, self.model, self.layer)
        return out


def _read_payload(path: Path, probe: str | None = None) -> dict:
    try:
        payload = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise HearProbesError(f"{path}: no such result file") from None
    except (OSError, ValueError) as exc:
        raise HearProbesError(f"{path}: not readable JSON ({exc}); rerun the probe") from exc
    name = probe or payload.get("probe")
    known = get("probes")()
    if name not in known:
        raise HearProbesError(f"{path}: 'probe' is {name!r}, not a registered probe "
                              f"({', '.join(known)})")
    if known[name].schema is not None:
        known[name].schema.validate(payload, path)
    return payload


class Results:
    """Results of one or several models (and layers), from :func:`~hear_probes.evaluate`, a
    scorer (:func:`~hear_probes.score_gear`...) or :func:`load_results`.

    Parameters
    ----------
    entries : list of ResultEntry
        One per model (and layer).
    seconds : float, optional
        Wall-clock time of the run that produced them.

    Examples
    --------
    >>> res = hear_probes.load_results(["results/stft", "results/logmel"])  # doctest: +SKIP
    >>> df = res.to_pandas()                                               # doctest: +SKIP
    >>> res.select("stft").compare(res.select("logmel")).to_pandas()       # doctest: +SKIP
    """

    def __init__(self, entries: list[ResultEntry], seconds: float | None = None):
        self.entries = list(entries)
        self.seconds = seconds

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __add__(self, other: Results) -> Results:
        return Results(self.entries + list(other.entries))

    def __repr__(self) -> str:
        labels = ", ".join(e.label for e in self.entries[:6]) + (" ..." if len(self) > 6 else "")
        return f"Results({len(self)} model(s): {labels}; probes: {', '.join(self.probes) or 'none'})"

    @property
    def models(self) -> list[str]:
        """Model ids, in order, each once."""
        return list(dict.fromkeys(e.model for e in self.entries))

    @property
    def layers(self) -> list[int | None]:
        """Layers, in order, each once (None: no layer)."""
        return list(dict.fromkeys(e.layer for e in self.entries))

    @property
    def probes(self) -> list[str]:
        """Probes with results, in order, each once."""
        return list(dict.fromkeys(p for e in self.entries for p in e.payloads))

    @property
    def skipped(self) -> dict[str, dict[str, str]]:
        """``{model label: {probe: why}}`` of the probes that did not run."""
        return {e.label: dict(e.skipped) for e in self.entries if e.skipped}

    def select(self, model: str | None = None, layer: int | None = None) -> Results:
        """The entries of one model and/or layer.

        Raises
        ------
        HearProbesError
            When none matches (the message lists what there is).
        """
        picked = [e for e in self.entries if (model is None or e.model == model)
                  and (layer is None or e.layer == layer)]
        if not picked:
            raise HearProbesError(f"no results for model={model!r} layer={layer!r}; there are: "
                                  f"{', '.join(e.label for e in self.entries)}")
        return Results(picked)

    def payload(self, probe: str) -> dict:
        """The payload (``<probe>.json`` content) of the one entry that holds ``probe``.

        Raises
        ------
        HearProbesError
            When no entry or several hold it (use :meth:`select` first).
        """
        holders = [e for e in self.entries if probe in e.payloads]
        if len(holders) != 1:
            raise HearProbesError(
                f"{len(holders)} entries hold {probe!r} results; select one model and layer "
                f"first (results.select(model, layer)): {', '.join(e.label for e in holders)}")
        return holders[0].payloads[probe]

    def __getitem__(self, probe: str) -> dict:
        return self.payload(probe)

    def rows(self) -> list[dict]:
        """The tidy table as a list of dicts (no pandas needed); columns :data:`hear_probes.tidy.COLUMNS`."""
        return [row for e in self.entries for row in e.rows()]

    def to_pandas(self):
        """The tidy table: one row per score of every probe, model and layer.

        Returns
        -------
        pandas.DataFrame
            Columns ``model``, ``layer``, ``probe``, ``study_or_condition``, ``metric``,
            ``value``, ``ci_low``, ``ci_high``, ``chance``, ``p``, ``n``, ``na_reason``.
            ``value``, ``ci_low``, ``ci_high``, ``chance``, ``p`` are float64 (NaN where
            undefined); ``layer`` and ``n`` nullable integers; a score that is "n/a" has
            ``value`` NaN and its reason in ``na_reason``.
        """
        import pandas as pd

        from hear_probes.tidy import COLUMNS

        df = pd.DataFrame(self.rows(), columns=list(COLUMNS))
        for col in ("value", "ci_low", "ci_high", "chance", "p"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        for col in ("layer", "n"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
        for col in ("model", "probe", "study_or_condition", "metric", "na_reason"):
            df[col] = df[col].astype("string")
        return df

    def _one(self, role: str) -> ResultEntry:
        if len(self.entries) != 1:
            raise HearProbesError(
                f"compare: {role} holds {len(self.entries)} models/layers "
                f"({', '.join(e.label for e in self.entries)}); pick one with .select(model, layer)")
        return self.entries[0]

    def compare(self, other: Results, settings: Any = None, **keywords):
        """Paired tests of ``other`` against these results (difference = other - self).

        Runs the tests of ``hear-probes compare`` (:mod:`hear_probes.compare`): per timbre
        study and across studies (paired bootstrap over sounds, Wilcoxon over study groups),
        per ranking column (McNemar over the trials both models decided), per GEAR factor and
        score (paired t over seeds), with Holm's correction per family.

        Parameters
        ----------
        other : Results
            One model (and layer), run with the same seed and design.
        settings : CompareSettings, optional
            Resamples, seed, level, alpha; or give its fields as keywords
            (``n_resamples=2000``).

        Returns
        -------
        Comparison
            ``.tests`` (one :class:`~hear_probes.compare.PairedTest` each), ``.skipped``
            (what could not be compared and why) and ``.to_pandas()``.
        """
        if settings is None:
            settings = get("CompareSettings")(**keywords)
        elif keywords:
            raise TypeError("give settings or keywords, not both")
        a, b = self._one("this result"), other._one("the other result")
        names = [a.label, b.label] if a.label != b.label else [f"{a.label} (a)", f"{b.label} (b)"]
        pairs = [None if e.timbre_pairs is None else
                 get("TimbrePairs")(n, e.folder or Path(n), e.model, dict(e.timbre_pairs))
                 for e, n in ((a, names[0]), (b, names[1]))]
        return get("compare_payloads")(names, [a.payloads, b.payloads], pairs, settings)


def _entries_of(path: Path, nested: bool = False) -> list[ResultEntry]:
    """Entries of a JSON file, a result folder (and its ``layer-K``), or, one level down, a
    folder of result folders (``nested``: a subfolder without results is passed over)."""
    if path.is_file():
        payload = _read_payload(path)
        model, layer = get("model_and_layer")(payload, path.parent)
        pairs_file = path.parent / get("PAIRS_NAME")
        pairs = None
        if payload.get("probe") == "timbre" and pairs_file.is_file():
            _, pairs = get("read_pairs")(pairs_file)
        return [ResultEntry(model, layer, {payload["probe"]: payload}, pairs, path.parent)]
    if not path.is_dir():
        raise HearProbesError(f"{path}: no such result folder or file")
    files = [p.filename for p in get("probes")().values()]
    out = []
    if any((path / f).is_file() for f in files):
        out.append(ResultEntry.from_folder(path))
    layer_dirs = sorted((d for d in path.glob("layer-*") if d.is_dir()),
                        key=lambda d: int(d.name[6:]) if d.name[6:].lstrip("-").isdigit() else 0)
    out += [ResultEntry.from_folder(d) for d in layer_dirs
            if any((d / f).is_file() for f in files)]
    if not out and not nested:  # a folder of result folders (results/, a sweep's --out)
        for sub in sorted(d for d in path.iterdir() if d.is_dir()):
            out += _entries_of(sub, nested=True)
    if not out and not nested:
        raise HearProbesError(f"{path}: no {', '.join(files)} inside, nor folders holding "
                              "them; pass folders written by hear-probes or evaluate(out=)")
    return out


def load_results(paths) -> Results:
    """Read saved results: result folders, their ``layer-K`` folders, or probe JSON files.

    Parameters
    ----------
    paths : path or sequence of paths
        A folder written by ``hear-probes evaluate`` / ``probe`` or by
        ``evaluate(out=...)`` (with its ``layer-K/`` subfolders, if any), a folder of such
        folders (``results/``, a sweep's output: subfolders without results are passed
        over), or one ``<probe>.json`` file. Every file is checked against its probe's schema.

    Returns
    -------
    Results

    Raises
    ------
    HearProbesError
        A path that does not exist or holds no result; an unreadable or invalid file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    entries: list[ResultEntry] = []
    for p in paths:
        entries += _entries_of(Path(p))
    return Results(entries)
