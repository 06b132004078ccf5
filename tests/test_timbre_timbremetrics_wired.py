"""The timbremetrics-compatible scores reach timbre.json, timbre.csv and the report (issue 21, item 5).

The scores themselves are cross-checked against the packages' code in
``tests/test_timbremetrics.py``; here the run must store exactly what
:func:`~hear_probes.probes.timbre.timbremetrics.timbremetrics_scores` gives on the study's
cosine distances, keep studies where a score is undefined out of the medians (with a note),
and the report must show the package and textbook variants side by side.
"""

from __future__ import annotations

import numpy as np
import pytest

from hear_probes.probes.timbre.agreement import raw_distances
from hear_probes.probes.timbre.metric import pair_differences
from hear_probes.probes.timbre.results import build_payload, csv_rows
from hear_probes.probes.timbre.settings import TimbreSettings
from hear_probes.probes.timbre.studies import run_studies
from hear_probes.probes.timbre.study import prepare_study
from hear_probes.probes.timbre.tables import timbre_table
from hear_probes.probes.timbre.timbremetrics import timbremetrics_scores
from hear_probes.probes.timbre.uncertainty import UncertaintyConfig, study_seed


def _study(name: str, n: int, seed: int, *, missing: bool = False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    s = np.sqrt(pair_differences(x[:, :2]).sum(1)) + 0.3 * rng.normal(size=n * (n - 1) // 2)
    m = np.full((n, n), np.nan)
    m[np.triu_indices(n, 1)] = s
    if missing:
        m[0, 1] = np.nan
    return prepare_study(name, x, [f"s{k}" for k in range(n)], m)


@pytest.fixture(scope="module")
def run():
    studies = [_study("A", 9, 0), _study("B", 11, 1), _study("Gap", 8, 2, missing=True)]
    cfg = UncertaintyConfig(n_bootstrap=10, n_permutations=99, n_null_fits=0, seed=3)
    settings = TimbreSettings(loso=False, regularised=False, uncertainty=cfg, workers=1)
    results, timings = run_studies(studies, settings, quiet=True)
    payload = build_payload(results, settings, {"id": "toy"}, {"command": "test"})
    return studies, results, timings, payload


def test_stored_scores_are_the_package_scores_of_the_cosine_distances(run):
    studies, _, timings, payload = run
    block = payload["timbremetrics"]["cosine"]
    for st in studies[:2]:
        n = st.n_sounds
        ratings = np.zeros((n, n))
        ratings[np.triu_indices(n, 1)] = st.ratings
        want = timbremetrics_scores(raw_distances(st.features, "cosine"), ratings, n_permutations=99,
                                    seed=study_seed(3, st.name, "timbremetrics"))
        for key, value in want.items():
            assert block[key][st.name] == pytest.approx(value, nan_ok=True), key
    assert "timbremetrics" in timings
    # the package's argsort "Spearman" is not the textbook rho: both are stored
    assert block["hayes_mantel_spearman_package"]["A"] != pytest.approx(block["mantel_spearman_rho"]["A"])
    assert 0 < block["mantel_spearman_rho_p"]["A"] <= 1


def test_undefined_study_gets_a_note_not_a_number(run):
    _, _, _, payload = run
    tm = payload["timbremetrics"]
    assert "Gap" not in tm["cosine"]["mantel_spearman_rho"]
    assert "every pair" in tm["notes"]["Gap"]
    med = np.median([tm["cosine"]["mantel_spearman_rho"][s] for s in ("A", "B")])
    assert tm["cosine"]["median"]["mantel_spearman_rho"] == pytest.approx(med)
    assert "mantel_spearman_rho_p" not in tm["cosine"]["median"]
    assert "textbook" in payload["timbremetrics_definition"]


def test_csv_and_report_carry_both_variants(run):
    from hear_probes.report.load import ModelResults

    _, _, _, payload = run
    rows = {r["dataset"]: r for r in csv_rows(payload)}
    assert rows["A"]["timbremetrics_mantel_spearman_rho"] == pytest.approx(
        payload["timbremetrics"]["cosine"]["mantel_spearman_rho"]["A"], abs=1e-4)
    assert rows["Gap"]["timbremetrics_mantel_spearman_rho"] == ""
    res = ModelResults(name="toy", folder=None, probes={"timbre": payload})
    for table_id in ("table-timbre-tm-triplets", "table-timbre-tm-triplets-radius",
                     "table-timbre-tm-mantel"):
        table = timbre_table([res], table_id)
        assert table is not None, table_id
        studies = [row[0].text for row in table.rows]
        assert studies == ["A", "B"], table_id
        assert table.footer[0][1].text != "—"
        assert "without interval" in table.note and "bootstrap over sounds" not in table.note
