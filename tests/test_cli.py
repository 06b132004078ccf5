"""CLI end to end on the weight-free stft representation with the real timbre sounds."""

import subprocess
import sys

import h5py
import numpy as np

from hear_probes.stimuli.timbre import TIMBRE_DATASETS


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "hear_probes.cli", *args], capture_output=True, text=True, env=env)


def test_models_lists_builtins():
    proc = _run("models")
    assert proc.returncode == 0, proc.stderr
    lines = {ln.split()[0]: ln for ln in proc.stdout.splitlines()[1:]}
    for name in ("stft", "logmel"):
        assert name in lines and "ready" in lines[name] and "not ready" not in lines[name]
    assert "513" in lines["stft"] and "16000" in lines["stft"]
    assert "44100" in lines["stft-44k"]


def test_embed_all_timbre_sets(tmp_path, timbre_dir):
    proc = _run("embed", "--model", "stft", "--stimuli", "timbre", "--data", str(timbre_dir),
                "--cache", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    with h5py.File(tmp_path / "embeddings" / "stft.h5", "r") as f:
        n_sets = len(f["timbre"])
        assert set(TIMBRE_DATASETS) <= set(f["timbre"]) and n_sets in (17, 21)  # + timbre-extra's 4
        g = f["timbre/Grey1977"]
        assert g["embeddings"].shape == (16, 513)
        assert g.attrs["model"] == "stft" and g.attrs["sample_rate"] == 16000
        assert np.all(np.isfinite(g["embeddings"][...]))
    again = _run("embed", "--model", "stft", "--stimuli", "timbre", "--data", str(timbre_dir),
                 "--cache", str(tmp_path))
    assert again.returncode == 0
    assert again.stdout.count("(cached)") == n_sets


def test_user_errors_are_one_line(tmp_path):
    proc = _run("embed", "--model", "stft", "--stimuli", "timbre", "--data", str(tmp_path / "nowhere"),
                "--cache", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no timbre datasets at") and "Traceback" not in proc.stderr
    proc = _run("embed", "--stimuli", "nope", "--model", "stft")
    assert proc.returncode == 2 and "unknown stimulus set" in proc.stderr
    bad = tmp_path / "embeddings"
    bad.mkdir()
    (bad / "stft.h5").write_bytes(b"garbage")
    proc = _run("embed", "--model", "stft", "--cache", str(tmp_path), "--data", str(tmp_path))
    assert proc.returncode == 2 and "not a readable HDF5 file" in proc.stderr


def test_cli_starts_without_heavy_imports():
    """`hear-probes --help` and the argument parsing never import torch, sklearn or matplotlib."""
    import subprocess
    import sys

    code = ("import sys, hear_probes.cli; "
            "print(sorted(m for m in ('torch', 'sklearn', 'matplotlib', 'scipy.optimize') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_embed_ranking_and_gear_sets(tmp_path):
    """`embed --stimuli ranking|gear` fills the sets a --quick probe run then finds cached."""
    for stimuli, group in (("ranking", "ranking"), ("gear", "gear")):
        proc = _run("embed", "--model", "stft", "--stimuli", stimuli, "--quick",
                    "--cache", str(tmp_path))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"{group}/") and "(computed)" in proc.stdout
        again = _run("embed", "--model", "stft", "--stimuli", stimuli, "--quick",
                     "--cache", str(tmp_path))
        assert again.returncode == 0 and "(cached)" in again.stdout
    with h5py.File(tmp_path / "embeddings" / "stft.h5", "r") as f:
        # one GEAR set per seed (five by default: each seed draws its own tones)
        assert len(f["ranking"]) == 1 and len(f["gear"]) == 5
        for group in ("ranking", "gear"):
            for name in f[group]:
                assert f[f"{group}/{name}/embeddings"].shape[1] == 513
    out = tmp_path / "out"
    proc = _run("probe", "gear", "--model", "stft", "--quick", "--cache", str(tmp_path),
                "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with h5py.File(tmp_path / "embeddings" / "stft.h5", "r") as f:
        assert len(f["gear"]) == 5  # the probe reused the sets embed wrote
