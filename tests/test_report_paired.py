"""The report's "Paired comparisons" section (hear_probes/report/paired.py)."""

from __future__ import annotations

from compare_fixtures import write_model
from report_fixtures import write_fixture_results

from hear_probes.report import write_report
from hear_probes.report.load import collect_results
from hear_probes.report.paired import paired_section


def test_section_appears_with_two_pair_files_and_bolds_only_significant(tmp_path):
    folders = write_fixture_results(tmp_path)  # stft, logmel result JSONs
    write_model(folders[0], "stft", 0.3, 1)
    write_model(folders[1], "logmel", 0.9, 2)
    out = write_report(folders, tmp_path / "report.html")
    html = out.read_text()
    md = out.with_suffix(".md").read_text()
    assert 'id="paired"' in html and 'id="table-paired-timbre"' in html
    assert "## Paired comparisons" in md and "logmel - stft" in md
    assert "Wilcoxon" in md and "11 / 0 of 11" in md  # every group favours logmel
    rows = [line for line in md.splitlines() if line.startswith("| logmel - stft")]
    assert len(rows) == 6 and all("**" in r for r in rows)  # all 6 scores significant here
    assert "#paired" in html  # linked from the navigation
    # the fixtures' ranking.json has no per-trial outcomes: said, and no empty table
    assert "per-trial outcomes not stored" in md and 'id="table-paired-other"' not in html


def test_section_absent_with_one_pair_file_and_explains_unpairable_folders(tmp_path):
    folders = write_fixture_results(tmp_path)
    write_model(folders[0], "stft", 0.3, 1)
    assert paired_section(collect_results(folders)) == ("", "")
    write_model(folders[1], "logmel", 0.9, 2, studies={"Grey1977": 16})
    html, md = paired_section(collect_results(folders))
    assert "Paired comparisons not computed" in md and "different timbre studies" in md


def test_identical_models_have_nothing_bold(tmp_path):
    folders = write_fixture_results(tmp_path)
    for f in folders:
        write_model(f, "same", 0.5, 1)
    _, md = paired_section(collect_results(folders))
    rows = [line for line in md.splitlines() if line.startswith("| logmel - stft")]
    assert len(rows) == 6 and not any("**" in r for r in rows)


def test_layer_folders_are_left_out(tmp_path):
    import json

    folders = write_fixture_results(tmp_path, names=("crepe@layer-1", "crepe@layer-2"))
    for k, f in enumerate(folders):
        write_model(f, f.name, 0.3 * (k + 1), k)
        for probe in ("ranking", "gear", "timbre"):
            payload = json.loads((f / f"{probe}.json").read_text())
            assert payload["model"]["model_id"] == f.name
    assert paired_section(collect_results(folders)) == ("", "")
