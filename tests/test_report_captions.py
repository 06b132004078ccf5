"""Report captions say what the numbers under them are (issue 21, defect 4; the GEAR
|log ratio| column is tested in tests/test_gear_seeds.py)."""

from __future__ import annotations

from hear_probes.probes.timbre.tables import TIMBRE_TABLES


def test_regularised_note_describes_the_kernel_ridge_not_a_non_negative_ridge():
    note = {key: caption for key, _, _, caption in TIMBRE_TABLES}["table-timbre-regularised"]
    assert "Non-negative ridge" not in note
    assert "kernel ridge" in note.lower() and "shrunk toward the prior distance" in note
