"""Paired comparison of two models' ranking accuracies, trial by trial.

Two models run with the same trial seed and count score the *same* trials, so their
accuracies are compared with an exact McNemar test on the trials decided by both (a tie in
either model leaves the trial out, as ties are left out of the accuracy itself), with a
bootstrap interval over trials of the accuracy difference
(:func:`hear_probes.stats.paired.mcnemar_exact`).

This needs the per-trial outcomes, which ``ranking.json`` must store under
``representations.<name>.per_trial.<dimension>.<scale>``: one score per trial, 1 (right),
0 (wrong), 0.5 (tie) or null (not computed), in trial order. Result folders written without
them are reported as "not comparable: per-trial outcomes not stored"; two accuracies with
their separate Wilson intervals are no paired test.
"""

from __future__ import annotations

import numpy as np

from hear_probes.compare.records import PairedTest, Skipped
from hear_probes.compare.settings import CompareSettings
from hear_probes.stats.paired import mcnemar_exact

__all__ = ["PER_TRIAL_KEY", "TRIAL_SETTINGS", "compare_ranking"]

#: Key of the per-trial outcomes in a representation's block of ``ranking.json``.
PER_TRIAL_KEY = "per_trial"
#: Settings that must agree for two runs to have drawn the same trials.
TRIAL_SETTINGS = ("seed", "n_trials", "sampling", "epsilons", "duration_s")


def _representation(payload: dict) -> tuple[str, dict] | None:
    reps = payload.get("representations") or {}
    if len(reps) != 1:
        return None
    return next(iter(reps.items()))


def _not_comparable(payload_a: dict, payload_b: dict) -> str | None:
    sa, sb = payload_a.get("settings", {}), payload_b.get("settings", {})
    differ = [k for k in TRIAL_SETTINGS if sa.get(k) != sb.get(k)]
    if differ:
        return ("not comparable: the runs drew different trials (settings differ: "
                f"{', '.join(differ)}); rerun both with the same --seed and --trials")
    ra, rb = _representation(payload_a), _representation(payload_b)
    if ra is None or rb is None:
        return "not comparable: a ranking.json with several representations (compare one model per folder)"
    if PER_TRIAL_KEY not in ra[1] or PER_TRIAL_KEY not in rb[1]:
        return ("not comparable: per-trial outcomes not stored (ranking.json needs "
                f"representations.<name>.{PER_TRIAL_KEY}.<dimension>.<scale>, one score per trial)")
    return None


def _outcomes(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def compare_ranking(payload_a: dict, payload_b: dict, names: tuple[str, str],
                    settings: CompareSettings) -> tuple[list[PairedTest], list[Skipped]]:
    """McNemar tests of every ranking column (dimension x scale) of two runs.

    Parameters
    ----------
    payload_a, payload_b : dict
        The two ``ranking.json`` payloads.
    names : (str, str)
        Model names; differences are ``B - A``.
    settings : CompareSettings

    Returns
    -------
    (tests, skipped) : tuple
        One :class:`PairedTest` per column computed in both runs, or one :class:`Skipped`
        saying why the runs cannot be paired.
    """
    a, b = names
    why = _not_comparable(payload_a, payload_b)
    if why is not None:
        return [], [Skipped("ranking", a, b, why)]
    ta, tb = _representation(payload_a)[1][PER_TRIAL_KEY], _representation(payload_b)[1][PER_TRIAL_KEY]
    tests = []
    for dim, scales in ta.items():
        for scale, values in scales.items():
            if values is None or (tb.get(dim) or {}).get(scale) is None:
                continue
            oa, ob = _outcomes(values), _outcomes(tb[dim][scale])
            if oa.shape != ob.shape:
                return [], [Skipped("ranking", a, b, f"not comparable: {dim}/{scale} has "
                                    f"{oa.size} and {ob.size} trials")]
            decided = np.isin(oa, (0.0, 1.0)) & np.isin(ob, (0.0, 1.0))
            res = mcnemar_exact(oa[decided] == 1, ob[decided] == 1, settings.n_resamples,
                                settings.level, settings.seed)
            tests.append(PairedTest(
                probe="ranking", level="trials", a=a, b=b, metric=f"{dim} {scale}",
                unit=f"{dim} {scale}", score_a=res["accuracy_a"], score_b=res["accuracy_b"],
                difference=res["difference"], difference_ci=res["difference_ci"], p=res["p"],
                test=("exact McNemar test on the trials decided by both models; percentile "
                      f"bootstrap {settings.level:.0%} interval over trials"),
                family="ranking columns", n=res["n"],
                details={"a_only": res["a_only"], "b_only": res["b_only"],
                         "n_trials": int(oa.size)}))
    return tests, []
