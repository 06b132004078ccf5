"""One settings object per ranking run, built by the command line (or ``evaluate``) and
passed whole.

Every setting is defined, defaulted and checked here: :meth:`RankingSettings.for_run` holds
the defaults of each kind of run (a HEAR module or spectral distances, ``--quick`` or not),
and a bad value raises a one-line :class:`~hear_probes.errors.HearProbesError` that names
its command-line option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hear_probes.errors import HearProbesError
from hear_probes.probes.ranking.accuracy import MIN_DECIDED, TIE_RTOL, TIE_RULES, TieRule

#: Trials of a ``--quick`` run (seconds instead of minutes).
QUICK_TRIALS = 50
#: Longest stimulus of a ``--quick`` run, in seconds.
QUICK_DURATION = 0.5
#: ``(curve_points, heatmap_cells, batch_size)`` by kind of run and ``--quick``: spectral
#: distances get finer figures and smaller batches than HEAR modules.
FIGURE_DEFAULTS = {("module", False): (120, 32, 16), ("module", True): (40, 12, 16),
                   ("distances", False): (200, 40, 10), ("distances", True): (60, 16, 10)}
PRECISIONS = ("float32", "float64")


@dataclass(frozen=True)
class RankingSettings:
    """Everything that shapes a ranking run.

    Attributes
    ----------
    n_trials : int
        Number of seeded random trials (paper: 1000).
    seed : int
        Seed of the trial sampler.
    duration : float
        Stimulus duration in seconds.
    metric : {"euclidean", "cosine", "l1"}
        Embedding distance (HEAR modules only).
    epsilons : dict, optional
        Gradient-column perturbations (default ``DEFAULT_EPSILONS``).
    figures : bool
        Write the PNG figures.
    curve_points, heatmap_cells : int
        Resolution of the distance curves and heat maps.
    batch_size : int
        Trials (spectral distances) or clips (modules) per batch.
    quiet : bool
        No progress bars.
    ties : TieRule
        Tie rule and tolerance (``--tie-rule``, ``--tie-rtol``).
    precision : {"float32", "float64"}, optional
        ``--precision``. Spectral distances compute stimuli, STFTs, features and distances in
        it (default float32); HEAR modules compute the distance between their (float32)
        embeddings in it (default float64). ``None``: the default of the kind.
    min_decided : int
        Fewest decided trials for which a column gets an accuracy (else "n/a" with the count).
    """

    n_trials: int = 1000
    seed: int = 0
    duration: float = 1.0
    metric: str = "euclidean"
    epsilons: dict | None = None
    figures: bool = True
    curve_points: int = 120
    heatmap_cells: int = 32
    batch_size: int = 16
    quiet: bool = False
    ties: TieRule = field(default_factory=TieRule)
    precision: str | None = None
    min_decided: int = MIN_DECIDED

    def __post_init__(self) -> None:
        if self.precision not in (None, *PRECISIONS):
            raise HearProbesError(f"--precision {self.precision!r} is not one of: {', '.join(PRECISIONS)}")

    @classmethod
    def for_run(cls, kind: str = "module", quick: bool = False, *, tie_rule: str = "tolerance",
                tie_rtol: float | None = None, **given: Any) -> RankingSettings:
        """The settings of one kind of run, with the options that were given.

        Parameters
        ----------
        kind : {"module", "distances"}
            A HEAR module (or layer view) or catalogue distances (``--distance``).
        quick : bool
            At most :data:`QUICK_TRIALS` trials of at most :data:`QUICK_DURATION` s, small
            figures.
        tie_rule, tie_rtol : str, float
            ``--tie-rule`` and ``--tie-rtol`` (default :data:`TIE_RTOL`), made into one
            :class:`TieRule`.
        **given
            Fields of :class:`RankingSettings`; None (not given) takes the default of the kind.
            A module's ``batch_size`` is at least 16.

        Raises
        ------
        HearProbesError
            A bad ``tie_rule`` or ``precision``, or an unknown field.
        """
        if tie_rule not in TIE_RULES:
            raise HearProbesError(f"--tie-rule {tie_rule!r} is not one of: {', '.join(TIE_RULES)}")
        unknown = sorted(set(given) - set(cls.__dataclass_fields__))
        if unknown:
            raise HearProbesError(f"unknown ranking setting(s): {', '.join(unknown)}")
        fields = {k: v for k, v in given.items() if v is not None}
        curve_points, heatmap_cells, batch_size = FIGURE_DEFAULTS[(kind, bool(quick))]
        fields.setdefault("curve_points", curve_points)
        fields.setdefault("heatmap_cells", heatmap_cells)
        fields["batch_size"] = fields.get("batch_size", batch_size)
        if kind == "module":  # clips of a module: batches of at least 16
            fields["batch_size"] = max(fields["batch_size"], 16)
        if quick:
            fields["n_trials"] = min(fields.get("n_trials", QUICK_TRIALS), QUICK_TRIALS)
            fields["duration"] = min(fields.get("duration", QUICK_DURATION), QUICK_DURATION)
        ties = TieRule.scaled(tie_rule, TIE_RTOL if tie_rtol is None else tie_rtol)
        return cls(ties=ties, **fields)
