"""One settings object per timbre run, built whole by the command line (or ``evaluate``).

:class:`TimbreRun` is what the timbre entry points take: where the data are, which studies,
the fit settings (:class:`~hear_probes.probes.timbre.probe.TimbreSettings`, whose
optimiser part is one :class:`~hear_probes.probes.timbre.metric.FitOptions`) and the
reference of the relative robustness. A new optimiser setting is a field of ``FitOptions``
(and, for L-BFGS-B, of :class:`~hear_probes.probes.timbre.lbfgsb.LbfgsbOptions`) plus its
command-line option in ``command.py``; nothing else passes it along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hear_probes.probes.timbre.probe import QUICK_ROBUSTNESS, TimbreSettings
from hear_probes.probes.timbre.robustness import RobustnessConfig


def robustness_config(seed: int = 0, quick: bool = False, deltas: Sequence[float] | None = None,
                      realisations: int | None = None) -> RobustnessConfig:
    """The robustness sweep of a run: the paper's (9 levels x 5 draws), the quick one, or given.

    Parameters
    ----------
    seed : int
        Base seed of the noise.
    quick : bool
        3 levels x 2 draws (:data:`~hear_probes.probes.timbre.probe.QUICK_ROBUSTNESS`).
    deltas : sequence of float, optional
        Noise levels (override).
    realisations : int, optional
        Draws per level (override).
    """
    kw: dict = {"seed": seed}
    if quick:
        kw.update(QUICK_ROBUSTNESS)
    if deltas is not None:
        kw["deltas"] = tuple(float(d) for d in deltas)
    if realisations is not None:
        kw["realisations"] = int(realisations)
    return RobustnessConfig(**kw)


@dataclass(frozen=True)
class TimbreRun:
    """Everything one timbre run needs besides the model.

    Attributes
    ----------
    settings : TimbreSettings
        Fit, cross-validation, robustness, normalisation and worker settings.
    data_dir : Path, optional
        Timbre datasets folder (default: the fetched copy).
    datasets : tuple of str, optional
        Subset of studies (default: every study found; the quick subset with ``quick``).
    quick : bool
        Four small studies.
    seed : int
        Seed of the robustness noise and of the random initialisation.
    quiet : bool
        No progress bars.
    reference : str, optional
        Reference of the relative robustness (name, folder or timbre.json, or "none").
        Default (None): "stft" when its results exist or can be computed.
    batch_size : int
        Sounds per ``get_scene_embeddings`` call (``--batch-size``).
    """

    settings: TimbreSettings = field(default_factory=TimbreSettings)
    data_dir: Path | None = None
    datasets: tuple[str, ...] | None = None
    quick: bool = False
    seed: int = 0
    quiet: bool = False
    reference: str | None = None
    batch_size: int = 8
