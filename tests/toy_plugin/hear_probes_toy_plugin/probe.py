"""A toy probe, ``brightness``: does the embedding distance grow with a tone's frequency?

One module with one ``PROBE`` (``hear_probes.probes`` entry point): stimulus sets, ``run``
(writes ``brightness.json`` and the folder's tidy table) and ``rows`` (its scores in
``results.csv`` and ``Results.to_pandas()``).
"""

from pathlib import Path

import numpy as np

from hear_probes.probes.registry import Probe, ReportSection, RunOptions
from hear_probes.stimuli.base import StimulusSet, fixed_hash

FREQUENCIES = (200, 400, 800, 1600, 3200)


def _tones(ids, sample_rate):
    t = np.arange(int(0.25 * sample_rate)) / sample_rate
    return [(0.5 * np.sin(2 * np.pi * float(i.split("-")[1]) * t)).astype(np.float32) for i in ids]


def stimulus_sets(options: RunOptions) -> list:
    ids = tuple(f"tone-{f}" for f in FREQUENCIES)
    return [StimulusSet("brightness", "tones", ids, lambda ids, sr, method: _tones(ids, sr),
                        fixed_hash("toy-brightness-v1"))]


def run(loaded, store, out_dir: Path, options: RunOptions) -> dict:
    from scipy.stats import spearmanr

    from hear_probes.embed import embed_stimulus_set
    from hear_probes.provenance import provenance, write_json
    from hear_probes.tidy import write_results_table

    emb = embed_stimulus_set(loaded, store, stimulus_sets(options)[0], quiet=options.quiet)
    distance = np.linalg.norm(emb - emb[0], axis=1)[1:]
    rho = float(spearmanr(np.arange(distance.size), distance).statistic)
    payload = {"probe": "brightness", "schema_version": 1, "model": loaded.describe(),
               "provenance": provenance(seed=options.seed),
               "spearman": rho if np.isfinite(rho) else None, "n_tones": len(FREQUENCIES)}
    write_json(Path(out_dir) / "brightness.json", payload)
    write_results_table(out_dir)
    return payload


def rows(payload: dict) -> list[dict]:
    from hear_probes.tidy import score_row

    return [score_row("tones", "spearman", payload.get("spearman"), chance=0.0,
                      n=payload.get("n_tones"))]


PROBE = Probe(name="brightness", run=run, stimulus_sets=stimulus_sets, rows=rows,
              report=ReportSection(title="Brightness (toy plug-in)"))
