"""Figures of the ranking probe (PNG, matplotlib Agg).

- distance against predicted pitch for targets 130, 346 and 922 Hz at -12.5 dB, one panel per
  representation (Turian & Henry 2020, Fig. 2; Torres et al. 2024, Fig. 2 for SOT);
- heat map of the distance over predicted pitch x level around 346 Hz, -12.5 dB (Fig. 3).

Computing the curves is separate from drawing them: :func:`pitch_sweep` and :func:`level_grid`
give the stimulus parameters, callers evaluate their distance on them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hear_probes.atomic import save_figure
from hear_probes.stimuli.sines import F_MAX, F_MIN, L_MAX, L_MIN

__all__ = [
    "CURVE_TARGETS",
    "CURVE_LEVEL",
    "HEATMAP_TARGET",
    "pitch_sweep",
    "level_grid",
    "plot_pitch_curves",
    "plot_heatmaps",
]

CURVE_TARGETS = (130.0, 346.0, 922.0)  # Hz
CURVE_LEVEL = -12.5  # dB
HEATMAP_TARGET = (346.0, -12.5)  # Hz, dB


def pitch_sweep(n_points: int, f_min: float = F_MIN, f_max: float = F_MAX) -> np.ndarray:
    """Predicted pitches equally spaced in log-frequency."""
    return np.geomspace(f_min, f_max, n_points)


def level_grid(
    n_pitch: int, n_level: int, f_min: float = F_MIN, f_max: float = F_MAX,
    l_min: float = L_MIN, l_max: float = L_MAX,
) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres of the pitch x level heat map: ``(freqs[n_level, n_pitch], levels[...])``.

    80 x 80 cells over 30-4000 Hz and -25..0 dB is the paper's resolution (106 cents, 0.31 dB).
    """
    lf = np.linspace(math.log2(f_min), math.log2(f_max), n_pitch + 1)
    lv = np.linspace(l_min, l_max, n_level + 1)
    f = np.power(2.0, (lf[:-1] + lf[1:]) / 2)
    lev = (lv[:-1] + lv[1:]) / 2
    ff, ll = np.meshgrid(f, lev)
    return ff, ll


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 4 if n > 6 else 3 if n > 4 else n)
    return math.ceil(n / cols), cols


def plot_pitch_curves(
    curves: Mapping[str, Mapping[float, tuple[np.ndarray, np.ndarray]]],
    path: str | Path,
    level: float = CURVE_LEVEL,
) -> Path:
    """One panel per representation: distance to each target against predicted pitch.

    Parameters
    ----------
    curves : mapping
        ``{representation: {target_hz: (predicted_hz, distance)}}``.
    path : path
        Output PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = _grid(len(curves))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, (name, per_target) in zip(axes.flat, curves.items(), strict=False):
        for target, (freqs, dist) in per_target.items():
            (line,) = ax.plot(freqs, dist, lw=1.0, label=f"{target:g} Hz")
            ax.axvline(target, color=line.get_color(), lw=0.6, ls=":")
        ax.set_xscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("predicted pitch (Hz)")
        ax.set_ylabel("distance")
    for ax in list(axes.flat)[len(curves):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8, title=f"target, {level:g} dB", title_fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def plot_heatmaps(
    maps: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    path: str | Path,
    target: tuple[float, float] = HEATMAP_TARGET,
) -> Path:
    """One heat map per representation: distance over predicted pitch (x) and level (y).

    Parameters
    ----------
    maps : mapping
        ``{representation: (freqs[n_level, n_pitch], levels[...], distance[...])}``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = _grid(len(maps))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax, (name, (ff, ll, dist)) in zip(axes.flat, maps.items(), strict=False):
        x = np.log2(ff[0])
        y = ll[:, 0]
        mesh = ax.pcolormesh(x, y, dist, shading="nearest", cmap="viridis")
        ax.plot(math.log2(target[0]), target[1], "r+", ms=10)
        ticks = [f for f in (30, 100, 300, 1000, 4000) if x[0] - 0.1 <= math.log2(f) <= x[-1] + 0.1]
        ax.set_xticks([math.log2(f) for f in ticks], [str(f) for f in ticks])
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("predicted pitch (Hz)")
        ax.set_ylabel("predicted level (dB)")
        fig.colorbar(mesh, ax=ax, fraction=0.046,
                     label=f"distance to the target ({target[0]:g} Hz, {target[1]:g} dB)")
    for ax in list(axes.flat)[len(maps):]:
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)
