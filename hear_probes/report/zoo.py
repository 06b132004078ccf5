"""The report of many models: leaderboard, depth figures, one page per layered model.

:func:`write_model_pages` writes ``<report>-<model>.html`` (and ``.md``) next to the main
report for every model whose results include layer folders: that page is the single-model
report of the model's folders (cards, per-layer tables, layer curves, provenance).
:func:`zoo_sections` gives the main report's opening sections: the leaderboard and, when
some model has layers, the score-against-relative-depth figures and the list of model pages.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hear_probes.provenance import atomic_write_text
from hear_probes.report.depth import depth_caption, plot_depth
from hear_probes.report.leaderboard import (
    ModelRow,
    group_models,
    leaderboard_html,
    leaderboard_markdown,
)
from hear_probes.report.load import ModelResults
from hear_probes.report.render import esc, image_html, md_text, relative_href


def page_slug(name: str) -> str:
    """A file-name-safe form of a model name (letters, digits, ``.``, ``_``, ``-``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "model"


def model_page_paths(rows: list[ModelRow], output: Path) -> dict[str, Path]:
    """Model -> ``<output stem>-<slug>.html`` next to ``output``, for every layered model.

    Two names that give the same slug are told apart by a numeric suffix.
    """
    out: dict[str, Path] = {}
    used: set[str] = set()
    for row in rows:
        if not row.layered:
            continue
        slug, k = page_slug(row.name), 1
        while slug in used:
            k += 1
            slug = f"{page_slug(row.name)}-{k}"
        used.add(slug)
        out[row.name] = output.parent / f"{output.stem}-{slug}{output.suffix or '.html'}"
    return out


def write_model_pages(results: list[ModelResults], output: str | Path,
                      images: str = "compact") -> dict[str, Path]:
    """Write one page (HTML and Markdown) per layered model when there are two or more models.

    Returns
    -------
    dict
        Model name -> its HTML page ({} for the results of a single model).
    """
    from hear_probes.report.build import build_report

    output = Path(output)
    rows = group_models(results)
    if len(rows) < 2:
        return {}
    pages = model_page_paths(rows, output)
    for row in rows:
        if row.name not in pages:
            continue
        path = pages[row.name]
        page, md = build_report(row.results, images, output=path, back=output)
        atomic_write_text(path, page)
        atomic_write_text(path.with_suffix(".md"), md)
    return pages


def _depth_figures(rows: list[ModelRow], images: str, output: Path | None) -> tuple[str, str]:
    html, md = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for probe in ("timbre", "gear", "ranking"):
            # next to the report, so that its Markdown twin can show them; else a temporary file
            folder = output.parent if output is not None else Path(tmp)
            stem = output.stem if output is not None else "report"
            png = plot_depth(rows, probe, folder / f"{stem}_depth_{probe}.png")
            if png is None:
                continue
            caption = depth_caption(probe)
            html.append(image_html(png, caption, images))
            if output is not None:
                md.append(f"![{md_text(caption)}]({relative_href(png, output)})\n\n"
                          f"_{md_text(caption)}_\n")
    return "".join(html), "\n".join(md)


def zoo_sections(rows: list[ModelRow], images: str, output: Path | None,
                 pages: dict[str, Path]) -> tuple[str, str]:
    """HTML and Markdown of the leaderboard and the layers overview (depth figures, model pages)."""
    href = {m: relative_href(p, output) for m, p in pages.items()}
    href_md = {m: relative_href(p.with_suffix(".md"), output) for m, p in pages.items()}
    html = ('<section id="leaderboard"><h2>Leaderboard</h2>' + leaderboard_html(rows, href) + "</section>")
    md = "## Leaderboard\n\n" + leaderboard_markdown(rows, href_md) + "\n"
    figs_html, figs_md = _depth_figures(rows, images, output)
    if figs_html or pages:
        items = "".join(f'<li><a href="{esc(href[m])}">{esc(m)}</a>: per-layer tables, layer curves '
                        "and provenance</li>" for m in pages)
        html += ('<section id="layers"><h2>Layers</h2>' + figs_html
                 + (f'<h3>Model pages</h3><ul id="model-pages">{items}</ul>' if items else "") + "</section>")
        links = "".join(f"- [{md_text(m)}]({href_md[m]}): per-layer tables, layer curves and provenance\n"
                        for m in pages)
        md += "## Layers\n\n" + figs_md + ("\n### Model pages\n\n" + links if links else "") + "\n"
    return html, md
