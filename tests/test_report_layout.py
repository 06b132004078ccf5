"""Report layout as a reader sees it: footnotes, escaping, empty sections, links, page width."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from report_fixtures import write_fixture_results

from hear_probes.report import write_report


def _md_table(md: str, title_start: str) -> list[str]:
    lines = md.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("### " + title_start))
    out = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        out.append(ln)
    return out


def test_markdown_escapes_pipes_so_the_gear_table_keeps_its_columns(tmp_path):
    out = write_report(write_fixture_results(tmp_path), tmp_path / "r.html")
    md = out.with_suffix(".md").read_text()
    rows = _md_table(md, "GEAR")
    assert "\\|log ratio\\|" in rows[0]
    cells = [len(re.split(r"(?<!\\)\|", r)) for r in rows]
    assert len(set(cells)) == 1, rows


def test_na_reasons_are_footnotes_in_html_and_markdown(tmp_path):
    out = write_report(write_fixture_results(tmp_path), tmp_path / "r.html")
    page = out.read_text()
    assert re.search(r'n/a<sup class="fn">1</sup>', page)
    assert '<ol class="footnotes"><li>n/a: not differentiable</li></ol>' in page
    md = out.with_suffix(".md").read_text()
    assert "n/a (1)" in md and "(1) n/a: not differentiable" in md


def test_empty_sections_say_why_and_what_to_run(tmp_path):
    folder = write_fixture_results(tmp_path, names=("stft",))[0]
    (folder / "timbre.json").unlink()
    (folder / "gear.json").unlink()
    out = write_report([folder], tmp_path / "r.html")
    page = out.read_text()
    assert "No timbre results given: none of the result folders" in page
    assert "hear-probes datasets fetch timbre" in page and "hear-probes probe timbre --model NAME" in page
    assert "hear-probes probe gear --model NAME" in page
    md = out.with_suffix(".md").read_text()
    assert "No timbre results given: none of the result folders" in md


def test_interactive_isomap_page_is_linked_relative_to_the_report(tmp_path):
    folder = write_fixture_results(tmp_path / "results", names=("stft",))[0]
    (folder / "gear_isomap.html").write_text("<html>3-D</html>")
    out = write_report([folder], tmp_path / "reports" / "r.html")
    page = out.read_text()
    assert 'href="../results/stft/gear_isomap.html"' in page
    md = out.with_suffix(".md").read_text()
    assert "(../results/stft/gear_isomap.html)" in md


def test_long_provenance_does_not_widen_the_page(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (tests/tools/ensure_browser.py installs it as root)")
    dirs = write_fixture_results(tmp_path)
    for d in dirs:
        for f in d.glob("*.json"):
            payload = json.loads(f.read_text())
            payload["provenance"]["command"] = "hear-probes probe x " + " ".join(
                f"--option-{k} /a/very/long/path/to/somewhere/{k}" for k in range(30))
            payload["provenance"]["versions"] = {f"package-{k}": f"{k}.0.0+local.build" for k in range(40)}
            f.write_text(json.dumps(payload))
    out = write_report(dirs, tmp_path / "report.html")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(out.as_uri())
        width = page.evaluate("() => document.documentElement.scrollWidth")
        browser.close()
    assert width <= 1400, f"page is {width} px wide"
