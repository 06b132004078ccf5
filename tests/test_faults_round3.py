"""Fault injection, round 3 (issue 24): report links and Markdown, sweep folders and state
files, half-written fetches, full or read-only disks, and one-line errors on the surfaces added
in round 2 (``--layers``, ``hf:``, ``sweep``, ``datasets``, the erratum module, ``report``).

Real subprocesses of the CLI, real file systems: a 2 MB tmpfs for a full disk and a read-only
bind mount, both mounted by the test when it runs as root (skipped with the reason otherwise).
Exit codes: 0 success, 1 a check failed, 2 a usage or input error in one ``error:`` line,
130 interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

TOOLS = Path(__file__).resolve().parent / "tools"
sys.path.insert(0, str(TOOLS))

from fault_helpers import wait_until  # noqa: E402

CLI = [sys.executable, "-m", "hear_probes.cli"]
ERRATUM = [sys.executable, "-m", "hear_probes.probes.timbre.erratum"]


def _run(cmd, *, env=None, cwd=None, timeout=300):
    full_env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", **(env or {}))
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout)


def _one_line_error(proc, *needles, code=2):
    """The run failed with ``code`` and one ``error:`` line on stderr holding every needle."""
    assert proc.returncode == code, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.strip().splitlines() if not ln.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr[-3000:]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


# -- file systems: a tiny tmpfs, a read-only bind mount ------------------------------------------
def _mount(args: list[str], where: Path) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs or a read-only bind mount needs root and mount(8)")
    proc = subprocess.run(["mount", *args, str(where)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here ({proc.stderr.strip()}); needs CAP_SYS_ADMIN")


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def small_fs(tmp_path):
    """A 2 MB tmpfs."""
    where = tmp_path / "small"
    where.mkdir()
    _mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs"], where)
    yield where
    _umount(where)


def _fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    with open(folder / "filler", "wb", buffering=0) as fh:
        for size in (65536, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError:
                pass


@pytest.fixture
def read_only(tmp_path):
    """``make(folder)``: bind-mount ``folder`` read-only onto itself."""
    mounted: list[Path] = []

    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("a read-only bind mount needs root and mount(8)")
        for args in (["--bind", str(folder)], ["-o", "remount,bind,ro"]):
            proc = subprocess.run(["mount", *args, str(folder)], capture_output=True, text=True)
            if proc.returncode != 0:
                pytest.skip(f"cannot bind-mount read-only here ({proc.stderr.strip()})")
        mounted.append(folder)
        try:
            (folder / ".probe").touch()
        except OSError:
            return folder
        pytest.skip("the read-only bind mount is writable here")

    yield make
    for m in reversed(mounted):
        _umount(m)


# == security and lost work =======================================================================
def _gear_results_in(folder_name: str, root: Path) -> Path:
    from report_fixtures import write_fixture_results

    src = write_fixture_results(root / "src", names=("stft",))[0]
    target = root / "res" / folder_name
    target.parent.mkdir(parents=True)
    shutil.copytree(src, target)
    (target / "gear_isomap.html").write_text("<html><body>isomap</body></html>")
    return target


def test_report_isomap_link_is_relative_and_percent_encoded(tmp_path):
    """Issue 24 #1: a folder named javascript:alert(1) must not become a script link."""
    from hear_probes.report import write_report

    folder = _gear_results_in("javascript:alert(1)", tmp_path)
    out = write_report([folder], tmp_path / "res" / "report.html")
    page, md = out.read_text(), out.with_suffix(".md").read_text()
    assert 'href="javascript:' not in page
    assert 'href="./javascript%3Aalert%281%29/gear_isomap.html"' in page
    assert "](./javascript%3Aalert%281%29/gear_isomap.html)" in md
    # a report written elsewhere links up and across, still relative and encoded
    other = write_report([folder], tmp_path / "elsewhere" / "r.html").read_text()
    assert 'href="../res/javascript%3Aalert%281%29/gear_isomap.html"' in other


def test_report_isomap_link_cannot_run_script_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (tests/tools/ensure_browser.py installs it as root)")
    from hear_probes.report import write_report

    folder = _gear_results_in("javascript:alert(1)", tmp_path)
    out = write_report([folder], tmp_path / "res" / "report.html")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri())
        link = page.locator("a", has_text="interactive 3-D Isomap")
        protocol = link.evaluate("a => a.protocol")
        target = link.evaluate("a => a.href")
        link.click()
        page.wait_for_timeout(500)
        browser.close()
    assert dialogs == [], "the link ran script"
    assert protocol == "file:" and target == (folder / "gear_isomap.html").as_uri().replace(
        "javascript:alert(1)", "javascript%3Aalert%281%29"), target


