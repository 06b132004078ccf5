"""Shared-sound study groups: no two studies of different groups share a sound file."""

import hashlib
from itertools import combinations
from pathlib import Path

import pytest

from hear_probes.probes.timbre.groups import SHARED_SOUND_GROUPS, group_studies, study_group

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_group_lookup():
    assert study_group("Zacharakis2014_greek") == "Zacharakis2014"
    assert study_group("Barthet2010") == "Barthet2010"
    assert list(group_studies(["Grey1977", "Barthet2010", "Grey1978"])) == ["Grey", "Barthet2010"]


def _sound_hashes(root: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for study_dir in sorted((root / "sounds").iterdir()):
        if study_dir.is_dir():
            out[study_dir.name] = {hashlib.sha256(p.read_bytes()).hexdigest()
                                   for p in study_dir.iterdir() if p.is_file()}
    return out


@pytest.mark.skipif(not (SHARED / "timbre" / "sounds").is_dir(),
                    reason="../shared/data/timbre not present")
def test_studies_of_different_groups_share_no_sound():
    hashes = _sound_hashes(SHARED / "timbre")
    if (SHARED / "timbre-extra" / "sounds").is_dir():
        hashes.update(_sound_hashes(SHARED / "timbre-extra"))
    sharing = {(a, b) for a, b in combinations(sorted(hashes), 2) if hashes[a] & hashes[b]}
    assert sharing, "expected some studies to share sounds"
    crossing = [(a, b) for a, b in sharing if study_group(a) != study_group(b)]
    assert crossing == []
    grouped = {s for studies in SHARED_SOUND_GROUPS.values() for s in studies}
    assert grouped <= set(hashes)
