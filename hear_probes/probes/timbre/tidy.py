"""The timbre payload as rows of the tidy results table (:mod:`hear_probes.tidy`)."""

from __future__ import annotations

from hear_probes.tidy import number, score_row

__all__ = ["LEARNED", "MEDIAN", "rows"]

#: Learned-metric scores, each a ``{study: value}`` map with ``K_ci``, ``K_p``, ``K_chance``.
LEARNED = ("regularised_loso_explained_variance", "loso_explained_variance", "explained_variance",
           "regularised_loso_pearson", "loso_pearson", "in_sample_pearson")
#: ``study_or_condition`` of the median over studies.
MEDIAN = "median (all studies)"
#: Unlearned distances and their scores (``unlearned.<distance>.<score>``).
_UNLEARNED = ("explained_variance", "pearson", "spearman", "kendall", "triplet_agreement")


def _chance(x):
    """A timbre chance level is ``[median, 95th percentile]`` of its null: the median."""
    return x[0] if isinstance(x, (list, tuple)) and x else x


def _study_rows(metric: str, block: dict, key: str, n_pairs: dict, reasons: dict) -> list[dict]:
    values = block.get(key)
    if not isinstance(values, dict):
        return []
    ci, p, ch = (block.get(f"{key}_{s}") or {} for s in ("ci", "p", "chance"))
    return [score_row(study, metric, v, ci=ci.get(study), chance=_chance(ch.get(study)),
                      p=p.get(study), n=n_pairs.get(study), na_reason=reasons.get(study))
            for study, v in values.items()]


def _learned_rows(payload: dict, n_pairs: dict, n_studies: int) -> list[dict]:
    reasons = {s: "no positive metric: no non-negative weighting correlates positively with "
               "the ratings" for s in payload.get("no_positive_metric") or []}
    medians = ((payload.get("summary_subsets") or {}).get("all") or {}).get("scores") or {}
    out = []
    for key in LEARNED:
        out += _study_rows(key, payload, key, n_pairs, reasons)
        med = medians.get(key)
        if med is not None:
            out.append(score_row(MEDIAN, key, med.get("median"), ci=med.get("median_ci"),
                                 n=med.get("n")))
        elif key == "explained_variance" and number(payload.get("median")) is not None:
            out.append(score_row(MEDIAN, key, payload["median"], n=n_studies))
    return out


def _unlearned_rows(payload: dict, n_pairs: dict) -> list[dict]:
    out = []
    for distance, entry in (payload.get("unlearned") or {}).items():
        notes = {s: n.get(distance) for s, n in (payload.get("unlearned_notes") or {}).items()
                 if isinstance(n, dict) and n.get(distance)}
        for score in _UNLEARNED:
            metric = f"unlearned_{distance}_{score}"
            out += _study_rows(metric, entry, score, n_pairs, notes)
            med = (entry.get("median") or {}).get(score)
            if med is not None:
                n = sum(1 for v in (entry.get(score) or {}).values() if number(v) is not None)
                out.append(score_row(MEDIAN, metric, med,
                                     ci=(entry.get("median_ci") or {}).get(score), n=n))
    return out


def rows(payload: dict) -> list[dict]:
    """Rows of every per-study score and of its median over the studies.

    Learned metric (:data:`LEARNED`): held-out (regularised and plain leave-one-sound-out) and
    in-sample signed explained variance and Pearson r, with bootstrap intervals, permutation
    p-values and chance levels (the median of the null); unlearned Euclidean and cosine
    distances (``unlearned_<distance>_<score>``); the held-out robustness area and, with a
    reference, ``relative_area_db``. ``n`` is the rated pairs of the study (the studies for a
    median).
    """
    studies = payload.get("studies") or {}
    n_pairs = {s: b.get("n_rated_pairs") for s, b in studies.items()}
    out = _learned_rows(payload, n_pairs, len(studies))
    out += _unlearned_rows(payload, n_pairs)
    for study, curve in (payload.get("robustness") or {}).items():
        out.append(score_row(study, "robustness_area", (curve or {}).get("area"),
                             n=n_pairs.get(study)))
    for study, v in (payload.get("relative_area_db") or {}).items():
        out.append(score_row(study, "relative_area_db", v, n=n_pairs.get(study)))
    return out
