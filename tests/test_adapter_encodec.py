"""EnCodec adapter on a tiny random EncodecModel (random weights: structure only, no results)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

from hear_probes_adapters import encodec  # noqa: E402
from hear_probes_adapters._common import HalfbandDecimator  # noqa: E402

from hear_probes.contract import check_module, hearvalidator_available, run_hearvalidator  # noqa: E402
from hear_probes.hear_module import load_hear_module  # noqa: E402


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("encodec")
    cfg = transformers.EncodecConfig(num_filters=4, hidden_size=16, codebook_dim=16,
                                     codebook_size=32, num_lstm_layers=1)
    transformers.EncodecModel(cfg).save_pretrained(d)
    return d


def test_contract(tiny_dir):
    loaded = load_hear_module(name="encodec", model_path=tiny_dir)
    report = check_module(loaded)
    assert report.sample_rate == 48000 and report.n_frames == 75
    assert report.timestamp_step_ms == pytest.approx(1000 / 75)


def test_latent_is_the_encoder_output(tiny_dir):
    model = encodec.load_model(str(tiny_dir))
    ref = transformers.EncodecModel.from_pretrained(tiny_dir).eval()
    x = torch.randn(2, 24000)
    with torch.no_grad():
        emb, ts = encodec.get_timestamp_embeddings(x, model)
        want = ref.encoder(model.decimate(x).unsqueeze(1)).transpose(1, 2)
    torch.testing.assert_close(emb, want)
    np.testing.assert_allclose(ts[0, :2].numpy(), [20 / 3, 20.0], atol=1e-3)


def test_chunking_differentiable_deterministic(tiny_dir):
    whole = encodec.load_model(str(tiny_dir))
    chunked = encodec.load_model(str(tiny_dir), chunk_s=320 * 20 / 24000, batch_size=1)
    x = torch.randn(2, 24000 + 77, requires_grad=True)
    a, ta = encodec.get_timestamp_embeddings(x, chunked)
    b, tb = encodec.get_timestamp_embeddings(x.detach(), whole)
    assert a.shape[1] == b.shape[1] == -(-((24000 + 77 + 1) // 2) // 320)
    torch.testing.assert_close(ta, tb)
    torch.testing.assert_close(a[:, :20], b[:, :20], rtol=1e-5, atol=1e-6)  # first chunk
    s = encodec.get_scene_embeddings(x, chunked)
    s.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    torch.testing.assert_close(s.detach(), a.detach().mean(1), rtol=1e-5, atol=1e-6)


def test_decimator_passes_band_and_rejects_alias():
    dec = HalfbandDecimator()
    t = torch.arange(24000, dtype=torch.float64) / 48000
    for f, lo, hi in ((1000.0, 0.99, 1.01), (10000.0, 0.98, 1.02), (12500.0, 0.0, 1e-4)):
        y = dec(torch.sin(2 * torch.pi * f * t).float().unsqueeze(0))[0, 500:-500]
        gain = y.pow(2).mean().sqrt().item() / np.sqrt(0.5)
        assert lo <= gain <= hi, (f, gain)


@pytest.mark.skipif(not hearvalidator_available(), reason="hearvalidator/tensorflow not installed")
def test_hearvalidator(tiny_dir):
    run_hearvalidator("hear_probes_adapters.encodec", str(tiny_dir))
