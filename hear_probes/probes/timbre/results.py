"""timbre.json, timbre.csv and timbre_weights.h5: building, writing and reading results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre.regularised import METHOD as REGULARISED_METHOD
from hear_probes.probes.timbre.robustness import HELD_OUT_METRIC, SEED_SCHEME, relative_area_db
from hear_probes.probes.timbre.settings import TimbreSettings
from hear_probes.probes.timbre.studies import StudyResult
from hear_probes.probes.timbre.summaries import (
    EV_DEFINITION,
    statistics_payload,
    unlearned_statistics,
    unlearned_subsets,
)

#: 3: signed EV everywhere, "no positive metric", intervals/p-values/chance (issue 21),
#: robustness on the held-out regularised metric (the paper's in-sample curve kept apart).
SCHEMA_VERSION = 3
JSON_NAME = "timbre.json"
CSV_NAME = "timbre.csv"
WEIGHTS_NAME = "timbre_weights.h5"
LOSO_POOLING = (
    "per-fold linear calibration (least squares on the fold's training pairs), mean of the two "
    "out-of-fold predictions of each pair, signed EV sign(r) r^2 of the Pearson correlation "
    "over all rated pairs; a fold without a positive metric predicts its training mean"
)


def _f(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def summary_stats(values: Sequence[float]) -> tuple[float, float]:
    """Median and interquartile range (numpy linear percentiles) of finite values."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return float("nan"), float("nan")
    q75, q25 = np.percentile(v, [75, 25])
    return float(np.median(v)), float(q75 - q25)


