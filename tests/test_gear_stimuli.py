"""GEAR tone synthesis: harmonic amplitudes and f0 checked on the spectrum, grids, item ids."""

import numpy as np
import pytest

from hear_probes.stimuli import gear as g


def _paper_spectrum(f1, alpha, r, **cfg):
    config = g.PaperConfig(normalization="none", **cfg)
    y = g.synthesize_paper(np.array([f1]), np.array([alpha]), np.array([r]), config)[0]
    return np.abs(np.fft.rfft(y.astype(np.float64))), config


@pytest.mark.parametrize("f1,alpha,r", [(12, 0.0, 0.0), (17, 0.8, 0.5), (24, 1.96, 0.98)])
def test_paper_tone_harmonic_amplitudes_on_spectrum(f1, alpha, r):
    spec, config = _paper_spectrum(f1, alpha, r)
    T = config.window_length
    # periodic Hann: a cosine of amplitude a on bin m gives |X[m]| = a T / 4 exactly
    p = np.arange(1, 33)
    kept = p * f1 < T / 2
    expected = (1 + (-1.0) ** p * r) / p**alpha
    measured = spec[p[kept] * f1] / (T / 4)
    np.testing.assert_allclose(measured, expected[kept], rtol=1e-4, atol=1e-6)
    # nothing at or above Nyquist, nothing beyond P = 32, nothing between harmonics
    # (apart from the two Hann side-lobe bins at m +- 1)
    harmonic_bins = p[kept] * f1
    lobes = np.unique(np.concatenate([harmonic_bins - 1, harmonic_bins, harmonic_bins + 1]))
    rest = np.setdiff1d(np.arange(len(spec)), lobes)
    assert np.max(spec[rest]) < 1e-6 * np.max(spec)
    # the fundamental: f0 = f1 * 16000 / 1024 Hz
    freqs = np.fft.rfftfreq(T, 1 / config.sample_rate)
    assert freqs[f1] == pytest.approx(f1 * 16000 / 1024)
    if alpha > 0 and r < 0.5:  # fundamental is the strongest partial
        assert np.argmax(spec) == f1


def test_paper_nyquist_cut():
    spec, _ = _paper_spectrum(24, 0.0, 0.0)
    assert spec[21 * 24] > 1.0 and spec[506:].max() < 1e-6 * spec[21 * 24]  # 22 * 24 > 512
    mask, _ = g._paper_harmonic_mask(np.array([24.0, 12.0]), g.PaperConfig())
    assert mask[0].sum() == 21 and mask[1].sum() == 32  # 12 * 32 = 384 < 512


def test_paper_grid_matches_the_paper():
    tones = g.make_tones("paper")
    f = tones.factors
    assert len(tones) == 2500
    np.testing.assert_allclose(np.unique(f["alpha"]), np.arange(50) * 2 / 50)
    np.testing.assert_allclose(np.unique(f["r"]), np.arange(50) / 50)
    assert set(np.unique(f["f1"])) == set(range(12, 25))
    assert g.set_name_for(tones) == "tones"
    again = g.make_tones("paper")
    assert again.item_ids == tones.item_ids  # seeded
    assert g.make_tones("paper", seed=1).item_ids != tones.item_ids
    x = tones.synthesize(tones.item_ids[:60])  # alpha = 0, r = 0..: the loudest tones
    assert x.shape == (60, 1024) and x.dtype == np.float32
    assert np.abs(x).max() <= 0.9 + 1e-6


def test_notebook_options():
    tones = g.make_tones("paper", notebook=True)
    f = tones.factors
    assert f["alpha"].min() == 1.0 and f["alpha"].max() < 3.0
    assert f["r"].min() == 1.0 and f["r"].max() < 2.0
    assert f["f1"].max() <= 23
    x = tones.synthesize(tones.item_ids[:5])
    np.testing.assert_allclose(np.abs(x).max(axis=1), 0.9, rtol=1e-5)  # per-tone max-abs
    assert g.set_name_for(tones) == "tones-notebook"


def test_item_ids_round_trip():
    tones = g.make_tones("perceptual")
    parsed = g.parse_item_ids(tones.item_ids)
    assert list(parsed) == ["f0", "centroid", "oddeven"]
    for k in parsed:
        np.testing.assert_array_equal(parsed[k], tones.factors[k])
    assert g.format_item_id({"f1": 17.0, "alpha": 0.04, "r": 0.96}) == "f1=17_alpha=0.04_r=0.96"
    with pytest.raises(ValueError):
        g.parse_item_ids(["f1=1_alpha=2_r=3", "f1=1_beta=2_r=3"])


def test_perceptual_tone_spectrum():
    config = g.PerceptualConfig()
    f0, centroid, db = 220.0, 3.0, 12.0
    y = g.synthesize_perceptual(np.array([f0]), np.array([centroid]), np.array([db]), config)[0]
    assert y.shape == (16000,)
    assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)
    spec = np.abs(np.fft.rfft(y.astype(np.float64)))  # 1 Hz bins
    assert np.argmax(spec[:300]) == 220
    alpha = g.alpha_from_centroid(np.array([centroid]))[0]
    assert g.spectral_centroid_rank(np.array([alpha]))[0] == pytest.approx(centroid, rel=1e-9)
    level = 20 * np.log10(spec[220 * np.arange(1, 8)])
    # odd harmonics `db` dB above the even ones once the 1/p^alpha decay is removed
    decay = -20 * alpha * np.log10(np.arange(1, 8))
    flat = level - decay
    np.testing.assert_allclose(flat[0::2] - flat[1], db, atol=0.05)
    assert g.r_from_oddeven_db(np.array([0.0]))[0] == 0.0


def test_perceptual_grid():
    tones = g.make_tones("perceptual")
    f = tones.factors
    assert len(tones) == 2500
    assert f["f0"].min() >= 65 and f["f0"].max() <= 1000
    steps = np.diff(np.log(np.unique(f["centroid"])))
    np.testing.assert_allclose(steps, steps[0], atol=2e-5)  # evenly spaced in log centroid
    np.testing.assert_allclose(np.diff(np.unique(f["oddeven"])), 0.6, atol=1e-5)
    assert g.set_name_for(tones) == "tones-perceptual"
    assert tones.subset(400, seed=0).item_ids == tones.subset(400, seed=0).item_ids
