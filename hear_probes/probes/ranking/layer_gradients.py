"""The ``eps`` column of every layer of a layered model from two forward-mode passes.

The per-view pass (:func:`~hear_probes.probes.ranking.embedding.module_gradient_pass`) runs
reverse-mode autograd once per layer: a forward pass up to layer ``k`` and a backward pass,
``L`` times for ``L`` layers. The two derivatives the column needs, ``dd/dlog2 w'`` and
``dd/dL'``, are derivatives along *one* scalar per trial, so forward-mode AD gives them for every
layer at once: one dual pass with the tangent on ``log2 w'`` and one with it on ``L'``, each
through ``get_layer_scene_embeddings`` (all layers from one forward pass). The two modes compute
the same derivative; in float32 models they agree to about 1e-5 relative (rounding order), see
``tests/test_ranking_layer_gradients.py``.

The two dual passes compute the same primal forward. Where the model's operations have
``vmap`` batching rules, both tangents ride one pass instead (``torch.func.jvp`` under
``torch.func.vmap`` over the two tangent directions, with the primal computed once): the same
derivatives as two dual passes (bit for bit on CREPE and FCN, to float32 rounding where batched
kernels sum in another order), in less time (``benchmarks/bench_layer_gradients.py`` measures
both). A model that fails under ``vmap`` (for example an operation with a channels-last copy)
gets the two dual passes for the rest of the run.

A model whose operations have no forward-mode rule (for example the oneDNN LSTM of
Resemblyzer) raises :class:`~hear_probes.probes.ranking.embedding.NotDifferentiable` here; the
probe then falls back to the per-view reverse pass, which gives the same column.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.autograd.forward_ad as fwad
from torch.func import jvp, vmap

from hear_probes.probes.ranking.checkpoint import PassCheckpoint, resumable_batches
from hear_probes.probes.ranking.embedding import (
    GradientPass,
    NotDifferentiable,
    embedding_distance,
    gradient_pass_of,
)
from hear_probes.stimuli.sines import Trials, synth_sines

__all__ = ["GRADIENT_MODES", "layer_group_gradient_pass"]

#: How the ``eps`` column was differentiated (recorded as ``settings.gradient_mode``).
GRADIENT_MODES = {
    "forward": ("forward-mode AD, every layer of the model at once (the two tangents in one "
                "vmapped pass, or one dual pass each where the model has no batching rule)"),
    "reverse": "reverse-mode AD, one forward and backward pass per representation",
}


def _layer_outputs(fn, audio: torch.Tensor, model, n_layers: int) -> list[torch.Tensor]:
    try:
        outs = fn(audio, model)
    except Exception as exc:  # noqa: BLE001 - any failure means "no forward-mode pass here"
        raise NotDifferentiable(
            f"get_layer_scene_embeddings raised {type(exc).__name__} under forward-mode AD: {exc}"
        ) from exc
    if len(outs) != n_layers or not all(isinstance(o, torch.Tensor) for o in outs):
        raise NotDifferentiable("get_layer_scene_embeddings did not return one torch tensor per layer")
    return list(outs)


def _dual_pass(fn, model, n_layers: int, pick: list[int], target: list[torch.Tensor],
               freq: torch.Tensor, level: torch.Tensor, phase: torch.Tensor, sample_rate: int,
               duration: float, metric: str, along: str
               ) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """``(d, dd/dtheta, emb(prediction))`` per picked layer, tangent along ``along``."""
    with fwad.dual_level():
        # exponent u - u0 is exactly 0 with tangent 1: the audio is bit-identical to the
        # numeric columns' item (as in the reverse pass), and d/du = d/dlog2 w'
        u0 = torch.log2(freq)
        u = fwad.make_dual(u0, torch.ones_like(u0)) if along == "pitch" else u0
        lev = fwad.make_dual(level, torch.ones_like(level)) if along == "level" else level
        audio = synth_sines(freq * torch.pow(2.0, u - u0), lev, phase, sample_rate, duration)
        outs = _layer_outputs(fn, audio, model, n_layers)
        dist, tangent, emb = [], [], []
        for i, e_t in zip(pick, target, strict=True):
            d = embedding_distance(e_t.to(outs[i].dtype), outs[i], metric)
            primal, tan = fwad.unpack_dual(d)
            if tan is None:
                raise NotDifferentiable(
                    "the forward-mode tangent does not reach the layer's embedding")
            dist.append(primal)
            tangent.append(tan)
            emb.append(fwad.unpack_dual(outs[i]).primal)
    return dist, tangent, emb


def _vmapped_pass(fn, model, n_layers: int, pick: list[int], target: list[torch.Tensor],
                  freq: torch.Tensor, level: torch.Tensor, phase: torch.Tensor, sample_rate: int,
                  duration: float, metric: str
                  ) -> tuple[list[torch.Tensor], dict[str, list[torch.Tensor]], list[torch.Tensor]]:
    """``(d, {"pitch": dd/dlog2 w', "level": dd/dL'}, emb(prediction))`` from one vmapped jvp."""
    u0 = torch.log2(freq)

    def distances(u: torch.Tensor, lev: torch.Tensor):
        audio = synth_sines(freq * torch.pow(2.0, u - u0), lev, phase, sample_rate, duration)
        outs = fn(audio, model)
        if len(outs) != n_layers:
            raise NotDifferentiable("get_layer_scene_embeddings did not return one tensor per layer")
        d = tuple(embedding_distance(t.to(outs[i].dtype), outs[i], metric)
                  for i, t in zip(pick, target, strict=True))
        return d, tuple(outs[i] for i in pick)

    def along(t_u: torch.Tensor, t_l: torch.Tensor):
        return jvp(distances, (u0, level), (t_u, t_l), has_aux=True)  # (d, dd, embeddings)

    ones, zeros = torch.ones_like(u0), torch.zeros_like(u0)
    d, dd, emb = vmap(along)(torch.stack([ones, zeros]), torch.stack([zeros, ones]))
    # unbatched outputs (the primal distances and embeddings) come back expanded: take row 0
    return ([x[0] for x in d], {"pitch": [x[0] for x in dd], "level": [x[1] for x in dd]},
            [x[0] for x in emb])


def _tangent_lost(tan: dict[str, list[torch.Tensor]]) -> bool:
    """Whether a layer's tangent is exactly zero on every trial of the batch.

    ``jvp`` gives zeros where the graph is cut (``detach``) and the dual passes raise there, so
    such a batch is redone by the dual passes, which tell a cut graph from a flat one.
    """
    return any(not bool(torch.any(t != 0)) for ts in tan.values() for t in ts)


def _two_dual_passes(fn, model, n_layers: int, pick: list[int], target: list[torch.Tensor],
                     *params) -> tuple[list[torch.Tensor], dict[str, list[torch.Tensor]],
                                       list[torch.Tensor]]:
    d, tan_p, emb = _dual_pass(fn, model, n_layers, pick, target, *params, along="pitch")
    _, tan_l, _ = _dual_pass(fn, model, n_layers, pick, target, *params, along="level")
    return d, {"pitch": tan_p, "level": tan_l}, emb


def layer_group_gradient_pass(
    group,
    sample_rate: int,
    trials: Trials,
    duration: float = 1.0,
    metric: str = "euclidean",
    batch_size: int = 16,
    quiet: bool = True,
    batch_tangents: bool = True,
    checkpoint: PassCheckpoint | None = None,
) -> dict[int, GradientPass]:
    """The ``eps`` pass of every selected layer of a :class:`~hear_probes.layers.LayerGroup`.

    Parameters
    ----------
    group : LayerGroup
        The layer views' shared group (its base module must have ``get_layer_scene_embeddings``).
    sample_rate : int
        The model's sample rate.
    trials : Trials
        The ranking trials (rounded to their item ids, see ``round_trials``).
    duration : float
        Stimulus length in seconds.
    metric : {"euclidean", "cosine", "l1"}
        Distance between scene embeddings.
    batch_size : int
        Trials per forward pass.
    quiet : bool
        Hide the progress bar (it counts trials).
    batch_tangents : bool
        Carry both tangents through one ``vmap``-ed pass where the model allows it (else, and
        with ``False``, one dual pass per tangent). The derivatives are the same.
    checkpoint : PassCheckpoint, optional
        Where to keep the arrays done so far (every ``checkpoint.every`` seconds, and on any
        interruption): a pass given the checkpoint of an interrupted one resumes after its last
        saved trial, with the same numbers. Removed when the pass is complete (with the
        store's checkpoints of other settings) or cannot run in forward mode.

    Returns
    -------
    dict of int to GradientPass
        Per selected layer index: the same fields as the per-view reverse pass.

    Raises
    ------
    NotDifferentiable
        When the module has no forward-mode rule for one of its operations, returns something
        other than one torch tensor per layer, or the tangent does not reach an embedding.
    """
    base = group.base
    fn = base.module.get_layer_scene_embeddings
    all_ids = list(base.model.layer_ids)
    pick = [all_ids.index(k) for k in group.layer_ids]
    f64 = torch.float64

    def batch(sl: slice, flags: dict) -> dict:
        with torch.no_grad():  # forward-mode tangents flow under no_grad; no backward graph kept
            target_audio = synth_sines(trials.target_freq[sl], trials.target_level[sl],
                                       trials.target_phase[sl], sample_rate, duration)
            outs_t = _layer_outputs(fn, target_audio, base.model, len(all_ids))
            target = [outs_t[i] for i in pick]
            params = (torch.as_tensor(trials.pred_freq[sl], dtype=f64),
                      torch.as_tensor(np.asarray(trials.pred_level[sl]), dtype=f64),
                      torch.as_tensor(trials.pred_phase[sl], dtype=f64))
            d = None
            if flags["batch_tangents"]:
                try:
                    d, tan, emb = _vmapped_pass(fn, base.model, len(all_ids), pick, target,
                                                *params, sample_rate, duration, metric)
                except Exception:  # noqa: BLE001 - no batching rule: one pass per tangent
                    d, flags["batch_tangents"] = None, False
                else:
                    if _tangent_lost(tan):
                        d, flags["batch_tangents"] = None, False
            if d is None:
                d, tan, emb = _two_dual_passes(fn, base.model, len(all_ids), pick, target,
                                               *params, sample_rate, duration, metric)
        return {k: {"pitch": tan["pitch"][j].double().cpu().numpy(),
                    "level": tan["level"][j].double().cpu().numpy(),
                    "distance": d[j].double().cpu().numpy(),
                    "target": target[j].float().cpu().numpy(),
                    "prediction": emb[j].float().cpu().numpy()}
                for j, k in enumerate(group.layer_ids)}

    arrays, first = resumable_batches(
        len(trials), batch_size, group.layer_ids, batch, checkpoint,
        {"batch_tangents": batch_tangents}, abandon=(NotDifferentiable,),
        desc="ranking gradients (all layers)", quiet=quiet)
    return {k: gradient_pass_of(arrays[k], metric, first) for k in group.layer_ids}