def test_report_md_escapes_raw_html_in_model_names(tmp_path):
    """Issue 24 #2: report.md must not carry a model name as raw HTML."""
    from report_fixtures import write_fixture_results

    from hear_probes.report import write_report

    folder = write_fixture_results(tmp_path / "res", names=("stft",))[0]
    evil = "<script>alert(1)</script>|x"
    for probe in ("ranking", "gear", "timbre"):
        path = folder / f"{probe}.json"
        payload = json.loads(path.read_text())
        payload["model"]["model_id"] = evil
        payload["provenance"]["command"] = "run `x` <img src=x onerror=alert(2)>"
        path.write_text(json.dumps(payload))
    out = write_report([folder], tmp_path / "r.html")
    md = out.with_suffix(".md").read_text()
    assert "<script" not in md and "<img" not in md.replace("`` run `x` <img", ""), md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "<script" not in out.read_text()


def test_sweep_folders_are_unique_per_model_id_and_markers_name_their_model(tmp_path):
    """Issue 24 #3: hf:/x/p/q and hf:/x/p_q shared a folder; the second found the first's
    done marker and was skipped as done."""
    from hear_probes.sweep import SweepConfig, SweepTask, is_done, model_folder, run_task

    a, b = "hf:/x/p/q", "hf:/x/p_q"
    assert model_folder(tmp_path, a) != model_folder(tmp_path, b)
    assert model_folder(tmp_path, "stft") == tmp_path / "stft"  # safe ids keep their name
    # a marker that names another model does not make this one done
    folder = model_folder(tmp_path, b)
    folder.mkdir(parents=True)
    (folder / ".done-gear").write_text(json.dumps({"model": a, "ran": ["gear"]}))
    assert not is_done(SweepTask(b, None, "gear"), tmp_path)
    (folder / ".done-gear").write_text(json.dumps({"model": b, "ran": ["gear"]}))
    assert is_done(SweepTask(b, None, "gear"), tmp_path)
    # a marker of an earlier version (no model named) counts only where no other id can share
    # the folder
    (folder / ".done-gear").write_text(json.dumps({"ran": ["gear"]}))
    assert not is_done(SweepTask(b, None, "gear"), tmp_path)
    (tmp_path / "stft").mkdir()
    (tmp_path / "stft" / ".done-gear").write_text(json.dumps({"ran": ["gear"]}))
    assert is_done(SweepTask("stft", None, "gear"), tmp_path)
    # the marker a task writes names its model
    res = run_task(SweepTask("module:toy_layers", None, "gear"), str(tmp_path / "o"),
                   SweepConfig(cache=tmp_path / "c", quick=True))
    assert res["status"] == "ok", res
    marker = json.loads((tmp_path / "o" / "toy_layers" / ".done-gear").read_text())
    assert marker["model"] == "module:toy_layers"


def test_store_files_are_unique_per_model_id(tmp_path):
    from hear_probes.store import safe_name

    assert safe_name("hf:/x/p/q") != safe_name("hf:/x/p_q")
    assert safe_name("pkg.mod") == "pkg.mod" and safe_name("crepe-tiny") == "crepe-tiny"


def _copy_study_data(timbre_dir: Path, dst: Path) -> Path:
    shutil.copytree(timbre_dir / "sounds", dst / "sounds")
    shutil.copytree(timbre_dir / "ratings", dst / "ratings")
    return dst


