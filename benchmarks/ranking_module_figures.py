"""Draw only the ranking figures of a HEAR model (pitch curves, zoom, heat map), no trials.

Usage::

    PYTHONPATH=. python benchmarks/ranking_module_figures.py --model crepe --out results/crepe \
        [--curve-points 60] [--heatmap-cells 16] [--duration 1.0] [--cache DIR]

The figures do not depend on the trials, so they can be redrawn (e.g. on the dense grid around
each target, docs/ranking.md "Outputs") without rerunning a long ranking run; the
accuracy-by-|Δpitch| figure needs the trials and comes with ``hear-probes probe ranking``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hear_probes.probes.ranking.plots import module_figures
from hear_probes.probes.ranking.settings import RankingSettings
from hear_probes.views import ModelSource, open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--curve-points", type=int, default=120)
    parser.add_argument("--heatmap-cells", type=int, default=32)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    loaded = ModelSource(model=args.model, cache=args.cache).load()
    st = RankingSettings(duration=args.duration, curve_points=args.curve_points,
                         heatmap_cells=args.heatmap_cells, quiet=True)
    t0 = time.perf_counter()
    names = module_figures(loaded, open_store(loaded, args.cache), args.out, st)
    print(f"{', '.join(names)} in {args.out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
