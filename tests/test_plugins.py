"""Plug-ins: a package registers a model and a probe through entry points only.

``tests/toy_plugin`` is such a package (tox's ``tests`` env installs it). Installed, its model
``toy-rms`` is listed by ``hear-probes models`` and runs through ``hear_probes.evaluate``, and
its probe ``brightness`` runs there and lands in the tidy table.
"""

from __future__ import annotations

import importlib.util
import warnings
from importlib import metadata

import pytest

from hear_probes import plugins, registry
from hear_probes.errors import HearProbesWarning
from hear_probes.probes import registry as probe_registry

installed = pytest.mark.skipif(
    importlib.util.find_spec("hear_probes_toy_plugin") is None,
    reason="toy plug-in not installed: pip install ./tests/toy_plugin (tox's tests env does)")


@pytest.fixture
def fresh_registries(monkeypatch):
    """Registries read again (and restored afterwards)."""
    caches = (registry._builtin, plugins.model_entry_points, plugins.probe_entry_points)
    monkeypatch.setattr(probe_registry, "_PROBES", {})
    monkeypatch.setattr(probe_registry, "_loaded_builtins", False)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


@installed
def test_models_command_lists_the_plugin_model(capsys):
    from hear_probes.cli import main

    assert main(["models"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("toy-rms"))
    assert "numpy" in line and "16000" in line and "ready" in line
    assert registry.get_spec("toy-rms").module == "hear_probes_toy_plugin.model"


@installed
def test_evaluate_runs_the_plugin_probe_on_the_plugin_model(tmp_path):
    import hear_probes

    assert "brightness" in probe_registry.probe_names()
    res = hear_probes.evaluate("toy-rms", probes=("brightness", "ranking"), quick=True,
                               cache=tmp_path / "cache", out=tmp_path / "out")
    assert res.models == ["toy-rms"] and res.probes == ["brightness", "ranking"]
    df = res.to_pandas()
    row = df[df.probe == "brightness"].iloc[0]
    assert row.metric == "spearman" and -1 <= row.value <= 1 and row.n == 5
    assert (tmp_path / "out" / "brightness.json").is_file()
    csv = (tmp_path / "out" / "results.csv").read_text()
    assert "toy-rms,,brightness,tones,spearman" in csv and ",ranking," in csv
    again = hear_probes.load_results(tmp_path / "out")
    assert set(again.to_pandas().probe) == {"brightness", "ranking"}


def _entry_point(name: str, value: str, group: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=group)


def test_a_broken_model_plugin_is_skipped_with_one_warning(fresh_registries, monkeypatch):
    monkeypatch.setattr(plugins, "model_entry_points", lambda: (
        _entry_point("gone", "no_such_package_xyz.module", plugins.MODEL_GROUP),
        _entry_point("clash", "hear_probes_adapters.logmel", plugins.MODEL_GROUP)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models = registry.builtin_models()
    assert "logmel" in models and "stft" in models  # the built-in models are all there
    messages = [str(w.message) for w in caught if issubclass(w.category, HearProbesWarning)]
    assert any("gone" in m and "not importable" in m for m in messages)
    assert any("clash" in m and "already taken" in m for m in messages)


def test_a_broken_probe_plugin_is_skipped_with_one_warning(fresh_registries, monkeypatch):
    monkeypatch.setattr(plugins, "probe_entry_points", lambda: (
        _entry_point("gone", "no_such_package_xyz.probe", plugins.PROBE_GROUP),
        _entry_point("notaprobe", "json:dumps", plugins.PROBE_GROUP),
        _entry_point("ranking2", "hear_probes.probes.ranking.entry", plugins.PROBE_GROUP)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = probe_registry.probe_names()
    assert names[:3] == ("ranking", "gear", "timbre")
    messages = [str(w.message) for w in caught if issubclass(w.category, HearProbesWarning)]
    assert any("gone" in m and "ModuleNotFoundError" in m for m in messages)
    assert any("notaprobe" in m and "is not a hear_probes Probe" in m for m in messages)
    assert any("ranking2" in m and "already taken" in m for m in messages)
