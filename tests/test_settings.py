"""Every setting is defined, defaulted and checked once, in its settings object (issue 23)."""

from __future__ import annotations

import pytest

from hear_probes.errors import HearProbesError, ModelResolutionError
from hear_probes.probes.registry import RunOptions
from hear_probes.views import ModelSource, check_one_source


def test_ranking_defaults_live_in_for_run():
    from hear_probes.probes.ranking.entry import settings_for
    from hear_probes.probes.ranking.settings import QUICK_TRIALS, RankingSettings

    quick = RankingSettings.for_run("module", quick=True)
    assert (quick.n_trials, quick.duration, quick.curve_points, quick.heatmap_cells,
            quick.batch_size) == (QUICK_TRIALS, 0.5, 40, 12, 16)
    assert settings_for(RunOptions(quick=True)) == quick  # evaluate --quick: the same object
    full = RankingSettings.for_run("module")
    assert (full.n_trials, full.curve_points, full.heatmap_cells, full.batch_size) == (1000, 120, 32, 16)
    dist = RankingSettings.for_run("distances")
    assert (dist.curve_points, dist.heatmap_cells, dist.batch_size) == (200, 40, 10)
    qd = RankingSettings.for_run("distances", True, n_trials=1000, duration=1.0)
    assert (qd.n_trials, qd.duration, qd.curve_points, qd.heatmap_cells) == (QUICK_TRIALS, 0.5, 60, 16)
    # given values win over the defaults; a module's batches hold at least 16 clips
    assert RankingSettings.for_run("module", batch_size=8, curve_points=7).batch_size == 16
    assert RankingSettings.for_run("module", curve_points=7).curve_points == 7


@pytest.mark.parametrize(("make", "flag"), [
    (lambda: __import__("hear_probes.probes.ranking.settings", fromlist=["x"])
     .RankingSettings.for_run(tie_rule="loose"), "--tie-rule"),
    (lambda: __import__("hear_probes.probes.ranking.settings", fromlist=["x"])
     .RankingSettings(precision="float16"), "--precision"),
    (lambda: __import__("hear_probes.probes.gear.settings", fromlist=["x"])
     .GearSettings(variant="nope"), "--variant"),
    (lambda: __import__("hear_probes.probes.timbre.settings", fromlist=["x"])
     .TimbreSettings(rating_norm="zscore"), "--rating-norm"),
    (lambda: __import__("hear_probes.probes.timbre.settings", fromlist=["x"])
     .TimbreSettings(feature_norm="zscore"), "--feature-norm"),
])
def test_a_bad_setting_is_one_line_naming_its_flag(make, flag):
    with pytest.raises(HearProbesError, match=flag) as info:
        make()
    assert "\n" not in str(info.value)


def test_timbre_uncertainty_defaults_in_one_place():
    from hear_probes.probes.timbre.entry import settings_for
    from hear_probes.probes.timbre.settings import uncertainty_config

    assert uncertainty_config(3, quick=True).n_null_fits == 0
    assert uncertainty_config(3).n_null_fits == 200
    assert uncertainty_config(0, n_bootstrap=0, n_permutations=0, n_null_fits=0) is None
    assert settings_for(RunOptions(quick=True, seed=3)).settings.uncertainty == uncertainty_config(3, True)


def test_timbre_options_are_not_fields_of_run_options():
    from hear_probes.probes.timbre.entry import settings_for

    assert not {"robustness", "reference", "datasets"} & set(RunOptions.__dataclass_fields__)
    run = settings_for(RunOptions(probe_options={"timbre": {"reference": "none", "datasets": ("A",)}}))
    assert run.reference == "none" and run.datasets == ("A",)
    with pytest.raises(HearProbesError, match="unknown timbre option"):
        settings_for(RunOptions(probe_options={"timbre": {"robustnes": True}}))


def test_exactly_one_source_checked_in_one_place():
    assert check_one_source(model="logmel", module=None) == "model"
    with pytest.raises(ModelResolutionError, match="exactly one of --model NAME or --module MOD"):
        ModelSource()
    with pytest.raises(ModelResolutionError, match="exactly one of --model NAME, --module MOD or --embeddings"):
        check_one_source(model="a", module=None, embeddings="x.h5")
    with pytest.raises(ModelResolutionError, match="not with --distance"):
        check_one_source("all", model=None, module=None, distance="mel")
