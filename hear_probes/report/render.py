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
.scroll{overflow-x:auto}
.note{color:#555;font-size:.85rem;max-width:60rem}
figure{margin:.8rem 0} figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555} pre{background:#f7f7f7;padding:.5rem;overflow-x:auto;font-size:.8rem}
"""


def esc(x) -> str:
    """HTML-escape anything."""
    return html.escape(str(x), quote=True)


def table_html(t: Table) -> str:
    """A table as HTML (id attribute for tests and links)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in t.header)

    def row(cells, tag="td"):
        out = []
        for c in cells:
            attrs = (f' class="{c.css}"' if c.css else "") + (f' title="{esc(c.title)}"' if c.title else "")
            text = f"<b>{esc(c.text)}</b>" if c.bold else esc(c.text)
            out.append(f"<{tag}{attrs}>{text}</{tag}>")
        return "<tr>" + "".join(out) + "</tr>"

    body = "".join(row(r) for r in t.rows)
    foot = "".join(row(r) for r in t.footer)
    note = f'<p class="note">{esc(t.note)}</p>' if t.note else ""
    return (f'<h3>{esc(t.title)}</h3><div class="scroll"><table id="{t.id}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody>" + (f"<tfoot>{foot}</tfoot>" if foot else "") + f"</table></div>{note}")


def table_markdown(t: Table) -> str:
    """A table as GitHub-flavoured Markdown (bold kept, colours dropped)."""
    lines = [f"### {t.title}", "", "| " + " | ".join(t.header) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(t.header) - 1)) + "|"]
    for r in t.rows + t.footer:
        lines.append("| " + " | ".join(f"**{c.text}**" if c.bold else c.text for c in r) + " |")
    if t.note:
        lines += ["", f"_{t.note}_"]
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
