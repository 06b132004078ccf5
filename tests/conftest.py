"""Shared fixtures: the timbre data (skip when absent), toy HEAR modules, a temp cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# helpers shared by test modules (tests/tools/*.py: fakes, fault injection)
sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))

REPO = Path(__file__).resolve().parents[1]
TOY_DIR = Path(__file__).resolve().parent / "toy_modules"
SHARED_TIMBRE = REPO.parent / "shared" / "data" / "timbre"

if str(TOY_DIR) not in sys.path:
    sys.path.insert(0, str(TOY_DIR))


@pytest.fixture
def timbre_dir() -> Path:
    """The 17 timbre studies (``../shared/data/timbre`` or ``$HEAR_PROBES_TIMBRE``)."""
    path = Path(os.environ.get("HEAR_PROBES_TIMBRE", SHARED_TIMBRE))
    if not (path / "sounds").is_dir():
        pytest.skip(f"timbre datasets not found at {path}")
    return path


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """An empty cache folder, also set as $HEAR_PROBES_CACHE."""
    d = tmp_path / "cache"
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(d))
    return d


@pytest.fixture
def toy_env() -> dict:
    """Environment for subprocesses that import the toy modules."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TOY_DIR), env.get("PYTHONPATH", "")])
    return env
