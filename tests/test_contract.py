import subprocess
import sys

import numpy as np
import pytest

from hear_probes.contract import check_module, probe_signal
from hear_probes.errors import ContractError, ModelResolutionError
from hear_probes.hear_module import load_hear_module


def test_good_module_passes():
    loaded = load_hear_module(module="toy_good")
    report = check_module(loaded)
    assert report.sample_rate == 16000
    assert report.n_frames == 10
    assert report.timestamp_step_ms == pytest.approx(100.0)
    assert loaded.adapter_version == "test-1"


@pytest.mark.parametrize(("builtin", "rate"), [("stft", 16000), ("stft-44k", 44100), ("logmel", 44100)])
def test_builtin_modules_pass(builtin, rate):
    report = check_module(load_hear_module(name=builtin))
    assert report.sample_rate == rate


@pytest.mark.parametrize(
    ("mode", "rule"),
    [
        ("rate", "sample_rate"),
        ("size", "scene_embedding_size"),
        ("nan", "scene finite"),
        ("dtype", "scene dtype"),
        ("shape", "scene shape"),
        ("uneven", "timestamps spacing"),
        ("ts_shape", "timestamps shape"),
    ],
)
def test_broken_modules_fail_with_rule(monkeypatch, mode, rule):
    monkeypatch.setenv("TOY_BREAK", mode)
    loaded = load_hear_module(module="toy_broken")
    with pytest.raises(ContractError) as err:
        check_module(loaded)
    msg = str(err.value)
    assert "toy_broken" in msg and f"[{rule}]" in msg
    assert "\n" not in msg


def test_validate_cli_one_line_failure(toy_env):
    env = dict(toy_env, TOY_BREAK="rate")
    proc = subprocess.run(
        [sys.executable, "-m", "hear_probes.cli", "validate", "--module", "toy_broken", "--no-hearvalidator"],
        capture_output=True, text=True, env=env,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "toy_broken" in lines[0] and "sample_rate" in lines[0]
    assert "Traceback" not in proc.stderr


def test_validate_cli_passes_on_stft():
    proc = subprocess.run(
        [sys.executable, "-m", "hear_probes.cli", "validate", "--model", "stft"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout


def test_unknown_names_and_modules():
    with pytest.raises(ModelResolutionError, match="built-in models are"):
        load_hear_module(name="no-such-model")
    with pytest.raises(ModelResolutionError, match="cannot import"):
        load_hear_module(module="no_such_pkg.mod")
    with pytest.raises(ModelResolutionError, match="exactly one"):
        load_hear_module(name="stft", module="toy_good")
    with pytest.raises(ModelResolutionError, match="does not exist"):
        load_hear_module(module="toy_good", model_path="/no/such/weights.pt")


def test_weights_identity_from_file(tmp_path):
    w = tmp_path / "w.bin"
    w.write_bytes(b"abc")
    a = load_hear_module(module="toy_good", model_path=w)
    w.write_bytes(b"abd")
    b = load_hear_module(module="toy_good", model_path=w)
    assert a.weights_id.startswith("sha256:") and a.weights_id != b.weights_id
    assert a.key() != b.key()


def test_test_signal_deterministic():
    np.testing.assert_array_equal(probe_signal(16000), probe_signal(16000))


def test_a_model_is_named_one_way_and_its_weights_once(tmp_path):
    """Each bad way of naming a model is a one-line error before anything is imported."""
    with pytest.raises(ModelResolutionError, match="exactly one of --model NAME or --module"):
        load_hear_module()
    with pytest.raises(ModelResolutionError, match="exactly one of --model NAME or --module"):
        load_hear_module("stft", module="hear_probes_adapters.stft")
    with pytest.raises(ModelResolutionError, match="names its weights itself; drop --model-path"):
        load_hear_module("hf:facebook/wav2vec2-base", model_path=tmp_path)


def test_a_registry_model_merges_its_options_under_the_callers():
    from hear_probes.hear_module import _resolve_source
    from hear_probes.registry import get_spec

    spec = get_spec("hf:facebook/wav2vec2-base")
    dotted, model_id, opts, path = _resolve_source(spec.name, None, None, {"extra": 1})
    assert (dotted, model_id, path) == (spec.module, spec.name, spec.model_path)
    assert opts == {**spec.options, "extra": 1}
    assert _resolve_source(None, "pkg.mod", None, None) == ("pkg.mod", "pkg.mod", {}, "")
