"""Robustness of metric learning to degraded ratings (Pascal & Lagrange 2024, Sec. V).

For each noise level ``delta`` and realisation, degraded ratings
``y = clip(s + delta * xi, 0, 1)`` (``xi ~ N(0, 1)`` i.i.d. per pair, Eq. 5) are learned
from, and the learned metric is scored against the *original* ratings ``s`` by the signed
explained variance ``sign(r) r**2``. The curve ``log10(delta) -> EV`` is summarised by its
area over ``log10(delta)`` in ``[-1, 1]`` (trapezoid rule on the mean curve; at most 2), and
representations are compared by ``10 log10(area / area_reference)`` dB.

Two curves (docs/timbre.md, "Robustness"):

- ``robustness`` (the score): the *held-out* predictions of the regularised metric
  (:func:`~hear_probes.probes.timbre.regularised.held_out_scores`): a pair's prediction never
  saw a rating of its own sounds, so the metric cannot interpolate the noisy ratings and the
  curve depends on what the representation encodes.
- ``robustness_in_sample`` (the paper's procedure, kept as a labelled replication): the
  learned metric's in-sample fit, scored against ``s`` on the same pairs. When dimensions
  outnumber pairs the fit interpolates the noisy ratings (``P(d_w, y) = 1``), so this curve
  is ``corr(s, y)**2`` whatever the representation.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from hear_probes.probes.timbre.metric import FitOptions, explained_variance
from hear_probes.probes.timbre.study import Study
from hear_probes.probes.timbre.tasks import FitOutcome, FitTask

#: Paper settings: 9 levels log-spaced in [0.1, 10], 5 realisations each.
PAPER_DELTAS: tuple[float, ...] = tuple(float(d) for d in np.logspace(-1.0, 1.0, 9))
PAPER_REALISATIONS = 5
#: How the noise of each fit is seeded (recorded in the results).
SEED_SCHEME = "numpy.random.default_rng([seed, crc32(dataset), delta_index, realisation])"


@dataclass(frozen=True)
class RobustnessConfig:
    """Settings of the sweep.

    Parameters
    ----------
    deltas : tuple of float
        Noise levels (paper: 9 values log-spaced from 0.1 to 10).
    realisations : int
        Independent noise draws per level (paper: 5).
    seed : int
        Base seed; each fit's noise comes from :func:`noise_rng`.
    """

    deltas: tuple[float, ...] = PAPER_DELTAS
    realisations: int = PAPER_REALISATIONS
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.deltas) < 2 or any(d <= 0 for d in self.deltas):
            raise ValueError("robustness needs at least 2 positive noise levels")
        if self.realisations < 1:
            raise ValueError("robustness needs at least 1 realisation per level")


@dataclass
class RobustnessCurve:
    """Robustness of one study.

    Attributes
    ----------
    deltas : np.ndarray
    ev : np.ndarray
        ``[n_deltas, realisations]`` signed explained variance of the original ratings
        (NaN: failed).
    area : float
        Trapezoid area under ``log10(delta) -> mean EV`` (max ``log10(max/min delta)``).
    delta_bar : float
        Typical human rating spread ``0.1 * sqrt(m_subjects)`` (NaN if unknown).
    n_failed : int
    """

    deltas: np.ndarray
    ev: np.ndarray
    area: float
    delta_bar: float
    n_failed: int
    metric: str = "in-sample learned metric (paper)"

    @property
    def ev_mean(self) -> np.ndarray:
        """Mean over realisations."""
        return np.nanmean(self.ev, axis=1)

    @property
    def ev_std(self) -> np.ndarray:
        """Standard deviation over realisations (population, ``ddof=0``)."""
        return np.nanstd(self.ev, axis=1)

    def to_dict(self) -> dict:
        """JSON form."""
        return {
            "deltas": self.deltas.tolist(),
            "log10_deltas": np.log10(self.deltas).tolist(),
            "ev_mean": self.ev_mean.tolist(),
            "ev_std": self.ev_std.tolist(),
            "ev": self.ev.tolist(),
            "area": self.area,
            "delta_bar": self.delta_bar,
            "n_failed": self.n_failed,
            "metric": self.metric,
        }


def noise_rng(seed: int, dataset: str, delta_index: int, realisation: int) -> np.random.Generator:
    """Random generator of one fit's noise (independent of scheduling and of other studies)."""
    return np.random.default_rng([int(seed), zlib.crc32(dataset.encode()), delta_index, realisation])


