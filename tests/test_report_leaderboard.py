"""The report of many models: leaderboard rows, best layers, model pages, and the page in Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from report_fixtures import write_fixture_results

from hear_probes.report import write_report
from hear_probes.report.leaderboard import HEADLINES, best_of, family_of, group_models
from hear_probes.report.load import collect_results

LAYERS = {"crepe-small": (1, 2, 3, 4, 5, 6), "fcn-993": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)}


def _zoo(root: Path) -> list[Path]:
    """Two hand-made baselines and two layered models (6 and 12 layers) in the probes' schema.

    Layer K of each model scores ``0.3 + 0.04 K`` held out (regularised) with interval ±0.05,
    its unlearned cosine EV peaks at layer 2, and its pitch accuracy rises with depth.
    """
    names = ["stft", "logmel"] + [f"{m}@layer-{k}" for m, ks in LAYERS.items() for k in ks]
    folders = write_fixture_results(root, names=tuple(names))
    for folder in folders[2:]:
        model, k = folder.name.split("@layer-")
        k = int(k)
        t = json.loads((folder / "timbre.json").read_text())
        t["model"]["module"] = f"hear_probes_adapters.{model.split('-')[0]}"
        t["regularised_loso_median"] = 0.3 + 0.04 * k
        t["regularised_loso_median_ci"] = [0.25 + 0.04 * k, 0.35 + 0.04 * k]
        cos = 0.2 - 0.05 * abs(k - 2)
        t["unlearned"] = {"cosine": {"median": {"explained_variance": cos},
                                     "median_ci": {"explained_variance": [cos - 0.1, cos + 0.1]}}}
        (folder / "timbre.json").write_text(json.dumps(t))
        r = json.loads((folder / "ranking.json").read_text())
        rep = next(iter(r["representations"].values()))
        rep["accuracy"]["pitch"]["fine"] = 0.45 + 0.01 * k
        rep["ci95"]["pitch"]["fine"] = [0.42 + 0.01 * k, 0.48 + 0.01 * k]
        (folder / "ranking.json").write_text(json.dumps(r))
    return folders


def test_layers_of_a_model_collapse_into_one_row_with_the_best_layer_named(tmp_path):
    rows = {r.name: r for r in group_models(collect_results(_zoo(tmp_path)))}
    assert list(rows) == ["crepe-small", "fcn-993", "logmel", "stft"]  # hand-made last
    assert [r.family for r in rows.values()] == ["crepe", "fcn", "hand-made", "hand-made"]
    heads = {h.key: h for h in HEADLINES}
    best = best_of(rows["fcn-993"], heads["timbre_regularised"])
    assert (best.label, best.n) == ("layer-12", 12)
    assert best.value == pytest.approx(0.78) and best.ci == pytest.approx([0.73, 0.83])
    assert best.marker(0.0) == "*"
    cos = best_of(rows["crepe-small"], heads["timbre_cosine"])
    assert cos.label == "layer-2" and cos.marker(0.0) == "*"
    # pitch fine at layer 6: 0.51 [0.48, 0.54] includes chance: no marker
    pitch = best_of(rows["crepe-small"], heads["pitch_fine"])
    assert (pitch.label, pitch.marker(0.5)) == ("layer-6", "")
    assert best_of(rows["stft"], heads["timbre_regularised"]) is None  # the fixture has none


def test_markers_say_above_and_below_chance_only_from_an_interval(tmp_path):
    from hear_probes.report.leaderboard import Best

    assert Best(0.6, [0.55, 0.65], "layer-1", 1).marker(0.5) == "*"
    assert Best(0.4, [0.35, 0.45], "layer-1", 1).marker(0.5) == "v"
    assert Best(0.9, None, "layer-1", 1).marker(0.5) == ""


def test_family_from_adapter_module_then_name():
    assert family_of("crepe-large", {"module": "hear_probes_adapters.crepe"}) == "crepe"
    assert family_of("vgg-mtt", {}) == "musicnn"
    assert family_of("random-projection", {"module": "hear_probes_adapters.waveform"}) == "hand-made"
    assert family_of("pesto-mir1k", {}) == "pesto"
    assert family_of("newnet-base", {}) == "newnet"


def test_main_report_has_one_row_per_model_and_layer_tables_move_to_model_pages(tmp_path):
    out = write_report(_zoo(tmp_path / "results"), tmp_path / "site" / "report.html")
    md = out.with_suffix(".md").read_text()
    assert md.index("## Leaderboard") < md.index("## Summary")
    board = md[md.index("## Leaderboard"):md.index("## Layers")]
    assert board.count("\n| [fcn-993](./report-fcn-993.md) | fcn | 12 |") == 1
    assert "0.780* [0.730, 0.830] (layer-12)" in board
    assert "optimistic selection" in board
    # no layer row in the main page's tables, cards or provenance
    assert "fcn-993@layer" not in md and "crepe-small@layer" not in md
    page = out.read_text()
    assert page.count('id="table-leaderboard"') == 1 and "fcn-993@layer" not in page
    assert "fcn · 12</span>" in page
    for model, ks in LAYERS.items():
        sub = out.parent / f"report-{model}.html"
        sub_md = sub.with_suffix(".md").read_text()
        assert all(f"| {model} | {k} |" in sub_md for k in ks), model
        assert "[Back to the main report](./report.md)" in sub_md
        assert 'href="./report.html"' in sub.read_text()
    # the Markdown shows the depth figures written next to it
    for probe in ("timbre", "gear", "ranking"):
        assert f"](./report_depth_{probe}.png)" in md and (out.parent / f"report_depth_{probe}.png").is_file()


def test_one_model_with_layers_keeps_the_single_model_report(tmp_path):
    folders = _zoo(tmp_path)[2:8]  # crepe-small's six layers only
    out = write_report(folders, tmp_path / "r.html")
    md = out.with_suffix(".md").read_text()
    assert "## Leaderboard" not in md and "## Layers" in md and "| crepe-small | 3 |" in md
    assert not list(tmp_path.glob("r-*.html"))


VIEWPORTS = ((1440, 900), (1280, 800), (1024, 768))

_CHECK_JS = """() => {
  const out = {width: document.documentElement.scrollWidth, view: window.innerWidth, unlabelled: [],
               links: [], anchors: [], tables: []};
  for (const f of document.querySelectorAll('figure')) {
    const cap = f.querySelector('figcaption'), img = f.querySelector('img');
    if (!cap || !cap.textContent.trim() || !img || !img.alt.trim()) out.unlabelled.push(f.outerHTML.slice(0, 80));
  }
  for (const t of document.querySelectorAll('table')) {
    const box = t.closest('.scroll') || t.parentElement;
    const labelled = t.caption || (box.previousElementSibling && /^H[1-4]$/.test(box.previousElementSibling.tagName));
    if (!labelled) out.unlabelled.push('table#' + t.id);
    out.tables.push({id: t.id, scroll: box.scrollWidth, client: box.clientWidth,
                     right: box.getBoundingClientRect().right});
  }
  for (const a of document.querySelectorAll('a[href]')) {
    const h = a.getAttribute('href');
    if (h.startsWith('#')) out.anchors.push(h.slice(1)); else out.links.push(a.href);
  }
  out.missingAnchors = out.anchors.filter(id => !document.getElementById(id));
  return out;
}"""


def test_leaderboard_pages_fit_desktop_and_laptop_widths_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (tests/tools/ensure_browser.py installs it as root)")
    out = write_report(_zoo(tmp_path / "results"), tmp_path / "site" / "report.html")
    pages = [out, *sorted(out.parent.glob("report-*.html"))]
    assert len(pages) == 3
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        for width, height in VIEWPORTS:
            view = browser.new_page(viewport={"width": width, "height": height})
            for page in pages:
                view.goto(page.as_uri())
                got = view.evaluate(_CHECK_JS)
                where = f"{page.name} at {width}x{height}"
                assert got["width"] <= width, f"{where}: page is {got['width']} px wide"
                assert not got["unlabelled"], f"{where}: unlabelled {got['unlabelled']}"
                assert not got["missingAnchors"], f"{where}: broken anchors {got['missingAnchors']}"
                for t in got["tables"]:
                    assert t["right"] <= width, f"{where}: table {t['id']} box ends at {t['right']} px"
                for href in got["links"]:
                    target = Path(unquote(urlparse(href).path))
                    assert target.is_file(), f"{where}: link to missing {target}"
                if page == out:
                    figs = view.locator("figcaption:has-text('against relative layer depth')").count()
                    assert figs == 3, f"{where}: {figs} depth figures"
                    board = next(t for t in got["tables"] if t["id"] == "table-leaderboard")
                    # desktop and laptop: the leaderboard needs no sideways scroll
                    assert board["scroll"] <= board["client"], f"{where}: leaderboard scrolls {board}"
            # the model links of the leaderboard open the model pages
            view.goto(out.as_uri())
            view.click("#table-leaderboard a:text('fcn-993')")
            assert re.search(r"report-fcn-993\.html$", view.url)
            assert view.locator("#table-layers").count() == 1 and view.locator("#back").count() == 1
            view.close()
        browser.close()


def test_zoo_doc_verdicts_claim_a_difference_only_for_disjoint_intervals():
    from hear_probes.report.leaderboard import Best
    from hear_probes.report.zoo_docs import verdict

    a, b = Best(0.30, [0.20, 0.40], "layer-1", 1), Best(0.10, [0.05, 0.19], "layer-2", 1)
    assert verdict(a, b, "full", "tiny") == "full higher (intervals disjoint)"
    assert verdict(b, a, "full", "tiny") == "tiny higher (intervals disjoint)"
    overlap = Best(0.25, [0.15, 0.35], "layer-1", 1)
    assert verdict(a, overlap, "full", "tiny") == "no difference within the intervals"
    assert verdict(a, Best(0.1, None, "x", 1), "full", "tiny") == "not tested (no interval)"
    assert verdict(None, a, "full", "tiny") == "not comparable (a score is missing)"


def test_zoo_doc_folders_are_those_of_the_committed_report(tmp_path):
    from hear_probes.report.docsources import DocSourceError
    from hear_probes.report.zoo_docs import report_folders

    for d in ("results/stft", "results/m-layers/layer-2", "results/m-layers/layer-10"):
        (tmp_path / d).mkdir(parents=True)
    script = tmp_path / "results" / "regenerate.sh"
    script.write_text("python -c \"x = 'unbalanced\"\n"
                      "hear-probes report results/stft results/m-layers/layer-* -o results/report.html\n")
    got = [p.relative_to(tmp_path).as_posix() for p in report_folders(tmp_path)]
    assert got == ["results/stft", "results/m-layers/layer-2", "results/m-layers/layer-10"]
    script.write_text("echo nothing\n")
    with pytest.raises(DocSourceError, match="no 'hear-probes report"):
        report_folders(tmp_path)


def test_model_pages_stay_next_to_the_report_whatever_the_model_name(tmp_path):
    from hear_probes.report.leaderboard import Entry, ModelRow
    from hear_probes.report.zoo import model_page_paths

    rows = [ModelRow(n, "x", [Entry("layer-1", 1, {})]) for n in ("../../evil", "hf:org/x@rev", "hf:org_x@rev")]
    rows.append(ModelRow("flat", "x", [Entry("default", None, {})]))
    pages = model_page_paths(rows, tmp_path / "out" / "report.html")
    assert set(pages) == {"../../evil", "hf:org/x@rev", "hf:org_x@rev"}  # no page without layers
    assert all(p.parent == tmp_path / "out" for p in pages.values())
    names = [p.name for p in pages.values()]
    assert names == ["report-evil.html", "report-hf_org_x_rev.html", "report-hf_org_x_rev-2.html"]


def _zoo_root(tmp_path: Path) -> Path:
    """A repository root whose results/regenerate.sh reports the :func:`_zoo` folders."""
    folders = _zoo(tmp_path / "results")
    args = " ".join(f.relative_to(tmp_path).as_posix() for f in folders)
    (tmp_path / "results" / "regenerate.sh").write_text(
        f"hear-probes report {args} -o results/report.html\n")
    return tmp_path


def test_zoo_layer_block_names_the_best_layer_and_counts_layers_above_chance(tmp_path):
    from hear_probes.report.zoo_findings import layers_block

    text = layers_block(_zoo_root(tmp_path))
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()
            if line.startswith("| crepe-small") or line.startswith("| fcn-993")}
    cells = {m: [c.strip() for c in line.strip("|").split("|")][2:] for m, line in rows.items()}
    heads = [h.key for h in HEADLINES]
    # held out: rises with depth, every layer's interval [0.25 + 0.04 k, ...] above 0
    assert cells["fcn-993"][heads.index("timbre_regularised")] == "L12/12 0.78* · 12/12"
    assert cells["crepe-small"][heads.index("timbre_regularised")] == "L6/6 0.54* · 6/6"
    # unlearned cosine 0.2 - 0.05 |k - 2| peaks at layer 2; its interval [cos - 0.1, cos + 0.1]
    # lies above 0 in layers 1, 2 and 3 only (layer 4: [0.0, 0.2] touches chance)
    assert cells["crepe-small"][heads.index("timbre_cosine")] == "L2/6 0.20* · 3/6"
    # pitch fine 0.45 + 0.01 k with +-0.03: no layer of six above chance, the best includes it
    assert cells["crepe-small"][heads.index("pitch_fine")] == "L6/6 0.51 · 0/6"
    assert "stft" not in rows and "| stft |" not in text  # hand-made rows are not layered models


def test_zoo_claims_say_open_until_the_results_exist(tmp_path):
    from hear_probes.report.zoo_findings import claims_block

    text = claims_block(_zoo_root(tmp_path))
    assert "open: no musicnn result committed" in text
    assert "FCN: open (1 size(s) with results)" in text
    assert "CREPE: open (1 size(s) with results)" in text


def test_zoo_missing_block_tells_partly_done_models_by_layer_count(tmp_path):
    from hear_probes.report.zoo_docs import missing_block

    root = _zoo_root(tmp_path)
    (root / "results" / "crepe-small@layer-3" / "ranking.json").unlink()
    text = missing_block(root)
    assert "`fcn-993`" in text.split("Partly done")[0]  # every layer has all three probes
    assert "`crepe-small` (timbre 6 of 6 layers, gear 6 of 6 layers, ranking 5 of 6 layers)" in text


def test_musicnn_claim_reads_the_paired_layer_tests(tmp_path):
    import json

    from hear_probes.report.zoo_findings import _musicnn_tested

    assert _musicnn_tested(tmp_path) is None  # no tests committed: the interval reading is used

    def test(metric, diff, significant):
        return {"metric": metric, "difference": diff, "significant": significant}

    contrasts = [
        {"a": {"layer": 1, "name": "front end timbral"}, "b": {"layer": 2, "name": "front end temporal"},
         "across_studies": [test("euclidean_spearman", -0.2, True), test("cosine_ev", 0.1, True),
                            test("loso_ev", -0.3, False)]},
        {"a": {"layer": 1, "name": "front end timbral"}, "b": {"layer": 3, "name": "mid end cnn1"},
         "across_studies": [test("euclidean_spearman", -0.2, False), test("regularised_ev", 0.1, True)]},
    ]
    path = tmp_path / "results" / "zoo" / "layer-tests.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"models": [{"model": "musicnn-mtt", "contrasts": contrasts}]}))
    text = _musicnn_tested(tmp_path)
    assert "front end timbral higher than front end temporal on Euclidean ρ (+0.200)" in text
    assert "front end temporal higher than front end timbral on cosine EV (+0.100)" in text
    assert "LOSO" not in text.split("(held-out")[0]  # not significant: not claimed
    assert "mid end cnn1 higher than front end timbral on held-out regularised EV (+0.100)" in text
    assert "held-out scores: 1 of 2 contrasts differ; Holm over 5 tests" in text


def test_size_claim_pairs_the_layers_trial_by_trial():
    from hear_probes.report.leaderboard import Entry, ModelRow
    from hear_probes.report.zoo_findings import _paired_sizes

    n = 200
    settings = {"seed": 0, "n_trials": n, "sampling": {}, "epsilons": {}, "duration_s": 1.0}

    def payload(coarse, fine, per_trial=True):
        rep = {"accuracy": {"pitch": {"coarse": sum(coarse) / n, "fine": sum(fine) / n}}}
        if per_trial:
            rep["per_trial"] = {"pitch": {"coarse": coarse, "fine": fine}}
        return {"ranking": {"settings": settings, "representations": {"m": rep}}}

    half = [1.0] * 100 + [0.0] * 100
    better = [1.0] * 160 + [0.0] * 40  # right on 60 trials where the small one is wrong
    small = ModelRow("net-s", "pitch", [Entry("layer-1", 1, payload(half, half)),
                                        Entry("layer-2", 2, payload(half, half))])
    large = ModelRow("net-l", "pitch", [Entry("layer-1", 1, payload(better, half)),
                                        Entry("layer-2", 2, payload(half, half))])
    text = _paired_sizes(small, large)
    assert "Holm over 4 tests" in text
    assert "pitch coarse: net-l higher at L1 (+0.300); no difference after Holm at 1 of 2 layers" in text
    assert "pitch fine: no difference after Holm at 2 of 2 layers" in text
    large.entries[1] = Entry("layer-2", 2, payload(half, half, per_trial=False))
    assert _paired_sizes(small, large) is None  # cannot pair every layer: the intervals are read


def test_paired_headline_test_pairs_gear_seeds_and_skips_timbre():
    from hear_probes.report.zoo_docs import paired_headline_test

    heads = {h.key: h for h in HEADLINES}

    def gear(values):
        return {"seeds": {"seeds": [0, 1, 2, 3, 4]}, "stimulus": {"variant": "paper"},
                "factors": {"alpha": {"knn_r2_k10_seeds": values}}}

    a, b = gear([0.90, 0.91, 0.92, 0.90, 0.91]), gear([0.95, 0.97, 0.96, 0.96, 0.97])
    t = paired_headline_test(heads["gear_alpha"], a, b, ("tiny", "full"))
    assert t.unit == "alpha" and t.metric == "knn_r2_k10" and t.difference > 0 and t.p < 0.01
    assert paired_headline_test(heads["gear_f1"], a, b, ("tiny", "full")) is None  # not stored
    assert paired_headline_test(heads["timbre_cosine"], {}, {}, ("tiny", "full")) is None
    other_seeds = {**b, "seeds": {"seeds": [5, 6, 7, 8, 9]}}
    assert paired_headline_test(heads["gear_alpha"], a, other_seeds, ("tiny", "full")) is None


def test_paired_layer_tests_share_one_holm_family_and_count_from_the_records():
    from hear_probes.report.leaderboard import Entry, ModelRow
    from hear_probes.report.zoo_docs import paired_layer_tests, paired_outcome

    n = 200
    settings = {"seed": 0, "n_trials": n, "sampling": {}, "epsilons": {}, "duration_s": 1.0}

    def payload(coarse):
        return {"ranking": {"settings": settings, "representations": {
            "m": {"accuracy": {"pitch": {"coarse": sum(coarse) / n}},
                  "per_trial": {"pitch": {"coarse": coarse, "fine": coarse}}}}}}

    half, better = [1.0] * 100 + [0.0] * 100, [1.0] * 160 + [0.0] * 40
    a = ModelRow("a", "pitch", [Entry("layer-1", 1, payload(half)), Entry("layer-2", 2, payload(half)),
                                Entry("layer-3", 3, payload(half))])
    b = ModelRow("b", "pitch", [Entry("layer-1", 1, payload(better)), Entry("layer-2", 2, payload(half))])
    heads = [h for h in HEADLINES if h.key == "pitch_coarse"]
    cells = paired_layer_tests(a, b, heads, ("a", "b"), "fam")
    assert [c.layer for c in cells] == [1, 2]  # only the layers both have
    assert all(c.test.family == "fam" for c in cells) and cells[0].test.unit == "L1"
    assert [paired_outcome(c.test, "a", "b") for c in cells] == ["b higher", "no difference after Holm"]
    assert cells[0].test.p_holm == pytest.approx(min(1.0, 2 * cells[0].test.p))  # Holm over both
    assert paired_outcome(None, "a", "b") == "not paired"


def test_zoo_model_rows_are_read_once_and_again_when_a_result_changes(tmp_path, monkeypatch):
    import hear_probes.report.load as load
    from hear_probes.report.zoo_docs import model_rows

    folders = _zoo(tmp_path / "results")
    (tmp_path / "results" / "regenerate.sh").write_text(
        "hear-probes report " + " ".join(f"results/{f.name}" for f in folders) + " -o results/report.html\n")
    calls = []
    real = load.collect_results
    monkeypatch.setattr(load, "collect_results", lambda fs: calls.append(1) or real(fs))
    first = model_rows(tmp_path)
    assert model_rows(tmp_path) == first and len(calls) == 1  # served from the memo
    head = next(h for h in HEADLINES if h.key == "pitch_fine")
    before = best_of(next(r for r in first if r.name == "crepe-small"), head).value
    path = next(f for f in folders if f.name == "crepe-small@layer-6") / "ranking.json"
    r = json.loads(path.read_text())
    next(iter(r["representations"].values()))["accuracy"]["pitch"]["fine"] = 0.99
    path.write_text(json.dumps(r, indent=1))  # a result rewritten: its size changes
    again = model_rows(tmp_path)
    assert len(calls) == 2
    assert best_of(next(r for r in again if r.name == "crepe-small"), head).value == 0.99 != before


def test_baselines_block_pairs_the_two_best_entries_where_trials_are_kept(tmp_path):
    from hear_probes.report.zoo_docs import baselines_block

    folders = _zoo(tmp_path / "results")
    (tmp_path / "results" / "regenerate.sh").write_text(
        "hear-probes report " + " ".join(f"results/{f.name}" for f in folders) + " -o results/report.html\n")
    text = baselines_block(tmp_path)
    assert "| intervals | paired test (Holm) |" in text
    assert "ranking accuracy: pitch fine" in text and "not paired" in text  # no per-trial records
    # the best pretrained pitch-fine entry is fcn-993 layer 12 (0.57), the best hand-made logmel
    # (0.7): give both the same 200 trials, the hand-made one right on 60 more
    n = 200
    for name, ok in (("fcn-993@layer-12", 100), ("logmel", 160)):
        path = tmp_path / "results" / name / "ranking.json"
        r = json.loads(path.read_text())
        r["settings"] = {"seed": 0, "n_trials": n, "sampling": {}, "epsilons": {}, "duration_s": 1.0}
        rep = next(iter(r["representations"].values()))
        rep["per_trial"] = {"pitch": {"fine": [1.0] * ok + [0.0] * (n - ok)}}
        path.write_text(json.dumps(r))
    line = next(ln for ln in baselines_block(tmp_path).splitlines() if ln.startswith("| ranking accuracy: pitch fine"))
    assert "fcn-993 (layer-12)" in line and "logmel (default)" in line
    assert line.endswith("| hand-made higher (p 1.7e-18) |")  # exact McNemar: 60 discordant trials, all one way


def test_pitch_claim_pairs_each_model_with_the_best_spectral_distance():
    from hear_probes.report.leaderboard import Entry, ModelRow
    from hear_probes.report.zoo_findings import _pitch_claim

    n = 200
    settings = {"seed": 0, "n_trials": n, "sampling": {}, "epsilons": {}, "duration_s": 1.0}

    def payload(ok, per_trial=True, other_trials=False):
        outcomes = [1.0] * ok + [0.0] * (n - ok)
        acc, half = ok / n, 1.96 * (0.25 / n) ** 0.5
        rep = {"accuracy": {"pitch": {"coarse": acc, "fine": acc}},
               "ci95": {"pitch": {"coarse": [acc - half, acc + half], "fine": [acc - half, acc + half]}}}
        if per_trial:
            rep["per_trial"] = {"pitch": {"coarse": outcomes, "fine": outcomes}}
        s = {**settings, "seed": 1} if other_trials else settings
        return {"ranking": {"settings": s, "representations": {"m": rep}}}

    made = ModelRow("distances", "hand-made", [Entry("log2-centroid", None, payload(198))])
    close = ModelRow("net-a", "pitch", [Entry("layer-1", 1, payload(195))])
    far = ModelRow("net-b", "pitch", [Entry("layer-1", 1, payload(120))])
    elsewhere = ModelRow("net-c", "pitch", [Entry("layer-1", 1, payload(120, other_trials=True))])
    text = _pitch_claim([made, close, far, elsewhere])
    coarse = text.split(". Pitch fine:")[0]
    assert coarse.startswith("Pitch coarse: of 3 pretrained models against distances (log2-centroid, "
                             "0.990 [0.921, 1.059]): by the intervals hand-made higher (intervals "
                             "disjoint): 2; no difference within the intervals: 1; by exact McNemar")
    # net-a: 3 discordant trials, p = 0.25; net-b: 78, all one way; net-c drew other trials
    assert coarse.endswith("(Holm over both scales) hand-made higher: 1; no difference after Holm: 1; "
                           "not paired: 1")


def test_tally_counts_or_names_the_verdicts_most_frequent_first():
    from hear_probes.report.zoo_docs import tally

    verdicts = ["b higher", "no difference", "b higher", "a higher"]
    assert tally(verdicts) == "b higher: 2; a higher: 1; no difference: 1"  # ties by name
    assert tally(verdicts, ["f1", "alpha", "r", "pitch"]) == (
        "b higher: f1, r; a higher: pitch; no difference: alpha")
    assert tally([]) == "none"


def test_paired_best_is_none_where_a_side_or_its_records_are_missing():
    from hear_probes.report.leaderboard import HEADLINES, Best, Entry, ModelRow
    from hear_probes.report.zoo_docs import paired_best

    head = next(h for h in HEADLINES if h.key == "pitch_coarse")
    row = ModelRow("m", "pitch", [Entry("layer-1", 1, {})])
    best = Best(0.9, [0.8, 1.0], "layer-1", 1)
    assert paired_best(head, (None, None), (row, best), ("a", "b"), "f") is None
    assert paired_best(head, (row, best), (row, best), ("a", "b"), "f") is None  # no ranking payload


def test_size_series_run_from_the_smallest_network_to_the_largest():
    """The size claim compares the ends of each series: CREPE full (capacity 32) is the largest."""
    from hear_probes.registry import builtin_models
    from hear_probes.report.zoo_findings import SIZE_SERIES

    specs = builtin_models()
    crepe = [specs[m].scene_dim for m in SIZE_SERIES["CREPE"]]  # block-5 width: 8 x channels
    assert crepe == sorted(crepe) and len(set(crepe)) == len(crepe)
    assert SIZE_SERIES["CREPE"][-1] == "crepe"