def build_payload(
    results: Sequence[StudyResult],
    settings: TimbreSettings,
    model: dict,
    provenance: dict,
    *,
    reference: dict | None = None,
    published: dict | None = None,
) -> dict:
    """The timbre.json payload.

    Parameters
    ----------
    results : sequence of StudyResult
    settings : TimbreSettings
    model : dict
        Identity of the representation (model id, weights id, adapter version, ...).
    provenance : dict
        From :func:`hear_probes.provenance.provenance`.
    reference : dict, optional
        ``{"name", "source", "areas": {dataset: area}}`` of the robustness reference.
    published : dict, optional
        Published STFT explained variance per study (recorded for comparison).
    """
    ev = {r.study.name: r.explained_variance for r in results}
    # "no positive metric": no in-sample score (null), counted as 0 in the median
    median, iqr = summary_stats([0.0 if r.no_positive_metric else r.explained_variance
                                 for r in results])
    payload: dict = {
        "probe": "timbre",
        "schema_version": SCHEMA_VERSION,
        "model": model,
        "provenance": provenance,
        "settings": {
            "fit": settings.options.to_dict(),
            "loso": settings.loso,
            "regularised": settings.regularised,
            "regularised_method": REGULARISED_METHOD if settings.regularised else None,
            "regularised_spec": settings.regularised_spec.to_dict() if settings.regularised else None,
            "loso_pooling": LOSO_POOLING if settings.loso else None,
            "rating_normalisation": settings.rating_norm,
            "feature_normalisation": settings.feature_norm,
            "allow_identical": settings.allow_identical,
            "robustness": (
                {**asdict(settings.robustness), "seed_scheme": SEED_SCHEME}
                if settings.robustness is not None else None
            ),
            "datasets": [r.study.name for r in results],
        },
        "explained_variance": ev,
        "median": median,
        "iqr": iqr,
        "explained_variance_max": {r.study.name: r.ev_max for r in results},
        "studies": {
            r.study.name: {
                "n_sounds": r.study.n_sounds,
                "n_pairs": int(r.study.ratings.size),
                "n_rated_pairs": int(np.isfinite(r.study.ratings).sum()),
                "dim": r.study.dim,
                "n_constant_dims": r.study.n_constant_dims,
                "n_raters": r.study.n_raters,
                "pearson": r.full.pearson_train,
                "n_iter": r.full.n_iter,
                "converged": r.full.converged,
                "optimizer_message": r.full.message,
                "fit_seconds": r.full.seconds,
            }
            for r in results
        },
    }
    payload["explained_variance_kind"] = (
        "in-sample: the learned weights are fitted and scored on the same pairs (an upper "
        "bound, not a score: one weight per dimension on 55-276 pairs)")
    payload["explained_variance_definition"] = EV_DEFINITION
    payload["no_positive_metric"] = [r.study.name for r in results if r.no_positive_metric]
    payload["in_sample_pearson"] = {
        r.study.name: None if r.no_positive_metric else _f(r.full.pearson_train) for r in results}
    payload["unlearned"] = unlearned_block(
        results, settings.uncertainty.level if settings.uncertainty is not None else None)
    if any(r.timbremetrics for r in results):
        payload["timbremetrics"] = timbremetrics_block(results)
        payload["timbremetrics_definition"] = TIMBREMETRICS_DEFINITION
    notes = {r.study.name: {**{m: v["note"] for m, v in r.unlearned.items() if v.get("note")},
                            **r.study.notes}
             for r in results}
    if any(notes.values()):
        payload["unlearned_notes"] = {k: v for k, v in notes.items() if v}
    if published:
        payload["published_stft_explained_variance"] = {
            r.study.name: published.get(r.study.name) for r in results
        }
    if settings.loso:
        loso = {r.study.name: r.loso.explained_variance for r in results if r.loso}
        payload["loso_explained_variance"] = loso
        payload["loso_pearson"] = {r.study.name: _f(r.loso.pearson) for r in results if r.loso}
        payload["loso_median"], payload["loso_iqr"] = summary_stats(list(loso.values()))
        payload["loso_fold_mean_explained_variance"] = {
            r.study.name: r.loso.fold_mean for r in results if r.loso
        }
        payload["loso_failed_folds"] = {r.study.name: r.loso.n_failed for r in results if r.loso}
    if settings.regularised:
        reg = {r.study.name: _f(r.regularised.explained_variance) for r in results if r.regularised}
        payload["regularised_loso_explained_variance"] = reg
        payload["regularised_loso_pearson"] = {
            r.study.name: _f(r.regularised.pearson) for r in results if r.regularised}
        payload["regularised_loso_median"], payload["regularised_loso_iqr"] = summary_stats(
            [v for v in reg.values() if v is not None])
        payload["regularised_chosen_gamma"] = {
            r.study.name: r.regularised.to_dict()["chosen_gamma"] for r in results if r.regularised}
    if settings.uncertainty is not None:
        payload.update(statistics_payload(results, settings.uncertainty))
        payload["unlearned_summary_subsets"] = unlearned_subsets(results, settings.uncertainty.level)
    if settings.robustness is not None:
        payload["robustness"] = {
            r.study.name: r.robustness.to_dict() for r in results if r.robustness
        }
        payload["robustness_metric"] = HELD_OUT_METRIC
        payload["robustness_in_sample"] = {
            r.study.name: r.robustness_in_sample.to_dict() for r in results
            if r.robustness_in_sample
        }
        if reference is not None and reference.get("missing"):
            payload["robustness_reference"] = reference
        elif reference is not None:
            areas = reference.get("areas", {})
            payload["robustness_reference"] = reference
            payload["relative_area_db"] = {
                name: relative_area_db(curve["area"], areas.get(name, float("nan")) or float("nan"))
                for name, curve in payload["robustness"].items()
            }
    return payload


def unlearned_block(results: Sequence[StudyResult], level: float | None = None) -> dict:
    """``{distance: {score: {study: value}, "median": {score: m}, "iqr": {score: q}}}``.

    With ``level`` (and resampled studies), each score also gets ``score_ci``, ``score_p``,
    ``score_p_holm``, ``score_chance`` and ``median_ci`` (:mod:`.summaries`).
    """
    from hear_probes.probes.timbre.agreement import AGREEMENT_SCORES, UNLEARNED_DISTANCES

    block: dict = {}
    for metric in UNLEARNED_DISTANCES:
        entry: dict = {score: {r.study.name: _f(r.unlearned[metric][score]) for r in results}
                       for score in AGREEMENT_SCORES if all(metric in r.unlearned for r in results)}
        if not entry:
            continue
        stats = {score: summary_stats(list(v.values())) for score, v in entry.items()}
        entry["median"] = {score: _f(m) for score, (m, _) in stats.items()}
        entry["iqr"] = {score: _f(q) for score, (_, q) in stats.items()}
        if level is not None and any(metric in r.stats for r in results):
            entry.update(unlearned_statistics(results, metric, AGREEMENT_SCORES, level))
        block[metric] = entry
    return block