def degrade(s: np.ndarray, delta: float, rng: np.random.Generator) -> np.ndarray:
    """``clip(s + delta * xi, 0, 1)`` with ``xi ~ N(0, 1)`` (Eq. 5); NaN ratings stay NaN."""
    xi = rng.standard_normal(s.shape)
    return np.clip(s + delta * xi, 0.0, 1.0)


def robustness_tasks(study: Study, config: RobustnessConfig, options: FitOptions) -> list[FitTask]:
    """One task per (noise level, realisation)."""
    tasks = []
    for a, delta in enumerate(config.deltas):
        for r in range(config.realisations):
            y = degrade(study.ratings, delta, noise_rng(config.seed, study.name, a, r))
            tasks.append(
                FitTask(("robust", study.name, a, r), study.features, study.active, y,
                        study.ratings, options, seed=config.seed)
            )
    return tasks


def area_under_curve(deltas: np.ndarray, ev_mean: np.ndarray) -> float:
    """Trapezoid area of ``log10(delta) -> ev_mean`` (NaN if any level has no valid fit)."""
    y = np.asarray(ev_mean, dtype=np.float64)
    if not np.all(np.isfinite(y)):
        return float("nan")
    x = np.log10(np.asarray(deltas, dtype=np.float64))
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def collect_curve(study: Study, config: RobustnessConfig, outcomes: list[FitOutcome]) -> RobustnessCurve:
    """Assemble one study's curve from its outcomes (in :func:`robustness_tasks` order)."""
    ev = np.full((len(config.deltas), config.realisations), np.nan)
    failed = 0
    for out in outcomes:
        _, _, a, r = out.key
        if out.error or not np.isfinite(out.pearson_score):
            failed += 1
            continue
        # no positive metric on the degraded ratings: nothing was learned, EV 0
        ev[a, r] = 0.0 if out.no_positive_metric else explained_variance(out.pearson_score)
    deltas = np.asarray(config.deltas, dtype=np.float64)
    mean = np.nanmean(ev, axis=1) if np.isfinite(ev).any() else np.full(len(deltas), np.nan)
    delta_bar = 0.1 * np.sqrt(study.n_raters) if study.n_raters > 0 else float("nan")
    return RobustnessCurve(deltas, ev, area_under_curve(deltas, mean), float(delta_bar), failed,
                           metric=IN_SAMPLE_METRIC)


def relative_area_db(area: float, reference_area: float) -> float:
    """``10 log10(area / reference_area)`` (NaN when either area is not positive)."""
    if not (np.isfinite(area) and np.isfinite(reference_area)) or area <= 0 or reference_area <= 0:
        return float("nan")
    return float(10.0 * np.log10(area / reference_area))


#: What the default robustness curve scores (recorded per curve and checked for references).
HELD_OUT_METRIC = ("held-out regularised metric (leave-one-sound-out predictions; strength "
                   "chosen by leave-one-sound-out on the degraded ratings)")
IN_SAMPLE_METRIC = "in-sample learned metric (paper, replication)"


def degraded_ratings(study: Study, config: RobustnessConfig) -> np.ndarray:
    """``[n_deltas * realisations, n_pairs]`` degraded ratings, row ``a * realisations + r``.

    The same draws as the paper's sweep (:func:`robustness_tasks`), from :func:`noise_rng`.
    """
    return np.stack([degrade(study.ratings, d, noise_rng(config.seed, study.name, a, r))
                     for a, d in enumerate(config.deltas) for r in range(config.realisations)])


def held_out_curve(study: Study, config: RobustnessConfig, spec=None) -> RobustnessCurve:
    """Robustness of the held-out regularised metric (module docstring), all draws at once.

    Parameters
    ----------
    study : Study
    config : RobustnessConfig
    spec : RegularisedSpec, optional
        The regularised metric's design (default: the probe's).
    """
    from hear_probes.probes.timbre.regularised import held_out_scores

    Y = degraded_ratings(study, config)
    ok = np.array([np.ptp(y[np.isfinite(y)]) > 0 for y in Y])
    r = np.full(Y.shape[0], np.nan)
    if ok.any():
        r[ok], _ = held_out_scores(study.features[:, study.active], study.ratings, Y[ok], spec)
    ev = (np.sign(r) * r * r).reshape(len(config.deltas), config.realisations)
    deltas = np.asarray(config.deltas, dtype=np.float64)
    mean = np.nanmean(ev, axis=1) if np.isfinite(ev).any() else np.full(len(deltas), np.nan)
    delta_bar = 0.1 * np.sqrt(study.n_raters) if study.n_raters > 0 else float("nan")
    return RobustnessCurve(deltas, ev, area_under_curve(deltas, mean), float(delta_bar),
                           int((~np.isfinite(ev)).sum()), metric=HELD_OUT_METRIC)
