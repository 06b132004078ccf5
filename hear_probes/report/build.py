"""Assemble the report: summary cards, one section per registered probe, layers, provenance."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from hear_probes import __version__
from hear_probes.probes.registry import Probe, probes
from hear_probes.provenance import atomic_write_text
from hear_probes.report.load import ModelResults, collect_results
from hear_probes.report.render import (
    CSS,
    esc,
    image_html,
    md_code,
    md_text,
    relative_href,
    table_html,
    table_markdown,
)


def _cards(results: list[ModelResults]) -> tuple[str, str]:
    html_parts, md = [], ["## Summary", ""]
    for r in results:
        nums = summary_numbers(r)
        dl = "".join(f'<dt title="{esc(why)}">{esc(label)}</dt><dd>{esc(v)}</dd>' for label, v, why in nums)
        html_parts.append(f'<div class="card"><h3>{esc(r.name)}</h3><dl>{dl}</dl></div>')
        md.append(f"- **{md_text(r.name)}**: " + ", ".join(f"{md_text(label)} {md_text(v)}" for label, v, _ in nums))
    legend = "; ".join(p.report.card_note for p in probes().values() if p.report.card_note)
    note = f'<p class="note">{esc(legend)}.</p>' if legend else ""
    return '<div class="cards">' + "".join(html_parts) + "</div>" + note, "\n".join(md) + "\n"


def summary_numbers(res: ModelResults) -> list[tuple[str, str, str]]:
    """(label, value, explanation) triples for a model's summary card, probe after probe."""
    return [t for probe in probes().values() for t in probe.report.summary(res)]


def _figures(results: list[ModelResults], probe: str, images: str) -> str:
    out = []
    for r in results:
        for png in r.figures.get(probe, []):
            out.append(image_html(png, f"{r.name}: {png.name}", images))
    return "".join(out)


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
            md.append(f"- {md_text(r.name)} / {md_text(probe)}: {md_code(prov.get('command', '?'))}, "
                      f"seed {md_text(prov.get('seed'))}, {md_text(timings or 'no timings')}; "
                      f"weights: {md_text(weights)}; {md_text(versions)}")
    head = "".join(f"<th>{h}</th>" for h in ("model", "probe", "command", "seed", "timings", "weights", "created", "versions"))
    # long commands and version lists wrap inside their cells; the box scrolls, not the page
    html_table = (f'<div class="scroll"><table id="table-provenance"><thead><tr>{head}</tr></thead>'
                  f'<tbody>{"".join(rows)}</tbody></table></div>')
    return html_table, "\n".join(md) + "\n"


def _missing_text(results: list[ModelResults], probe: Probe, headline: str) -> str:
    """Why a section is empty (``headline``, e.g. "No timbre results given.") and what to run."""
    sec = probe.report
    what, cmd = sec.missing or probe.filename, sec.command or f"hear-probes probe {probe.name} --out FOLDER"
    folders = ", ".join(str(r.folder) for r in results) or "none"
    return (f"{headline.rstrip('.')}: none of the result folders "
            f"({folders}) holds {what}.{sec.missing_note} Run '{cmd}' (or 'hear-probes evaluate') "
            "and pass FOLDER to 'hear-probes report'.")


def _section(results: list[ModelResults], probe: Probe, images: str,
             output: Path | None) -> tuple[str, str]:
    """HTML and Markdown of one probe's section: tables, extra HTML, figures."""
    title = probe.title
    present = [t for t in probe.report.tables(results) if t is not None]
    empty = _missing_text(results, probe, f"No {probe.label} results given.")
    extra_html, extra_md = probe.report.extra(results, images, output)
    body = "".join(table_html(t) for t in present) + extra_html + _figures(results, probe.name, images)
    html = f'<section id="{probe.name}"><h2>{esc(title)}</h2>{body or f"<p>{esc(empty)}</p>"}</section>'
    md_body = "\n".join(table_markdown(t) for t in present) + (("\n" + extra_md) if extra_md else "")
    return html, f"## {title}\n\n" + (md_body.lstrip("\n") or f"{empty}\n")


def _nav(sections: list[tuple[str, str]]) -> str:
    return "<nav>" + " · ".join(f'<a href="#{esc(i)}">{esc(t)}</a>' for i, t in sections) + "</nav>"


def _probe_sections(results: list[ModelResults], images: str,
                    output: Path | None) -> tuple[list[str], list[str]]:
    html, md = [], []
    for probe in probes().values():
        h, m = _section(results, probe, images, output)
        html.append(h)
        md.append(m)
    return html, md


