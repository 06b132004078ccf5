"""Ablation of the regularised timbre metric's design choices (issue 21, build item 4).

Usage::

    PYTHONPATH=. python benchmarks/timbre_regularised_ablation.py --model stft \\
        --data ../shared/data/timbre --out results/stft/timbre_regularised_ablation.json

For each variant (prior distance the re-weighting is shrunk toward: Euclidean, cosine or
none; dimensions standardised or only centred; strength grid narrow or wide) the nested
leave-one-sound-out score of every study is computed, and summarised by the median signed
explained variance over all studies and over Table I's 17 with a 95 % interval (bootstrap
over sounds, the held-out predictions held fixed, 1000 resamples), the number of studies
above chance (Mantel p < 0.05, 1000 permutations), and how often an outer fold picks an edge
of the strength grid (its smallest or largest finite strength). The embeddings come from the
model's embedding cache (computed if missing).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

NARROW = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, float("inf"))
WIDE = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4, float("inf"))
VARIANTS = {
    "euclidean prior, standardised, narrow grid (schema-2 default)": ("euclidean", True, NARROW),
    "euclidean prior, standardised, wide grid": ("euclidean", True, WIDE),
    "euclidean prior, centred only, wide grid": ("euclidean", False, WIDE),
    "cosine prior, standardised, wide grid": ("cosine", True, WIDE),
    "cosine prior, centred only, wide grid": ("cosine", False, WIDE),
    "no prior, standardised, wide grid": ("none", True, WIDE),
    "no prior, centred only, wide grid": ("none", False, WIDE),
}


def load(model: str, data: Path):
    """Prepared studies of ``model`` (embeddings from the cache)."""
    from hear_probes.probes.timbre.run import model_studies
    from hear_probes.probes.timbre.settings import TimbreRun
    from hear_probes.views import open_store, resolve_loaded

    loaded = resolve_loaded(model, None, None)
    studies, _ = model_studies(loaded, open_store(loaded, None), TimbreRun(data_dir=data, quiet=True))
    return studies


def run_variant(studies, prior: str, standardise: bool, gammas: tuple) -> dict:
    """Scores, intervals, chance calls and edge-pick rate of one variant."""
    from hear_probes.probes.timbre.regularised import RegularisedSpec, nested_loso
    from hear_probes.probes.timbre.summaries import paper_studies
    from hear_probes.probes.timbre.uncertainty import (
        StudyResampling,
        UncertaintyConfig,
        median_with_interval,
        resample_scores,
    )

    spec = RegularisedSpec(prior, standardise, gammas)
    cfg = UncertaintyConfig(n_bootstrap=1000, n_permutations=1000, n_null_fits=0, seed=0)
    finite = [g for g in gammas if np.isfinite(g)]
    values, boots, pvals, chosen = {}, {}, {}, []
    t0 = time.perf_counter()
    for st in studies:
        res = nested_loso(st.features[:, st.active], st.ratings, spec=spec)
        rs = StudyResampling.draw(st.name, st.n_sounds, cfg)
        sc = resample_scores(res.predicted, st.ratings, rs)["explained_variance"]
        values[st.name], boots[st.name], pvals[st.name] = sc.value, sc.boot, sc.p_value()
        chosen += list(res.chosen_gamma)
    seconds = time.perf_counter() - t0
    chosen = np.asarray(chosen)
    edge = np.isin(chosen, [min(finite), max(finite)])
    out = {"prior": prior, "standardise": standardise,
           "gammas": [None if not np.isfinite(g) else g for g in gammas],
           "seconds": round(seconds, 2),
           "edge_pick_rate": float(edge.mean()),
           "low_edge_pick_rate": float((chosen == min(finite)).mean()),
           "high_edge_pick_rate": float((chosen == max(finite)).mean()),
           "inf_pick_rate": float(np.isinf(chosen).mean()),
           "explained_variance": values, "p": pvals}
    out["_boots"] = boots  # paired with every other variant (same seeded resamples per study)
    for label, sub in (("all", None), ("table1_17", paper_studies())):
        keep = [k for k in values if sub is None or k in sub]
        med, ci = median_with_interval({k: values[k] for k in keep}, {k: boots[k] for k in keep})
        out[f"median_{label}"] = med
        out[f"median_{label}_ci"] = list(ci)
        out[f"n_above_chance_{label}"] = int(sum(pvals[k] < 0.05 for k in keep))
        out[f"n_{label}"] = len(keep)
    return out


def paired_differences(variants: dict) -> None:
    """Median difference to the first variant with its paired-bootstrap interval (in place)."""
    from hear_probes.probes.timbre.summaries import paper_studies
    from hear_probes.stats import percentile_interval

    first = next(iter(variants.values()))
    for v in variants.values():
        for label, sub in (("all", None), ("table1_17", paper_studies())):
            keep = [k for k in v["explained_variance"] if sub is None or k in sub]
            a = np.nanmedian(np.stack([v["_boots"][k] for k in keep]), axis=0)
            b = np.nanmedian(np.stack([first["_boots"][k] for k in keep]), axis=0)
            lo, hi = percentile_interval(a - b)
            v[f"median_{label}_minus_first"] = v[f"median_{label}"] - first[f"median_{label}"]
            v[f"median_{label}_minus_first_ci"] = [float(lo), float(hi)]
    for v in variants.values():
        del v["_boots"]


def main() -> None:
    """Run every variant and write the JSON."""
    from hear_probes.provenance import provenance, write_json

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="stft")
    ap.add_argument("--data", type=Path, default=Path("../shared/data/timbre"))
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    studies = load(args.model, args.data)
    variants = {}
    t0 = time.perf_counter()
    for name, (prior, std, gammas) in VARIANTS.items():
        variants[name] = run_variant(studies, prior, std, gammas)
        v = variants[name]
        print(f"{name:62s} median {v['median_all']:.3f} {np.round(v['median_all_ci'], 3)} "
              f"17: {v['median_table1_17']:.3f} above chance {v['n_above_chance_all']}/{v['n_all']} "
              f"edge {v['low_edge_pick_rate']:.2f}/{v['high_edge_pick_rate']:.2f} ({v['seconds']} s)",
              flush=True)
    paired_differences(variants)
    write_json(args.out, {"model": args.model, "variants": variants,
                          "difference_method": "median over studies of the variant minus that of "
                          "the first variant, per paired bootstrap resample (same sounds drawn "
                          "for both), 95 % percentile interval",
                          "interval_method": "percentile bootstrap over sounds, held-out "
                          "predictions fixed, 1000 resamples, seed 0",
                          "chance_method": "Mantel permutation, one-sided, 1000 permutations",
                          "provenance": provenance(seed=0, timings={"total": time.perf_counter() - t0})})


if __name__ == "__main__":
    main()
