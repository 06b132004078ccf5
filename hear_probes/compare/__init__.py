"""Paired comparisons of models: is model B really better than model A, and where?

The API behind ``hear-probes compare`` and the report's "Paired comparisons" section:

>>> from hear_probes.compare import CompareSettings, compare_folders, format_comparison
>>> res = compare_folders(["results/stft", "results/logmel"], CompareSettings())  # doctest: +SKIP
>>> print(format_comparison(res))                                               # doctest: +SKIP

Modules, one job each:

- :mod:`~hear_probes.compare.settings`: :class:`CompareSettings`, :func:`model_pairs`;
- :mod:`~hear_probes.compare.inputs`: read the folders, check that both models rated the same
  studies, sounds, pairs and ratings;
- :mod:`~hear_probes.compare.timbre`: per-study paired bootstrap over sounds, Wilcoxon over
  independent study groups;
- :mod:`~hear_probes.compare.ranking`: McNemar over trials (needs per-trial outcomes);
- :mod:`~hear_probes.compare.gear`: paired t over seeds (needs per-seed values);
- :mod:`~hear_probes.compare.run`: :func:`compare_folders`, Holm's correction per family;
- :mod:`~hear_probes.compare.output`: ``compare.json``, ``compare.csv``, the terminal table.

The statistics themselves (nothing probe-specific) are in :mod:`hear_probes.stats.paired`.
See ``docs/compare.md``.
"""

from hear_probes.compare.output import (
    comparison_payload,
    csv_rows,
    format_comparison,
    significant_lines,
    write_comparison,
)
from hear_probes.compare.records import Comparison, ModelEntry, PairedTest, Skipped
from hear_probes.compare.run import apply_holm, compare_folders, compare_loaded, compare_payloads
from hear_probes.compare.settings import CompareSettings, model_pairs
from hear_probes.compare.timbre import TIMBRE_METRICS, TimbreMetric, compare_timbre

__all__ = [
    "TIMBRE_METRICS",
    "CompareSettings",
    "Comparison",
    "ModelEntry",
    "PairedTest",
    "Skipped",
    "TimbreMetric",
    "apply_holm",
    "compare_folders",
    "compare_loaded",
    "compare_payloads",
    "compare_timbre",
    "comparison_payload",
    "csv_rows",
    "format_comparison",
    "model_pairs",
    "significant_lines",
    "write_comparison",
]