def _snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fault", ["changed byte", "missing file", "symlinked study"])
def test_datasets_fetch_failure_leaves_destination_as_it_was(tmp_path, timbre_dir, fault):
    """Issue 24 #4: a failed fetch left ratings and most sounds in the destination."""
    src = _copy_study_data(timbre_dir, tmp_path / "src")
    last = src / "sounds" / "Siedenburg2016_e3"
    victim = sorted(last.iterdir())[-1]
    if fault == "changed byte":
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
    elif fault == "missing file":
        victim.unlink()
    else:
        shutil.rmtree(last)
        last.symlink_to(src / "sounds" / "Grey1977", target_is_directory=True)
    # a fresh destination stays absent; an existing one keeps exactly its files
    fresh = tmp_path / "fresh" / "timbre"
    proc = _run([*CLI, "datasets", "fetch", "timbre", "--from", str(src), "--dest", str(fresh), "-q"])
    _one_line_error(proc)
    assert not fresh.exists() and not [p for p in fresh.parent.iterdir()], list(fresh.parent.iterdir())
    partial = tmp_path / "partial" / "timbre"
    (partial / "ratings").mkdir(parents=True)
    shutil.copy(timbre_dir / "ratings" / "Grey1977_dissimilarity_matrix.txt", partial / "ratings")
    before = _snapshot(partial)
    proc = _run([*CLI, "datasets", "fetch", "timbre", "--from", str(src), "--dest", str(partial), "-q"])
    _one_line_error(proc)
    assert _snapshot(partial) == before
    assert [p.name for p in partial.parent.iterdir()] == ["timbre"], "staging folder left behind"


def test_datasets_fetch_success_moves_everything_into_place(tmp_path, timbre_dir):
    dest = tmp_path / "d" / "timbre"
    proc = _run([*CLI, "datasets", "fetch", "timbre", "--from", str(timbre_dir), "--dest", str(dest), "-q"])
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in dest.parent.iterdir()] == ["timbre"]
    proc = _run([*CLI, "datasets", "verify", "timbre", "--data", str(dest)])
    assert proc.returncode == 0, proc.stderr


def test_study_with_ratings_but_no_sounds_folder_is_named(tmp_path, timbre_dir):
    """Issue 24 #4 (related): such a study was dropped silently."""
    from hear_probes.errors import HearProbesWarning
    from hear_probes.stimuli.timbre import list_timbre_datasets

    root = _copy_study_data(timbre_dir, tmp_path / "data")
    shutil.rmtree(root / "sounds" / "Grey1978")
    with pytest.warns(HearProbesWarning, match=r"rating matrix but no sounds folder.*Grey1978"):
        names = list_timbre_datasets(root)
    assert "Grey1978" not in names and "Grey1977" in names


def _state_sweep(out: Path) -> None:
    """A sweep whose only task is done (no Dask cluster needed to rerun it)."""
    folder = out / "toy_good"
    folder.mkdir(parents=True)
    (folder / ".done-gear").write_text(json.dumps({"model": "module:toy_good"}))


def test_truncated_layers_json_and_marker_are_recomputed_not_a_crash(tmp_path):
    """Issue 24 #5: a truncated layers.json crashed the rerun with a JSONDecodeError."""
    from hear_probes.errors import HearProbesWarning
    from hear_probes.sweep import SweepTask, _record_layers, is_done

    task = SweepTask("module:toy_layers", "all", "gear")
    base = tmp_path / "toy_layers"
    for k in range(4):
        (base / f"layer-{k}").mkdir(parents=True)
        (base / f"layer-{k}" / ".done-gear").write_text(json.dumps({"model": task.model}))
    (base / "layers.json").write_text('{"all": [0, 1, 2')  # truncated by a full disk
    with pytest.warns(HearProbesWarning, match=r"layers.json: damaged layer index.*recomputed"):
        assert not is_done(task, tmp_path)
    with pytest.warns(HearProbesWarning):
        _record_layers(task, tmp_path, [0, 1, 2, 3])
    assert json.loads((base / "layers.json").read_text()) == {"all": [0, 1, 2, 3]}
    assert is_done(task, tmp_path)
    (base / "layer-2" / ".done-gear").write_text('{"model": "mod')  # a damaged marker
    with pytest.warns(HearProbesWarning, match="damaged done marker"):
        assert not is_done(task, tmp_path)


def test_sweep_json_is_written_atomically_on_a_full_disk(small_fs, monkeypatch):
    """Issue 24 #5: sweep.json was written in place; on a full disk the old one was lost."""
    from hear_probes.errors import HearProbesError
    from hear_probes.sweep import SweepConfig, sweep

    out = small_fs / "out"
    _state_sweep(out)
    res = sweep(["module:toy_good"], ["gear"], out, SweepConfig(report=False, quiet=True))
    assert res["skipped"] == ["module:toy_good [default] gear"]
    before = (out / "sweep.json").read_text()
    _fill(small_fs)
    with pytest.raises(HearProbesError, match=r"sweep.json: No space left on device"):
        sweep(["module:toy_good"], ["gear"], out, SweepConfig(report=False, quiet=True))
    assert (out / "sweep.json").read_text() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".sweep.json")]


