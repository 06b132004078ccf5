"""CLI conveniences: ``python -m hear_probes``, ``--version``, ``probes``, ``--device``,
``--batch-size``, ``--trust-remote-code`` and the scene-only contract mode."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hear_probes import __version__
from hear_probes.cli import main
from hear_probes.errors import HearProbesError
from hear_probes.probes import registry
from hear_probes.probes.registry import Probe, RunOptions
from hear_probes.stimuli.base import StimulusSet, fixed_hash

# -- toy modules written per test: a numpy scene-only module and one that records its calls --
SCENE_ONLY = textwrap.dedent('''
    """Scene-only HEAR module: load_model and get_scene_embeddings, nothing else."""
    import json, os
    import numpy as np

    class Model:
        sample_rate = 16000
        scene_embedding_size = 2

    def load_model(model_file_path="", device=None):
        log = os.environ.get("TOY_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(json.dumps({"device": device}) + "\\n")
        return Model()

    def get_scene_embeddings(audio, model):
        log = os.environ.get("TOY_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(json.dumps({"batch": int(audio.shape[0])}) + "\\n")
        a = np.asarray(audio, dtype=np.float32)
        return np.stack([np.sqrt((a ** 2).mean(axis=1)), np.abs(a).max(axis=1)], axis=1)
''')


@pytest.fixture
def scene_only(tmp_path, monkeypatch):
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "toy_scene_only.py").write_text(SCENE_ONLY)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("TOY_LOG", str(tmp_path / "log.jsonl"))
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path / "cache"))
    sys.modules.pop("toy_scene_only", None)
    return tmp_path / "log.jsonl"


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _tones(ids, sample_rate):
    t = np.arange(int(0.1 * sample_rate)) / sample_rate
    return [(0.1 * (k + 1) * np.sin(2 * np.pi * 440 * t)).astype(np.float32) for k, _ in enumerate(ids)]


def _stimuli(options: RunOptions) -> list[StimulusSet]:
    ids = tuple(f"tone-{k}" for k in range(7))
    return [StimulusSet("batchy", "tones", ids, lambda i, sr, m: _tones(i, sr), fixed_hash("b1"))]


def _run(loaded, store, out_dir: Path, options: RunOptions) -> dict:
    from hear_probes.embed import embed_stimulus_set

    emb = embed_stimulus_set(loaded, store, _stimuli(options)[0], quiet=True,
                             batch_size=options.batch_size or 16)
    (Path(out_dir) / "batchy.json").write_text(json.dumps({"rows": int(emb.shape[0])}))
    return {}


@pytest.fixture
def batchy():
    probe = registry.register(Probe(name="batchy", run=_run, stimulus_sets=_stimuli,
                                    stimuli="seven tones", outputs=("batchy.json",)))
    stamped = registry.register(Probe(name="stamped", run=_run, needs_timestamps=True,
                                      stimuli="frames", outputs=("stamped.json",)))
    yield probe, stamped
    registry.unregister("batchy")
    registry.unregister("stamped")


def test_python_dash_m_and_version():
    proc = subprocess.run([sys.executable, "-m", "hear_probes", "--version"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"hear-probes {__version__}"
    proc = subprocess.run([sys.executable, "-m", "hear_probes", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "evaluate" in proc.stdout and "probes" in proc.stdout


def test_probes_lists_stimuli_needs_and_outputs(batchy, capsys):
    assert main(["probes"]) == 0
    out = capsys.readouterr().out
    for name in ("ranking", "gear", "timbre", "batchy", "stamped"):
        assert f"\n{name}: " in "\n" + out
    assert "writes:  gear.json" in out and "writes:  timbre.json" in out
    block = out.split("stamped: ")[1]
    assert "needs:   timestamp embeddings" in block and "stimuli: frames" in block


def test_evaluate_passes_device_and_batch_size_down(scene_only, batchy, tmp_path):
    out = tmp_path / "out"
    assert main(["evaluate", "--module", "toy_scene_only", "--probes", "batchy", "--device", "cpu",
                 "--batch-size", "3", "--out", str(out), "--quiet"]) == 0
    log = _log(scene_only)
    assert {"device": "cpu"} in log
    batches = [e["batch"] for e in log if "batch" in e]
    # the contract check embeds 2 items; the probe's 7 tones come in batches of 3
    assert batches[-3:] == [3, 3, 1]
    assert json.loads((out / "batchy.json").read_text()) == {"rows": 7}


def test_batch_size_must_be_positive():
    with pytest.raises(HearProbesError, match="--batch-size 0"):
        RunOptions(batch_size=0)
    assert main(["evaluate", "--module", "x", "--batch-size", "0"]) == 2


def test_device_for_a_module_that_cannot_take_it_is_one_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "toy_nodevice.py").write_text(SCENE_ONLY.replace("device=None", "other=None")
                                            .replace('{"device": device}', '{}'))
    monkeypatch.syspath_prepend(str(folder))
    from hear_probes.errors import ModelResolutionError
    from hear_probes.hear_module import load_hear_module

    with pytest.raises(ModelResolutionError, match="--device cuda:.*takes no device="):
        load_hear_module(module="toy_nodevice", runtime={"device": "cuda:0"})
    # the CPU and "auto" are fine for any model
    assert load_hear_module(module="toy_nodevice", runtime={"device": "cpu"}).model is not None
    assert load_hear_module(module="toy_nodevice", runtime={"device": "auto"}).model is not None


def test_runtime_settings_stay_out_of_the_cache_identity(scene_only):
    from hear_probes.hear_module import load_hear_module

    a = load_hear_module(module="toy_scene_only")
    b = load_hear_module(module="toy_scene_only", runtime={"device": "cpu", "trust_remote_code": True})
    assert a.key() == b.key()


def test_runtime_kwargs_follow_the_signature():
    from hear_probes.hear_module import runtime_kwargs

    def with_both(path="", device=None, trust_remote_code=False):
        pass

    def bare(path=""):
        pass

    def anything(path="", **kw):
        pass

    run = {"device": "cuda", "trust_remote_code": True}
    assert runtime_kwargs(with_both, run) == (run, None)
    assert runtime_kwargs(bare, run) == ({}, "cuda")  # moved after loading; no remote code to run
    assert runtime_kwargs(anything, run) == (run, None)
    assert runtime_kwargs(with_both, {"device": "auto", "trust_remote_code": False}) == ({}, None)


def test_torch_model_moves_to_the_device_when_load_model_takes_none():
    torch = pytest.importorskip("torch")
    from hear_probes.hear_module import load_hear_module

    loaded = load_hear_module(module="toy_good", runtime={"device": "cpu"})
    assert next(loaded.model.buffers()).device == torch.device("cpu")


# -- scene-only contract mode ------------------------------------------------------------
def test_scene_only_module_passes_the_contract_and_validate(scene_only, capsys):
    from hear_probes.contract import check_module
    from hear_probes.hear_module import load_hear_module

    loaded = load_hear_module(module="toy_scene_only")
    assert not loaded.has_timestamps and loaded.timestamp_embedding_size == 0
    assert "scene-only" in check_module(loaded).summary()
    assert main(["validate", "--module", "toy_scene_only"]) == 0
    out = capsys.readouterr().out
    assert "scene-only" in out and "hearvalidator: skipped" in out


def test_scene_only_module_is_refused_by_a_probe_that_needs_timestamps(scene_only, batchy, tmp_path,
                                                                       capsys):
    code = main(["evaluate", "--module", "toy_scene_only", "--probes", "batchy,stamped",
                 "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "probe stamped needs timestamp embeddings" in err and "toy_scene_only" in err
    assert not (tmp_path / "o" / "batchy.json").exists()  # refused before anything ran


def test_scene_only_module_runs_the_builtin_probes(scene_only, tmp_path, capsys):
    """No built-in probe needs timestamp embeddings: GEAR runs on a scene-only module; the
    probe command passes --device and --batch-size down too."""
    assert not any(p.needs_timestamps for p in registry.probes().values())
    code = main(["probe", "gear", "--module", "toy_scene_only", "--quick", "--out",
                 str(tmp_path / "g"), "--quiet", "--device", "cpu", "--batch-size", "50"])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "g" / "gear.json").is_file()
    log = _log(scene_only)
    assert {"device": "cpu"} in log
    batches = [e["batch"] for e in log if "batch" in e][1:]  # after the contract check
    assert max(batches) == 50 and len(batches) > 1


# -- remote code: a flag, not an environment variable ----------------------------------------
def test_remote_code_model_is_ready_only_with_the_flag(monkeypatch, capsys):
    from hear_probes.registry import ModelSpec, get_spec

    assert get_spec("mert").remote_code and get_spec("mert-cat").remote_code
    monkeypatch.setattr(ModelSpec, "_readiness", lambda self: (True, "ready (weights: w)"))
    spec = get_spec("mert")
    assert spec.readiness() == (False, "ready with --trust-remote-code (ready (weights: w))")
    assert spec.readiness(trust_remote_code=True) == (True, "ready (weights: w)")
    assert main(["models"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("mert "))
    assert line.endswith("ready with --trust-remote-code (ready (weights: w))")
    assert main(["models", "--trust-remote-code"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("mert "))
    assert line.endswith("  ready (weights: w)")


def test_remote_code_environment_variable_is_no_longer_read(monkeypatch):
    pytest.importorskip("torch")
    from hear_probes_adapters._hf_utils import check_remote_code

    monkeypatch.setenv("HEAR_PROBES_TRUST_REMOTE_CODE", "1")
    with pytest.raises(PermissionError, match="--trust-remote-code.*no longer read"):
        check_remote_code("org/model", "0" * 40, None)
    assert check_remote_code("org/model", "0" * 40, True)
