"""YAMNet adapter on a tiny SavedModel with the hub signature, through the real hub.load path."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("tensorflow_hub")

from fixtures_tf import expected_windows, save_fake_yamnet  # noqa: E402
from hear_probes_adapters import yamnet  # noqa: E402
from hear_probes_adapters._common import WeightsNotFoundError  # noqa: E402

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator  # noqa: E402
from hear_probes.hear_module import load_hear_module  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_fake_yamnet(tmp_path_factory.mktemp("yamnet") / "savedmodel")


@pytest.fixture(scope="module")
def model(model_dir):
    return yamnet.load_model(str(model_dir))


def _yamnet_padded(x: np.ndarray) -> np.ndarray:
    n = max(len(x), 15600)
    n = 15600 + -(-(n - 15600) // 7680) * 7680
    return np.pad(x, (0, n - len(x)))


@pytest.mark.parametrize("n_samples", [4000, 15600, 16000, 31000, 48000])
def test_framing_batching_and_timestamps(model, n_samples):
    x = np.random.default_rng(n_samples).standard_normal((3, n_samples)).astype(np.float32)
    emb, ts = yamnet.get_timestamp_embeddings(tf.constant(x), model)
    t = yamnet.YAMNetModel.n_frames(n_samples)
    assert emb.dtype == tf.float32 and emb.shape == (3, t, 1024) and ts.shape == (3, t)
    np.testing.assert_allclose(ts.numpy()[2], 487.5 + 480.0 * np.arange(t))
    for i in range(3):
        ref = expected_windows(_yamnet_padded(x[i]), 7680, 1024, seed=1)
        np.testing.assert_allclose(emb.numpy()[i], ref, rtol=1e-4, atol=1e-4)
    scores, sts = yamnet.get_class_scores(x, model)
    assert scores.shape == (3, t, 521) and scores.dtype == tf.float32
    np.testing.assert_array_equal(sts.numpy(), ts.numpy())
    scene = yamnet.get_scene_embeddings(x, model)
    np.testing.assert_allclose(scene.numpy(), emb.numpy().mean(1), rtol=1e-5, atol=1e-6)


def test_class_names_and_determinism(model_dir, model):
    names = yamnet.class_names(model)
    assert len(names) == 521 and names[0] == "class 0"
    x = np.random.default_rng(0).standard_normal((2, 20000)).astype(np.float32)
    a = yamnet.get_scene_embeddings(x, model).numpy()
    b = yamnet.get_scene_embeddings(x, yamnet.load_model(str(model_dir))).numpy()
    np.testing.assert_array_equal(a, b)


def test_contract_checks(model_dir):
    loaded = load_hear_module(name="yamnet", model_path=model_dir)
    report = check_module(loaded)
    assert report.n_frames == 2 and report.timestamp_step_ms == pytest.approx(480.0)
    assert loaded.weights_id.startswith("sha256-tree:")


@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator is not installed")
def test_official_hearvalidator(model_dir):
    run_hearvalidator("hear_probes_adapters.yamnet", str(model_dir))


def test_offline_hub_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setattr(yamnet, "HANDLE", "http://127.0.0.1:9/google/yamnet/1")
    with pytest.raises(WeightsNotFoundError) as err:
        yamnet.load_model()
    assert "model_file_path" in str(err.value) and "\n" not in str(err.value)
