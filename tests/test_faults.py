"""Fault injection: usage errors, exit codes, Ctrl-C (also with worker processes and Dask),
two concurrent embeds, resuming with another batch size. Real subprocesses and real signals.

Exit codes under test: 0 success, 1 a check failed (``datasets verify``), 2 a usage or user
error (one line on stderr), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

TOOLS = Path(__file__).resolve().parent / "tools"
sys.path.insert(0, str(TOOLS))

from fault_helpers import alive, children, wait_until  # noqa: E402

CLI = [sys.executable, "-m", "hear_probes.cli"]
# `import click` fails in the CLI process, as in a plain `pip install -e .` where typer uses its
# bundled copy of click and no separate click is installed.
NO_CLICK = ("import sys; sys.modules['click'] = None; from hear_probes.cli import main; "
            "sys.exit(main(sys.argv[1:]))")


#: Set by the tox env 'minimal' (a plain install, no extras): there click is really absent.
MINIMAL_ENV = bool(os.environ.get("HEAR_PROBES_EXPECT_NO_CLICK"))


def _no_click(*args):
    cmd = [*CLI, *args] if MINIMAL_ENV else [sys.executable, "-c", NO_CLICK, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_minimal_env_has_no_separate_click():
    if not MINIMAL_ENV:
        pytest.skip("checked in the tox env 'minimal' (plain install without extras)")
    with pytest.raises(ModuleNotFoundError):
        import click  # noqa: F401


@pytest.mark.parametrize(("args", "must_name"), [
    (["--bogus"], "--bogus"),
    (["embed", "--bogus"], "--batch-size"),          # lists the command's options
    (["frobnicate"], "embed"),                         # lists the commands
    (["probe", "nope"], "ranking"),
    (["probe", "ranking", "--trials", "0"], "--trials"),
    (["probe", "ranking", "--trials", "-5"], "greater than or equal to 1"),
    (["embed", "--batch-size"], "--batch-size"),
    (["embed", "--batch-size", "x"], "--batch-size"),
    (["report"], "result_dirs"),
])
def test_usage_errors_are_one_line_exit_2_without_click(args, must_name):
    proc = _no_click(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert must_name in lines[0]
    assert "Traceback" not in proc.stderr


def test_user_error_and_help_without_click(tmp_path):
    proc = _no_click("embed", "--model", "stft", "--data", str(tmp_path / "none"), "--cache", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.startswith("error: no timbre datasets")
    assert _no_click("--help").returncode == 0


def test_datasets_verify_exit_codes(tmp_path, timbre_dir):
    # run from outside the source tree: the installed package carries the manifest
    # (hear_probes.manifests), which a plain source checkout does not have under that name
    def verify(folder):
        return subprocess.run([*CLI, "datasets", "verify", "timbre", "--data", str(folder)],
                              capture_output=True, text=True, cwd=tmp_path)

    empty = tmp_path / "empty"
    (empty / "sounds").mkdir(parents=True)
    (empty / "ratings").mkdir()
    proc = verify(empty)
    assert proc.returncode == 1 and "(missing)" in proc.stderr, proc.stderr
    copy = tmp_path / "copy"
    shutil.copytree(timbre_dir, copy)
    victim = next(p for p in sorted((copy / "sounds").rglob("*")) if p.is_file())
    victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
    proc = verify(copy)
    assert proc.returncode == 1 and "sha256 mismatch" in proc.stderr, proc.stderr
    ok = verify(timbre_dir)
    assert ok.returncode == 0, ok.stderr


def _embed_cmd(timbre_dir, cache, sets="Grey1977,Grey1978", batch=4):
    return [*CLI, "embed", "--module", "toy_good", "--stimuli", "timbre", "--data", str(timbre_dir),
            "--datasets", sets, "--cache", str(cache), "--batch-size", str(batch), "--quiet"]


def test_ctrl_c_during_embed_prints_interrupted_and_exits_130(tmp_path, timbre_dir, toy_env):
    cache = tmp_path / "cache"
    proc = subprocess.Popen(_embed_cmd(timbre_dir, cache), env=dict(toy_env, TOY_SLEEP="0.3"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parts = cache / "embeddings" / "toy_good.parts"
    assert wait_until(lambda: any(parts.rglob("batch-*.npz")), 120), "embedding never started"
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    assert not list(cache.rglob("*.tmp")), "half-written file left behind"


def test_two_concurrent_embeds_share_the_work(tmp_path, timbre_dir, toy_env):
    """Both runs succeed; every item is embedded once; no .parts folder stays behind."""
    cache = tmp_path / "cache"
    sets = "Grey1977,Grey1978,Patil2012_A3"
    counters = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [subprocess.Popen(_embed_cmd(timbre_dir, cache, sets),
                              env=dict(toy_env, TOY_SLEEP="0.1", TOY_COUNTER=str(c)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in counters]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    calls = [sum(int(x) for x in c.read_text().split()) if c.exists() else 0 for c in counters]
    contract_check_items = 4  # each run's check_module embeds a 2-item probe signal twice
    n_items = 16 + 16 + 11
    assert sum(calls) - 2 * contract_check_items == n_items, calls
    store = cache / "embeddings" / "toy_good.h5"
    with h5py.File(store, "r") as f:
        assert sorted(f["timbre"]) == sorted(sets.split(","))
    assert not (cache / "embeddings" / "toy_good.parts").exists()


def test_resume_with_another_batch_size_does_not_mix_rows(tmp_path):
    from dataclasses import replace

    from hear_probes.store import EmbeddingStore, SetKey

    store = EmbeddingStore(tmp_path / "m.h5", model_id="m")
    key = SetKey("timbre", "S", "stim", "cfg", batch_size=2)
    store.save_partial(key, ["a", "b"], np.ones((2, 3)))
    assert set(store.partial_rows(key)) == {"a", "b"}
    assert store.partial_rows(replace(key, batch_size=8)) == {}
    store.write_set("timbre", "S", np.zeros((2, 3)), ["a", "b"], {})
    assert not store.parts_dir.exists(), "empty .parts/ folder left after a complete run"


# -- Ctrl-C with worker processes --------------------------------------------------------------
DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tools!r})
    from fault_helpers import sleepy
    from hear_probes.probes.timbre.parallel import run_tasks
    run_tasks(list(range(6)), workers=2, quiet=True, func=sleepy)
""")


