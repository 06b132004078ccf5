"""Packaging rules: complete package list, no shadowing import names, lazy registry."""

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "hear_probes").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject packages: {sorted(found - listed)}"


def test_no_shadowing_top_level_names(tmp_path):
    code = (
        "import importlib.util, hear_probes_adapters, hear_probes.manifests;"
        "print(importlib.util.find_spec('adapters'), importlib.util.find_spec('datasets'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # Neither name may resolve to this project (another installed package is not our business).
    assert str(REPO / "adapters") not in out.stdout and str(REPO / "datasets") not in out.stdout


def test_registry_and_cli_import_no_heavy_library(tmp_path):
    code = (
        "import sys, hear_probes.registry, hear_probes.cli;"
        "heavy=[m for m in ('transformers','tensorflow','tensorflow_hub','openl3') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
