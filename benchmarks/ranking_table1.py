"""Compare a ranking.json with Turian & Henry (2020) Table 1, under both readings of ties.

Usage::

    PYTHONPATH=. python benchmarks/ranking_table1.py [results/distances/ranking.json]

Prints, for the 28 published fine/coarse cells of the seven rows of Table 1, the accuracy with
ties left out (``accuracy``, this project's headline) and with ties counted as coin flips
(``accuracy_ties_as_half``: what a float32 implementation with a strict ``<`` reports when
rounding decides tied trials at random; the strict ``<`` itself is in ``tie_sensitivity``,
docs/ranking.md "The strict ``<``"), whether each is within 0.05 of the paper, and the counts.
Without ``accuracy_ties_as_half`` in the file (results older than issue 13), it is derived
from ``accuracy`` and ``n_ties``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hear_probes.probes.ranking.run import PUBLISHED

TOLERANCE = 0.05
ROWS = ("spectrogram", "log-spectrogram", "mel", "mfcc", "mss", "log-mss", "log2-centroid")


def ties_as_half(rep: dict, dim: str, scale: str) -> float | None:
    """Accuracy with ties as coin flips, from the file or from ``accuracy`` and ``n_ties``."""
    stored = (rep.get("accuracy_ties_as_half") or {}).get(dim, {}).get(scale)
    if isinstance(stored, (int, float)):
        return float(stored)
    n, ties = rep["n_trials"], rep["n_ties"][dim][scale] or 0
    acc = rep["accuracy"][dim][scale]
    acc = 0.0 if isinstance(acc, str) else float(acc)
    return (acc * (n - ties) + 0.5 * ties) / n if n else None


def main(path: str = "results/distances/ranking.json") -> None:
    reps = json.loads(Path(path).read_text())["representations"]
    within = {"excluded": 0, "half": 0}
    print(f"{'row':16s} {'cell':14s} {'paper':>6s} {'ties out':>9s} {'ties 1/2':>9s} ties")
    for name in ROWS:
        rep = reps[name]
        for dim in ("pitch", "level"):
            for scale in ("fine", "coarse"):
                pub = PUBLISHED[name][dim][scale]
                acc = rep["accuracy"][dim][scale]
                half = ties_as_half(rep, dim, scale)
                ok_ex = not isinstance(acc, str) and abs(acc - pub) <= TOLERANCE
                ok_half = half is not None and abs(half - pub) <= TOLERANCE
                within["excluded"] += ok_ex
                within["half"] += ok_half
                acc_s = acc if isinstance(acc, str) else f"{acc:.3f}"
                print(f"{name:16s} {dim + ' ' + scale:14s} {pub:6.3f} {acc_s:>8s}{' ' if ok_ex else '*'} "
                      f"{half:8.3f}{' ' if ok_half else '*'} {rep['n_ties'][dim][scale]}")
    print(f"within {TOLERANCE} of the paper (* = not): ties left out {within['excluded']}/28, "
          f"ties as coin flips {within['half']}/28")


if __name__ == "__main__":
    main(*sys.argv[1:])