# == one line, exit 2, before the work starts =====================================================
def test_bad_scheduler_address_sweep(tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    proc = _run([*CLI, "sweep", "--models", "stft", "--probes", "gear", "--scheduler", "not a url!!",
                 "--out", str(out)], timeout=120)
    _one_line_error(proc, "--scheduler", "not a url!!", "tcp://")
    assert not (out / "sweep.log").exists()


def test_bad_scheduler_address_timbre_fails_before_embedding(tmp_path, timbre_dir):
    cache = tmp_path / "cache"
    t0 = time.monotonic()
    proc = _run([*CLI, "probe", "timbre", "--model", "stft", "--data", str(timbre_dir), "--datasets",
                 "Grey1977", "--no-loso", "--scheduler", "not a url!!", "--out", str(tmp_path / "o"),
                 "--cache", str(cache), "-q"], timeout=120)
    _one_line_error(proc, "--scheduler", "not a url!!")
    assert not cache.exists(), "embedded before checking --scheduler"
    assert time.monotonic() - t0 < 60


MIDFAIL = """
import os
from toy_good import *  # noqa: F401,F403
from toy_good import get_scene_embeddings as _scene

CALLS = {"n": 0}


def get_scene_embeddings(audio, model):
    CALLS["n"] += 1  # call 1: the contract check; then one call per item (--batch-size 1)
    if CALLS["n"] == 5:
        raise RuntimeError("CUDA out of memory (simulated)\\nsecond line of the message")
    return _scene(audio, model)
"""


def test_user_module_that_raises_mid_run_is_one_line(tmp_path, timbre_dir, toy_env):
    (tmp_path / "toy_midfail.py").write_text(MIDFAIL)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), toy_env["PYTHONPATH"]])}
    cache = tmp_path / "cache"
    proc = _run([*CLI, "embed", "--module", "toy_midfail", "--data", str(timbre_dir), "--datasets",
                 "Grey1977", "--batch-size", "1", "--cache", str(cache), "-q"], env=env)
    line = _one_line_error(proc, "toy_midfail", "get_scene_embeddings raised RuntimeError",
                           "CUDA out of memory (simulated) second line", "rerun resumes")
    assert "batch of 1 item(s)" in line
    parts = list((cache / "embeddings").rglob("batch-*.npz"))
    assert len(parts) == 3, "the finished batches are kept for the rerun"


def _embed(data, cache, sets="Grey1977", *extra, model=("--model", "stft"), env=None, quiet=True):
    return _run([*CLI, "embed", *model, "--data", str(data), "--datasets", sets,
                 "--cache", str(cache), *(["-q"] if quiet else []), *extra], env=env)


def test_disk_full_under_cache_is_one_line_and_the_store_stays_valid(tmp_path, small_fs, timbre_dir, toy_env):
    cache = small_fs / "cache"
    ok = _embed(timbre_dir, cache, model=("--module", "toy_good"), env={"PYTHONPATH": toy_env["PYTHONPATH"]})
    assert ok.returncode == 0, ok.stderr
    _fill(small_fs)
    proc = _embed(timbre_dir, cache, "Grey1978", model=("--module", "toy_good"),
                  env={"PYTHONPATH": toy_env["PYTHONPATH"]})
    _one_line_error(proc, "No space left on device")
    with h5py.File(cache / "embeddings" / "toy_good.h5", "r") as f:
        assert list(f["timbre"]) == ["Grey1977"] and f["timbre/Grey1977/embeddings"].shape[0] == 16


def test_disk_full_under_out_is_one_line(tmp_path, small_fs):
    _fill(small_fs)
    proc = _run([*CLI, "probe", "ranking", "--distance", "spectrogram", "--quick", "--trials", "5",
                 "--no-figures", "--out", str(small_fs / "out"), "-q"])
    _one_line_error(proc, "No space left on device")


def test_disk_full_while_writing_results_is_one_line(tmp_path, small_fs, monkeypatch):
    """Room for the folder but not for the results: caught where the file is written."""
    from report_fixtures import write_fixture_results

    folder = write_fixture_results(tmp_path / "res", names=("stft",))[0]
    big = folder / "gear_big.png"  # embedded in the report: more than the disk holds
    rng = np.random.default_rng(0)
    from PIL import Image

    Image.fromarray(rng.integers(0, 255, (900, 900, 3), dtype=np.uint8)).save(big)
    proc = _run([*CLI, "report", str(folder), "-o", str(small_fs / "r.html"), "--images", "full"])
    _one_line_error(proc, "No space left on device", "r.html")
    assert not [p for p in small_fs.iterdir() if p.name.endswith(".tmp")]


