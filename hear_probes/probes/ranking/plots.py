"""Compute the data of the ranking figures (spectral distances or a HEAR module) and draw them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hear_probes.probes.ranking.catalogue import DISPLAY_NAMES
from hear_probes.probes.ranking.distances import SpectralDistance
from hear_probes.probes.ranking.figures import (
    CURVE_LEVEL,
    CURVE_TARGETS,
    DENSE_CENTS,
    HEATMAP_TARGET,
    level_grid,
    pitch_sweep_around,
    plot_accuracy_by_interval,
    plot_heatmaps,
    plot_pitch_curves,
    plot_pitch_zoom,
)
from hear_probes.probes.ranking.settings import RankingSettings

__all__ = ["spectral_figures", "module_figures", "interval_figure"]

CURVES_PNG = "ranking_pitch_curves.png"
ZOOM_PNG = "ranking_pitch_curves_zoom.png"
HEATMAP_PNG = "ranking_heatmap.png"
INTERVAL_PNG = "ranking_accuracy_by_interval.png"


def interval_figure(results: dict[str, dict], out_dir: Path) -> str:
    """Accuracy against ``|Δpitch|`` of each representation's ``by_pitch_interval``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {res.get("display_name", name): res["by_pitch_interval"]
              for name, res in results.items() if res.get("by_pitch_interval")}
    return plot_accuracy_by_interval(tables, out_dir / INTERVAL_PNG).name


def _curve_grids(curve_points: int) -> dict[float, np.ndarray]:
    """Per curve target: the log grid plus a dense +/- 100-cent neighbourhood with the target."""
    return {t: pitch_sweep_around(curve_points, t) for t in CURVE_TARGETS}


def spectral_figures(
    distances: Sequence[SpectralDistance],
    out_dir: Path,
    duration: float = 1.0,
    curve_points: int = 400,
    heatmap_cells: int = 80,
) -> list[str]:
    """Pitch curves and heat maps of catalogue distances (phases 0)."""
    from hear_probes.probes.ranking.spectral import distance_curve

    out_dir.mkdir(parents=True, exist_ok=True)
    grids = _curve_grids(curve_points)
    ff, ll = level_grid(heatmap_cells, heatmap_cells)
    curves, maps = {}, {}
    for dist in distances:
        label = DISPLAY_NAMES.get(dist.name, dist.name)
        curves[label] = {
            t: (f, distance_curve(dist, (t, CURVE_LEVEL, 0.0), f, np.full_like(f, CURVE_LEVEL),
                                  duration=duration))
            for t, f in grids.items()
        }
        target = (HEATMAP_TARGET[0], HEATMAP_TARGET[1], 0.0)
        maps[label] = (ff, ll, distance_curve(dist, target, ff, ll, duration=duration))
    paths = [plot_pitch_curves(curves, out_dir / CURVES_PNG),
             plot_pitch_zoom(curves, out_dir / ZOOM_PNG),
             plot_heatmaps(maps, out_dir / HEATMAP_PNG)]
    return [p.name for p in paths]


def module_figures(loaded, store, out_dir: Path, settings: RankingSettings) -> list[str]:
    """The same figures from a HEAR module's scene embeddings (stimuli embedded via the store).

    Uses ``duration``, ``metric``, ``curve_points``, ``heatmap_cells``, ``batch_size`` and
    ``quiet`` of ``settings``.
    """
    from hear_probes.embed import embed_stimulus_set
    from hear_probes.probes.ranking.embedding import embedding_distance
    from hear_probes.stimuli.sines import sine_item_id, sines_stimulus_set

    duration, metric = settings.duration, settings.metric
    curve_points, heatmap_cells = settings.curve_points, settings.heatmap_cells
    grids = _curve_grids(curve_points)
    ff, ll = level_grid(heatmap_cells, heatmap_cells)
    targets = [(t, CURVE_LEVEL) for t in CURVE_TARGETS] + [HEATMAP_TARGET]
    params = ([(t, lev, 0.0) for t, lev in targets]
              + [(f, CURVE_LEVEL, 0.0) for g in grids.values() for f in g]
              + [(f, lev, 0.0) for f, lev in zip(ff.ravel(), ll.ravel(), strict=True)])
    ids = list(dict.fromkeys(sine_item_id(*p) for p in params))
    row = {item: k for k, item in enumerate(ids)}
    sines = sines_stimulus_set(
        ids, f"sines-figures-{curve_points}-dense{DENSE_CENTS:g}c-{heatmap_cells}-{duration:g}s",
        duration)
    emb = embed_stimulus_set(loaded, store, sines, batch_size=settings.batch_size,
                             quiet=settings.quiet).astype(np.float64)

    def rows(ps):
        return emb[[row[sine_item_id(*p)] for p in ps]]

    curves = {loaded.model_id: {}}
    for t, freqs in grids.items():
        cand = rows([(f, CURVE_LEVEL, 0.0) for f in freqs])
        tgt = rows([(t, CURVE_LEVEL, 0.0)])
        curves[loaded.model_id][t] = (freqs, embedding_distance(np.broadcast_to(tgt, cand.shape),
                                                                cand, metric))
    grid = rows([(f, lev, 0.0) for f, lev in zip(ff.ravel(), ll.ravel(), strict=True)])
    tgt = rows([(*HEATMAP_TARGET, 0.0)])
    d = embedding_distance(np.broadcast_to(tgt, grid.shape), grid, metric).reshape(ff.shape)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [plot_pitch_curves(curves, out_dir / CURVES_PNG),
             plot_pitch_zoom(curves, out_dir / ZOOM_PNG),
             plot_heatmaps({loaded.model_id: (ff, ll, d)}, out_dir / HEATMAP_PNG)]
    return [p.name for p in paths]
