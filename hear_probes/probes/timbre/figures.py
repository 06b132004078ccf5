"""Figures of the timbre probe (PNG, matplotlib Agg backend)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from hear_probes.stimuli.timbre import table_order


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _ordered(names) -> list[str]:
    return table_order(names)


def _save(fig, out_png: str | Path) -> Path:
    from hear_probes.atomic import save_figure

    return save_figure(fig, out_png, dpi=120, bbox_inches="tight")


def plot_explained_variance(
    ev: Mapping[str, float],
    out_png: str | Path,
    *,
    loso: Mapping[str, float] | None = None,
    published: Mapping[str, float] | None = None,
    title: str = "",
    intervals: Mapping[str, Mapping[str, Sequence]] | None = None,
    extra: Mapping[str, Mapping[str, float]] | None = None,
) -> Path:
    """Bars of the signed explained variance per study (Table I order), with 95 % intervals.

    Parameters
    ----------
    ev : mapping
        In-sample signed explained variance per study (NaN: no positive metric).
    out_png : path
    loso : mapping, optional
        Held-out (leave-one-sound-out) explained variance, drawn next to ``ev``.
    published : mapping, optional
        Reference values drawn as black ticks (e.g. the published STFT column).
    title : str
    intervals : mapping, optional
        ``{series label: {study: [low, high]}}`` drawn as error bars (labels: "in-sample",
        "held-out (LOSO)" and those of ``extra``).
    extra : mapping, optional
        More series ``{label: {study: value}}`` drawn first (e.g. the unlearned and the
        regularised held-out scores), in reading order.
    """
    plt = _plt()
    names = _ordered(ev)
    series = dict(extra or {})
    if loso:
        series["held-out (LOSO)"] = loso
    series["in-sample"] = ev
    x = np.arange(len(names))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(names) + 2), 4.4))
    low = 0.0
    for k, (label, vals) in enumerate(series.items()):
        pos = x - 0.4 + width * (k + 0.5)
        v = np.array([np.nan if vals.get(n) is None else vals.get(n) for n in names], dtype=float)
        ax.bar(pos, np.nan_to_num(v), width, label=label)
        ci = (intervals or {}).get(label) or {}
        lo = np.array([(ci.get(n) or [np.nan, np.nan])[0] for n in names], dtype=float)
        hi = np.array([(ci.get(n) or [np.nan, np.nan])[1] for n in names], dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(v)
        if ok.any():
            # a percentile interval need not contain its estimate (e.g. a score at a bound):
            # draw the interval as it is, from low to high
            mid = (lo[ok] + hi[ok]) / 2
            ax.errorbar(pos[ok], mid, yerr=(hi[ok] - lo[ok]) / 2, fmt="none",
                        ecolor="black", elinewidth=0.7, capsize=1.5)
            low = min(low, float(np.nanmin(lo[ok])))
    if published:
        pub = [published.get(n, np.nan) for n in names]
        ax.scatter(x, pub, marker="_", s=300, color="black", zorder=3, label="published")
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    ax.set_ylim(min(0.0, low - 0.02), 1)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_ylabel("signed explained variance sign(r)·r² (0 = chance)")
    med = float(np.nanmedian([ev[n] for n in names])) if names else float("nan")
    ax.set_title(title or f"Timbre: explained variance (median {med:.2f})", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, out_png)


def plot_robustness_curves(
    curves: Mapping[str, Mapping],
    out_png: str | Path,
    *,
    reference: Mapping[str, Mapping] | None = None,
    label: str = "model",
    reference_label: str = "reference",
    title: str = "Robustness to degraded ratings: held-out regularised metric",
) -> Path:
    """Robustness curves ``log10(delta) -> EV`` per study, mean ± std (like Fig. 1a).

    Parameters
    ----------
    curves : mapping
        ``{study: {"deltas", "ev_mean", "ev_std", "delta_bar"}}`` (the ``robustness`` entry of
        timbre.json).
    out_png : path
    reference : mapping, optional
        Curves of the reference representation, drawn dashed.
    label, reference_label : str
        Legend labels.
    title : str
        Figure title (default: the held-out curve's).
    """
    plt = _plt()
    names = _ordered(curves)
    ncol = min(4, max(1, len(names)))
    nrow = math.ceil(len(names) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False,
                             sharey=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        c = curves[name]
        x = np.log10(np.asarray(c["deltas"], dtype=float))
        ax.errorbar(x, c["ev_mean"], yerr=c["ev_std"], marker="o", ms=3, capsize=2, label=label)
        if reference and name in reference:
            r = reference[name]
            ax.errorbar(np.log10(np.asarray(r["deltas"], dtype=float)), r["ev_mean"],
                        yerr=r["ev_std"], marker="s", ms=3, capsize=2, ls="--",
                        label=reference_label)
        db = c.get("delta_bar")
        if db is not None and np.isfinite(db) and db > 0:
            ax.axvline(np.log10(db), color="gray", ls=":", lw=1, label=r"$\bar\delta$")
        ax.set_title(f"{name} (area {c.get('area', float('nan')):.2f})", fontsize=8)
        low = np.nanmin(np.asarray(c["ev_mean"], float) - np.asarray(c["ev_std"], float))
        ax.set_ylim(min(0.0, float(low) - 0.02) if np.isfinite(low) else 0.0, 1)
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel(r"$\log_{10}\delta$")
    for ax in axes[:, 0]:
        ax.set_ylabel("signed EV of original ratings")
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, out_png)


def robustness_reference(results: Mapping[str, Mapping], reference: str | None = None) -> str | None:
    """The reference of a robustness heatmap: ``reference``, else the one reference every result
    names (``robustness_reference.name``) when it is one of ``results``, else None."""
    if reference is not None:
        return reference
    refs = {r.get("robustness_reference", {}).get("name") for r in results.values()}
    refs.discard(None)
    return next(iter(refs)) if len(refs) == 1 and next(iter(refs)) in results else None


def relative_db_matrix(results: Mapping[str, Mapping], studies: list[str], cols: list[str],
                       reference: str | None) -> np.ndarray:
    """``[studies, cols]`` relative robustness in dB: ``10 log10(area / area_reference)``, or
    each result's stored ``relative_area_db`` without a reference; NaN where undefined."""
    mat = np.full((len(studies), len(cols)), np.nan)
    for j, name in enumerate(cols):
        res = results[name]
        for i, st in enumerate(studies):
            if reference is not None:
                a = res.get("robustness", {}).get(st, {}).get("area")
                b = results[reference].get("robustness", {}).get(st, {}).get("area")
                if a and b and a > 0 and b > 0:
                    mat[i, j] = 10 * np.log10(a / b)
            else:
                v = res.get("relative_area_db", {}).get(st)
                mat[i, j] = np.nan if v is None else v
    return mat


def _reference_column(ax, results: Mapping[str, Mapping], reference: str, studies: list[str]) -> None:
    """The reference's own areas, drawn as the heatmap's first (grey) column."""
    areas = np.array([[results[reference]["robustness"].get(s, {}).get("area", np.nan)]
                      for s in studies], dtype=float)
    ax.imshow(areas, cmap="Greys", vmin=0, vmax=2, aspect="auto")
    for i, v in enumerate(areas[:, 0]):
        ax.text(0, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                color="white" if v > 1 else "black")
    ax.set_xticks([0])
    ax.set_xticklabels([f"{reference}\n(area)"], fontsize=8)


def plot_relative_db_heatmap(
    results: Mapping[str, Mapping],
    out_png: str | Path,
    *,
    reference: str | None = None,
) -> Path:
    """Heatmap of relative robustness in dB, studies × representations (like Fig. 1b).

    Parameters
    ----------
    results : mapping
        ``{representation name: timbre.json payload}``; each needs a ``robustness`` entry.
    out_png : path
    reference : str, optional
        Name (key of ``results``) of the reference representation: its areas form the first
        column and every other column is ``10 log10(area / area_reference)``. By default, the
        reference named in the results (if it is one of them), else the stored
        ``relative_area_db`` of each result is drawn as is.
    """
    plt = _plt()
    reference = robustness_reference(results, reference)
    studies = _ordered({s for r in results.values() for s in r.get("robustness", {})})
    cols = [n for n in results if n != reference]
    mat = relative_db_matrix(results, studies, cols, reference)
    has_ref = reference is not None
    ncols = len(cols) + (1 if has_ref else 0)
    fig, axes = plt.subplots(
        1, 2 if has_ref else 1, figsize=(1.3 * ncols + 3, 0.32 * len(studies) + 1.8),
        gridspec_kw={"width_ratios": [1, max(1, len(cols))]} if has_ref else None,
        squeeze=False,
    )
    labelled = axes[0, 0]  # the leftmost panel carries the study names
    if has_ref:
        _reference_column(labelled, results, reference, studies)
    ax = axes[0, -1]
    ax.set_yticks([])
    labelled.set_yticks(range(len(studies)))
    labelled.set_yticklabels(studies, fontsize=8)
    lim = float(np.nanmax(np.abs(mat))) if np.isfinite(mat).any() else 1.0
    im = ax.imshow(mat, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    for i, j in zip(*np.nonzero(np.isfinite(mat)), strict=True):
        ax.text(j, i, f"{mat[i, j]:+.1f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=45, ha="right", fontsize=8)
    fig.colorbar(im, ax=ax, label="relative area (dB)")
    fig.suptitle("Relative robustness" + (f" (reference: {reference})" if has_ref else ""),
                 fontsize=10)
    return _save(fig, out_png)
