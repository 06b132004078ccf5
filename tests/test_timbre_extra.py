"""21 studies: the sibling timbre-extra folder, its manifest, a filled diagonal, unknown raters."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from fake_timbre import fake_study

from hear_probes.errors import DatasetError, HearProbesWarning
from hear_probes.probes.timbre.erratum import write_embeddings_file
from hear_probes.stimuli.timbre import (
    ALL_TIMBRE_DATASETS,
    EXTRA_TIMBRE_DATASETS,
    TIMBRE_DATASETS,
    list_timbre_datasets,
    load_manifest,
    load_timbre_dataset,
    read_rating_matrix,
    table_order,
    timbre_roots,
    verify_timbre_dir,
)

SHARED_EXTRA = Path(__file__).resolve().parents[2] / "shared" / "data" / "timbre-extra"


@pytest.fixture
def two_folders(tmp_path):
    """``timbre/`` with two of the 17 and a sibling ``timbre-extra/`` with two extra studies,
    one with a filled diagonal (as Saitis2020 has)."""
    rng = np.random.default_rng(0)
    main, extra = tmp_path / "timbre", tmp_path / "timbre-extra"
    data = {
        "Patil2012_A3": fake_study(main, "Patil2012_A3", 7, rng),
        "Grey1977": fake_study(main, "Grey1977", 8, rng),
        "Vahidi2020": fake_study(extra, "Vahidi2020", 6, rng),
        "Saitis2020_e2set1_brightness": fake_study(extra, "Saitis2020_e2set1_brightness", 7, rng,
                                                    diagonal=0.3),
    }
    return main, extra, data


def test_sibling_folder_is_found_and_ordered(two_folders):
    main, extra, _ = two_folders
    assert timbre_roots(main) == [main, extra]
    assert timbre_roots(extra) == [extra]  # the extra folder alone is a valid --data
    # Table I order, then the extra ones
    assert list_timbre_datasets(main) == ["Grey1977", "Patil2012_A3", "Saitis2020_e2set1_brightness",
                                          "Vahidi2020"]
    assert list_timbre_datasets(extra) == ["Saitis2020_e2set1_brightness", "Vahidi2020"]
    ds = load_timbre_dataset(main, "Vahidi2020")
    assert ds.sound_paths[0].parent == extra / "sounds" / "Vahidi2020"
    assert ds.n_raters == 0  # unknown
    with pytest.raises(DatasetError, match="no study 'Nope'"):
        load_timbre_dataset(main, "Nope")
    assert table_order(["Zz", "Vahidi2020", "Grey1978", "Barthet2010"]) == [
        "Grey1978", "Barthet2010", "Vahidi2020", "Zz"]
    assert ALL_TIMBRE_DATASETS == TIMBRE_DATASETS + EXTRA_TIMBRE_DATASETS


def test_filled_diagonal_is_ignored_with_a_warning(tmp_path):
    p = tmp_path / "m.txt"
    p.write_text("0.5 1 2\n0 0.5 3\n0 0 0.5\n")
    with pytest.warns(HearProbesWarning, match="3 of 3 diagonal entries are filled.*ignored"):
        m = read_rating_matrix(p, 3)
    assert np.isnan(np.diag(m)).all() and m[0, 1] == 1 and m[1, 2] == 3
    p.write_text("0 1 2\n0 0 3\n0 0 0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_rating_matrix(p, 3)  # an empty diagonal: no note


def test_probe_runs_all_studies_of_both_folders(two_folders, tmp_path):
    """Every study found runs by default; unknown raters: no δ̄ (null), not an error."""
    from hear_probes.probes.timbre.run import run_embeddings_file as evaluate_embeddings
    from hear_probes.probes.timbre.settings import TimbreRun, TimbreSettings, robustness_config

    main, _, data = two_folders
    h5 = write_embeddings_file(tmp_path / "e.h5", {k: v for k, v in data.items()})
    with pytest.warns(HearProbesWarning, match="diagonal entries are filled"):
        sweep = robustness_config(0, deltas=(0.1, 1.0), realisations=1)
        run = TimbreRun(settings=TimbreSettings(loso=False, robustness=sweep, workers=1),
                        data_dir=main, quiet=True, reference="none")
        payload = evaluate_embeddings(h5, tmp_path / "out", run)
    assert list(payload["explained_variance"]) == list_timbre_datasets(main)
    saved = json.loads((tmp_path / "out" / "timbre.json").read_text())
    assert saved["robustness"]["Vahidi2020"]["delta_bar"] is None
    assert saved["robustness"]["Grey1977"]["delta_bar"] == pytest.approx(0.1 * np.sqrt(22))
    assert all(0 <= v <= 1 for v in saved["explained_variance"].values())


def test_extra_manifest():
    m = load_manifest("timbre-extra")
    assert len(m["files"]) == 81
    assert "ben-hayes/timbre-dissimilarity-metrics" in m["source"]["repository"]
    studies = {f["path"].split("/")[1] for f in m["files"] if f["path"].startswith("sounds/")}
    assert studies == set(EXTRA_TIMBRE_DATASETS)
    with pytest.raises(DatasetError, match="unknown dataset 'nope'; available: timbre, timbre-extra"):
        load_manifest("nope")


@pytest.mark.skipif(not (SHARED_EXTRA / "sounds").is_dir(), reason=f"no timbre-extra data at {SHARED_EXTRA}")
def test_extra_shared_copy_verifies_and_fetches(tmp_path):
    from hear_probes.cli import main

    assert verify_timbre_dir(SHARED_EXTRA, name="timbre-extra") == []
    dest = tmp_path / "timbre-extra"
    assert main(["datasets", "fetch", "timbre-extra", "--from", str(SHARED_EXTRA), "--dest", str(dest),
                 "--quiet"]) == 0
    assert main(["datasets", "verify", "timbre-extra", "--data", str(dest)]) == 0
    with pytest.warns(HearProbesWarning, match="diagonal"):
        ds = load_timbre_dataset(dest, "Saitis2020_e2set1_brightness")
    assert len(ds.item_ids) == 14 and ds.n_raters == 0
