"""GEAR figures: Isomap grid (paper Fig. 3), kNN log-ratio box plots (Fig. 4), HTML 3-D views."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hear_probes.atomic import atomic_path, save_figure

__all__ = ["plot_isomap_grid", "plot_knn_boxplot", "write_isomap_html", "colour_values"]

#: Red-white-blue colour map: blue = low, white = middle, red = high factor values (as the paper).
CMAP = "RdBu_r"

_LABELS = {
    "f1": "$f_1$",
    "alpha": r"$\alpha$",
    "r": "$r$",
    "f0": "$f_0$ (Hz)",
    "centroid": "centroid (harmonic rank)",
    "oddeven": "odd-even (dB)",
}


def colour_values(values: np.ndarray, scale: str = "linear") -> np.ndarray:
    """Values used for colouring: the factor on its analysis scale (log factors: log10)."""
    v = np.asarray(values, dtype=np.float64)
    return np.log10(v) if scale == "log" else v


def plot_isomap_grid(
    models: Mapping[str, tuple[np.ndarray, Mapping[str, np.ndarray]]],
    out_png: str | Path,
    scales: Mapping[str, str] | None = None,
    point_size: float = 2.0,
    dpi: int = 110,
) -> Path:
    """Paper Fig. 3: one row per model, one column per factor, 3-D Isomap scatter.

    Parameters
    ----------
    models : mapping
        Model name -> ``(coords [n, 3], factors {name: values [n]})``; rows in mapping order.
    out_png : str or Path
        Output PNG path (written atomically).
    scales : mapping, optional
        Factor -> "linear" or "log" (log factors are coloured on a log scale).
    point_size : float
        Marker size.
    dpi : int
        Resolution.

    Returns
    -------
    Path
        The PNG path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    scales = dict(scales or {})
    out_png = Path(out_png)
    names = list(models)
    factor_names = list(next(iter(models.values()))[1]) if names else []
    n_rows, n_cols = max(len(names), 1), max(len(factor_names), 1)
    fig = plt.figure(figsize=(4.2 * n_cols, 3.8 * n_rows))
    for row, model in enumerate(names):
        coords, factors = models[model]
        for col, fname in enumerate(factor_names):
            ax = fig.add_subplot(n_rows, n_cols, row * n_cols + col + 1, projection="3d")
            values = np.asarray(factors[fname], dtype=np.float64)
            norm = None
            if scales.get(fname, "linear") == "log" and values.min() > 0:
                norm = LogNorm(vmin=values.min(), vmax=values.max())  # ticks in natural units
            sc = ax.scatter(
                coords[:, 0], coords[:, 1], coords[:, 2], c=values, cmap=CMAP, norm=norm,
                s=point_size, depthshade=False, linewidths=0,
            )
            ax.set_xticklabels([])
            ax.set_yticklabels([])
            ax.set_zticklabels([])
            _equal_axes(ax, coords)
            if row == 0:
                ax.set_title(_LABELS.get(fname, fname), fontsize=13)
            if col == 0:
                ax.text2D(-0.08, 0.5, model, transform=ax.transAxes, rotation=90,
                          va="center", ha="center", fontsize=12)
            fig.colorbar(sc, ax=ax, shrink=0.55, pad=0.02, label=_LABELS.get(fname, fname))
    fig.tight_layout()
    return save_figure(fig, out_png, dpi=dpi)


