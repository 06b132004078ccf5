"""Calibration of the GEAR scores: their ceiling (ideal embedding) and floor (noise).

``python -m hear_probes.probes.gear.calibration --out results/gear-calibration`` writes
``ideal/gear.json`` and ``noise/gear.json`` on the paper tones (2500, five seeds, as a model
run): *ideal* embeds each tone as its three factors on their analysis scale, each mapped onto
[0, 1]; *noise* as 64 i.i.d. N(0, 1) values drawn with the seed. ``docs/gear.md`` shows both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hear_probes.probes.gear.run import (
    VARIES_STIMULI,
    SeedRun,
    _stimulus_info,
    analyse_and_write,
    gear_tones_for,
    seeds_of,
)
from hear_probes.probes.gear.scores import ideal_embedding
from hear_probes.probes.gear.settings import GearSettings
from hear_probes.stimuli.gear import factor_scales

__all__ = ["NOISE_DIM", "reference_runs", "main"]

#: Dimension of the noise embedding.
NOISE_DIM = 64


def reference_runs(kind: str, settings: GearSettings) -> list[SeedRun]:
    """One :class:`SeedRun` per seed with the ``"ideal"`` or ``"noise"`` embedding of its tones."""
    if kind not in ("ideal", "noise"):
        raise ValueError(f"kind must be 'ideal' or 'noise', not {kind!r}")
    runs = []
    for seed in seeds_of(settings):
        tones, set_name = gear_tones_for(settings.variant, settings.quick, seed, settings.n_tones)
        if kind == "ideal":
            emb = ideal_embedding(tones.factors, factor_scales(list(tones.factors)))
        else:
            emb = np.random.default_rng(seed).standard_normal((len(tones), NOISE_DIM))
        runs.append(SeedRun(seed, emb, list(tones.item_ids), _stimulus_info(tones, set_name)))
    return runs


def main(argv: list[str] | None = None) -> int:
    """Write ``<out>/ideal/gear.json`` and ``<out>/noise/gear.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("results/gear-calibration"))
    ap.add_argument("--variant", default="paper", choices=("paper", "perceptual"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--n-tones", type=int, default=None)
    args = ap.parse_args(argv)
    st = GearSettings(variant=args.variant, n_seeds=args.seeds, n_tones=args.n_tones,
                      figures=False, quiet=True)
    for kind in ("ideal", "noise"):
        model = {"model_id": f"gear-{kind}", "weights_id": "", "adapter_version": "",
                 "sample_rate": None, "options": {"kind": kind}}
        payload = analyse_and_write(reference_runs(kind, st), args.out / kind, model,
                                    settings=st, varies=VARIES_STIMULI)
        print(f"{kind}: {args.out / kind / 'gear.json'} "
              f"(f1 kNN R2 K=10 {payload['factors'][next(iter(payload['factors']))]['knn_r2_k10']:.3f})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
