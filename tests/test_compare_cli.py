"""``hear-probes compare``: output, files, exit status and one-line errors."""

from __future__ import annotations

import csv
import json

import pytest
from compare_fixtures import write_model

from hear_probes.cli import main
from hear_probes.compare.output import CSV_FIELDS


@pytest.fixture(scope="module")
def pair_folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    return (write_model(root / "stft", "stft", 0.3, 1), write_model(root / "logmel", "logmel", 0.9, 2),
            write_model(root / "noise", "noise", 0.0, 3))


def test_compare_prints_which_differences_are_significant(pair_folders, tmp_path, capsys):
    stft, logmel, _ = pair_folders
    out = tmp_path / "cmp"
    assert main(["compare", str(stft), str(logmel), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "logmel - stft" in text and "Wilcoxon signed-rank over 11 groups" in text
    assert "significant after Holm:" in text
    assert "timbre euclid EV (across studies): logmel higher than stft" in text
    assert "*" in text and "\033[1m" not in text  # marked, no ANSI codes when not a terminal
    payload = json.loads((out / "compare.json").read_text())
    assert payload["pairs"] == [["stft", "logmel"]]
    assert {"command", "versions", "seed", "timings_s"} <= set(payload["provenance"])
    assert payload["settings"]["n_resamples"] == 1000 and payload["settings"]["design"] == "all pairs"
    t = payload["tests"][0]
    assert {"difference", "difference_ci", "p", "p_holm", "test", "family", "significant"} <= set(t)
    rows = list(csv.DictReader((out / "compare.csv").open()))
    assert len(rows) == len(payload["tests"]) and list(rows[0]) == list(CSV_FIELDS)
    assert all(r["test"] and r["p"] for r in rows)


def test_identical_folders_print_no_significant_difference(pair_folders, tmp_path, capsys):
    stft = pair_folders[0]
    assert main(["compare", str(stft), str(stft), "--out", str(tmp_path), "--resamples", "200"]) == 0
    text = capsys.readouterr().out
    assert "no difference is significant after Holm's correction" in text
    assert "note: with 200 resamples" in text


def test_three_folders_with_baseline(pair_folders, tmp_path, capsys):
    args = ["compare", *map(str, pair_folders), "--out", str(tmp_path), "--resamples", "200"]
    assert main([*args, "--baseline"]) == 0
    text = capsys.readouterr().out
    assert "each against the first" in text
    assert "logmel - stft" in text and "noise - stft" in text and "noise - logmel" not in text
    assert main(args) == 0
    assert "noise - logmel" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["missing", "studies", "one"])
def test_bad_inputs_are_one_line_and_exit_2(pair_folders, tmp_path, capsys, case):
    stft = pair_folders[0]
    if case == "missing":
        (tmp_path / "empty").mkdir()
        args = [str(stft), str(tmp_path / "empty")]
        expect = "timbre_pairs.h5"
    elif case == "studies":
        other = write_model(tmp_path / "few", "few", 0.5, 4, studies={"Grey1977": 16})
        args = [str(stft), str(other)]
        expect = "--studies"
    else:
        args = [str(stft)]
        expect = "at least two result folders"
    assert main(["compare", *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and expect in err and "\n" not in err
    assert not (tmp_path / "o").exists()
