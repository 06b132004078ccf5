"""Report captions say what the numbers under them are (issue 21, defect 4)."""

from __future__ import annotations

from pathlib import Path

from hear_probes.probes.gear.tables import gear_table
from hear_probes.probes.timbre.tables import TIMBRE_TABLES
from hear_probes.report.load import ModelResults


def test_gear_log_ratio_column_is_named_for_the_mean_it_prints():
    factors = {"f1": {"knn_log_ratio": {"median": 0.0, "mean_abs": 0.25}}}
    res = ModelResults("m", Path("."), probes={"gear": {"factors": factors}})
    table = gear_table([res])
    col = table.header.index("mean |log ratio|")
    assert table.rows[0][col].text == "0.250"
    assert "median |log ratio|" not in table.header


def test_regularised_note_describes_the_kernel_ridge_not_a_non_negative_ridge():
    note = {key: caption for key, _, _, caption in TIMBRE_TABLES}["table-timbre-regularised"]
    assert "Non-negative ridge" not in note
    assert "Kernel ridge" in note and "Euclidean" in note
