"""How much a ranking result depends on the tie rule: tolerance sweep and the strict ``<``.

The default rule leaves out, as ties, comparisons whose two distances differ by less than
``TIE_RTOL`` of their rounding scale. :func:`tie_sensitivity` rescores the same trials (same
distances, nothing recomputed) at several tolerances and under the paper's strict ``<``, so
that a reader sees which cells move with the choice and by how much.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from hear_probes.probes.ranking.accuracy import (
    TIE_RTOL,
    TieRule,
    summarise,
    wilson_interval,
)
from hear_probes.probes.ranking.trials import COLUMNS

__all__ = ["SENSITIVITY_RTOLS", "tie_sensitivity"]

#: Tolerances of the sweep (relative to the rounding scale; the gradient tolerance is scaled
#: with them, :meth:`TieRule.scaled`). 0 leaves out exact equalities only.
SENSITIVITY_RTOLS = (0.0, 1e-7, 1e-6, TIE_RTOL, 1e-4, 1e-3)

Scores = dict[str, dict[str, np.ndarray | None]]


def _nested() -> dict:
    return {"pitch": {}, "level": {}}


def tie_sensitivity(rescore: Callable[[TieRule], Scores],
                    rtols: Sequence[float] = SENSITIVITY_RTOLS) -> dict:
    """Accuracy and tie count of every column under several tie rules, from one set of trials.

    Parameters
    ----------
    rescore : callable
        ``rescore(rule) -> scores[dim][scale]`` (per-trial 1 / 0 / 0.5; ``None`` or NaN for a
        column that was not computed): scores the run's stored distances under ``rule``.
    rtols : sequence of float
        Tolerances of the sweep.

    Returns
    -------
    dict
        ``{"rtol": [...], "gradient_rtol": [...], "accuracy": {dim: {scale: [per rtol]}},
        "n_ties": {...}, "strict": {"accuracy", "accuracy_ci", "n_exact_equal"},
        "interval_method"}``. Sweep accuracies leave ties out (``None`` when no trial is
        decided); the strict accuracy is over all trials (Wilson 95 % interval), an exact
        equality counting as an error, as ``1[d1 < d2]`` does.
    """
    rules = [TieRule.scaled("tolerance", r) for r in rtols]
    out: dict = {"rtol": [r.rtol for r in rules], "gradient_rtol": [r.gradient_rtol for r in rules],
                 "accuracy": _nested(), "n_ties": _nested(),
                 "strict": {"accuracy": _nested(), "accuracy_ci": _nested(),
                            "n_exact_equal": _nested()},
                 "interval_method": "strict: Wilson score 95 % over all trials"}
    swept = [rescore(rule) for rule in rules]
    exact = rescore(TieRule.scaled("tolerance", 0.0)) if 0.0 not in rtols else swept[
        list(rtols).index(0.0)]
    strict = rescore(TieRule("strict"))
    for dim, scale in COLUMNS:
        s0 = strict[dim].get(scale)
        if s0 is None or np.all(np.isnan(s0)):
            continue
        summaries = [summarise(sc[dim][scale]) for sc in swept]
        out["accuracy"][dim][scale] = [None if np.isnan(x["accuracy"]) else x["accuracy"]
                                       for x in summaries]
        out["n_ties"][dim][scale] = [x["n_ties"] for x in summaries]
        n, k = int(np.size(s0)), float(np.sum(s0))
        out["strict"]["accuracy"][dim][scale] = k / n
        out["strict"]["accuracy_ci"][dim][scale] = list(wilson_interval(k, n))
        out["strict"]["n_exact_equal"][dim][scale] = int(np.sum(exact[dim][scale] == 0.5))
    return out
