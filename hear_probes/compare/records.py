"""The records of a comparison: one :class:`PairedTest` per tested difference.

Every probe's comparison yields the same record, so that Holm's correction, the JSON, the CSV
and the tables treat them alike. A difference is always ``B - A``: the second model of the
pair minus the first (the baseline with ``--baseline``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Comparison", "ModelEntry", "PairedTest", "Skipped"]


@dataclass
class PairedTest:
    """One paired test of a difference between two models.

    Attributes
    ----------
    probe : str
        ``"timbre"``, ``"ranking"`` or ``"gear"``.
    level : str
        ``"study"`` (one timbre study), ``"across studies"``, ``"trials"`` (ranking) or
        ``"seeds"`` (GEAR).
    a, b : str
        Names of the two models; ``difference = score_b - score_a``.
    metric : str
        The score compared (e.g. ``"euclidean_ev"``).
    unit : str
        What was compared: a study, ``"all studies"``, a ranking column, a GEAR factor.
    score_a, score_b, difference : float
        The two scores and their difference (for ``"across studies"``: medians over groups).
    difference_ci : list of float
        ``[low, high]`` interval of the difference.
    p : float
        Raw two-sided p-value.
    test : str
        The test and the interval's method, in words.
    family : str
        The family of Holm's correction this test belongs to.
    n : int
        Sample size of the test: sounds, groups, decided trials or seeds.
    p_holm : float
        Holm-adjusted p-value within ``family`` (set by :func:`hear_probes.compare.run.apply_holm`).
    significant : bool
        ``p_holm < alpha``.
    details : dict
        Test-specific numbers (Wilcoxon statistic, per-group differences, counts...).
    """

    probe: str
    level: str
    a: str
    b: str
    metric: str
    unit: str
    score_a: float
    score_b: float
    difference: float
    difference_ci: list[float]
    p: float
    test: str
    family: str
    n: int
    p_holm: float = math.nan
    significant: bool = False
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """All fields as a JSON-ready dict."""
        return asdict(self)


@dataclass
class Skipped:
    """A comparison that could not be made, and why (one line)."""

    probe: str
    a: str
    b: str
    reason: str


@dataclass
class ModelEntry:
    """A compared result folder."""

    name: str
    folder: Path
    model_id: str = ""


@dataclass
class Comparison:
    """Everything ``hear-probes compare`` computed.

    Attributes
    ----------
    models : list of ModelEntry
    pairs : list of (str, str)
        Compared pairs ``(a, b)`` by name.
    tests : list of PairedTest
    skipped : list of Skipped
    settings : dict
        :meth:`hear_probes.compare.settings.CompareSettings.as_dict`.
    notes : list of str
        Caveats worth printing (e.g. too few resamples for any significance after Holm).
    provenance : dict
    """

    models: list[ModelEntry]
    pairs: list[tuple[str, str]]
    tests: list[PairedTest] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)

    def to_pandas(self):
        """Every test as one row of a pandas DataFrame (the fields of :class:`PairedTest`,
        ``difference_ci`` split into ``ci_low`` and ``ci_high``; ``details`` left out)."""
        import pandas as pd

        rows = []
        for t in self.tests:
            row = {k: v for k, v in t.as_dict().items() if k not in ("details", "difference_ci")}
            ci = t.difference_ci if t.difference_ci is not None else [None, None]
            row["ci_low"], row["ci_high"] = ci[0], ci[1]
            rows.append(row)
        columns = [f for f in PairedTest.__dataclass_fields__ if f not in ("details", "difference_ci")]
        df = pd.DataFrame(rows, columns=[*columns, "ci_low", "ci_high"])
        for col in ("score_a", "score_b", "difference", "p", "p_holm", "ci_low", "ci_high"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        return df

    def select(self, probe: str | None = None, level: str | None = None,
               pair: tuple[str, str] | None = None) -> list[PairedTest]:
        """The tests of one probe / level / pair (``None``: any)."""
        return [t for t in self.tests
                if (probe is None or t.probe == probe) and (level is None or t.level == level)
                and (pair is None or (t.a, t.b) == tuple(pair))]
