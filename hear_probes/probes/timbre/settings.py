"""One settings object per timbre run, built whole by the command line (or ``evaluate``).

:class:`TimbreRun` is what the timbre entry points take: where the data are, which studies,
the fit settings (:class:`TimbreSettings`, whose
optimiser part is one :class:`~hear_probes.probes.timbre.metric.FitOptions`) and the
reference of the relative robustness. A new optimiser setting is a field of ``FitOptions``
(and, for L-BFGS-B, of :class:`~hear_probes.probes.timbre.lbfgsb.LbfgsbOptions`) plus its
command-line option in ``command.py``; nothing else passes it along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre.metric import FitOptions
from hear_probes.probes.timbre.regularised import RegularisedSpec
from hear_probes.probes.timbre.robustness import RobustnessConfig
from hear_probes.probes.timbre.study import FEATURE_NORMALISATIONS, RATING_NORMALISATIONS
from hear_probes.probes.timbre.uncertainty import UncertaintyConfig

#: Initialisations of the metric fit (``--init``).
INITS = ("exact", "warm", "random")

#: Studies of ``quick`` runs (the three 11-sound studies and one 14-sound study).
QUICK_DATASETS = ["Patil2012_A3", "Patil2012_DX4", "Patil2012_GD4", "Siedenburg2016_e3"]
#: Robustness sweep of ``quick`` runs.
QUICK_ROBUSTNESS = {"deltas": (0.1, 1.0, 10.0), "realisations": 2}


@dataclass
class TimbreSettings:
    """Everything that shapes a timbre run (all of it is recorded in timbre.json).

    Parameters
    ----------
    options : FitOptions
        Optimiser settings.
    loso : bool
        Run leave-one-sound-out cross-validation.
    regularised : bool
        Score the regularised learned metric by nested leave-one-sound-out
        (:mod:`hear_probes.probes.timbre.regularised`).
    robustness : RobustnessConfig or None
        Run the robustness sweeps with these settings: the held-out regularised curve (the
        score) and the paper's in-sample curve (a labelled replication).
    robustness_in_sample : bool
        With ``robustness``, also run the paper's in-sample sweep (``n_deltas x realisations``
        fits per study; the held-out curve costs no fit).
    uncertainty : UncertaintyConfig or None
        Bootstrap intervals, permutation p-values and the in-sample null
        (:mod:`hear_probes.probes.timbre.uncertainty`); None skips them.
    regularised_spec : RegularisedSpec
        Design of the regularised metric.
    rating_norm, feature_norm : str
        Normalisations (see :mod:`hear_probes.probes.timbre.study`).
    allow_identical : bool
        Accept identical embeddings for distinct sounds.
    workers : int or None
        Local worker processes (default: all CPUs).
    scheduler : str or None
        Dask scheduler address.
    """

    options: FitOptions = field(default_factory=FitOptions)
    loso: bool = True
    regularised: bool = True
    robustness: RobustnessConfig | None = None
    robustness_in_sample: bool = True
    uncertainty: UncertaintyConfig | None = field(default_factory=UncertaintyConfig)
    regularised_spec: RegularisedSpec = field(default_factory=RegularisedSpec)
    rating_norm: str = "none"
    feature_norm: str = "none"
    allow_identical: bool = False
    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.options.init not in INITS:
            raise HearProbesError(f"--init {self.options.init!r}: choose exact (default), warm or random")
        if self.rating_norm not in RATING_NORMALISATIONS:
            raise HearProbesError(f"--rating-norm {self.rating_norm!r}: choose {', '.join(RATING_NORMALISATIONS)}")
        if self.feature_norm not in FEATURE_NORMALISATIONS:
            raise HearProbesError(f"--feature-norm {self.feature_norm!r}: choose {', '.join(FEATURE_NORMALISATIONS)}")




def robustness_config(seed: int = 0, quick: bool = False, deltas: Sequence[float] | None = None,
                      realisations: int | None = None) -> RobustnessConfig:
    """The robustness sweep of a run: the paper's (9 levels x 5 draws), the quick one, or given.

    Parameters
    ----------
    seed : int
        Base seed of the noise.
    quick : bool
        3 levels x 2 draws (:data:`QUICK_ROBUSTNESS`).
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


def uncertainty_config(seed: int = 0, quick: bool = False, *, n_bootstrap: int | None = None,
                       n_permutations: int | None = None, n_null_fits: int | None = None
                       ) -> UncertaintyConfig | None:
    """The intervals, p-values and null of a run (the defaults of ``--quick`` or not).

    Parameters
    ----------
    seed : int
        Seed of every resample.
    quick : bool
        No in-sample null by default (its refits dominate a quick run at thousands of
        dimensions).
    n_bootstrap, n_permutations, n_null_fits : int, optional
        ``--bootstrap``, ``--permutations``, ``--null-fits`` (None: the default).

    Returns
    -------
    UncertaintyConfig or None
        None when nothing is resampled (all three are 0).
    """
    default = UncertaintyConfig()
    unc = UncertaintyConfig(
        n_bootstrap=default.n_bootstrap if n_bootstrap is None else n_bootstrap,
        n_permutations=default.n_permutations if n_permutations is None else n_permutations,
        n_null_fits=(0 if quick else default.n_null_fits) if n_null_fits is None else n_null_fits,
        seed=seed)
    return unc if (unc.n_bootstrap or unc.n_permutations or unc.n_null_fits) else None


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
