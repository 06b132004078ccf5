"""Render report tables and sections to self-contained HTML and to Markdown."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from hear_probes.report.tables import Table

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{background:#f2f2f2} tfoot td{background:#fafafa;font-style:italic}
td.good{background:#cdeccd} td.mid{background:#fff1c2} td.chance{background:#e6e6e6}
td.bad{background:#f6c6c6} td.na{color:#888}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #ccc;border-radius:6px;padding:.6rem .9rem;min-width:15rem}
.card h3{margin:.1rem 0 .4rem 0} .card dl{display:grid;grid-template-columns:auto auto;gap:.1rem .8rem;margin:0}
.card dt{font-weight:600} .card dd{margin:0;text-align:right}
.scroll{overflow-x:auto;max-width:100%}
#table-provenance th,#table-provenance td{white-space:normal;vertical-align:top;text-align:left;overflow-wrap:break-word}
#table-provenance td code{white-space:pre-wrap}
#table-provenance td.weights{min-width:10rem;max-width:16rem;font-size:.8rem;overflow-wrap:anywhere}
#table-provenance td.versions{min-width:14rem;max-width:26rem;font-size:.8rem}
#table-provenance td.cmd{min-width:14rem;max-width:30rem}
ol.footnotes{font-size:.85rem;color:#555;margin:.2rem 0 .6rem 0;padding-left:1.6rem}
sup.fn{color:#555}
.note{color:#555;font-size:.85rem;max-width:60rem}
#table-leaderboard caption{caption-side:top;text-align:left;font-size:.8rem;color:#555;white-space:normal;max-width:60rem;padding-bottom:.3rem}
#table-leaderboard{font-size:.8rem} #table-leaderboard th{text-align:center;white-space:normal}
#table-leaderboard th,#table-leaderboard td{padding:.2rem .35rem} td.lb span{display:block;line-height:1.15}
td.lb span.ci,td.lb span.at{font-size:.7rem;color:#666} td.lb span.at{font-style:italic}
#table-leaderboard th span.sub{display:block;font-size:.7rem;font-weight:normal;color:#666}
#table-leaderboard td:first-child{white-space:normal;overflow-wrap:anywhere;min-width:6rem;max-width:9rem}
figure{margin:.8rem 0} figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555} pre{background:#f7f7f7;padding:.5rem;overflow-x:auto;font-size:.8rem}
"""


def esc(x) -> str:
    """HTML-escape anything."""
    return html.escape(str(x), quote=True)


def footnotes(t: Table) -> dict[str, int]:
    """Numbered reasons of the table's ``n/a`` cells (a cell's ``title``), in reading order.

    The reason of a missing value is shown as a footnote below the table, not only as a
    hover tooltip (invisible in print, on touch screens and in Markdown).
    """
    notes: dict[str, int] = {}
    for r in t.rows + t.footer:
        for c in r:
            if c.text.startswith("n/a") and c.title and c.title not in notes:
                notes[c.title] = len(notes) + 1
    return notes


