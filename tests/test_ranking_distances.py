"""Spectral distance catalogue and SOT: zero on identity, symmetry, gradients, filterbanks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch

from hear_probes.probes.ranking.distances import DISTANCES, get_distance, parse_distance_names
from hear_probes.probes.ranking.sot import wasserstein_1d
from hear_probes.probes.ranking.transforms import dct_matrix, flattop_window, mel_filterbank
from hear_probes.stimuli.sines import synth_sines

DURATION = 0.1


def _pair():
    x = synth_sines([220.0, 1000.0], [-6.0, -20.0], [0.3, 1.0], 44100, DURATION)
    y = synth_sines([230.0, 700.0], [-10.0, -3.0], [2.0, 0.0], 44100, DURATION)
    return x, y


@pytest.mark.parametrize("name", list(DISTANCES))
def test_zero_on_identical_and_symmetric(name):
    d = get_distance(name)
    x, y = _pair()
    assert torch.allclose(d(x, x), torch.zeros(2), atol=1e-6)
    dxy, dyx = d(x, y), d(y, x)
    assert (dxy > 0).all()
    assert torch.allclose(dxy, dyx, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("name", list(DISTANCES))
def test_finite_gradients(name):
    d = get_distance(name)
    x, _ = _pair()
    freq = torch.tensor([250.0, 900.0], dtype=torch.float64, requires_grad=True)
    level = torch.tensor([-8.0, -15.0], dtype=torch.float64, requires_grad=True)
    y = synth_sines(freq, level, torch.zeros(2), 44100, DURATION)
    d(x, y).sum().backward()
    for g in (freq.grad, level.grad):
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0


def test_unknown_distance_lists_valid_names():
    with pytest.raises(ValueError, match="valid: spectrogram, log-spectrogram"):
        get_distance("bogus")
    with pytest.raises(ValueError, match="sot-512-ls"):
        parse_distance_names("mss,nope")
    assert parse_distance_names("mss, MSS,sot") == ["mss", "sot-2048", "sot-512", "sot-512-ls"]
    assert len(parse_distance_names("all")) == 10


@pytest.mark.parametrize("htk", [True, False])
@pytest.mark.filterwarnings("ignore:Empty filters")
def test_mel_filterbank_matches_librosa(htk):
    librosa = pytest.importorskip("librosa")
    ours = mel_filterbank(44100, 1024, 128, 30.0, 4000.0, scale="htk" if htk else "slaney",
                          norm=None if htk else "slaney", dtype=torch.float64).numpy()
    ref = librosa.filters.mel(sr=44100, n_fft=1024, n_mels=128, fmin=30.0, fmax=4000.0,
                              htk=htk, norm=None if htk else "slaney", dtype=np.float64).T
    assert np.allclose(ours, ref, atol=1e-6 * ref.max())


def test_dct_matches_scipy():
    from scipy.fft import dct

    x = np.random.default_rng(0).normal(size=(3, 16))
    ours = x @ dct_matrix(16, 16, norm=None, dtype=torch.float64).numpy()
    assert np.allclose(ours, dct(x, type=2, norm=None, axis=-1))
    ortho = x @ dct_matrix(16, 16, norm="ortho", dtype=torch.float64).numpy()
    assert np.allclose(ortho, dct(x, type=2, norm="ortho", axis=-1))


def test_flattop_window_matches_scipy():
    from scipy.signal import windows

    ref = windows.flattop(512, sym=False)
    assert np.allclose(flattop_window(512, torch.float64).numpy(), ref, atol=1e-6)


def test_wasserstein_closed_form():
    rng = np.random.default_rng(0)
    x = np.sort(rng.random(40))
    for _ in range(3):
        a, b = rng.random(40) ** 4, rng.random(40) ** 4
        a[rng.random(40) < 0.3] = 0
        a, b = a / a.sum(), b / b.sum()
        w1 = wasserstein_1d(torch.tensor(a)[None], torch.tensor(b)[None], torch.tensor(x), p=1)
        assert float(w1) == pytest.approx(scipy.stats.wasserstein_distance(x, x, a, b), rel=1e-9)
        r = (np.arange(100000) + 0.5) / 100000
        qa = x[np.minimum(np.searchsorted(np.cumsum(a), r), 39)]
        qb = x[np.minimum(np.searchsorted(np.cumsum(b), r), 39)]
        w2 = wasserstein_1d(torch.tensor(a)[None], torch.tensor(b)[None], torch.tensor(x))
        assert float(w2) == pytest.approx(np.mean((qa - qb) ** 2), rel=1e-3)


def test_sot_grows_with_frequency_shift():
    d = get_distance("sot-512")
    ref = synth_sines([1000.0] * 4, [-6.0] * 4, [0.0] * 4, 44100, DURATION)
    cand = synth_sines([1100.0, 1400.0, 2000.0, 4000.0], [-6.0] * 4, [0.0] * 4, 44100, DURATION)
    vals = d(ref, cand).numpy()
    assert np.all(np.diff(vals) > 0)
