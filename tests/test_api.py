"""The Python API: evaluate on every kind of model, Results, load_results, tidy tables, compare."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import hear_probes
from hear_probes.errors import HearProbesError, ModelResolutionError

pd = pytest.importorskip("pandas", reason="the table API returns pandas DataFrames")

SR = 16000


def log_spectrum(audio, sample_rate):
    return np.log1p(np.abs(np.fft.rfft(audio[:, :512], axis=1)))


def test_import_is_light_and_exports_lazily(tmp_path):
    code = ("import sys, hear_probes; heavy = [m for m in ('torch', 'pandas', 'hear_probes.api', "
            "'hear_probes.cli') if m in sys.modules]; print(heavy); "
            "print(callable(hear_probes.evaluate), 'evaluate' in dir(hear_probes))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True True"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hear_probes.nope  # noqa: B018
    # importing the API's modules first never turns a function into a module
    code = ("import hear_probes.api.run, hear_probes.api.scorers, hear_probes.api.results, hear_probes;"
            "print(all(callable(getattr(hear_probes, n)) for n in hear_probes.__all__[1:]))")
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout.strip() == "True"


def test_callable_needs_its_sample_rate():
    with pytest.raises(ModelResolutionError, match="needs sample_rate="):
        hear_probes.evaluate(log_spectrum, probes="ranking")
    with pytest.raises(ModelResolutionError, match=r"returned shape \(2,\)"):
        hear_probes.evaluate(lambda a, sr: a.mean(axis=1), probes="ranking", sample_rate=SR)
    with pytest.raises(TypeError, match="unknown keyword.*sample_rat.*valid:"):
        hear_probes.evaluate(log_spectrum, probes="ranking", sample_rat=SR)
    with pytest.raises(HearProbesError, match="unknown probe"):
        hear_probes.evaluate(log_spectrum, probes="nope", sample_rate=SR)
    with pytest.raises(HearProbesError, match="only torch models can be moved"):
        hear_probes.evaluate(log_spectrum, probes="ranking", sample_rate=SR, device="cuda")
    with pytest.raises(HearProbesError, match="batch_size=0"):
        hear_probes.evaluate(log_spectrum, probes="ranking", sample_rate=SR, batch_size=0)


def test_a_probe_named_without_its_data_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HEAR_PROBES_DATA", str(tmp_path / "no-data"))
    with pytest.raises(HearProbesError, match="probe timbre needs its data.*data="):
        hear_probes.evaluate(log_spectrum, probes=("timbre",), sample_rate=SR,
                             cache=tmp_path / "cache")


def test_callable_cache_identity_follows_the_code_and_output():
    from hear_probes.api.models import CallableModel

    def f(audio, sample_rate):
        return np.log1p(np.abs(np.fft.rfft(audio[:, :256], axis=1)))

    def g(audio, sample_rate):  # same name below, other output
        return np.log1p(np.abs(np.fft.rfft(audio[:, :128], axis=1)))

    a, b = CallableModel(f, SR, name="m"), CallableModel(f, SR, name="m")
    c = CallableModel(g, SR, name="m")
    assert a.weights_id == b.weights_id != c.weights_id
    scale = [1.0]
    h = CallableModel(lambda x, sr: x[:, :4] * scale[0], SR)
    scale[0] = 2.0  # a value it closes over changes its output
    assert CallableModel(lambda x, sr: x[:, :4] * scale[0], SR).weights_id != h.weights_id


def test_evaluate_callable_in_memory_and_to_pandas(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = hear_probes.evaluate(log_spectrum, probes="ranking", sample_rate=SR, quick=True,
                               cache=tmp_path / "cache")
    assert list(tmp_path.iterdir()) == [tmp_path / "cache"]  # nothing written without out
    assert res.models == ["log_spectrum"] and res.entries[0].folder is None
    df = res.to_pandas()
    from hear_probes.tidy import COLUMNS

    assert tuple(df.columns) == COLUMNS
    assert len(df) == 6 and df["value"].dtype == "float64" and str(df["n"].dtype) == "Int64"
    eps = df[df.study_or_condition == "pitch_eps"].iloc[0]
    assert np.isnan(eps.value) and "torch tensor" in eps.na_reason
    fine = df[df.study_or_condition == "pitch_30c"].iloc[0]
    assert fine.ci_low <= fine.value <= fine.ci_high and fine.chance == 0.5 and fine.n > 0
    assert pd.isna(fine.na_reason)
    assert res["ranking"]["representations"]["log_spectrum"]["n_trials"] == 50


def test_evaluate_module_object_hear_model_and_layers(tmp_path):
    import toy_good
    import toy_layers

    a = hear_probes.evaluate(toy_good, probes="ranking", quick=True, cache=tmp_path / "c")
    model = toy_good.load_model()
    b = hear_probes.evaluate(
        hear_probes.HearModel(model, toy_good.get_scene_embeddings,
                              toy_good.get_timestamp_embeddings, name="toy"),
        probes="ranking", quick=True, cache=tmp_path / "c")
    assert a.models == ["toy_good"] and b.models == ["toy"]
    va, vb = (r.to_pandas().set_index("study_or_condition")["value"] for r in (a, b))
    pd.testing.assert_series_equal(va, vb)  # the same model, named two ways
    layered = hear_probes.evaluate(toy_layers, probes="ranking", layers=[0, 3], quick=True,
                                   cache=tmp_path / "c", out=tmp_path / "out")
    assert layered.layers == [0, 3] and len(layered) == 2
    assert (tmp_path / "out" / "layer-3" / "results.csv").is_file()
    df = hear_probes.load_results(tmp_path / "out").to_pandas()
    assert sorted(df.layer.unique().tolist()) == [0, 3] and set(df.model) == {"toy_layers"}


def test_out_writes_the_cli_files_and_tidy_tables(tmp_path):
    res = hear_probes.evaluate(log_spectrum, probes=("ranking", "gear"), sample_rate=SR,
                               quick=True, cache=tmp_path / "cache", out=tmp_path / "out")
    out = tmp_path / "out"
    for name in ("ranking.json", "ranking.csv", "gear.json", "gear.csv", "results.csv"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "results.csv")
    assert set(table.probe) == {"ranking", "gear"} and table["value"].dtype == "float64"
    assert len(table) == len(res.to_pandas())
    gear = pd.read_csv(out / "gear.csv")
    assert list(gear.columns[:3]) == ["factor", "metric", "value"] and set(gear.factor) == {"f1", "alpha", "r"}
    rows = list(csv.DictReader((out / "ranking.csv").open()))
    assert rows[0]["pitch_eps"] == "" and "pitch_eps: " in rows[0]["na_reason"]
    assert 0 <= float(rows[0]["pitch_30c"]) <= 1
    assert json.loads((out / "gear.json").read_text())["files"]["csv"] == "gear.csv"


def test_load_results_files_folders_and_errors(tmp_path):
    res = hear_probes.evaluate(log_spectrum, probes="ranking", sample_rate=SR, quick=True,
                               cache=tmp_path / "cache", out=tmp_path / "a")
    one = hear_probes.load_results(tmp_path / "a" / "ranking.json")
    pd.testing.assert_frame_equal(one.to_pandas(), res.to_pandas())
    with pytest.raises(HearProbesError, match="no such result folder"):
        hear_probes.load_results(tmp_path / "missing")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(HearProbesError, match="no ranking.json"):
        hear_probes.load_results(tmp_path / "empty")
    assert hear_probes.load_results(tmp_path).models == ["log_spectrum"]  # a folder of folders
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"probe": "ranking", "schema_version": 1}))
    with pytest.raises(HearProbesError):
        hear_probes.load_results(bad)


def test_compare_without_timbre_says_so(tmp_path):
    kw = {"probes": "ranking", "sample_rate": SR, "quick": True, "cache": tmp_path / "c"}
    a = hear_probes.evaluate(log_spectrum, **kw)
    b = hear_probes.evaluate(lambda x, sr: np.abs(np.fft.rfft(x[:, :512], axis=1)), name="lin", **kw)
    comp = a.compare(b, n_resamples=200)
    table = comp.to_pandas()
    assert set(table.probe) == {"ranking"} and len(table) == 4  # the 4 decided columns
    assert (table.a == "log_spectrum").all() and (table.b == "lin").all()
    assert np.allclose(table.difference, table.score_b - table.score_a)
    assert any(s.probe == "timbre" and "no timbre pair data" in s.reason for s in comp.skipped)
    with pytest.raises(HearProbesError, match="pick one with .select"):
        (a + b).compare(a)
    assert (a + b).select("lin").models == ["lin"]


def test_committed_results_load_into_one_table():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "results"
    res = hear_probes.load_results([root / "logmel", root / "crepe-layers"])
    df = res.to_pandas()
    assert {"ranking", "gear", "timbre"} <= set(df.probe)
    assert df.layer.dropna().nunique() > 1
    ev = df[(df.probe == "timbre") & (df.metric == "explained_variance")]
    assert ev.value.notna().sum() >= 17 and "median (all studies)" in set(ev.study_or_condition)


def test_batch_size_sets_the_clips_per_call(tmp_path):
    sizes: list[int] = []

    def counted(audio, sample_rate):
        sizes.append(audio.shape[0])
        return log_spectrum(audio, sample_rate)

    hear_probes.evaluate(counted, probes="ranking", sample_rate=SR, quick=True, batch_size=7,
                         cache=tmp_path / "a")
    n_items = 300  # the sines of 50 quick trials
    assert sizes.count(7) == n_items // 7  # every full batch of the embedding has 7 clips
    sizes.clear()
    hear_probes.evaluate(counted, probes="ranking", sample_rate=SR, quick=True,
                         cache=tmp_path / "b")
    assert 7 not in sizes and sizes.count(16) >= n_items // 16  # the probe's own default


def test_timbre_with_data_and_its_paired_comparison(timbre_dir, tmp_path):
    kw = {"probes": "timbre", "sample_rate": SR, "quick": True, "data": timbre_dir,
          "cache": tmp_path / "c"}
    a = hear_probes.evaluate(log_spectrum, **kw)
    b = hear_probes.evaluate(lambda x, sr: np.abs(np.fft.rfft(x[:, :512], axis=1)), name="lin", **kw)
    df = a.to_pandas()
    reg = df[df.metric == "regularised_loso_explained_variance"]
    assert len(reg) == 5 and "median (all studies)" in set(reg.study_or_condition)  # 4 quick studies
    assert reg.ci_low.notna().all() and (reg.n > 0).all()
    assert a.entries[0].timbre_pairs and set(a.entries[0].timbre_pairs) == set(reg.study_or_condition) - {
        "median (all studies)"}
    comp = a.compare(b, n_resamples=100)
    levels = set(comp.to_pandas().level)
    assert {"study", "across studies"} <= levels
    assert not any(s.probe == "timbre" for s in comp.skipped)
