"""Scoring one's own embeddings (``--embeddings``) needs no torch.

torch is not a dependency of hear-probes (README, "Install"): these tests run in an
environment without it (``tox -e notorch``) and are skipped where torch is installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is not None,
                                reason="torch is installed here: run tox -e notorch")


@pytest.fixture
def no_torch_env():
    return dict(os.environ, MPLBACKEND="Agg")


def _cli(env, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hear_probes.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_torch_is_really_absent():
    proc = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True, text=True)
    assert proc.returncode != 0 and "torch" in proc.stderr


def test_help_models_and_probes_without_torch(no_torch_env):
    assert _cli(no_torch_env, "--help").returncode == 0
    proc = _cli(no_torch_env, "models")
    assert proc.returncode == 0, proc.stderr
    assert "download.pytorch.org/whl/cpu" in proc.stdout  # how to get CPU-only torch
    proc = _cli(no_torch_env, "evaluate", "--model", "stft", "--quick")
    assert proc.returncode != 0 and "download.pytorch.org/whl/cpu" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_gear_embeddings_without_torch(no_torch_env, tmp_path):
    import h5py

    from hear_probes.stimuli import gear as g

    tones = g.make_tones("paper").subset(120, seed=0)
    emb = np.stack([tones.factors["f1"] / 12, tones.factors["alpha"]], axis=1)
    h5 = tmp_path / "emb.h5"
    with h5py.File(h5, "w") as f:
        grp = f.create_group("gear/tones")
        grp.create_dataset("embeddings", data=emb.astype(np.float32))
        grp.create_dataset("item_ids", data=np.array(tones.item_ids, dtype=object),
                           dtype=h5py.string_dtype("utf-8"))
    proc = _cli(no_torch_env, "probe", "gear", "--embeddings", str(h5), "--out", str(tmp_path / "o"),
                "-q")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "o" / "gear.json").read_text())["n_tones"] == 120


def test_timbre_embeddings_without_torch(no_torch_env, tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_timbre_cli import _make_data, _write_h5

    data = tmp_path / "timbre"
    _write_h5(tmp_path / "e.h5", _make_data(data), shuffle=False)
    proc = _cli(no_torch_env, "probe", "timbre", "--embeddings", str(tmp_path / "e.h5"),
                "--data", str(data), "--workers", "1", "--reference", "none", "--null-fits", "0",
                "--bootstrap", "0", "--permutations", "0", "--out", str(tmp_path / "o"), "-q")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "o" / "timbre.json").read_text())["probe"] == "timbre"