def test_read_only_out_fails_before_computing(tmp_path, read_only):
    ro = read_only(tmp_path / "ro")
    proc = _run([*CLI, "probe", "ranking", "--distance", "spectrogram", "--quick", "--trials", "5",
                 "--no-figures", "--out", str(ro / "out"), "-q"])
    _one_line_error(proc, "--out", "Read-only file system")


def test_read_only_cache_fails_before_embedding_but_serves_cached_sets(tmp_path, read_only, timbre_dir,
                                                                       toy_env):
    env = {"PYTHONPATH": toy_env["PYTHONPATH"], "TOY_COUNTER": str(tmp_path / "calls.txt")}
    cache = tmp_path / "ro"
    ok = _embed(timbre_dir, cache, model=("--module", "toy_good"), env=env)
    assert ok.returncode == 0, ok.stderr
    read_only(cache)
    (tmp_path / "calls.txt").unlink()
    cached = _embed(timbre_dir, cache, model=("--module", "toy_good"), env=env)
    assert cached.returncode == 0, cached.stderr
    proc = _embed(timbre_dir, cache, "Grey1978", model=("--module", "toy_good"), env=env)
    _one_line_error(proc, "Read-only file system", "/timbre/Grey1978")
    calls = [int(x) for x in (tmp_path / "calls.txt").read_text().split()]
    assert sum(calls) == 2 * 4, f"the model ran on the stimuli: {calls}"  # contract checks only


@pytest.mark.parametrize("case", ["cache is a file", "cache is a dangling link", "out is a file",
                                  "report -o is a folder"])
def test_file_versus_folder_is_one_line(tmp_path, case):
    from report_fixtures import write_fixture_results

    thing = tmp_path / "thing"
    if case == "cache is a dangling link":
        thing.symlink_to(tmp_path / "gone")
    elif case == "report -o is a folder":
        thing.mkdir()
    else:
        thing.write_text("x")
    if case.startswith("cache"):
        cmd = [*CLI, "probe", "ranking", "--model", "stft", "--quick", "--trials", "5", "--no-figures",
               "--cache", str(thing), "--out", str(tmp_path / "o"), "-q"]
        needles = ["--cache", "symbolic link" if "link" in case else "a file, not a folder"]
    elif case == "out is a file":
        cmd = [*CLI, "probe", "ranking", "--distance", "spectrogram", "--quick", "--trials", "5",
               "--no-figures", "--out", str(thing), "-q"]
        needles = ["--out", "a file, not a folder"]
    else:
        folder = write_fixture_results(tmp_path / "res", names=("stft",))[0]
        cmd = [*CLI, "report", str(folder), "-o", str(thing)]
        needles = ["--output", "a folder, not a file"]
    proc = _run(cmd)
    _one_line_error(proc, *needles)
    assert not (tmp_path / "o").exists()


def _erratum_data(timbre_dir: Path, dst: Path) -> Path:
    root = dst / "data"
    for study in ("Grey1977", "Grey1978"):
        shutil.copytree(timbre_dir / "sounds" / study, root / "sounds" / study)
    (root / "ratings").mkdir()
    for study in ("Grey1977", "Grey1978"):
        shutil.copy(timbre_dir / "ratings" / f"{study}_dissimilarity_matrix.txt", root / "ratings")
    order = json.loads((timbre_dir / "published_stft_row_order.json").read_text())
    order["order"] = {k: v for k, v in order["order"].items() if k in ("Grey1977", "Grey1978")}
    (root / "published_stft_row_order.json").write_text(json.dumps(order))
    return root


@pytest.mark.parametrize("case", ["order not an order file", "order not json", "out is a folder"])
def test_erratum_bad_arguments_are_one_line(tmp_path, timbre_dir, case):
    if not (timbre_dir / "published_stft_row_order.json").is_file():
        pytest.skip("published_stft_row_order.json not in the timbre data")
    root = _erratum_data(timbre_dir, tmp_path)
    out = tmp_path / "x.h5"
    extra = []
    if case == "order not an order file":
        bad = tmp_path / "order.bin"
        bad.write_bytes(b"\xff\xfe\x00binary")
        extra = ["--order", str(bad)]
    elif case == "order not json":
        bad = tmp_path / "order.json"
        bad.write_text("Grey1977: a, b, c")
        extra = ["--order", str(bad)]
    else:
        out.mkdir()
    proc = _run([*ERRATUM, "--data", str(root), "--out", str(out), "--cache", str(tmp_path / "c"),
                 "--quiet", *extra])
    _one_line_error(proc, "--order" if "order" in case else "--out")
    assert not (tmp_path / "c").exists(), "computed before checking the arguments"


