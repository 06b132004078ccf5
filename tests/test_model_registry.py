"""The model registry is read from the adapters' own ``BUILTIN_MODELS`` declarations."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hear_probes.errors import ModelResolutionError
from hear_probes.registry import ADAPTERS, builtin_models, read_declarations


def test_declarations_use_the_adapters_constants():
    src = "import torch\nSAMPLE_RATE = 16000\nSIZE = 7\nBUILTIN_MODELS = ({'name': 'x', 'sample_rate': SAMPLE_RATE, 'scene_dim': SIZE},)\n"
    assert read_declarations(src) == ({"name": "x", "sample_rate": 16000, "scene_dim": 7},)
    with pytest.raises(ModelResolutionError, match="not a literal"):
        read_declarations("BUILTIN_MODELS = ({'name': f()},)\n")
    with pytest.raises(ModelResolutionError, match="no BUILTIN_MODELS"):
        read_declarations("X = 1\n")


def test_every_adapter_declares_its_models_once():
    # the adapters' models (an installed plug-in, e.g. tests/toy_plugin, may add others)
    models = {n: s for n, s in builtin_models().items() if s.module in ADAPTERS}
    assert len(models) == 33 and list(models)[:3] == ["stft", "stft-44k", "logmel"]
    assert models["basic-pitch"].sample_rate == 22050
    assert {spec.module for spec in models.values()} == set(ADAPTERS)
    assert models["stft"].sample_rate == 16000 and models["stft-44k"].sample_rate == 44100
    assert models["vggish"].scene_dim == 128 and models["openl3"].scene_dim == 6144
    assert models["fcpe"].module == "hear_probes_adapters.fcpe" and models["fcpe"].scene_dim == 512


def test_reading_the_registry_imports_no_adapter():
    code = ("import sys; from hear_probes.registry import builtin_models; builtin_models(); "
            "print(sorted(m for m in sys.modules if m.startswith('hear_probes_adapters.') "
            "or m in ('torch', 'tensorflow', 'transformers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
