"""Paired tests of the zoo's layer contrasts that the literature makes claims about.

The contrasts are fixed here, before the results are read (:data:`CONTRASTS`):

* musicnn (Pons & Serra 2019), trained on MagnaTagATune and on the Million Song Dataset: its
  front-end *timbral* filters (vertical, layer 1) are shaped to capture timbre. They are
  tested against the front-end *temporal* filters (horizontal, layer 2) and against each
  mid-end layer (cnn1-cnn3, layers 3-5).

Each model's contrasts are one ``hear-probes compare --baseline`` over the layer folders that
``hear-probes sweep`` wrote (their ``timbre_pairs.h5``; not committed, as they hold the
ratings): per study a paired bootstrap over sounds, across studies a Wilcoxon signed-rank test
over the 11 groups of studies that share no sound, Holm over every score and contrast of the
model (docs/compare.md). The timbre tests are kept: the across-studies test of every score,
and per score how many studies differ after Holm over the 21 studies. The result goes to
``--out`` (JSON with provenance), which ``docs/zoo.md`` reads for its claims table. Usage::

    python benchmarks/zoo_layer_tests.py --sweep results/zoo --out results/zoo/layer-tests.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hear_probes.compare import CompareSettings, compare_folders  # noqa: E402
from hear_probes.provenance import atomic_write_text, provenance  # noqa: E402

#: model -> (baseline layer, the layers compared with it), with the layers' names
CONTRASTS = {
    "musicnn-mtt": (1, (2, 3, 4, 5)),
    "musicnn-msd": (1, (2, 3, 4, 5)),
}
LAYER_NAMES = {
    "musicnn-mtt": {1: "front end timbral", 2: "front end temporal", 3: "mid end cnn1",
                    4: "mid end cnn2", 5: "mid end cnn3"},
}
LAYER_NAMES["musicnn-msd"] = LAYER_NAMES["musicnn-mtt"]


def _layer(name: str) -> int:
    return int(name.rsplit("@layer-", 1)[1])


def model_tests(sweep: Path, model: str, settings: CompareSettings) -> dict:
    """The timbre tests of one model's contrasts (see the module docstring)."""
    base, others = CONTRASTS[model]
    folders = [sweep / model / f"layer-{k}" for k in (base, *others)]
    missing = [str(f) for f in folders if not (f / "timbre_pairs.h5").is_file()]
    if missing:
        raise SystemExit(f"{model}: no timbre_pairs.h5 in {', '.join(missing)}; run the zoo's "
                         "'hear-probes sweep' (results/regenerate.sh) into --sweep first")
    res = compare_folders(folders, settings)
    names = LAYER_NAMES[model]
    contrasts = []
    for k in others:
        across, per_study = [], {}
        for t in res.tests:
            if t.probe != "timbre" or _layer(t.a) != base or _layer(t.b) != k:
                continue
            if t.level == "across studies":
                across.append({"metric": t.metric, "median_a": t.score_a, "median_b": t.score_b,
                               "difference": t.difference, "difference_ci": t.difference_ci,
                               "hodges_lehmann": t.details.get("hodges_lehmann"),
                               "hodges_lehmann_ci": t.details.get("hodges_lehmann_ci"),
                               "p": t.p, "p_holm": t.p_holm, "significant": t.significant,
                               "n_groups": t.n})
            else:
                count = per_study.setdefault(t.metric, {"b_higher": 0, "a_higher": 0, "studies": 0})
                count["studies"] += 1
                if t.significant:
                    count["b_higher" if t.difference > 0 else "a_higher"] += 1
        contrasts.append({"a": {"layer": base, "name": names[base]},
                          "b": {"layer": k, "name": names[k]},
                          "across_studies": across, "studies_significant": per_study})
    return {"model": model, "contrasts": contrasts, "test": res.settings,
            "holm_family_across": "every score and contrast of the model"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", type=Path, default=Path("results/zoo"),
                    help="the sweep's --out folder (its layer folders hold timbre_pairs.h5)")
    ap.add_argument("--out", type=Path, default=Path("results/zoo/layer-tests.json"))
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    settings = CompareSettings(n_resamples=args.resamples, seed=args.seed, baseline=True)
    models = [model_tests(args.sweep, m, settings) for m in CONTRASTS]
    payload = {"what": "paired tests of the zoo's layer contrasts (timbre)", "models": models,
               "provenance": provenance(seed=args.seed)}
    atomic_write_text(args.out, json.dumps(payload, indent=1) + "\n")
    for m in models:
        for c in m["contrasts"]:
            sig = [f"{t['metric']} {t['difference']:+.3f}" for t in c["across_studies"] if t["significant"]]
            print(f"{m['model']}: {c['b']['name']} - {c['a']['name']}: "
                  f"{'; '.join(sig) or 'no score differs after Holm'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
