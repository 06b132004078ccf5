"""Score against relative layer depth, models overlaid, one row of panels per family.

For the leaderboard report (:mod:`hear_probes.report.leaderboard`): each probe gets one
figure, one column per headline score and one row per family of layered models; a model's
layers are placed on a relative depth from 0 (the first layer in its results) to 1 (the
last), so that a 6-block CREPE and a 13-layer transformer share an axis. Intervals are drawn
as bands; axes start at chance or zero (:func:`hear_probes.report.layers._set_axis`).
"""

from __future__ import annotations

from pathlib import Path

from hear_probes.atomic import save_figure
from hear_probes.report.layers import _set_axis
from hear_probes.report.leaderboard import HEADLINES, Headline, ModelRow

PROBE_TITLES = {"timbre": "Timbre", "gear": "GEAR", "ranking": "Ranking"}


def relative_depth(layers: list[int]) -> dict[int, float]:
    """Layer id -> depth in [0, 1] (first layer present 0, last 1; a single layer is 1)."""
    lo, hi = min(layers), max(layers)
    return {k: (k - lo) / (hi - lo) if hi > lo else 1.0 for k in layers}


def depth_curves(rows: list[ModelRow], head: Headline) -> dict[str, dict[str, list[tuple]]]:
    """``{family: {model: [(depth, value, low, high), ...]}}`` of the layered models."""
    out: dict[str, dict[str, list[tuple]]] = {}
    for row in rows:
        layered = [e for e in row.entries if e.layer is not None]
        if len(layered) < 2:
            continue
        depth = relative_depth([e.layer for e in layered])
        pts = []
        for e in layered:
            pt = head.read(e.payloads[head.probe]) if head.probe in e.payloads else None
            if pt is not None:
                ci = pt[1] or [None, None]
                pts.append((depth[e.layer], pt[0], ci[0], ci[1]))
        if pts:
            out.setdefault(row.family, {})[row.name] = sorted(pts)
    return out


def plot_depth(rows: list[ModelRow], probe: str, path: Path) -> Path | None:
    """PNG of ``probe``'s headline scores against relative depth; None without layered models."""
    heads = [h for h in HEADLINES if h.probe == probe]
    curves = {h.key: depth_curves(rows, h) for h in heads}
    families = sorted({f for c in curves.values() for f in c})
    if not families:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(families), len(heads), figsize=(3.3 * len(heads), 2.8 * len(families)),
                             squeeze=False)
    for i, fam in enumerate(families):
        for j, h in enumerate(heads):
            ax = axes[i][j]
            models = curves[h.key].get(fam, {})
            banded = False
            for model, pts in sorted(models.items()):
                xs, vs = [p[0] for p in pts], [p[1] for p in pts]
                line, = ax.plot(xs, vs, marker="o", ms=3, label=model)
                if all(p[2] is not None for p in pts):
                    ax.fill_between(xs, [p[2] for p in pts], [p[3] for p in pts],
                                    color=line.get_color(), alpha=0.2, lw=0)
                    banded = True
            score = f"{h.label} accuracy" if probe == "ranking" else h.label
            _set_axis(ax, score, models, banded)
            if not models:
                ax.text(0.5, 0.5 * sum(ax.get_ylim()), "n/a: no layer result\nof this family has this score",
                        ha="center", va="center", fontsize=8, color="grey")
            ax.set_xlim(-0.05, 1.05)
            ax.set_title(f"{fam}: {h.label}", fontsize=9)
            ax.set_xlabel("relative layer depth", fontsize=8)
            ax.grid(alpha=0.3)
            if models and j == 0:
                ax.legend(fontsize=7, loc="best")
    group = heads[0].group
    fig.suptitle(f"{PROBE_TITLES.get(probe, probe)} ({group}) against relative layer depth, by family",
                 fontsize=11)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)


def depth_caption(probe: str) -> str:
    """Caption of :func:`plot_depth`'s figure."""
    heads = [h for h in HEADLINES if h.probe == probe]
    chance = heads[0].chance
    return (f"{PROBE_TITLES.get(probe, probe)}: {heads[0].group} ({', '.join(h.label for h in heads)}) "
            "against relative layer depth (0 = first layer in the results, 1 = last), one row per "
            f"family, models overlaid; bands = 95 % intervals where the results have them; dashed "
            f"line = chance ({chance:g}).")
