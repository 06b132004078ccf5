"""The tidy results table: rows of each probe's payload, numbers numeric, n/a with its reason."""

from __future__ import annotations

import csv
import json

import pytest

from hear_probes.probes.gear.tidy import rows as gear_rows
from hear_probes.probes.ranking.tidy import rows as ranking_rows
from hear_probes.probes.timbre.tidy import MEDIAN
from hear_probes.probes.timbre.tidy import rows as timbre_rows
from hear_probes.tidy import COLUMNS, model_and_layer, score_row, write_results_table

EPS = {"pitch": {"fine": 30.0, "coarse": 600.0, "unit": "cents"},
       "level": {"fine": 2.0, "coarse": 10.0, "unit": "dB"}}


def test_score_row_numbers_and_reasons():
    r = score_row("s", "m", "n/a", ci=[None, None], na_reason=None)
    assert r["value"] is None and r["na_reason"] == "n/a" and r["ci_low"] is None
    r = score_row("s", "m", float("nan"), na_reason="all trials tie")
    assert r["value"] is None and r["na_reason"] == "all trials tie"
    r = score_row("s", "m", 0.5, ci=[0.4, 0.6], chance=0.5, p=0.01, n=10.0)
    assert (r["value"], r["ci_low"], r["ci_high"], r["n"], r["na_reason"]) == (0.5, 0.4, 0.6, 10, None)
    assert score_row("s", "m", True)["value"] is None  # a flag is no score


def test_model_and_layer():
    from pathlib import Path

    assert model_and_layer({"model": {"model_id": "mert@layer-4"}}) == ("mert", 4)
    assert model_and_layer({}, Path("out/crepe/layer-2")) == ("crepe", 2)
    assert model_and_layer({"model": {"model_id": "stft"}}, Path("x")) == ("stft", None)


def test_ranking_rows_keep_na_reasons():
    rep = {"accuracy": {"pitch": {"eps": "n/a", "fine": 0.6, "coarse": 0.9},
                        "level": {"eps": "n/a", "fine": "n/a", "coarse": 0.7}},
           "accuracy_ci": {"pitch": {"eps": None, "fine": [0.5, 0.7], "coarse": [0.8, 0.95]},
                           "level": {"eps": None, "fine": None, "coarse": [0.6, 0.8]}},
           "accuracy_p": {"pitch": {"fine": 0.01}, "level": {}}, "accuracy_chance": 0.5,
           "n_decided": {"pitch": {"fine": 100}, "level": {"fine": 3}},
           "na_reason": {"pitch.eps": "no gradient", "level.fine": "only 3 decided"}}
    rows = ranking_rows({"settings": {"epsilons": EPS}, "representations": {"m": rep}})
    by = {r["study_or_condition"]: r for r in rows}
    assert list(by) == ["pitch_eps", "pitch_30c", "pitch_600c", "level_eps", "level_2dB", "level_10dB"]
    assert by["pitch_30c"]["value"] == 0.6 and by["pitch_30c"]["p"] == 0.01 and by["pitch_30c"]["n"] == 100
    assert by["level_2dB"]["value"] is None and by["level_2dB"]["na_reason"] == "only 3 decided"
    assert by["pitch_eps"]["na_reason"] == "no gradient" and by["level_eps"]["na_reason"] == "n/a"  # no reason stored


def test_gear_rows_chance_levels():
    block = {"knn_r2_k10": 0.8, "knn_r2_k10_ci": [0.7, 0.9], "knn_r2_k10_chance": -0.1,
             "knn_r2_k10_p": 0.005, "sensitivity": 0.3, "sensitivity_ci": [0.2, 0.4],
             "sensitivity_n_pairs": 500, "knn_log_ratio": {"median_abs": 0.2, "n": 390},
             "knn_log_ratio_ci": {"median_abs": [0.1, 0.3]}}
    rows = gear_rows({"n_tones": 400, "factors": {"f0": block}})
    by = {r["metric"]: r for r in rows}
    assert by["knn_r2_k10"]["chance"] == -0.1 and by["knn_r2_k10"]["n"] == 400
    assert by["sensitivity"]["chance"] == 0.0 and by["sensitivity"]["n"] == 500
    assert by["knn_log_ratio_median_abs"]["ci_high"] == 0.3 and by["knn_log_ratio_median_abs"]["n"] == 390


def test_timbre_rows_no_positive_metric_and_medians():
    payload = {
        "studies": {"A": {"n_rated_pairs": 55}, "B": {"n_rated_pairs": 66}},
        "explained_variance": {"A": 0.5, "B": None}, "median": 0.25,
        "explained_variance_ci": {"A": [0.4, 0.6], "B": None},
        "explained_variance_chance": {"A": [0.1, 0.3], "B": None},
        "no_positive_metric": ["B"],
        "regularised_loso_explained_variance": {"A": -0.02, "B": 0.1},
        "summary_subsets": {"all": {"scores": {"regularised_loso_explained_variance": {
            "median": 0.04, "median_ci": [-0.02, 0.1], "n": 2}}}},
        "unlearned": {"cosine": {"explained_variance": {"A": 0.2, "B": 0.1},
                                 "median": {"explained_variance": 0.15}}},
    }
    rows = timbre_rows(payload)
    key = {(r["study_or_condition"], r["metric"]): r for r in rows}
    assert key[("A", "explained_variance")]["chance"] == 0.1  # the median of the null
    b = key[("B", "explained_variance")]
    assert b["value"] is None and "no positive metric" in b["na_reason"]
    assert key[("A", "regularised_loso_explained_variance")]["value"] == -0.02  # signed, kept
    med = key[(MEDIAN, "regularised_loso_explained_variance")]
    assert (med["value"], med["ci_low"], med["n"]) == (0.04, -0.02, 2)
    assert key[(MEDIAN, "explained_variance")]["value"] == 0.25
    assert key[(MEDIAN, "unlearned_cosine_explained_variance")]["n"] == 2


def test_results_table_written_from_the_folders_json(tmp_path):
    payload = {"probe": "gear", "model": {"model_id": "m@layer-3"}, "n_tones": 40,
               "factors": {"f0": {"knn_r2_k10": 0.8, "knn_r2_k10_ci": [0.7, 0.9]}}}
    (tmp_path / "gear.json").write_text(json.dumps(payload))
    (tmp_path / "ranking.json").write_text("{not json")  # skipped, never blocks the table
    written = write_results_table(tmp_path)
    assert written[0].name == "results.csv"
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["model"] == "m" and rows[0]["layer"] == "3" and rows[0]["value"] == "0.8"
    assert rows[0]["chance"] == "" and rows[0]["na_reason"] == ""
    if len(written) > 1:  # pyarrow installed
        pq = pytest.importorskip("pyarrow.parquet")
        assert pq.read_table(written[1]).column("value").to_pylist() == [0.8]