def build_report(results: list[ModelResults], images: str = "compact",
                 output: Path | None = None, pages: dict[str, Path] | None = None,
                 back: Path | None = None) -> tuple[str, str]:
    """HTML page and Markdown twin for a list of loaded result folders.

    With the results of two or more models the page opens with the leaderboard
    (:mod:`hear_probes.report.leaderboard`) and the score-against-depth figures
    (:mod:`hear_probes.report.depth`); the layer folders of a model are then left out of the
    probe tables, cards and provenance, which its own page (``pages``) holds.

    Parameters
    ----------
    results : list of ModelResults
        Loaded result folders (:func:`hear_probes.report.load.collect_results`).
    images : {"compact", "full"}
        How figures are embedded (:func:`hear_probes.report.render.png_bytes`).
    output : Path, optional
        Where the page will be written (links to other files are made relative to it).
    pages : dict, optional
        Model name -> its page (HTML path; the Markdown twin has the suffix ``.md``).
    back : Path, optional
        The main report, linked from the top of a model page.
    """
    from hear_probes.report.leaderboard import group_models, split_model_id

    rows = group_models(results)
    many = len(rows) > 1
    shown = [r for r in results if split_model_id(str(r.model.get("model_id") or r.name))[1] is None] \
        if many else results
    nav: list[tuple[str, str]] = []
    head_html, head_md = "", ""
    if many:
        from hear_probes.report.zoo import zoo_sections

        head_html, head_md = zoo_sections(rows, images, output, pages or {})
        nav += [("leaderboard", "Leaderboard")] + ([("layers", "Layers")] if 'id="layers"' in head_html else [])
    sections_html, sections_md = [], []
    if shown:
        cards_html, cards_md = _cards(shown)
        sections_html.append(f'<section id="summary"><h2>Summary</h2>{cards_html}</section>')
        sections_md.append(cards_md)
        nav.append(("summary", "Summary"))
        h, m = _probe_sections(shown, images, output)
        sections_html += h
        sections_md += m
        nav += [(p.name, p.label[:1].upper() + p.label[1:]) for p in probes().values()]
    if not many:
        from hear_probes.report.layers import layer_section

        layers_html, layers_md = layer_section(results, images)  # "" unless --layers results
        if layers_html:
            sections_html.append(layers_html)
            sections_md.append(layers_md)
            nav.append(("layers", "Layers"))
    from hear_probes.report.paired import paired_section

    paired_html, paired_md = paired_section(results)  # "" unless 2+ folders with pair files
    if paired_html:
        sections_html.append(paired_html)
        sections_md.append(paired_md)
        nav.append(("paired", "Paired comparisons"))
    prov_html, prov_md = _provenance(shown)
    if many and len(shown) < len(results):
        prov_html += '<p class="note">The layer folders\' provenance is on each model\'s page.</p>'
        prov_md += "\nThe layer folders' provenance is on each model's page.\n"
    nav.append(("provenance", "Provenance"))
    created = datetime.now(UTC).isoformat(timespec="seconds")
    names = ", ".join(r.name for r in rows) if many else ", ".join(r.name for r in results)
    back_html = back_md = ""
    heading = "hear-probes report"
    if back is not None:
        heading = f"hear-probes report: {rows[0].name}" if len(rows) == 1 else heading
        href = relative_href(back, output)
        back_html = f'<p><a id="back" href="{esc(href)}">Back to the main report</a></p>'
        back_md = f"[Back to the main report]({relative_href(back.with_suffix('.md'), output)})\n\n"
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>hear-probes report: {esc(names)}</title>"
            f"<style>{CSS}</style></head><body><h1>{esc(heading)}</h1>{back_html}"
            f'<p class="note">Models: {esc(names)}. Built {esc(created)} by hear-probes {esc(__version__)}.</p>'
            + _nav(nav) + head_html + "".join(sections_html)
            + f'<section id="provenance"><h2>Provenance</h2>{prov_html}</section></body></html>\n')
    md = (f"# {md_text(heading)}\n\n{back_md}Models: {md_text(names)}. Built {created} by hear-probes {__version__}.\n\n"
          + head_md + "\n".join(sections_md) + "\n" + prov_md)
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
    from hear_probes.report.zoo import write_model_pages

    pages = write_model_pages(results, output, images)  # {} unless two or more models
    page, md = build_report(results, images, output=output, pages=pages)
    atomic_write_text(output, page)
    atomic_write_text(output.with_suffix(".md"), md)
    return output