def _start_pool(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", DRIVER.format(tools=str(TOOLS))],
                            env=dict(os.environ, FAULT_PIDS=str(pids)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_until(lambda: len(list(pids.iterdir())) >= 2, 60), "workers never started"
    return proc, [int(p.name) for p in pids.iterdir()]


def test_sigint_to_parent_stops_local_workers(tmp_path):
    proc, workers = _start_pool(tmp_path)
    t0 = time.monotonic()
    os.kill(proc.pid, signal.SIGINT)  # the parent alone, not its process group
    proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 8, "parent took too long to stop"
    assert wait_until(lambda: not any(alive(w) for w in workers), 5), "workers still running"


def test_sigkill_of_parent_leaves_no_orphaned_workers(tmp_path):
    proc, workers = _start_pool(tmp_path)
    proc.kill()
    proc.wait(timeout=10)
    assert wait_until(lambda: not any(alive(w) for w in workers), 5), "orphaned workers"


DASK_DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tools!r})
    from distributed import LocalCluster
    from fault_helpers import sleepy
    from hear_probes.probes.timbre.parallel import run_tasks
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        run_tasks(list(range(4)), scheduler=cluster.scheduler_address, quiet=True, func=sleepy)
""")


def test_sigint_to_parent_stops_dask_localcluster(tmp_path):
    pytest.importorskip("distributed")
    pids = tmp_path / "pids"
    pids.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", DASK_DRIVER.format(tools=str(TOOLS))],
                            env=dict(os.environ, FAULT_PIDS=str(pids)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: len(list(pids.iterdir())) >= 2, 120), "dask workers never started"
        workers = [int(p.name) for p in pids.iterdir()]
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        proc.communicate(timeout=60)
        assert time.monotonic() - t0 < 15, "parent took too long to stop"
        assert wait_until(lambda: not any(alive(w) for w in workers), 10), "dask workers still running"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_ctrl_c_during_timbre_fits_with_workers(tmp_path, timbre_dir):
    """The CLI end to end: SIGINT to the parent during --workers 2 fits -> 130 within seconds."""
    # every study with the robustness sweep: hundreds of fits, so it is still fitting when hit
    cmd = [*CLI, "probe", "timbre", "--model", "stft", "--data", str(timbre_dir), "--robustness",
           "--reference", "none", "--workers", "2", "--quiet", "--out", str(tmp_path / "out"),
           "--cache", str(tmp_path / "cache")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: len(children(proc.pid)) >= 2, 180, step=0.2), "no workers started"
        workers = children(proc.pid)
        time.sleep(0.5)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        t0 = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert time.monotonic() - t0 < 10, "parent took too long to stop"
        assert proc.returncode == 130, err
        assert "interrupted" in err and "Traceback" not in err
        assert wait_until(lambda: not any(alive(w) for w in workers), 5), "workers still running"
        assert not (tmp_path / "out" / "timbre.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()


# -- hand-edited or foreign result files in `report` -----------------------------------------------
def _edited(tmp_path, probe, edit):
    from report_fixtures import write_fixture_results

    folder = write_fixture_results(tmp_path / "res", names=("stft",))[0]
    path = folder / f"{probe}.json"
    payload = json.loads(path.read_text())
    edit(payload)
    path.write_text(json.dumps(payload))
    return folder, path


def _set(keys, value):
    def edit(payload):
        node = payload
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return edit


@pytest.mark.parametrize(("probe", "keys", "value", "expect"), [
    ("timbre", ["explained_variance", "Grey1977"], "high",
     "explained_variance.Grey1977: expected a number or null, found the string 'high'"),
    ("timbre", ["median"], "n/a", "median: expected a number or null, found the string 'n/a'"),
    ("timbre", ["median"], 0.98, "median: 0.98 is not the median of explained_variance"),
    ("timbre", ["explained_variance"], [0.5], "explained_variance: expected an object"),
    ("ranking", ["representations", "stft", "accuracy", "pitch", "fine"], 1.7,
     "representations.stft.accuracy.pitch.fine: expected a number in [0, 1]"),
    ("ranking", ["representations", "stft", "ci95", "pitch", "fine"], [0.5],
     "representations.stft.ci95.pitch.fine: expected a list [low, high]"),
    ("gear", ["factors", "f1", "knn_r2_k10"], "0.9", "factors.f1.knn_r2_k10: expected a number or null"),
    ("gear", ["schema_version"], 7, "schema_version: 7 is newer"),
    ("gear", ["probe"], "timbre", "probe: expected 'gear'"),
])
def test_report_rejects_files_that_break_the_schema(tmp_path, probe, keys, value, expect):
    folder, path = _edited(tmp_path, probe, _set(keys, value))
    proc = subprocess.run([*CLI, "report", str(folder), "-o", str(tmp_path / "r.html")],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert str(path) in lines[0] and expect in lines[0], lines[0]
    assert not (tmp_path / "r.html").exists()


def test_report_rejects_missing_required_key(tmp_path):
    folder, path = _edited(tmp_path, "timbre", lambda p: p.pop("explained_variance"))
    from hear_probes.report import write_report
    from hear_probes.result_schema import ResultSchemaError

    with pytest.raises(ResultSchemaError, match=r"timbre\.json: .*explained_variance: missing \(expected an object"):
        write_report([folder], tmp_path / "r.html")


def test_committed_results_match_their_schemas():
    from hear_probes.result_schema import schemas, validate_result

    root = Path(__file__).resolve().parents[1] / "results"
    seen = 0
    for probe, schema in schemas().items():
        for path in sorted(root.glob(f"*/{schema.filename}")):
            validate_result(probe, json.loads(path.read_text()), path)
            seen += 1
    assert seen >= 9


# -- messages that point the right way ------------------------------------------------------------
def test_embeddings_file_errors_name_the_format_before_asking_for_data(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    for probe in ("timbre", "gear"):
        proc = subprocess.run([*CLI, "probe", probe, "--embeddings", str(bad), "--out", str(tmp_path / "o")],
                              capture_output=True, text=True, env=dict(os.environ, HOME=str(tmp_path),
                                                                      XDG_DATA_HOME=str(tmp_path)))
        assert proc.returncode == 2, proc.stderr
        assert "not an HDF5 embeddings file" in proc.stderr and "docs/embedding-store.md" in proc.stderr
        assert "Delete it" not in proc.stderr and "--data" not in proc.stderr


def test_embeddings_file_nan_rows_and_1d_datasets_are_named(tmp_path):
    from hear_probes.store import read_embeddings_file

    path = tmp_path / "e.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("timbre/S")
        emb = np.ones((4, 3), np.float32)
        emb[2, 1] = np.nan
        g["embeddings"] = emb
        g["item_ids"] = np.array(["a", "b", "c", "d"], dtype=object).astype(h5py.string_dtype())
        g1 = f.create_group("timbre/One")
        g1["embeddings"] = np.ones(4, np.float32)
        g1["item_ids"] = np.array(["a", "b", "c", "d"], dtype=object).astype(h5py.string_dtype())
    with pytest.raises(Exception, match=r"1 row\(s\) hold NaN/inf values: row 2 \('c'\)"):
        read_embeddings_file(path, "timbre", "S")
    with pytest.raises(Exception, match=r"must be 2-D \[n_items, dim\], found shape \(4,\)"):
        read_embeddings_file(path, "timbre", "One")


def test_missing_third_party_import_in_a_user_module_is_named(tmp_path):
    (tmp_path / "user_mod_needs_pkg.py").write_text("import not_installed_pkg_xyz\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([*CLI, "validate", "--module", "user_mod_needs_pkg"], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 2
    assert "imports 'not_installed_pkg_xyz', which is not installed" in proc.stderr
    assert "pip install not_installed_pkg_xyz" in proc.stderr and "pip install -e ." not in proc.stderr
    proc = subprocess.run([*CLI, "validate", "--module", "no_such_user_mod_xyz"], capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 2 and "on PYTHONPATH" in proc.stderr


def test_reference_path_that_does_not_exist(tmp_path, timbre_dir):
    proc = subprocess.run([*CLI, "probe", "timbre", "--model", "stft", "--data", str(timbre_dir),
                           "--datasets", "Grey1977", "--robustness", "--no-loso", "--quiet",
                           "--reference", str(tmp_path / "nonexistent"), "--out", str(tmp_path / "o"),
                           "--cache", str(tmp_path / "c")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr and "unknown model" not in proc.stderr


def test_appledouble_files_are_ignored_with_a_note(tmp_path, timbre_dir):
    from hear_probes.errors import HearProbesWarning
    from hear_probes.stimuli.timbre import load_timbre_dataset

    root = tmp_path / "data"
    shutil.copytree(timbre_dir / "sounds" / "Grey1977", root / "sounds" / "Grey1977")
    (root / "ratings").mkdir()
    shutil.copy(timbre_dir / "ratings" / "Grey1977_dissimilarity_matrix.txt", root / "ratings")
    first = sorted((root / "sounds" / "Grey1977").iterdir())[0]
    (first.parent / f"._{first.name}").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    with pytest.warns(HearProbesWarning, match=r"ignored 1 hidden file\(s\) \(\._"):
        ds = load_timbre_dataset(root, "Grey1977")
    assert len(ds.item_ids) == 16 and not any(i.startswith(".") for i in ds.item_ids)


@pytest.mark.parametrize(("signal_", "expect"), [
    (np.zeros(44100, np.float32), "silent"),
    (np.full(44100, 1e-6, np.float32), "nearly silent"),
    (np.full(441, 0.5, np.float32), "only 10.0 ms of audio"),
])
def test_silent_or_very_short_audio_warns(tmp_path, signal_, expect):
    import soundfile as sf

    from hear_probes.audio import load_audio
    from hear_probes.errors import HearProbesWarning

    path = tmp_path / "x.wav"
    sf.write(path, signal_, 44100, subtype="FLOAT")
    with pytest.warns(HearProbesWarning, match=expect):
        load_audio(path, 16000)


def test_warnings_print_as_one_line_in_the_cli(tmp_path, timbre_dir):
    import soundfile as sf

    root = tmp_path / "data"
    shutil.copytree(timbre_dir / "sounds" / "Grey1977", root / "sounds" / "Grey1977")
    shutil.copytree(timbre_dir / "ratings", root / "ratings")
    first = sorted((root / "sounds" / "Grey1977").iterdir())[0]
    (first.parent / f"._{first.name}").write_bytes(b"junk")
    data, sr = sf.read(first)
    sf.write(first, np.zeros_like(data), sr, format="AIFF")
    proc = subprocess.run([*CLI, "embed", "--model", "stft", "--data", str(root), "--datasets", "Grey1977",
                           "--cache", str(tmp_path / "c"), "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    warn = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning: ")]
    assert any("hidden file" in ln for ln in warn) and any("silent" in ln for ln in warn), proc.stderr
    assert "UserWarning" not in proc.stderr