def table_html(t: Table) -> str:
    """A table as HTML (id attribute for tests and links)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in t.header)
    notes = footnotes(t)

    def row(cells, tag="td"):
        out = []
        for c in cells:
            attrs = (f' class="{c.css}"' if c.css else "") + (f' title="{esc(c.title)}"' if c.title else "")
            text = f"<b>{esc(c.text)}</b>" if c.bold else esc(c.text)
            if c.text.startswith("n/a") and c.title in notes:
                text += f'<sup class="fn">{notes[c.title]}</sup>'
            out.append(f"<{tag}{attrs}>{text}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    body = "".join(row(r) for r in t.rows)
    foot = "".join(row(r) for r in t.footer)
    fn = ("<ol class=\"footnotes\">" + "".join(f"<li>n/a: {esc(why)}</li>" for why in notes) + "</ol>"
          if notes else "")
    note = f'<p class="note">{esc(t.note)}</p>' if t.note else ""
    return (f'<h3>{esc(t.title)}</h3><div class="scroll"><table id="{t.id}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody>" + (f"<tfoot>{foot}</tfoot>" if foot else "") + f"</table></div>{fn}{note}")


def relative_href(target: Path, page: Path | None) -> str:
    """A link from the page ``page`` to the file ``target``: relative, percent-encoded.

    The path is relative to the page's folder and always starts with ``./`` or ``../``, and
    every character outside the unreserved set is percent-encoded, so that no folder name
    (``javascript:alert(1)``, ``a b#c``, ``x"onclick=...``) can turn the link into a script
    URL, another scheme, a fragment or a broken attribute.
    """
    import os
    from urllib.parse import quote

    base = Path(page).resolve().parent if page is not None else Path.cwd()
    rel = Path(os.path.relpath(Path(target).resolve(), base)).as_posix()
    encoded = "/".join(quote(part, safe="") for part in rel.split("/"))
    return encoded if encoded.startswith("../") else f"./{encoded}"


def md_text(text) -> str:
    """Text made safe for Markdown: raw HTML cannot pass (``<``, ``>``, ``&`` become entities,
    which Markdown renders as the characters themselves); line breaks flattened."""
    out = " ".join(str(text).split())
    return out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_code(text) -> str:
    """``text`` as a Markdown code span (inside one nothing is HTML), however many backticks
    it holds."""
    import re

    flat = " ".join(str(text).split())
    longest = max((len(m) for m in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {flat} {fence}" if longest else f"{fence}{flat}{fence}"


def md_cell(text: str) -> str:
    """Text made safe for a Markdown table cell: raw HTML escaped (:func:`md_text`), ``|``
    escaped, line breaks flattened."""
    return md_text(text).replace("|", "\\|")


def table_markdown(t: Table) -> str:
    """A table as GitHub-flavoured Markdown (bold kept, colours dropped, n/a reasons as notes)."""
    notes = footnotes(t)

    def cell(c) -> str:
        text = md_cell(c.text)
        if c.bold:
            text = f"**{text}**"
        if c.text.startswith("n/a") and c.title in notes:
            text += f" ({notes[c.title]})"
        return text

    lines = [f"### {md_text(t.title)}", "", "| " + " | ".join(md_cell(h) for h in t.header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(t.header) - 1)) + "|"]
    for r in t.rows + t.footer:
        lines.append("| " + " | ".join(cell(c) for c in r) + " |")
    if notes:
        lines += [""] + [f"({k}) n/a: {md_cell(why)}  " for why, k in notes.items()]
    if t.note:
        lines += ["", f"_{md_text(t.note)}_"]
    return "\n".join(lines) + "\n"


#: How figures are embedded: ``compact`` = at most :data:`COMPACT_MAX_WIDTH` pixels wide and a
#: 256-colour palette (about 3x smaller, the page stays shareable), ``full`` = the PNG files as is.
IMAGE_MODES = ("compact", "full")
COMPACT_MAX_WIDTH = 1400


def png_bytes(path: Path, mode: str = "compact") -> bytes:
    """The bytes of a PNG to embed, re-encoded smaller in ``compact`` mode.

    Parameters
    ----------
    path : Path
        A PNG file.
    mode : {"compact", "full"}
        ``full`` returns the file unchanged; ``compact`` scales it down to at most
        :data:`COMPACT_MAX_WIDTH` pixels wide (Lanczos) and quantises it to 256 colours.
    """
    if mode not in IMAGE_MODES:
        raise ValueError(f"image mode must be one of {IMAGE_MODES}, not {mode!r}")
    raw = Path(path).read_bytes()
    if mode == "full":
        return raw
    from PIL import Image  # matplotlib's own dependency

    with Image.open(io.BytesIO(raw)) as im:
        im = im.convert("RGB")
        if im.width > COMPACT_MAX_WIDTH:
            height = round(im.height * COMPACT_MAX_WIDTH / im.width)
            im = im.resize((COMPACT_MAX_WIDTH, height), Image.Resampling.LANCZOS)
        small = im.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        buf = io.BytesIO()
        small.save(buf, format="PNG", optimize=True)
    out = buf.getvalue()
    return out if len(out) < len(raw) else raw


def image_html(path: Path, caption: str, mode: str = "compact") -> str:
    """A PNG embedded as a data URI (the page needs no other file and no network)."""
    data = base64.b64encode(png_bytes(path, mode)).decode("ascii")
    return (f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")
