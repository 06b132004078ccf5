"""Which timbre studies are not independent of each other (they share sounds).

Cross-study tests (a Wilcoxon signed-rank over studies, a median over studies with its
interval) assume independent units. Some studies rate the same recordings: byte-identical
sound files (sha256 of the files in ``../shared/data/timbre`` and ``timbre-extra``), or
views cut from the same recordings. Each such family counts as one unit (its studies'
scores are averaged first):

- ``Grey``: Grey1977 and Grey1978 share 8 byte-identical sounds;
- ``Iverson1993``: the whole tones, their onsets and their remainders are three views of the
  same 16 recordings;
- ``Lakatos2000``: the combined set holds the harmonic and the percussive sets' sounds;
- ``Siedenburg2016/Saitis2020``: the three e2 sets, e3 and Saitis2020's brightness set share
  7 sounds pairwise (e2set1-Saitis2020, e2set2-e2set3-e3, e2set1-e2set3-e3-Saitis2020);
- ``Zacharakis2014``: English and Greek listeners rated the same 24 sounds.

Every other study is a group of its own. ``tests/test_timbre_groups.py`` checks, on the
shared data when present, that no two studies of different groups share a sound file.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Study families that share sounds (see the module docstring for the evidence).
SHARED_SOUND_GROUPS: dict[str, tuple[str, ...]] = {
    "Grey": ("Grey1977", "Grey1978"),
    "Iverson1993": ("Iverson1993_Whole", "Iverson1993_Onset", "Iverson1993_Remainder"),
    "Lakatos2000": ("Lakatos2000_Harm", "Lakatos2000_Perc", "Lakatos2000_Comb"),
    "Siedenburg2016/Saitis2020": (
        "Siedenburg2016_e2set1", "Siedenburg2016_e2set2", "Siedenburg2016_e2set3",
        "Siedenburg2016_e3", "Saitis2020_e2set1_brightness",
    ),
    "Zacharakis2014": ("Zacharakis2014_english", "Zacharakis2014_greek"),
}

_GROUP_OF = {study: group for group, studies in SHARED_SOUND_GROUPS.items() for study in studies}


def study_group(study: str) -> str:
    """Independent unit of ``study``: its shared-sound family, or the study itself."""
    return _GROUP_OF.get(study, study)


def group_studies(studies: Iterable[str]) -> dict[str, list[str]]:
    """``{group: [studies]}`` of ``studies``, groups in order of first appearance."""
    out: dict[str, list[str]] = {}
    for s in studies:
        out.setdefault(study_group(s), []).append(s)
    return out
