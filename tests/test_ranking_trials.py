"""Trial sampler, perturbations, scoring, and the batched spectral scorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hear_probes.probes.ranking.accuracy import (
    gradient_scores,
    rank_scores,
    summarise,
    wilson_interval,
)
from hear_probes.probes.ranking.catalogue import get_distance
from hear_probes.probes.ranking.spectral import full_autograd_gradients, score_distances
from hear_probes.probes.ranking.trials import candidate_params
from hear_probes.stimuli.sines import (
    level_to_amplitude,
    parse_sine_item_id,
    perturb_level,
    perturb_pitch,
    sample_trials,
    sine_item_id,
    synth_sines,
)


def test_sampler_ranges_distribution_and_seed():
    tr = sample_trials(4000, seed=3)
    for f in (tr.target_freq, tr.pred_freq):
        assert f.min() >= 30 and f.max() <= 4000
        # uniform in log-frequency: each octave band gets its share
        counts, _ = np.histogram(np.log2(f), bins=np.linspace(math.log2(30), math.log2(4000), 8))
        assert counts.min() > 0.8 * counts.mean()
    for lev in (tr.target_level, tr.pred_level):
        assert lev.min() >= -25 and lev.max() <= 0
        assert abs(lev.mean() + 12.5) < 0.5
    assert np.all(tr.target_freq != tr.pred_freq) and np.all(tr.target_level != tr.pred_level)
    assert tr.target_phase.min() >= 0 and tr.target_phase.max() < 2 * math.pi
    again = sample_trials(4000, seed=3)
    assert np.array_equal(tr.pred_freq, again.pred_freq)
    assert not np.array_equal(tr.pred_freq, sample_trials(4000, seed=4).pred_freq)
    sep = sample_trials(500, seed=0, min_cents=50, min_db=1)
    assert np.all(np.abs(1200 * np.log2(sep.pred_freq / sep.target_freq)) > 50)
    assert np.all(np.abs(sep.pred_level - sep.target_level) > 1)


def test_perturbations_move_away():
    t, p = np.array([100.0, 1000.0]), np.array([200.0, 500.0])
    pp = perturb_pitch(t, p, 1200)
    assert np.allclose(pp, [400.0, 250.0])
    assert np.allclose(perturb_level([-10.0, -10.0], [-5.0, -20.0], 2.0), [-3.0, -22.0])
    tr = sample_trials(50, seed=1)
    roles = candidate_params(tr)
    for scale in ("fine", "coarse"):
        pert = roles[f"pitch-{scale}"]
        gap = np.abs(np.log2(pert.freq / tr.target_freq))
        assert np.all(gap > np.abs(np.log2(tr.pred_freq / tr.target_freq)))
        assert np.array_equal(pert.level, tr.pred_level)
        assert np.array_equal(pert.phase, tr.pred_phase)
        lev = roles[f"level-{scale}"]
        assert np.all(np.abs(lev.level - tr.target_level) > np.abs(tr.pred_level - tr.target_level))
        assert np.array_equal(lev.freq, tr.pred_freq)


def test_sine_level_and_item_ids():
    x = synth_sines([1000.0], [-12.5], [0.0], 44100, 1.0)[0]
    assert float(x.abs().max()) == pytest.approx(level_to_amplitude(-12.5), rel=1e-4)
    assert level_to_amplitude(0.0) == 1.0 and level_to_amplitude(-25.0) == pytest.approx(0.1)
    item = sine_item_id(346.123456789, -12.5, 1.25)
    assert parse_sine_item_id(item) == pytest.approx((346.123456789, -12.5, 1.25))


def test_scores_and_wilson():
    assert np.array_equal(rank_scores([1, 2, 3], [2, 2, 1]), [1.0, 0.5, 0.0])
    assert np.array_equal(gradient_scores([1.0, -1.0, 0.0], [1, 1, -1]), [1.0, 0.0, 0.5])
    lo, hi = wilson_interval(500, 1000)
    assert lo == pytest.approx(0.469, abs=1e-3) and hi == pytest.approx(0.531, abs=1e-3)
    s = summarise(np.array([1, 1, 0.5, 0]))
    # ties are counted and left out of the accuracy: 2 correct of 3 decided trials
    assert s["accuracy"] == pytest.approx(2 / 3) and s["n_ties"] == 1 and s["n_trials"] == 4
    assert s["n_decided"] == 3 and s["ci95"] == list(wilson_interval(2, 3))
    assert np.isnan(summarise(np.full(5, 0.5))["accuracy"])


@pytest.mark.parametrize("name", ["mss", "mfcc", "log2-centroid", "sot-512-ls"])
def test_fast_gradients_equal_full_autograd(name):
    """The STFT-linearity shortcut gives the same derivatives as back-propagating everything."""
    dist = get_distance(name)
    tr = sample_trials(3, seed=2)
    res = score_distances([dist], tr, duration=0.1, batch_size=3)[name]
    target = synth_sines(tr.target_freq, tr.target_level, tr.target_phase, 44100, 0.1)
    d, g_f, g_l = full_autograd_gradients(dist, target, tr.pred_freq, tr.pred_level,
                                          tr.pred_phase, 0.1)
    assert np.allclose(res["_distances"]["prediction"], d, rtol=1e-4)
    assert np.allclose(res["_gradients"]["pitch"], g_f, rtol=2e-3, atol=1e-6 * np.abs(g_f).max())
    if name in ("log2-centroid", "sot-512-ls"):  # level-invariant: both are rounding noise
        assert np.abs(res["_gradients"]["level"]).max() < 1e-3 * np.abs(g_f).max()
    else:
        assert np.allclose(res["_gradients"]["level"], g_l, rtol=2e-3,
                           atol=1e-6 * np.abs(g_l).max())


def test_level_gain_equals_rendering():
    """A level-perturbed candidate scored through the STFT gain equals rendering it."""
    dist = get_distance("log-mss")
    tr = sample_trials(4, seed=5)
    res = score_distances([dist], tr, duration=0.1, batch_size=4, gradients=False)[name := "log-mss"]
    roles = candidate_params(tr)
    target = synth_sines(tr.target_freq, tr.target_level, tr.target_phase, 44100, 0.1)
    lev = roles["level-coarse"]
    rendered = dist(target, synth_sines(lev.freq, lev.level, lev.phase, 44100, 0.1))
    assert np.allclose(res["_distances"]["level-coarse"], rendered.numpy(), rtol=1e-4)
    assert np.all(np.isnan(res["pitch"]["eps"])) and name


def test_centroid_ranks_coarse_pitch_perfectly():
    tr = sample_trials(40, seed=0)
    res = score_distances([get_distance("log2-centroid")], tr, duration=0.2, batch_size=20)
    out = res["log2-centroid"]
    assert out["pitch"]["coarse"].mean() == 1.0
    # fine steps on 0.2 s stimuli are disturbed by the reflect-padded edge frames
    assert out["pitch"]["fine"].mean() >= 0.7
    assert torch.get_num_threads() >= 1


def test_ties_as_half_counts_each_tie_as_a_coin_flip():
    from hear_probes.probes.ranking.accuracy import summarise

    s = summarise(np.array([1.0, 1.0, 0.0, 0.5, 0.5]))
    assert s["accuracy"] == pytest.approx(2 / 3) and s["n_ties"] == 2
    assert s["accuracy_ties_as_half"] == pytest.approx(3 / 5)
    all_ties = summarise(np.full(4, 0.5))
    assert np.isnan(all_ties["accuracy"]) and all_ties["accuracy_ties_as_half"] == 0.5