def _equal_axes(ax, coords: np.ndarray) -> None:
    """Same scale on the three axes (so that distances read correctly)."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    mid, radius = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 1e-12)
    ax.set_xlim(mid[0] - radius, mid[0] + radius)
    ax.set_ylim(mid[1] - radius, mid[1] + radius)
    ax.set_zlim(mid[2] - radius, mid[2] + radius)


def plot_knn_boxplot(
    models: Mapping[str, Mapping[str, np.ndarray]],
    out_png: str | Path,
    dpi: int = 110,
) -> Path:
    """Paper Fig. 4: per factor, box plots of ``log(estimate / true)`` across models.

    Parameters
    ----------
    models : mapping
        Model name -> {factor: log ratios (natural log, zero-valued factors already excluded)}.
    out_png : str or Path
        Output PNG path.
    dpi : int
        Resolution.

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_png = Path(out_png)
    names = list(models)
    factor_names = list(next(iter(models.values()))) if names else []
    fig, axes = plt.subplots(
        1, max(len(factor_names), 1), figsize=(4.5 * max(len(factor_names), 1), 1.0 + 0.5 * len(names)),
        squeeze=False,
    )
    ticks = np.log([1 / 3, 1 / 2, 1, 2, 3])
    major, minor = (int(v) for v in matplotlib.__version__.split(".")[:2])
    horizontal = {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
    for col, fname in enumerate(factor_names):
        ax = axes[0, col]
        data = [np.asarray(models[m][fname]) for m in names]
        ax.boxplot(data, whis=(5, 95), showfliers=False, widths=0.6, **horizontal)
        ax.set_yticks(np.arange(1, len(names) + 1), names if col == 0 else [""] * len(names))
        ax.set_xticks(ticks, ["1/3", "1/2", "1", "2", "3"])
        ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
        ax.set_xlim(np.log(1 / 3.5), np.log(3.5))
        ax.set_title(f"{_LABELS.get(fname, fname)}: estimate / true")
        ax.invert_yaxis()
    fig.tight_layout()
    return save_figure(fig, out_png, dpi=dpi)


def write_isomap_html(
    coords: np.ndarray,
    factors: Mapping[str, np.ndarray],
    out_html: str | Path,
    title: str,
    scales: Mapping[str, str] | None = None,
    item_ids: list[str] | None = None,
) -> Path:
    """Interactive 3-D Isomap view (plotly), self-contained (plotly.js inlined, no CDN).

    One trace per factor, switched with buttons; hover shows the item id and factor values.

    Parameters
    ----------
    coords : ndarray
        ``[n, 3]`` Isomap coordinates.
    factors : mapping
        Factor -> values ``[n]``.
    out_html : str or Path
        Output path.
    title : str
        Figure title (model name).
    scales : mapping, optional
        Factor -> "linear"/"log" (colouring scale).
    item_ids : list of str, optional
        Hover labels.

    Returns
    -------
    Path
    """
    import plotly.graph_objects as go

    scales = dict(scales or {})
    out_html = Path(out_html)
    names = list(factors)
    hover = item_ids if item_ids is not None else [str(i) for i in range(len(coords))]
    fig = go.Figure()
    for k, fname in enumerate(names):
        scale = scales.get(fname, "linear")
        c = colour_values(factors[fname], scale)
        bar_title = f"log10 {fname}" if scale == "log" else fname
        fig.add_trace(
            go.Scatter3d(
                x=coords[:, 0], y=coords[:, 1], z=coords[:, 2], mode="markers",
                marker={"size": 2.5, "color": c, "colorscale": "RdBu", "reversescale": True,
                        "colorbar": {"title": {"text": bar_title}}},
                text=hover, hoverinfo="text", name=fname, visible=(k == 0),
            )
        )
    buttons = [
        {"label": f"colour: {fname}", "method": "update",
         "args": [{"visible": [j == k for j in range(len(names))]}]}
        for k, fname in enumerate(names)
    ]
    fig.update_layout(
        title=f"GEAR Isomap - {title}",
        updatemenus=[{"buttons": buttons, "direction": "right", "x": 0.0, "y": 1.08,
                      "xanchor": "left", "type": "buttons"}],
        scene={"aspectmode": "data"},
        margin={"l": 0, "r": 0, "t": 60, "b": 0},
    )
    with atomic_path(out_html, suffix=".html") as tmp:
        fig.write_html(tmp, include_plotlyjs=True, full_html=True)
    return Path(out_html)
