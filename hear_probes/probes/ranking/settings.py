"""One settings object per ranking run, built by the command line and passed whole."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hear_probes.probes.ranking.accuracy import MIN_DECIDED, TieRule

#: Trials of a ``--quick`` run (seconds instead of minutes).
QUICK_TRIALS = 50


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

    def quick(self) -> RankingSettings:
        """The ``--quick`` run of a HEAR module: few trials, short stimuli, small figures."""
        return replace(self, n_trials=QUICK_TRIALS, duration=0.5, curve_points=40,
                       heatmap_cells=12)


#: Defaults of a spectral-distance run (``--distance``): finer figures, smaller batches.
DISTANCE_DEFAULTS = RankingSettings(curve_points=200, heatmap_cells=40, batch_size=10)
