"""Figures of the ranking probe (PNG, matplotlib Agg).

- distance against predicted pitch for targets 130, 346 and 922 Hz at -12.5 dB, one panel per
  representation (Turian & Henry 2020, Fig. 2; Torres et al. 2024, Fig. 2 for SOT);
- the same curves within +/- 100 cents of each target (x in cents from the target), where a
  representation that locks on to the target shows its dip;
- heat map of the distance over predicted pitch x level around 346 Hz, -12.5 dB (Fig. 3);
- accuracy against the pitch interval between target and prediction, with Wilson bands.

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
    "DENSE_CENTS",
    "DENSE_STEP_CENTS",
    "pitch_sweep",
    "pitch_sweep_around",
    "level_grid",
    "plot_pitch_curves",
    "plot_pitch_zoom",
    "plot_heatmaps",
    "plot_accuracy_by_interval",
]

CURVE_TARGETS = (130.0, 346.0, 922.0)  # Hz
CURVE_LEVEL = -12.5  # dB
HEATMAP_TARGET = (346.0, -12.5)  # Hz, dB
#: Half-width (cents) and step of the dense neighbourhood added around each curve target: the
#: log grid alone (60 points over 30-4000 Hz are 143 cents apart) can miss the target by up
#: to half a step and so hide a dip narrower than a semitone.
DENSE_CENTS = 100.0
DENSE_STEP_CENTS = 5.0


def pitch_sweep(n_points: int, f_min: float = F_MIN, f_max: float = F_MAX) -> np.ndarray:
    """Predicted pitches equally spaced in log-frequency."""
    return np.geomspace(f_min, f_max, n_points)


def pitch_sweep_around(n_points: int, target: float, dense_cents: float = DENSE_CENTS,
                       step_cents: float = DENSE_STEP_CENTS, f_min: float = F_MIN,
                       f_max: float = F_MAX) -> np.ndarray:
    """Sorted union of the log grid and a dense grid of ``target`` +/- ``dense_cents``.

    The dense part is ``target * 2 ** (c / 1200)`` for ``c`` in ``-dense_cents ..
    dense_cents`` by ``step_cents``, so it contains the target itself (0 cents); with
    ``dense_cents=0`` only the target is added.
    """
    if step_cents <= 0:
        raise ValueError(f"step_cents must be > 0, got {step_cents}")
    k = int(math.floor(dense_cents / step_cents + 1e-9))
    cents = np.arange(-k, k + 1) * step_cents
    dense = target * np.power(2.0, cents / 1200.0)
    return np.unique(np.concatenate([pitch_sweep(n_points, f_min, f_max), dense]))


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


def plot_pitch_zoom(
    curves: Mapping[str, Mapping[float, tuple[np.ndarray, np.ndarray]]],
    path: str | Path,
    half_width: float = DENSE_CENTS,
    level: float = CURVE_LEVEL,
) -> Path:
    """The pitch curves within ``half_width`` cents of each target, x in cents from it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = _grid(len(curves))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for ax, (name, per_target) in zip(axes.flat, curves.items(), strict=False):
        for target, (freqs, dist) in per_target.items():
            cents = 1200.0 * np.log2(np.asarray(freqs) / target)
            keep = np.abs(cents) <= half_width + 1e-6
            ax.plot(cents[keep], np.asarray(dist)[keep], lw=1.0, marker=".", ms=2.5,
                    label=f"{target:g} Hz")
        ax.axvline(0.0, color="0.5", lw=0.6, ls=":")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("predicted pitch - target (cents)")
        ax.set_ylabel("distance")
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(curves):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8, title=f"target, {level:g} dB", title_fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)


def plot_accuracy_by_interval(by_interval: Mapping[str, dict], path: str | Path) -> Path:
    """One panel per representation: accuracy per ``|Δpitch|`` bin, Wilson bands, chance 0.5.

    Parameters
    ----------
    by_interval : mapping
        ``{representation: accuracy_by_interval(...)}`` (``intervals.accuracy_by_interval``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    styles = {("pitch", "eps"): ("C0", "-"), ("pitch", "fine"): ("C1", "-"),
              ("pitch", "coarse"): ("C2", "-"), ("level", "eps"): ("C0", "--"),
              ("level", "fine"): ("C1", "--"), ("level", "coarse"): ("C2", "--")}
    rows, cols = _grid(len(by_interval))
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.2 * rows), squeeze=False)
    for ax, (name, table) in zip(axes.flat, by_interval.items(), strict=False):
        edges = table["edges_semitones"]
        x = np.arange(len(edges) - 1)
        for (dim, scale), (color, ls) in styles.items():
            cell = (table.get(dim) or {}).get(scale)
            if not cell:
                continue
            acc = np.array([np.nan if a is None else a for a in cell["accuracy"]], dtype=float)
            if np.all(np.isnan(acc)):
                continue
            lo = np.array([np.nan if c is None else c[0] for c in cell["accuracy_ci"]], dtype=float)
            hi = np.array([np.nan if c is None else c[1] for c in cell["accuracy_ci"]], dtype=float)
            ax.plot(x, acc, color=color, ls=ls, marker="o", ms=3, lw=1.0, label=f"{dim} {scale}")
            ax.fill_between(x, lo, hi, color=color, alpha=0.12, lw=0)
        ax.axhline(table.get("accuracy_chance", 0.5), color="0.3", lw=0.8, ls=":")
        ax.set_ylim(0.0, 1.0)
        ax.set_xticks(x, [f"{a:g}-{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)],
                      rotation=45, fontsize=7)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("|Δpitch| target-prediction (semitones)")
        ax.set_ylabel("accuracy (0.5 = chance)")
    for ax in list(axes.flat)[len(by_interval):]:
        ax.axis("off")
    handles: dict = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.legend(list(handles.values()), list(handles), loc="upper center", ncol=6, fontsize=8,
               title="column (bands: Wilson 95 % interval; dotted: chance)", title_fontsize=8)
    return save_figure(fig, path, dpi=72)


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
