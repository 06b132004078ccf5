"""Checks on the real timbre studies (skipped when ../shared/data/timbre is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hear_probes.probes.timbre.metric import (
    FitOptions,
    fit_metric,
    max_explained_variance,
    pair_differences,
)
from hear_probes.probes.timbre.study import prepare_study

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "timbre"
pytestmark = pytest.mark.skipif(not (DATA / "ratings").is_dir(), reason="no local timbre data")


def _stft_features(paths) -> np.ndarray:
    """Time-averaged magnitude STFT (Hann 1024, hop 512, centred, zero padding), numpy only."""
    import soundfile as sf

    win = np.hanning(1025)[:-1]  # periodic Hann
    out = []
    for p in paths:
        x, sr = sf.read(p, dtype="float64", always_2d=True)
        x = np.pad(x.mean(axis=1), 512)
        n = 1 + (len(x) - 1024) // 512
        frames = np.lib.stride_tricks.sliding_window_view(x, 1024)[::512][:n] * win
        out.append(np.abs(np.fft.rfft(frames, axis=1)).mean(axis=0))
    return np.array(out)


def test_grey1977_warm_fit_is_below_the_exact_optimum():
    from hear_probes.stimuli.timbre import load_timbre_dataset

    ds = load_timbre_dataset(DATA, "Grey1977")
    assert len(ds.item_ids) == 16 and ds.n_raters == 22
    study = prepare_study(ds.name, _stft_features(ds.sound_paths), ds.item_ids, ds.ratings,
                          n_raters=ds.n_raters)
    assert study.dim == 513 and study.ratings.size == 120
    D = pair_differences(study.features)
    best = max_explained_variance(D, study.ratings)
    warm = fit_metric(D, study.ratings, FitOptions(init="warm", maxiter=300))
    exact = fit_metric(D, study.ratings, FitOptions(init="exact"))
    assert 0.3 < warm.explained_variance <= best + 1e-9
    assert exact.explained_variance == pytest.approx(best, abs=1e-6)


def test_evaluate_with_robustness_writes_the_sweep(tmp_path):
    """`hear-probes evaluate --probes timbre --robustness` passes the sweep options through."""
    import json

    from typer.testing import CliRunner

    from hear_probes.cli import app

    out = tmp_path / "stft"
    res = CliRunner().invoke(app, [
        "evaluate", "--model", "stft", "--probes", "timbre", "--quick", "--robustness",
        "--reference", "none", "--data", str(DATA), "--out", str(out),
        "--cache", str(tmp_path / "cache"), "--quiet"])
    assert res.exit_code == 0, res.output
    payload = json.loads((out / "timbre.json").read_text())
    assert payload["robustness"] and all(len(v["ev_mean"]) == len(v["deltas"])
                                         for v in payload["robustness"].values())
    assert "relative_area_db" not in payload  # --reference none
    assert (out / "report.html").is_file()