#: How the ``timbremetrics`` block of timbre.json reads (docs/timbre.md).
TIMBREMETRICS_DEFINITION = (
    "Scores of the timbremetrics packages on the cosine distances of the raw embeddings "
    "(hear_probes.probes.timbre.timbremetrics): 'hayes_*_package' and 'tiianhk_*' reproduce "
    "each package's code, including its departures from the textbook definition; "
    "'hayes_triplet_agreement_radius', 'mantel_spearman_rho' and 'item_ranking_agreement' are "
    "the textbook definitions (symmetrised min-max-normalised ratings without the anchor; "
    "Spearman's rho with average ranks; sound-label permutations). Package p-values permute "
    "pairs (*_p_package), the others permute sounds (*_p, one-sided, (1 + #) / (1 + P)). "
    "Studies where a score is undefined are listed in 'notes'.")


def timbremetrics_block(results: Sequence[StudyResult]) -> dict:
    """``{"cosine": {score: {study: value}, "median": {score: m}, "iqr": {...}}, "notes": {...}}``.

    The ``*_p`` of the Mantel scores become ``score_p`` siblings (the report's convention);
    studies whose scores are undefined get a note and no value.
    """
    scored = [r for r in results if r.timbremetrics and "note" not in r.timbremetrics]
    keys = list(scored[0].timbremetrics) if scored else []
    entry: dict = {k: {r.study.name: _f(r.timbremetrics[k]) for r in scored} for k in keys}
    values = {k: v for k, v in entry.items() if not k.endswith(("_p", "_p_package", "_chance"))}
    stats = {k: summary_stats([x for x in v.values() if x is not None]) for k, v in values.items()}
    entry["median"] = {k: _f(m) for k, (m, _) in stats.items()}
    entry["iqr"] = {k: _f(q) for k, (_, q) in stats.items()}
    block = {"cosine": entry}
    notes = {r.study.name: r.timbremetrics["note"] for r in results if "note" in r.timbremetrics}
    if notes:
        block["notes"] = notes
    return block


def write_weights(path: str | Path, results: Sequence[StudyResult]) -> Path:
    """Learned weights, one group per study: ``/<Dataset>/weights`` [dim] and ``active``."""
    import h5py

    from hear_probes.atomic import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["description"] = (
            "timbre probe: learned weights w of d_w^2 = sum_k (x_ik - x_jk)^2 / w_k^2; "
            "constant (inactive) dimensions hold w_max"
        )
        for r in results:
            g = f.create_group(r.study.name)
            g.create_dataset("weights", data=r.full.weights)
            g.create_dataset("active", data=r.study.active)
            g.create_dataset("item_ids", data=np.array(r.study.item_ids, dtype=object),
                             dtype=h5py.string_dtype("utf-8"))
            g.attrs["explained_variance"] = r.explained_variance
    return path


def csv_rows(payload: dict) -> list[dict]:
    """One CSV row per study."""
    rows = []
    for name, ev in payload["explained_variance"].items():
        st = payload["studies"][name]
        rows.append({
            "dataset": name,
            "n_sounds": st["n_sounds"],
            "n_rated_pairs": st["n_rated_pairs"],
            "dim": st["dim"],
            "n_constant_dims": st["n_constant_dims"],
            "unlearned_euclidean_ev": _round(_unl(payload, "euclidean", "explained_variance", name)),
            "unlearned_cosine_ev": _round(_unl(payload, "cosine", "explained_variance", name)),
            "unlearned_cosine_ev_ci": _ci(_unl(payload, "cosine", "explained_variance_ci", name)),
            "unlearned_cosine_ev_p": _round(_unl(payload, "cosine", "explained_variance_p", name)),
            "unlearned_cosine_spearman": _round(_unl(payload, "cosine", "spearman", name)),
            "unlearned_cosine_triplets": _round(_unl(payload, "cosine", "triplet_agreement", name)),
            **{f"timbremetrics_{k}": _round(_tm(payload, k, name)) for k in TIMBREMETRICS_CSV},
            "explained_variance": "no positive metric" if name in payload.get(
                "no_positive_metric", []) else _round(ev),
            "explained_variance_p": _round(payload.get("explained_variance_p", {}).get(name)),
            "regularised_loso_explained_variance": _round(
                payload.get("regularised_loso_explained_variance", {}).get(name)),
            "regularised_loso_ci": _ci(payload.get("regularised_loso_explained_variance_ci", {}).get(name)),
            "regularised_loso_p": _round(payload.get("regularised_loso_explained_variance_p", {}).get(name)),
            "loso_explained_variance": _round(payload.get("loso_explained_variance", {}).get(name)),
            "loso_ci": _ci(payload.get("loso_explained_variance_ci", {}).get(name)),
            "loso_p": _round(payload.get("loso_explained_variance_p", {}).get(name)),
            "explained_variance_max": _round(payload["explained_variance_max"].get(name)),
            "published_stft": payload.get("published_stft_explained_variance", {}).get(name),
            "robustness_area": _round(payload.get("robustness", {}).get(name, {}).get("area")),
            "relative_area_db": _round(payload.get("relative_area_db", {}).get(name)),
            "n_iter": st["n_iter"],
            "fit_seconds": _round(st["fit_seconds"]),
        })
    return rows


