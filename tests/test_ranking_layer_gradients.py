"""The ranking ``eps`` column of a layered model: one forward-mode pass for every layer.

The forward-mode pass must give what the per-layer reverse-mode pass gives (same derivatives,
distances and embeddings), the probe must use it for layer views and fall back to reverse mode
where forward mode has no rule, and the results must say which mode ran.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hear_probes.probes.ranking.embedding import (  # noqa: E402
    gradient_pass_scores,
    module_gradient_pass,
    round_trials,
)
from hear_probes.probes.ranking.layer_gradients import (  # noqa: E402
    GRADIENT_MODES,
    layer_group_gradient_pass,
)
from hear_probes.probes.ranking.run import _gradient_pass  # noqa: E402
from hear_probes.probes.ranking.settings import RankingSettings  # noqa: E402
from hear_probes.stimuli.sines import sample_trials  # noqa: E402
from hear_probes.views import ModelSource  # noqa: E402


@pytest.fixture
def toy_views(tmp_path):
    _, views = ModelSource(module="toy_layers", layers="all", cache=tmp_path / "c").views()
    return views


def test_forward_mode_equals_reverse_mode_per_layer(toy_views):
    trials = round_trials(sample_trials(20, seed=3))
    group = toy_views[0].layer_group
    sr = toy_views[0].sample_rate
    fwd = layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=7)
    assert sorted(fwd) == group.layer_ids == [0, 1, 2, 3]
    for view in toy_views:
        rev = module_gradient_pass(view.module, view.model, sr, trials, 0.25, batch_size=7)
        f = fwd[view.layer]
        for a, b in ((f.grad_pitch, rev.grad_pitch), (f.grad_level, rev.grad_level)):
            # float32 model: the two modes round in a different order, so they agree to float32
            # precision relative to the column's largest derivative, not bit for bit
            assert np.abs(a - b).max() <= 1e-4 * np.abs(b).max()
        s_fwd, s_rev = gradient_pass_scores(f, trials), gradient_pass_scores(rev, trials)
        for dim in ("pitch", "level"):
            np.testing.assert_array_equal(s_fwd[dim], s_rev[dim])  # the same eps scores
        np.testing.assert_allclose(f.distance, rev.distance, rtol=1e-6)
        np.testing.assert_allclose(f.scale, rev.scale, rtol=1e-6)
        np.testing.assert_allclose(f.target, rev.target, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(f.prediction, rev.prediction, rtol=1e-6, atol=1e-7)


def test_layer_views_share_one_forward_pass(toy_views, tmp_path, monkeypatch):
    passes = tmp_path / "passes.txt"
    monkeypatch.setenv("TOY_LAYER_PASSES", str(passes))
    trials = round_trials(sample_trials(12, seed=0))
    st = RankingSettings(n_trials=12, duration=0.25, batch_size=12)
    modes = [_gradient_pass(v, v.sample_rate, trials, st)[1] for v in toy_views]
    assert modes == ["forward"] * 4
    # targets, then both tangents in one vmapped pass: two passes of one batch for 4 layers
    assert passes.read_text().split() == ["12", "12"]
    assert toy_views[0].layer_group.shared == {
        ("ranking-eps", 12, 0, 0.25, "euclidean", 12): {}}  # every view took its share


def test_falls_back_to_reverse_mode_without_a_forward_rule(toy_views, monkeypatch):
    group = toy_views[0].layer_group
    module = group.base.module

    def no_forward_rule(audio, model):
        raise NotImplementedError("Trying to use forward AD with lstm that does not support it")

    monkeypatch.setattr(module, "get_layer_scene_embeddings", no_forward_rule)
    trials = round_trials(sample_trials(6, seed=1))
    st = RankingSettings(n_trials=6, duration=0.25)
    grad, mode = _gradient_pass(toy_views[2], toy_views[2].sample_rate, trials, st)
    assert mode == "reverse" and grad.grad_pitch.shape == (6,)
    rev = module_gradient_pass(toy_views[2].module, toy_views[2].model, toy_views[2].sample_rate,
                               trials, 0.25)
    np.testing.assert_array_equal(grad.grad_pitch, rev.grad_pitch)


def test_probe_records_the_mode_and_scores_as_reverse_mode(tmp_path):
    import toy_layers

    import hear_probes

    out = tmp_path / "out"
    hear_probes.evaluate(toy_layers, probes="ranking", layers=[1, 3], quick=True, cache=tmp_path / "c", out=out)
    for k in (1, 3):
        res = json.loads((out / f"layer-{k}" / "ranking.json").read_text())
        assert res["settings"]["gradient_mode"] == GRADIENT_MODES["forward"]
        rep = next(iter(res["representations"].values()))
        n = res["settings"]["n_trials"]
        trials = round_trials(sample_trials(n, seed=res["settings"]["seed"]))
        _, views = ModelSource(module="toy_layers", layers=str(k), cache=tmp_path / "c2").views()
        rev = module_gradient_pass(views[0].module, views[0].model, views[0].sample_rate, trials,
                                   res["settings"]["duration_s"])
        acc = {dim: float(np.mean(s[s != 0.5])) for dim, s in gradient_pass_scores(rev, trials).items()}
        for dim in ("pitch", "level"):
            assert rep["accuracy"][dim]["eps"] == pytest.approx(acc[dim], abs=1e-12)


def test_vmapped_tangents_equal_two_dual_passes(toy_views, tmp_path, monkeypatch):
    passes = tmp_path / "passes.txt"
    monkeypatch.setenv("TOY_LAYER_PASSES", str(passes))
    trials = round_trials(sample_trials(10, seed=5))
    group, sr = toy_views[0].layer_group, toy_views[0].sample_rate
    one = layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=10)
    assert passes.read_text().split() == ["10", "10"]
    passes.write_text("")
    two = layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=10,
                                    batch_tangents=False)
    assert passes.read_text().split() == ["10", "10", "10"]  # targets, pitch dual, level dual
    for k in group.layer_ids:
        for field in ("grad_pitch", "grad_level", "distance", "scale", "target", "prediction"):
            np.testing.assert_array_equal(getattr(one[k], field), getattr(two[k], field))


def test_a_cut_graph_is_not_read_as_zero_derivatives(toy_views, monkeypatch):
    """jvp gives zero tangents through ``detach``; the dual passes must see the cut and raise."""
    from hear_probes.probes.ranking.embedding import NotDifferentiable

    group = toy_views[0].layer_group
    module = group.base.module
    real = module.get_layer_scene_embeddings
    monkeypatch.setattr(module, "get_layer_scene_embeddings",
                        lambda audio, model: [o.detach() for o in real(audio, model)])
    trials = round_trials(sample_trials(6, seed=2))
    with pytest.raises(NotDifferentiable, match="tangent does not reach"):
        layer_group_gradient_pass(group, toy_views[0].sample_rate, trials, duration=0.25)


def test_a_model_without_batching_rules_gets_the_dual_passes(toy_views, tmp_path, monkeypatch):
    group = toy_views[0].layer_group
    trials = round_trials(sample_trials(8, seed=4))
    sr = toy_views[0].sample_rate
    expected = layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=4,
                                         batch_tangents=False)
    import hear_probes.probes.ranking.layer_gradients as lg

    calls = []

    def failing(*args, **kwargs):  # like Basic Pitch's channels-last copy, which vmap lacks
        calls.append(1)
        raise RuntimeError("NYI: Tensor.clone(memory_format) inside vmap")

    monkeypatch.setattr(lg, "_vmapped_pass", failing)
    got = layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=4)
    assert len(calls) == 1  # tried once, then the dual passes for the rest of the run
    for k in group.layer_ids:
        np.testing.assert_array_equal(got[k].grad_pitch, expected[k].grad_pitch)
        np.testing.assert_array_equal(got[k].grad_level, expected[k].grad_level)


PASS_FIELDS = ("grad_pitch", "grad_level", "distance", "scale", "target", "prediction")


def interrupt_on_call(monkeypatch, module, name: str, n: int, exc=KeyboardInterrupt):
    """Make ``module.name`` raise ``exc`` on its ``n``-th call; returns the real function."""
    real, calls = getattr(module, name), []

    def wrapper(*args):
        calls.append(1)
        if len(calls) == n:
            raise exc
        return real(*args)

    monkeypatch.setattr(module, name, wrapper)
    return real


def test_an_interrupted_pass_resumes_where_it_stopped(toy_views, tmp_path, monkeypatch):
    """Ctrl-C mid-pass keeps the batches done; the next run does only the rest, bit for bit."""
    import hear_probes.probes.ranking.layer_gradients as lg
    from hear_probes.probes.ranking.checkpoint import PassCheckpoint

    group, sr = toy_views[0].layer_group, toy_views[0].sample_rate
    trials = round_trials(sample_trials(13, seed=7))
    expected = layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=4)
    ckpt = PassCheckpoint(tmp_path / "eps.npz", "fp-1", every=3600.0)
    real = interrupt_on_call(monkeypatch, lg, "_layer_outputs", 3)  # the third batch's targets
    with pytest.raises(KeyboardInterrupt):
        layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=4,
                                  checkpoint=ckpt)
    done, saved, flags = ckpt.load(group.layer_ids)
    assert done == 8 and flags == {"batch_tangents": True}
    assert saved[group.layer_ids[0]]["target"].shape[0] == 8
    monkeypatch.setattr(lg, "_layer_outputs", real)
    passes = tmp_path / "passes.txt"
    monkeypatch.setenv("TOY_LAYER_PASSES", str(passes))
    got = layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=4,
                                    checkpoint=ckpt)
    assert passes.read_text().split() == ["4", "4", "1", "1"]  # trials 8..12 only
    assert not ckpt.path.exists()  # complete: nothing left to resume
    for k in group.layer_ids:
        for name in PASS_FIELDS:
            np.testing.assert_array_equal(getattr(got[k], name), getattr(expected[k], name))


def test_the_checkpoint_is_written_while_the_pass_runs(toy_views, tmp_path, monkeypatch):
    """A kill (no Python cleanup) loses at most the batches since the last periodic write."""
    import hear_probes.probes.ranking.checkpoint as cp
    from hear_probes.probes.ranking.checkpoint import PassCheckpoint

    group, sr = toy_views[0].layer_group, toy_views[0].sample_rate
    trials = round_trials(sample_trials(12, seed=1))
    writes = []
    real_save = cp.PassCheckpoint.save
    monkeypatch.setattr(cp.PassCheckpoint, "save",
                        lambda self, done, *a, **kw: (writes.append(done),
                                                      real_save(self, done, *a, **kw)))
    ckpt = PassCheckpoint(tmp_path / "eps.npz", "fp", every=0.0)
    layer_group_gradient_pass(group, sr, trials, duration=0.25, batch_size=4, checkpoint=ckpt)
    assert writes == [4, 8]  # after each batch but the last; removed once complete
    assert not ckpt.path.exists()


def test_a_foreign_or_broken_checkpoint_is_not_resumed(tmp_path):
    from hear_probes.errors import HearProbesWarning
    from hear_probes.probes.ranking.checkpoint import PassCheckpoint

    arrays = {0: {f: np.zeros((4, 3) if f in ("target", "prediction") else 4)
                  for f in ("pitch", "level", "distance", "target", "prediction")}}
    PassCheckpoint(tmp_path / "eps.npz", "mine").save(4, arrays, {"batch_tangents": False})
    assert PassCheckpoint(tmp_path / "eps.npz", "mine").load([0])[0] == 4
    with pytest.warns(HearProbesWarning, match="another pass"):
        assert PassCheckpoint(tmp_path / "eps.npz", "theirs").load([0]) is None
    for broken in (b"PK\x03\x04 truncated", b""):
        (tmp_path / "eps.npz").write_bytes(broken)
        with pytest.warns(HearProbesWarning, match="not resumed"):
            assert PassCheckpoint(tmp_path / "eps.npz", "mine").load([0]) is None


def test_a_pass_without_forward_mode_leaves_no_checkpoint(toy_views, tmp_path, monkeypatch):
    """The probe falls back to reverse mode: a checkpoint would be reloaded and fail forever."""
    import hear_probes.probes.ranking.layer_gradients as lg
    from hear_probes.probes.ranking.checkpoint import PassCheckpoint
    from hear_probes.probes.ranking.embedding import NotDifferentiable

    interrupt_on_call(monkeypatch, lg, "_layer_outputs", 3, NotDifferentiable("no forward rule"))
    ckpt = PassCheckpoint(tmp_path / "eps.npz", "fp", every=0.0)
    with pytest.raises(NotDifferentiable):
        layer_group_gradient_pass(toy_views[0].layer_group, toy_views[0].sample_rate,
                                  round_trials(sample_trials(12, seed=1)), duration=0.25,
                                  batch_size=4, checkpoint=ckpt)
    assert not ckpt.path.exists()


def test_a_failed_periodic_write_warns_and_the_pass_goes_on(toy_views, tmp_path, monkeypatch):
    import hear_probes.probes.ranking.checkpoint as cp
    from hear_probes.checks import WriteError
    from hear_probes.errors import HearProbesWarning

    def disk_full(*args, **kwargs):
        raise WriteError(28, "cannot write eps.npz: no space left on device")

    monkeypatch.setattr(cp, "atomic_path", disk_full)
    ckpt = cp.PassCheckpoint(tmp_path / "eps.npz", "fp", every=0.0)
    with pytest.warns(HearProbesWarning, match="not written"):
        out = layer_group_gradient_pass(toy_views[0].layer_group, toy_views[0].sample_rate,
                                        round_trials(sample_trials(8, seed=1)), duration=0.25,
                                        batch_size=4, checkpoint=ckpt)
    assert len(out[toy_views[0].layer_group.layer_ids[0]].grad_pitch) == 8


def test_a_complete_pass_clears_the_stores_stale_checkpoints(tmp_path):
    import os

    from hear_probes.probes.ranking.checkpoint import PassCheckpoint

    store = tmp_path / "m@layer-1.h5"
    old = tmp_path / "m@layer-1.eps-0123456789abcdef.npz"  # another setting, interrupted long ago
    fresh = tmp_path / "m@layer-1.eps-fedcba9876543210.npz"  # another setting, running now
    other_store = tmp_path / "n@layer-1.eps-0123456789abcdef.npz"
    for f in (old, other_store):
        f.write_bytes(b"x")
        os.utime(f, (1, 1))
    ckpt = PassCheckpoint.beside(store, "a" * 64)
    fresh.write_bytes(b"x")
    ckpt.path.write_bytes(b"x")
    ckpt.remove(stale=True)
    assert not ckpt.path.exists() and not old.exists()
    assert fresh.exists() and other_store.exists()


def test_the_probe_keeps_its_checkpoint_beside_the_first_store(toy_views, monkeypatch):
    from hear_probes.probes.ranking.run import _eps_checkpoint

    group = toy_views[0].layer_group
    store = group.stores[group.layer_ids[0]]
    st = RankingSettings(n_trials=12, duration=0.25)

    def ckpt(seed=0, settings=st, mode="forward"):
        return _eps_checkpoint(group.base, group.layer_ids, store,
                               round_trials(sample_trials(12, seed=seed)), settings, mode)

    a = ckpt()
    assert a.path.parent == store.path.parent
    assert a.path.name.startswith(store.path.stem + ".eps-")
    others = {ckpt(seed=1).path, ckpt(settings=RankingSettings(n_trials=12, duration=0.5)).path,
              ckpt(mode="reverse").path}
    assert len(others | {a.path}) == 4  # other trials, settings or mode: another file
    import hear_probes

    monkeypatch.setattr(hear_probes, "__version__", "0.0.0-other")
    assert ckpt().path != a.path  # another version of the code: not resumed
    assert _eps_checkpoint(group.base, group.layer_ids, object(), round_trials(
        sample_trials(12, seed=0)), st, "forward") is None  # no store file: no checkpoint


def test_the_reverse_pass_resumes_too(toy_views, tmp_path, monkeypatch):
    """A model without layers (or without forward mode) keeps its reverse-mode pass as well."""
    import hear_probes.probes.ranking.embedding as emb
    from hear_probes.probes.ranking.checkpoint import PassCheckpoint

    view = toy_views[1]
    trials = round_trials(sample_trials(10, seed=2))
    expected = module_gradient_pass(view.module, view.model, view.sample_rate, trials, 0.25,
                                    batch_size=4)
    ckpt = PassCheckpoint(tmp_path / "eps.npz", "fp", every=3600.0)
    real = interrupt_on_call(monkeypatch, emb, "_exact_sines", 2)  # the second batch
    with pytest.raises(KeyboardInterrupt):
        module_gradient_pass(view.module, view.model, view.sample_rate, trials, 0.25,
                             batch_size=4, checkpoint=ckpt)
    assert ckpt.load([0])[0] == 4
    monkeypatch.setattr(emb, "_exact_sines", real)
    got = module_gradient_pass(view.module, view.model, view.sample_rate, trials, 0.25,
                               batch_size=4, checkpoint=ckpt)
    assert not ckpt.path.exists()
    for name in PASS_FIELDS:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))


@pytest.mark.parametrize("layers", [[1, 3], None], ids=["layer group", "no layers"])
def test_an_interrupted_probe_run_resumes_its_pass_and_gives_the_same_result(
        tmp_path, monkeypatch, layers):
    import toy_layers

    import hear_probes
    import hear_probes.probes.ranking.checkpoint as cp

    def run(name):
        out = tmp_path / name
        hear_probes.evaluate(toy_layers, probes="ranking", layers=layers, quick=True,
                             cache=tmp_path / f"c-{name}", out=out)
        return out

    clean = run("clean")
    real_save, saved = cp.PassCheckpoint.save, []

    def save_then_stop(self, done, *a, **kw):  # the first periodic write, then Ctrl-C
        real_save(self, done, *a, **kw)
        saved.append(self.path)
        raise KeyboardInterrupt

    monkeypatch.setattr(cp.PassCheckpoint, "due", lambda self: True)
    monkeypatch.setattr(cp.PassCheckpoint, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run("resumed")
    assert saved and saved[0].exists() and saved[0].parent.parent == tmp_path / "c-resumed"
    monkeypatch.undo()
    resumed = run("resumed")
    assert not saved[0].exists()
    for f in sorted(clean.rglob("ranking.json")):
        a = json.loads(f.read_text())
        b = json.loads((resumed / f.relative_to(clean)).read_text())
        assert a["representations"].keys() == b["representations"].keys()
        for ra, rb in zip(a["representations"].values(), b["representations"].values(), strict=True):
            assert ra["accuracy"] == rb["accuracy"] and ra["per_trial"] == rb["per_trial"]
        assert "resumed" not in a["provenance"]  # the resumed run says so, the clean one not
        assert b["provenance"]["resumed"]["eps_pass_from_trial"] > 0
