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


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _name(req: str) -> str:
    import re

    return re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0].lower()


def test_constraints_pin_torch_without_a_local_label():
    """``torch==2.13.0+cpu`` resolves only where that local wheel is; ``==2.13.0`` matches any."""
    for path in sorted((REPO / "constraints").glob("*.txt")):
        for line in path.read_text().splitlines():
            if line.lower().startswith("torch"):
                assert "+" not in line, f"{path.name}: {line}"


def test_every_tox_env_has_its_constraints_file():
    import configparser

    tox = configparser.ConfigParser()
    tox.read(REPO / "tox.ini")
    envs = [e.strip() for e in tox["tox"]["env_list"].split(",")]
    assert "notorch" in envs
    for env in envs:
        assert (REPO / "constraints" / f"{env}.txt").is_file(), env
        assert f"[testenv:{env}]" in (REPO / "tox.ini").read_text(), env


def test_torch_is_not_a_dependency_and_readme_says_how_to_get_cpu_wheels():
    deps = {_name(r) for r in _pyproject()["project"]["dependencies"]}
    assert "torch" not in deps
    readme = (REPO / "README.md").read_text()
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in readme


def test_extras_say_what_they_install():
    """No extra adds only core dependencies, no two extras are the same, none is misnamed."""
    project = _pyproject()["project"]
    core = {_name(r) for r in project["dependencies"]}
    extras = {k: frozenset(_name(r) for r in v) for k, v in project["optional-dependencies"].items()}
    for name, reqs in extras.items():
        assert reqs - core, f"extra {name!r} installs nothing beyond the core dependencies"
    groups = [k for k in extras if k != "all"]
    assert len({extras[k] for k in groups}) == len(groups), "two extras install the same"
    assert not {"plots", "sweep", "torch"} & set(extras)
    assert "transformers" in extras["transformers"]
    assert {"dask", "distributed"} <= extras["dask"]