def _ci(v) -> str:
    if not v or any(x is None for x in v):
        return ""
    return f"[{float(v[0]):.4f}, {float(v[1]):.4f}]"


#: timbremetrics scores copied into timbre.csv (the rest are in timbre.json).
TIMBREMETRICS_CSV = ("hayes_triplet_agreement_package", "hayes_triplet_agreement_radius",
                     "hayes_mantel_spearman_package", "mantel_spearman_rho", "mantel_spearman_rho_p",
                     "item_ranking_agreement", "tiianhk_triplet_agreement", "tiianhk_spearman_items",
                     "tiianhk_kendall_items")


def _tm(payload: dict, score: str, study: str):
    return (((payload.get("timbremetrics") or {}).get("cosine") or {}).get(score) or {}).get(study)


def _unl(payload: dict, metric: str, score: str, study: str):
    return ((payload.get("unlearned") or {}).get(metric) or {}).get(score, {}).get(study)


def _round(x, nd: int = 4):
    if x is None:
        return ""
    x = float(x)
    return round(x, nd) if np.isfinite(x) else ""


def read_result(path: str | Path) -> dict:
    """Read a timbre.json (a file or a folder holding one)."""
    p = Path(path)
    if p.is_dir():
        p = p / JSON_NAME
    if not p.is_file():
        raise HearProbesError(f"{p}: no timbre results there (run 'hear-probes probe timbre' first)")
    try:
        payload = json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise HearProbesError(f"{p}: unreadable timbre.json ({exc})") from exc
    if payload.get("probe") != "timbre":
        raise HearProbesError(f"{p}: not a timbre result (probe = {payload.get('probe')!r})")
    return payload


def reference_from_payload(payload: dict, name: str, source: str,
                           settings: TimbreSettings) -> dict:
    """Reference areas from a timbre.json, checked against this run's robustness settings."""
    if "robustness" not in payload:
        raise HearProbesError(
            f"{source}: the reference result has no robustness sweep; rerun it with --robustness"
        )
    ref_cfg = (payload.get("settings") or {}).get("robustness") or {}
    mine = asdict(settings.robustness) if settings.robustness else {}
    for key in ("deltas", "realisations"):
        a, b = ref_cfg.get(key), mine.get(key)
        if a is not None and b is not None and not np.allclose(np.asarray(a, float), np.asarray(b, float)):
            raise HearProbesError(
                f"{source}: reference robustness used {key}={a}, this run {b}; rerun the "
                "reference with the same robustness settings"
            )
    if payload.get("robustness_metric") != HELD_OUT_METRIC:
        raise HearProbesError(
            f"{source}: the reference's robustness curve scores "
            f"{payload.get('robustness_metric') or 'the in-sample learned metric (older schema)'}, "
            f"this run the {HELD_OUT_METRIC.split(' (')[0]}; rerun the reference with this version")
    ref_norm = (payload.get("settings") or {}).get("rating_normalisation", "none")
    if ref_norm != settings.rating_norm:
        raise HearProbesError(
            f"{source}: reference used rating normalisation {ref_norm!r}, this run "
            f"{settings.rating_norm!r}; the areas are not comparable"
        )
    return {
        "name": name,
        "source": source,
        "areas": {k: v.get("area") for k, v in payload["robustness"].items()},
    }
