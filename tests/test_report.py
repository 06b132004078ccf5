import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from report_fixtures import write_fixture_results

from hear_probes.errors import HearProbesError
from hear_probes.probes.gear.tables import gear_table
from hear_probes.probes.ranking.tables import ranking_table
from hear_probes.probes.timbre.tables import timbre_table
from hear_probes.report import collect_results, write_report


def test_tables_shapes(tmp_path):
    results = collect_results(write_fixture_results(tmp_path))
    rk = ranking_table(results)
    assert len(rk.rows) == 2 and len(rk.header) == 7
    assert rk.rows[0][4].text == "n/a" and rk.rows[0][4].title == "not differentiable"
    gt = gear_table(results)
    assert len(gt.rows) == 6 and len(gt.header) == 7
    tt = timbre_table(results)
    assert len(tt.rows) == 17 and len(tt.header) == 3 and tt.footer[0][0].text == "Median, all studies"
    # no bold: a best-per-row highlight claims a difference no test supports (issue 21);
    # 'hear-probes compare' says which differences are significant
    assert not any(c.bold for row in tt.rows for c in row)


def test_write_report_is_self_contained(tmp_path):
    dirs = write_fixture_results(tmp_path)
    out = write_report(dirs, tmp_path / "r.html")
    page = out.read_text()
    assert "<script src" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert 'id="table-ranking"' in page and 'id="table-gear"' in page and 'id="table-timbre"' in page
    md = out.with_suffix(".md").read_text()
    assert "| study | stft | logmel |" in md and "**" in md


def test_robustness_table_names_the_reference_and_heatmap_is_embedded(tmp_path):
    from hear_probes.probes.timbre.tables import robustness_table

    dirs = write_fixture_results(tmp_path)
    table = robustness_table(collect_results(dirs))
    assert "against stft" in table.title and len(table.rows) == 17
    page = write_report(dirs, tmp_path / "r.html").read_text()
    assert 'alt="relative robustness (dB) across representations' in page


def test_compact_images_are_smaller_and_bounded(tmp_path):
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from hear_probes.report.render import COMPACT_MAX_WIDTH, png_bytes

    fig, ax = plt.subplots(figsize=(20, 6), dpi=100)
    for k in range(12):
        ax.plot(np.sin(np.linspace(0, 20, 2000) * (k + 1)), label=str(k))
    ax.legend()
    path = tmp_path / "wide.png"
    fig.savefig(path)
    plt.close(fig)
    full, compact = png_bytes(path, "full"), png_bytes(path, "compact")
    assert full == path.read_bytes()
    assert len(compact) < len(full) / 2
    with Image.open(io.BytesIO(compact)) as im:
        assert im.width == COMPACT_MAX_WIDTH and im.height == round(600 * COMPACT_MAX_WIDTH / 2000)
    with pytest.raises(ValueError, match="image mode"):
        png_bytes(path, "tiny")


def test_report_cli_and_errors(tmp_path):
    dirs = write_fixture_results(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "hear_probes.cli", "report", *map(str, dirs), "-o", str(tmp_path / "x.html")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "x.html").exists() and (tmp_path / "x.md").exists()
    # a shell glob such as results/* also matches files: they are skipped, folders are used
    (tmp_path / "regenerate.sh").write_text("#!/bin/sh\n")
    proc = subprocess.run([sys.executable, "-m", "hear_probes.cli", "report", *map(str, dirs),
                           str(tmp_path / "regenerate.sh"), str(tmp_path / "x.html"),
                           "-o", str(tmp_path / "y.html")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "skipped" in proc.stderr and "regenerate.sh" in proc.stderr
    assert 'id="table-timbre"' in (tmp_path / "y.html").read_text()
    proc = subprocess.run([sys.executable, "-m", "hear_probes.cli", "report",
                           str(tmp_path / "regenerate.sh")], capture_output=True, text=True)
    assert proc.returncode == 2 and "no result folder" in proc.stderr
    (tmp_path / "empty").mkdir()
    with pytest.raises(HearProbesError, match="no ranking.json"):
        collect_results([tmp_path / "empty"])
    (dirs[0] / "gear.json").write_text("{broken")
    with pytest.raises(HearProbesError, match="not valid JSON"):
        collect_results([dirs[0]])


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium not installed (tests/tools/ensure_browser.py installs it as root)")
    out = write_report(write_fixture_results(tmp_path), tmp_path / "report.html")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri())
        counts = page.evaluate("""() => Object.fromEntries(['table-ranking','table-gear','table-timbre'].map(id => {
            const t = document.getElementById(id);
            return [id, t ? [t.tBodies[0].rows.length, t.tHead.rows[0].cells.length] : null];}))""")
        page.screenshot(path=str(tmp_path / "shot.png"), full_page=True)
        browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert counts == {"table-ranking": [2, 7], "table-gear": [6, 7], "table-timbre": [17, 3]}
    assert (tmp_path / "shot.png").stat().st_size > 10_000
    json.dumps(counts)


def test_accuracy_colours_follow_the_interval():
    from hear_probes.probes.ranking.tables import accuracy_class, ranking_cell

    # 0.44 over 50 trials: the interval contains chance, so it is not painted "below chance"
    assert accuracy_class(0.44, (0.31, 0.58)) == "chance"
    assert accuracy_class(0.44, (0.41, 0.47)) == "bad"
    assert accuracy_class(0.62, (0.59, 0.65)) == "mid"
    assert accuracy_class(0.91, (0.89, 0.93)) == "good"
    assert accuracy_class(0.44) == "bad"  # no interval: fixed bands
    cell = ranking_cell({"accuracy": 0.44, "ci95": [0.31, 0.58], "n_trials": 50})
    assert cell.css == "chance" and "n = 50" in cell.title


def test_rows_of_short_runs_name_their_trial_count(tmp_path):
    dirs = write_fixture_results(tmp_path)
    payload = json.loads((dirs[0] / "ranking.json").read_text())
    payload["representations"]["stft"]["n_trials"] = 50
    (dirs[0] / "ranking.json").write_text(json.dumps(payload))
    labels = [row[0].text for row in ranking_table(collect_results(dirs)).rows]
    assert labels == ["stft (50 trials)", "logmel"]
