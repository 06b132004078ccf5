"""VGGish adapter on a tiny SavedModel with the hub signature, through the real hub.load path."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("tensorflow_hub")

from fixtures_tf import expected_windows, save_fake_vggish  # noqa: E402
from hear_probes_adapters import vggish  # noqa: E402
from hear_probes_adapters._common import WeightsNotFoundError  # noqa: E402

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator  # noqa: E402
from hear_probes.hear_module import load_hear_module  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_fake_vggish(tmp_path_factory.mktemp("vggish") / "savedmodel")


@pytest.fixture(scope="module")
def model(model_dir):
    return vggish.load_model(str(model_dir))


@pytest.mark.parametrize("n_samples", [4000, 15600, 31000, 47000])
def test_framing_padding_batching_and_timestamps(model, n_samples):
    x = np.random.default_rng(n_samples).standard_normal((3, n_samples)).astype(np.float32)
    emb, ts = vggish.get_timestamp_embeddings(tf.constant(x), model)
    t = vggish.VGGishModel.n_frames(n_samples)
    assert t == max(1, 1 + (n_samples - 15600) // 15360)
    assert isinstance(emb, tf.Tensor) and emb.dtype == tf.float32 and ts.dtype == tf.float32
    assert emb.shape == (3, t, 128) and ts.shape == (3, t)
    np.testing.assert_allclose(ts.numpy()[1], 487.5 + 960.0 * np.arange(t))
    for i in range(3):
        padded = np.pad(x[i], (0, max(0, 15600 - n_samples)))
        ref = expected_windows(padded, 15360, 128, seed=0)
        np.testing.assert_allclose(emb.numpy()[i], ref, rtol=1e-4, atol=1e-4)
    scene = vggish.get_scene_embeddings(x, model)
    np.testing.assert_allclose(scene.numpy(), emb.numpy().mean(1), rtol=1e-5, atol=1e-6)


def test_deterministic_and_identity(model_dir, model):
    x = np.random.default_rng(0).standard_normal((2, 20000)).astype(np.float32)
    a = vggish.get_scene_embeddings(x, model).numpy()
    b = vggish.get_scene_embeddings(x, vggish.load_model(str(model_dir))).numpy()
    np.testing.assert_array_equal(a, b)
    assert isinstance(model, tf.Module)
    assert model.weights_id.startswith("sha256-tree:")


def test_contract_checks(model_dir):
    loaded = load_hear_module(name="vggish", model_path=model_dir)
    assert loaded.framework == "tensorflow"
    report = check_module(loaded)
    assert (report.sample_rate, report.scene_embedding_size, report.n_frames) == (16000, 128, 1)
    assert loaded.weights_id == loaded.model.weights_id
    emb, ts = loaded.timestamp_embeddings(np.zeros((2, 40000), np.float32))
    assert emb.shape == (2, 2, 128) and ts.dtype == np.float32


@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator is not installed")
def test_official_hearvalidator(model_dir):
    run_hearvalidator("hear_probes_adapters.vggish", str(model_dir))


def test_bad_folder_one_line_error(tmp_path):
    with pytest.raises(WeightsNotFoundError) as err:
        vggish.load_model(str(tmp_path))
    assert "saved_model.pb" in str(err.value) and "\n" not in str(err.value)


def test_offline_hub_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setattr(vggish, "HANDLE", "http://127.0.0.1:9/google/vggish/1")
    with pytest.raises(WeightsNotFoundError) as err:
        vggish.load_model()
    msg = str(err.value)
    assert "model_file_path" in msg and "\n" not in msg