def test_erratum_output_is_atomic(tmp_path, monkeypatch):
    import h5py as h5

    from hear_probes.probes.timbre.erratum import write_embeddings_file

    out = tmp_path / "x.h5"
    out.write_bytes(b"the previous file")
    real = h5.Group.create_dataset
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(h5.Group, "create_dataset", failing)
    sets = {s: (["a", "b"], np.ones((2, 3), np.float32)) for s in ("S1", "S2")}
    with pytest.raises(KeyboardInterrupt):
        write_embeddings_file(out, sets)
    assert out.read_bytes() == b"the previous file"
    assert [p.name for p in tmp_path.iterdir()] == ["x.h5"]


def test_erratum_ctrl_c_exits_130_without_output(tmp_path, timbre_dir):
    if not (timbre_dir / "published_stft_row_order.json").is_file():
        pytest.skip("published_stft_row_order.json not in the timbre data")
    cache, out = tmp_path / "c", tmp_path / "x.h5"
    proc = subprocess.Popen([*ERRATUM, "--data", str(timbre_dir), "--out", str(out), "--cache", str(cache),
                             "--model", "stft", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    try:
        assert wait_until(lambda: any(cache.rglob("batch-*.npz")) if cache.exists() else False, 180), \
            "embedding never started"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".x.h5*"))


def _gear_file(path: Path, ids: list[str]) -> Path:
    with h5py.File(path, "w") as f:
        g = f.create_group("gear/tones")
        g["embeddings"] = np.random.default_rng(0).standard_normal((len(ids), 4)).astype(np.float32)
        g["item_ids"] = np.array(ids, dtype=object).astype(h5py.string_dtype())
    return path


@pytest.mark.parametrize(("ids", "needle"), [
    ([f"tone_{i}" for i in range(30)], "does not encode the factors"),
    ([f"f1={'nan' if i == 3 else 20 + i}_alpha=0.1_r=0.5" for i in range(30)], "NaN or infinite"),
    ([f"f1={20 + i}_alpha=x_r=0.5" for i in range(30)], "not a number"),
])
def test_gear_embeddings_ids_that_do_not_encode_factors(tmp_path, ids, needle):
    emb = _gear_file(tmp_path / "e.h5", ids)
    proc = _run([*CLI, "probe", "gear", "--embeddings", str(emb), "--out", str(tmp_path / "o"), "-q"])
    _one_line_error(proc, needle, "item id")
    assert not (tmp_path / "o" / "gear.json").exists()


@pytest.mark.parametrize(("args", "needle"), [
    (["--models", "nosuchmodel"], "unknown model 'nosuchmodel'"),
    (["--models", "stft,module:no_such_mod_xyz"], "no_such_mod_xyz"),
    (["--models", "stft", "--layers", "2;3"], "--layers: '2;3'"),
    (["--models", "stft", "--layers", "bogus"], "does not expose layers"),
    (["--models", "stft", "--layers", ""], "--layers"),
])
def test_sweep_unknown_models_and_layers_before_dask(tmp_path, args, needle):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    proc = _run([*CLI, "sweep", *args, "--probes", "gear", "--out", str(out)], timeout=120)
    _one_line_error(proc, needle)
    assert "distributed" not in proc.stderr and not (out / "sweep.log").exists()


def test_layers_with_distance_is_an_error(tmp_path):
    proc = _run([*CLI, "probe", "ranking", "--distance", "spectrogram", "--layers", "2", "--quick",
                 "--out", str(tmp_path / "o"), "-q"])
    _one_line_error(proc, "--layers", "--distance")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["", " , "])
@pytest.mark.parametrize("command", ["embed", "probe timbre"])
def test_empty_datasets_is_an_error(tmp_path, timbre_dir, value, command):
    if command == "embed":
        proc = _embed(timbre_dir, tmp_path / "c", value)
    else:
        proc = _run([*CLI, "probe", "timbre", "--model", "stft", "--data", str(timbre_dir), "--datasets",
                     value, "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o"), "-q"])
    _one_line_error(proc, "--datasets")
    assert not (tmp_path / "c").exists()


