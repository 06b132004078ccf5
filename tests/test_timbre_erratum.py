"""The published STFT column is reproduced with the released (mis-paired) row order.

Uses ``../shared/data/timbre`` (or ``$HEAR_PROBES_TIMBRE``) and its
``published_stft_row_order.json``; skipped when they are absent. Fits use the paper's warm
start without LOSO (about 10 s for both pairings on 2 cores).
"""

from __future__ import annotations

import numpy as np
import pytest

from hear_probes.errors import HearProbesError
from hear_probes.probes.timbre.erratum import (
    ORDER_FILE,
    load_row_order,
    released_order_sets,
    released_permutation,
    write_embeddings_file,
)
from hear_probes.stimuli.timbre import PUBLISHED_STFT_EV, TIMBRE_DATASETS


def test_permutation_maps_released_rows_to_sounds():
    ids = ["a", "b", "c", "d"]
    perm = released_permutation(ids, ["c.aiff", "a.aiff", "d.aiff", "b.aiff"], "S")
    assert perm.tolist() == [2, 0, 3, 1]
    emb = np.arange(4.0)[:, None] * np.ones((1, 3))
    sets = released_order_sets({"S": emb, "T": emb}, {"S": ids, "T": ids},
                               {"S": ["c", "a", "d", "b"]})
    assert list(sets) == ["S"]  # studies without an order are left out
    got_ids, got = sets["S"]
    assert got_ids == ids and got[:, 0].tolist() == [2.0, 0.0, 3.0, 1.0]  # sound a gets c's row
    with pytest.raises(HearProbesError, match="not a permutation.*missing \\['d'\\]"):
        released_permutation(ids, ["a", "b", "c", "e"], "S")


def test_order_file_errors(tmp_path):
    with pytest.raises(HearProbesError, match="no such file"):
        load_row_order(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"order": {"S": "abc"}}')
    with pytest.raises(HearProbesError, match="expected"):
        load_row_order(bad)


def test_published_column_reproduced_with_released_order(tmp_path, timbre_dir):
    order_path = timbre_dir / ORDER_FILE
    if not order_path.is_file():
        pytest.skip(f"{order_path} not found")
    from hear_probes.hear_module import load_hear_module
    from hear_probes.probes.timbre.metric import FitOptions
    from hear_probes.probes.timbre.run import embed_studies
    from hear_probes.probes.timbre.run import run_embeddings_file as evaluate_embeddings
    from hear_probes.probes.timbre.settings import TimbreRun, TimbreSettings
    from hear_probes.stimuli.timbre import load_timbre_dataset
    from hear_probes.store import EmbeddingStore

    order = load_row_order(order_path)
    names = [n for n in TIMBRE_DATASETS if n in order]
    assert len(names) == 17
    loaded = load_hear_module(name="stft")
    emb = embed_studies(loaded, EmbeddingStore.for_model(loaded, tmp_path / "cache"), timbre_dir,
                       names, quiet=True)
    ids = {n: load_timbre_dataset(timbre_dir, n).item_ids for n in names}
    released = write_embeddings_file(tmp_path / "released.h5", released_order_sets(emb, ids, order))
    correct = write_embeddings_file(tmp_path / "correct.h5", {n: (ids[n], emb[n]) for n in names})
    run = TimbreRun(settings=TimbreSettings(options=FitOptions(init="warm"), loso=False, workers=2),
                    data_dir=timbre_dir, quiet=True, reference="none")
    rel = evaluate_embeddings(released, tmp_path / "rel", run)["explained_variance"]
    cor = evaluate_embeddings(correct, tmp_path / "cor", run)["explained_variance"]
    diff = {n: abs(rel[n] - PUBLISHED_STFT_EV[n]) for n in names}
    # Published values have 2 decimals (±0.005) and the warm start stops on an optimiser-path
    # dependent point; 0.03 is the criterion, measured: 15/17 within, all within 0.05.
    assert sum(d <= 0.03 for d in diff.values()) >= 15, diff
    assert max(diff.values()) <= 0.06, diff
    med_rel = float(np.median([rel[n] for n in names]))
    med_cor = float(np.median([cor[n] for n in names]))
    assert med_rel == pytest.approx(0.26, abs=0.03)  # the published median
    assert med_cor > med_rel + 0.3, (med_cor, med_rel)  # measured 0.71 vs 0.27
