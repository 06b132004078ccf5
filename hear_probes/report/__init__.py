"""Reports: one self-contained HTML page (and a Markdown twin) from probe result folders."""

from hear_probes.report.build import collect_results, write_report

__all__ = ["collect_results", "write_report"]
