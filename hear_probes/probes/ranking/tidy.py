"""The ranking payload as rows of the tidy results table (:mod:`hear_probes.tidy`)."""

from __future__ import annotations

from hear_probes.tidy import score_row

__all__ = ["rows"]


def rows(payload: dict) -> list[dict]:
    """One row per representation and column: ``metric = "accuracy"``.

    ``study_or_condition`` is the column label of ``ranking.csv`` (``pitch_30c``,
    ``level_eps``, ...); ``n`` the trials decided (ties left out, as in the accuracy);
    ``chance`` 0.5; ``p`` the exact binomial test against it. A run of several spectral
    distances (``--distance``) gives each its own ``model``.
    """
    from hear_probes.probes.ranking.run import column_labels

    settings = payload.get("settings") or {}
    labels = column_labels(settings.get("epsilons") or {})
    several = payload.get("representation_kind") == "spectral-distance"
    out = []
    for name, res in (payload.get("representations") or {}).items():
        reasons = res.get("na_reason") or {}
        for dim, scale, label in labels:
            acc = (res.get("accuracy") or {}).get(dim, {}).get(scale)
            ci = (res.get("accuracy_ci") or res.get("ci95") or {}).get(dim, {}).get(scale)
            row = score_row(
                label, "accuracy", acc, ci=ci,
                chance=res.get("accuracy_chance", 0.5),
                p=(res.get("accuracy_p") or {}).get(dim, {}).get(scale),
                n=(res.get("n_decided") or {}).get(dim, {}).get(scale),
                na_reason=reasons.get(f"{dim}.{scale}"))
            if several:
                row["model"] = res.get("display_name", name)
            out.append(row)
    return out
