"""Assemble the report: summary cards, the three probe sections, provenance."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from hear_probes import __version__
from hear_probes.provenance import atomic_write_text
from hear_probes.report.load import ModelResults, collect_results
from hear_probes.report.render import CSS, esc, image_html, table_html, table_markdown
from hear_probes.report.tables import (
    gear_table,
    ranking_table,
    robustness_table,
    summary_numbers,
    timbre_tables,
)


def _cards(results: list[ModelResults]) -> tuple[str, str]:
    html_parts, md = [], ["## Summary", ""]
    for r in results:
        nums = summary_numbers(r)
        dl = "".join(f'<dt title="{esc(why)}">{esc(label)}</dt><dd>{esc(v)}</dd>' for label, v, why in nums)
        html_parts.append(f'<div class="card"><h3>{esc(r.name)}</h3><dl>{dl}</dl></div>')
        md.append(f"- **{r.name}**: " + ", ".join(f"{label} {v}" for label, v, _ in nums))
    note = ('<p class="note">pitch/level: ranking accuracy at the fine scale (0.5 = chance); '
            "f1/alpha/r: GEAR kNN R² (1 = fully recoverable); timbre: median explained variance, nothing fitted (unlearned), learned and held out, and "
            "learned in-sample (an upper bound, not a score).</p>")
    return '<div class="cards">' + "".join(html_parts) + "</div>" + note, "\n".join(md) + "\n"


def _figures(results: list[ModelResults], probe: str, images: str) -> str:
    out = []
    for r in results:
        for png in r.figures.get(probe, []):
            out.append(image_html(png, f"{r.name}: {png.name}", images))
    return "".join(out)


def _robustness_heatmap(results: list[ModelResults], images: str) -> str:
    """Studies x representations dB heatmap (Fig. 1b) when two or more results have a sweep."""
    swept = {r.name: r.probes["timbre"] for r in results
             if r.probes.get("timbre", {}).get("robustness")}
    if len(swept) < 2:
        return ""
    import tempfile

    from hear_probes.probes.timbre.figures import plot_relative_db_heatmap

    with tempfile.TemporaryDirectory() as tmp:
        png = plot_relative_db_heatmap(swept, Path(tmp) / "timbre_relative_db.png")
        return image_html(png, "relative robustness (dB) across representations, Fig. 1b layout",
                          images)


def _provenance(results: list[ModelResults]) -> tuple[str, str]:
    rows, md = [], ["## Provenance", ""]
    for r in results:
        model = r.model
        for probe, payload in r.probes.items():
            prov = payload.get("provenance", {})
            weights = model.get("weights_id") or model.get("embeddings_file") or "none (weight-free)"
            timings = ", ".join(f"{k} {v:.1f} s" for k, v in (prov.get("timings_s") or {}).items()
                                if isinstance(v, (int, float)))
            versions = ", ".join(f"{k} {v}" for k, v in (prov.get("versions") or {}).items())
            rows.append(f"<tr><td>{esc(r.name)}</td><td>{esc(probe)}</td><td class=\"cmd\"><code>{esc(prov.get('command', '?'))}</code></td>"
                        f"<td>{esc(prov.get('seed'))}</td><td>{esc(timings)}</td><td class=\"weights\">{esc(weights)}</td>"
                        f"<td>{esc(prov.get('created', '?'))}</td><td class=\"versions\">{esc(versions)}</td></tr>")
            md.append(f"- {r.name} / {probe}: `{prov.get('command', '?')}`, seed {prov.get('seed')}, "
                      f"{timings or 'no timings'}; weights: {weights}; {versions}")
    head = "".join(f"<th>{h}</th>" for h in ("model", "probe", "command", "seed", "timings", "weights", "created", "versions"))
    # long commands and version lists wrap inside their cells; the box scrolls, not the page
    html_table = (f'<div class="scroll"><table id="table-provenance"><thead><tr>{head}</tr></thead>'
                  f'<tbody>{"".join(rows)}</tbody></table></div>')
    return html_table, "\n".join(md) + "\n"


#: What each probe's section says when no result folder has that probe's file.
_MISSING = {
    "ranking": ("ranking.json", "hear-probes probe ranking --model NAME --out FOLDER", ""),
    "gear": ("gear.json", "hear-probes probe gear --model NAME --out FOLDER", ""),
    "timbre": ("timbre.json with per-study results",
               "hear-probes probe timbre --model NAME --data DIR --out FOLDER",
               " The timbre probe needs the 17 rating datasets ('hear-probes datasets fetch "
               "timbre', or --data DIR); 'hear-probes evaluate' skips it when they are missing."),
}


def _missing_text(results: list[ModelResults], probe: str, headline: str) -> str:
    """Why a section is empty (``headline``, e.g. "No timbre results given.") and what to run."""
    what, cmd, extra = _MISSING[probe]
    folders = ", ".join(str(r.folder) for r in results) or "none"
    return (f"{headline.rstrip('.')}: none of the result folders "
            f"({folders}) holds {what}.{extra} Run '{cmd}' (or 'hear-probes evaluate') and pass "
            "FOLDER to 'hear-probes report'.")


def _interactive_links(results: list[ModelResults], output: Path | None) -> tuple[str, str]:
    """Links to the interactive 3-D Isomap views (``gear_isomap.html``, too big to embed)."""
    html_items, md_items = [], []
    for r in results:
        page = r.folder / "gear_isomap.html"
        if not page.is_file():
            continue
        href = (os.path.relpath(page.resolve(), output.resolve().parent) if output is not None
                else str(page))
        href = Path(href).as_posix()
        size = page.stat().st_size / 1e6
        html_items.append(f'<li><a href="{esc(href)}">{esc(r.name)}: interactive 3-D Isomap '
                          f"(gear_isomap.html, {size:.1f} MB)</a></li>")
        md_items.append(f"- [{r.name}: interactive 3-D Isomap (gear_isomap.html, {size:.1f} MB)]({href})")
    if not html_items:
        return "", ""
    note = ('<p class="note">Interactive views (separate files next to the results; they open in '
            "the browser and need the result folder alongside this report):</p>")
    return note + "<ul>" + "".join(html_items) + "</ul>", "\n".join(md_items) + "\n"


def build_report(results: list[ModelResults], images: str = "compact",
                 output: Path | None = None) -> tuple[str, str]:
    """HTML page and Markdown twin for a list of loaded result folders.

    Parameters
    ----------
    results : list of ModelResults
        Loaded result folders (:func:`hear_probes.report.load.collect_results`).
    images : {"compact", "full"}
        How figures are embedded (:func:`hear_probes.report.render.png_bytes`).
    output : Path, optional
        Where the page will be written (links to other files are made relative to it).
    """
    cards_html, cards_md = _cards(results)
    sections_html, sections_md = [], []

    def section(title: str, anchor: str, tables, probe: str, empty: str, extra: str = "") -> None:
        present = [t for t in tables if t is not None]
        empty = _missing_text(results, probe, empty)
        extra_md = ""
        if probe == "gear":  # the interactive views are separate files: link them
            links_html, extra_md = _interactive_links(results, output)
            extra += links_html
        body = "".join(table_html(t) for t in present) + extra + _figures(results, probe, images)
        sections_html.append(f'<section id="{anchor}"><h2>{esc(title)}</h2>{body or f"<p>{esc(empty)}</p>"}</section>')
        md_body = "\n".join(table_markdown(t) for t in present) + (("\n" + extra_md) if extra_md else "")
        sections_md.append(f"## {title}\n\n" + (md_body.lstrip("\n") or f"{empty}\n"))

    section("Pitch and level ranking", "ranking", [ranking_table(results)], "ranking", "No ranking results given.")
    section("GEAR", "gear", [gear_table(results)], "gear", "No GEAR results given.")
    section("Timbre", "timbre", [*timbre_tables(results), robustness_table(results)], "timbre", "No timbre results given.",
            _robustness_heatmap(results, images))
    from hear_probes.report.layers import layer_section

    layers_html, layers_md = layer_section(results, images)  # "" unless --layers results
    if layers_html:
        sections_html.append(layers_html)
        sections_md.append(layers_md)
    prov_html, prov_md = _provenance(results)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    names = ", ".join(r.name for r in results)
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>hear-probes report: {esc(names)}</title>"
            f"<style>{CSS}</style></head><body><h1>hear-probes report</h1>"
            f'<p class="note">Models: {esc(names)}. Built {esc(created)} by hear-probes {esc(__version__)}.</p>'
            f'<nav><a href="#summary">Summary</a> · <a href="#ranking">Ranking</a> · <a href="#gear">GEAR</a> · '
            f'<a href="#timbre">Timbre</a> · ' + ('<a href="#layers">Layers</a> · ' if layers_html else "")
            + '<a href="#provenance">Provenance</a></nav>'
            f'<section id="summary"><h2>Summary</h2>{cards_html}</section>'
            + "".join(sections_html)
            + f'<section id="provenance"><h2>Provenance</h2>{prov_html}</section></body></html>\n')
    md = (f"# hear-probes report\n\nModels: {names}. Built {created} by hear-probes {__version__}.\n\n"
          + cards_md + "\n" + "\n".join(sections_md) + "\n" + prov_md)
    return page, md


def write_report(result_dirs, output: str | os.PathLike = "report.html",
                 images: str = "compact") -> Path:
    """Write ``output`` (HTML, self-contained) and its Markdown twin (``.md``).

    Parameters
    ----------
    result_dirs : sequence of path-like
        Folders written by the probes (``ranking.json``, ``gear.json``, ``timbre.json``, PNGs).
    output : path-like
        The HTML file.
    images : {"compact", "full"}
        ``compact`` (default) embeds figures at most 1400 px wide with a 256-colour palette
        (about 3x smaller); ``full`` embeds the PNG files unchanged.

    Returns
    -------
    Path
        The HTML file written.
    """
    results = collect_results(result_dirs)
    output = Path(output)
    page, md = build_report(results, images, output=output)
    atomic_write_text(output, page)
    atomic_write_text(output.with_suffix(".md"), md)
    return output
