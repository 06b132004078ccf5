"""Report tables as plain data (rendered to HTML and Markdown by ``render``).

Shared by every probe's report section (``hear_probes/probes/<name>/tables.py``): the table
and cell types and small number helpers. Nothing here knows a probe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Cell:
    """One table cell: display text, optional numeric value, hover title, style flags."""

    text: str
    value: float | None = None
    title: str = ""
    css: str = ""
    bold: bool = False


@dataclass
class Table:
    """A titled table with a header row, data rows and optional footer rows."""

    id: str
    title: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    footer: list[list[Cell]] = field(default_factory=list)
    note: str = ""


def num(x) -> float | None:
    """``x`` as a finite float, else None (strings, None, NaN, infinities)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