def test_hf_model_offline_fails_fast_in_one_line(tmp_path):
    pytest.importorskip("transformers", reason="hf: models need transformers")
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_CACHE": str(tmp_path / "hub"),
           "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": ""}
    t0 = time.monotonic()
    proc = _run([*CLI, "validate", "--model", "hf:nonexistent-org/model", "--no-hearvalidator"], env=env,
                timeout=120)
    elapsed = time.monotonic() - t0
    _one_line_error(proc, "nonexistent-org/model", "hf download")
    assert elapsed < 30, f"took {elapsed:.0f} s (hub retries?)"
    proc = _run([*CLI, "validate", "--model", "hf:nonexistent-org/model", "--no-hearvalidator"],
                env={**env, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": ""}, timeout=120)
    _one_line_error(proc, "HF_HUB_OFFLINE")


@pytest.mark.parametrize("value", [1e308, -5, 1.5])
def test_report_range_checks_explained_variance(tmp_path, value):
    from report_fixtures import write_fixture_results

    folder = write_fixture_results(tmp_path / "res", names=("stft",))[0]
    path = folder / "timbre.json"
    payload = json.loads(path.read_text())
    payload["explained_variance"]["Grey1977"] = value
    path.write_text(json.dumps(payload))
    proc = _run([*CLI, "report", str(folder), "-o", str(tmp_path / "r.html")])
    _one_line_error(proc, "explained_variance.Grey1977", "[-1, 1]")
    assert not (tmp_path / "r.html").exists()


NAN_LAYER = """
import torch
from toy_layers import *  # noqa: F401,F403
from toy_layers import get_layer_scene_embeddings as _layers


def get_layer_scene_embeddings(audio, model):
    outs = _layers(audio, model)
    outs[1] = torch.full_like(outs[1], float("nan"))
    return outs
"""


def test_validate_catches_an_all_nan_layer(tmp_path, toy_env):
    (tmp_path / "toy_nanlayer.py").write_text(NAN_LAYER)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), toy_env["PYTHONPATH"]])}
    proc = _run([*CLI, "validate", "--module", "toy_nanlayer", "--no-hearvalidator"], env=env)
    _one_line_error(proc, "toy_nanlayer", "layer 1", "NaN")
    ok = _run([*CLI, "validate", "--module", "toy_layers", "--no-hearvalidator"], env=env)
    assert ok.returncode == 0 and "OK" in ok.stdout, ok.stderr


def test_datasets_verify_flags_an_extra_sound_file(tmp_path, timbre_dir):
    root = _copy_study_data(timbre_dir, tmp_path / "data")
    first = sorted((root / "sounds" / "Grey1977").iterdir())[0]
    shutil.copy(first, first.with_name("zz_extra" + first.suffix))
    (root / "sounds" / "Grey1977" / "._hidden.aiff").write_bytes(b"AppleDouble")  # ignored
    proc = _run([*CLI, "datasets", "verify", "timbre", "--data", str(root)], cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert f"sounds/Grey1977/zz_extra{first.suffix} (not in the manifest)" in proc.stderr
    assert "_hidden" not in proc.stderr


def test_cached_only_when_this_model_computed_the_set(tmp_path, timbre_dir, toy_env):
    """A set of the same name written by another model id is recomputed and said so."""
    (tmp_path / "toy_alias.py").write_text("from toy_good import *  # noqa: F401,F403\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), toy_env["PYTHONPATH"]])}
    cache = tmp_path / "cache"
    first = _embed(timbre_dir, cache, model=("--module", "toy_good"), env=env, quiet=False)
    assert first.returncode == 0 and "(computed)" in first.stdout, first.stderr
    again = _embed(timbre_dir, cache, model=("--module", "toy_good"), env=env, quiet=False)
    assert "timbre/Grey1977: 16 x 3 (cached)" in again.stdout, again.stdout
    # the same store file, written by another model id (e.g. an older cache layout)
    shutil.copy(cache / "embeddings" / "toy_good.h5", cache / "embeddings" / "toy_alias.h5")
    other = _embed(timbre_dir, cache, model=("--module", "toy_alias"), env=env, quiet=False)
    assert other.returncode == 0, other.stderr
    assert "timbre/Grey1977: 16 x 3 (computed)" in other.stdout, other.stdout
