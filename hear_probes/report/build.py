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
    for probe in probes().values():
        html, md = _section(results, probe, images, output)
        sections_html.append(html)
        sections_md.append(md)
    from hear_probes.report.layers import layer_section

    layers_html, layers_md = layer_section(results, images)  # "" unless --layers results
    if layers_html:
        sections_html.append(layers_html)
        sections_md.append(layers_md)
    from hear_probes.report.paired import paired_section

    paired_html, paired_md = paired_section(results)  # "" unless 2+ folders with pair files
    if paired_html:
        sections_html.append(paired_html)
        sections_md.append(paired_md)
    prov_html, prov_md = _provenance(results)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    names = ", ".join(r.name for r in results)
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>hear-probes report: {esc(names)}</title>"
            f"<style>{CSS}</style></head><body><h1>hear-probes report</h1>"
            f'<p class="note">Models: {esc(names)}. Built {esc(created)} by hear-probes {esc(__version__)}.</p>'
            '<nav><a href="#summary">Summary</a> · '
            + "".join(f'<a href="#{p.name}">{esc(p.label[:1].upper() + p.label[1:])}</a> · ' for p in probes().values())
            + ('<a href="#layers">Layers</a> · ' if layers_html else "")
            + ('<a href="#paired">Paired comparisons</a> · ' if paired_html else "")
            + '<a href="#provenance">Provenance</a></nav>'
            f'<section id="summary"><h2>Summary</h2>{cards_html}</section>'
            + "".join(sections_html)
            + f'<section id="provenance"><h2>Provenance</h2>{prov_html}</section></body></html>\n')
    md = (f"# hear-probes report\n\nModels: {md_text(names)}. Built {created} by hear-probes {__version__}.\n\n"
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
