"""A killed embedding run resumes without recomputing finished sets (real subprocess, SIGKILL)."""

import subprocess
import sys
import time

import h5py
import numpy as np

SETS = "Grey1977,Grey1978,Patil2012_A3,Barthet2010"


def _cmd(timbre_dir, cache):
    return [sys.executable, "-m", "hear_probes.cli", "embed", "--module", "toy_good", "--stimuli", "timbre",
            "--data", str(timbre_dir), "--datasets", SETS, "--cache", str(cache), "--batch-size", "4", "--quiet"]


def _finished(path):
    if not path.exists():
        return {}
    with h5py.File(path, "r") as f:
        return {k: f[f"timbre/{k}"].attrs["created"] for k in f.get("timbre", {})}


def test_kill_and_resume(tmp_path, timbre_dir, toy_env):
    cache = tmp_path / "cache"
    store = cache / "embeddings" / "toy_good.h5"
    env = dict(toy_env, TOY_SLEEP="0.25")
    proc = subprocess.Popen(_cmd(timbre_dir, cache), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and len(_finished(store)) < 1:
        time.sleep(0.1)
    time.sleep(0.6)  # let it get into the next set
    proc.kill()
    proc.wait()
    before = _finished(store)
    assert 1 <= len(before) < 4, "the run should have been killed midway"

    counter = tmp_path / "calls.txt"
    env = dict(toy_env, TOY_COUNTER=str(counter))
    done = subprocess.run(_cmd(timbre_dir, cache), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    after = _finished(store)
    assert set(after) == {"Grey1977", "Grey1978", "Patil2012_A3", "Barthet2010"}
    for name, created in before.items():
        assert after[name] == created, f"{name} was recomputed"
    assert not (cache / "embeddings" / "toy_good.parts").exists(), "empty .parts/ left after a complete run"
    assert not list(cache.rglob("*.tmp")), "temporary file left behind"
    n_sounds = {"Grey1977": 16, "Grey1978": 16, "Patil2012_A3": 11, "Barthet2010": 15}
    recomputed = sum(int(x) for x in counter.read_text().split()) if counter.exists() else 0
    contract_check_items = 4  # check_module embeds a 2-item probe signal twice before any set
    assert recomputed - contract_check_items <= sum(v for k, v in n_sounds.items() if k not in before)

    fresh_cache = tmp_path / "fresh"
    ok = subprocess.run(_cmd(timbre_dir, fresh_cache), env=toy_env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    with h5py.File(store, "r") as a, h5py.File(fresh_cache / "embeddings" / "toy_good.h5", "r") as b:
        for name in n_sounds:
            np.testing.assert_array_equal(a[f"timbre/{name}/embeddings"][...], b[f"timbre/{name}/embeddings"][...])
            np.testing.assert_array_equal(a[f"timbre/{name}/item_ids"][...], b[f"timbre/{name}/item_ids"][...])
