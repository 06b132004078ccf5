"""Ranking trials on a HEAR module: distances between scene embeddings, and the ``eps`` column.

The numeric columns only need one embedding per unique stimulus (target, prediction and the four
perturbed predictions of every trial), which the probe obtains through the embedding store. The
``eps`` column needs ``get_scene_embeddings`` to be differentiable torch; otherwise it is "n/a"
with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from hear_probes.probes.ranking.accuracy import gradient_scores, rank_scores
from hear_probes.probes.ranking.trials import DEFAULT_EPSILONS, away_directions, candidate_params
from hear_probes.stimuli.sines import Trials, parse_sine_item_id, sine_item_id, synth_sines

__all__ = [
    "METRICS",
    "TrialItems",
    "NotDifferentiable",
    "embedding_distance",
    "trial_items",
    "round_trials",
    "score_embeddings",
    "is_constant",
    "module_gradients",
    "module_gradient_scores",
]

METRICS = ("euclidean", "cosine", "l1")


def _safe_norm(x, axis=-1):
    if isinstance(x, torch.Tensor):
        return torch.sqrt(x.square().sum(dim=axis) + 1e-30)
    return np.sqrt(np.square(x).sum(axis=axis))


def embedding_distance(a, b, metric: str = "euclidean"):
    """Row-wise distance between embeddings ``a[n, d]`` and ``b[n, d]`` (numpy or torch).

    ``euclidean``: ``||a - b||_2``; ``l1``: ``||a - b||_1``; ``cosine``: ``1 - cos(a, b)``.
    """
    if metric == "euclidean":
        return _safe_norm(a - b)
    if metric == "l1":
        diff = a - b
        return diff.abs().sum(-1) if isinstance(diff, torch.Tensor) else np.abs(diff).sum(-1)
    if metric == "cosine":
        dot = (a * b).sum(-1)
        return 1.0 - dot / (_safe_norm(a) * _safe_norm(b) + 1e-30)
    raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")


@dataclass(frozen=True)
class TrialItems:
    """Unique stimuli of a trial set and, per role, each trial's row in ``item_ids``."""

    item_ids: list[str]
    index: dict[str, np.ndarray]


def round_trials(trials: Trials) -> Trials:
    """Trials with parameters rounded to what their item ids encode (round trip exact)."""
    def rt(f, lev, ph):
        p = np.array([parse_sine_item_id(sine_item_id(*x)) for x in zip(f, lev, ph, strict=True)])
        return p[:, 0], p[:, 1], p[:, 2]

    tf, tl, tp = rt(trials.target_freq, trials.target_level, trials.target_phase)
    pf, pl, pp = rt(trials.pred_freq, trials.pred_level, trials.pred_phase)
    return Trials(tf, tl, tp, pf, pl, pp, trials.seed, trials.ranges)


def trial_items(trials: Trials, epsilons: dict | None = None) -> TrialItems:
    """Item ids of every stimulus the trials need, deduplicated, with per-role indices."""
    roles = candidate_params(trials, epsilons or DEFAULT_EPSILONS)
    ids: list[str] = []
    where: dict[str, int] = {}
    index: dict[str, np.ndarray] = {}
    for role, p in roles.items():
        rows = np.empty(len(p), dtype=np.int64)
        for k, item in enumerate(map(sine_item_id, p.freq, p.level, p.phase)):
            if item not in where:
                where[item] = len(ids)
                ids.append(item)
            rows[k] = where[item]
        index[role] = rows
    return TrialItems(ids, index)


def score_embeddings(
    embeddings: np.ndarray,
    items: TrialItems,
    metric: str = "euclidean",
    epsilons: dict | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Per-trial scores of the numeric columns from embeddings ``[n_items, d]``."""
    eps = epsilons or DEFAULT_EPSILONS
    emb = np.asarray(embeddings, dtype=np.float64)
    target = emb[items.index["target"]]
    d_pred = embedding_distance(target, emb[items.index["prediction"]], metric)
    out: dict[str, dict[str, np.ndarray]] = {"pitch": {}, "level": {}}
    for dim in ("pitch", "level"):
        for scale in eps[dim]:
            d_pert = embedding_distance(target, emb[items.index[f"{dim}-{scale}"]], metric)
            out[dim][scale] = rank_scores(d_pred, d_pert)
    return out


def is_constant(embeddings: np.ndarray) -> bool:
    """True when every row is identical (the representation cannot tell stimuli apart)."""
    emb = np.asarray(embeddings)
    return emb.shape[0] > 0 and bool(np.all(emb == emb[:1]))


class NotDifferentiable(Exception):
    """``get_scene_embeddings`` cannot be differentiated; the message says why."""


def _embed(fn: Callable, audio: torch.Tensor, model) -> torch.Tensor:
    try:
        out = fn(audio, model)
    except Exception as exc:  # noqa: BLE001 - any failure means "not differentiable here"
        raise NotDifferentiable(
            f"get_scene_embeddings raised {type(exc).__name__} on a tensor requiring grad: {exc}"
        ) from exc
    if not isinstance(out, torch.Tensor):
        raise NotDifferentiable(
            f"get_scene_embeddings returned {type(out).__name__}, not a torch tensor"
        )
    return out


def module_gradients(
    module,
    model,
    sample_rate: int,
    trials: Trials,
    duration: float = 1.0,
    metric: str = "euclidean",
    batch_size: int = 16,
    quiet: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``dd/dlog2 w'`` and ``dd/dL'`` of ``d(emb(target), emb(prediction))`` by autograd.

    A progress bar counts trials unless ``quiet``.

    Raises
    ------
    NotDifferentiable
        When the module does not return a torch tensor connected to its input (no ``grad_fn``),
        raises, or the gradient does not reach the stimulus parameters.
    """
    n = len(trials)
    g_f, g_l = np.empty(n), np.empty(n)
    fn = module.get_scene_embeddings
    bar = tqdm(total=n, desc="ranking gradients", unit="trial", disable=quiet, leave=False)
    for start in range(0, n, batch_size):
        sl = slice(start, min(n, start + batch_size))
        with torch.no_grad():
            target = synth_sines(trials.target_freq[sl], trials.target_level[sl],
                                 trials.target_phase[sl], sample_rate, duration)
            emb_t = fn(target, model)
            emb_t = torch.as_tensor(np.asarray(emb_t)) if not isinstance(emb_t, torch.Tensor) \
                else emb_t
        log_f = torch.tensor(np.log2(trials.pred_freq[sl]), dtype=torch.float64,
                             requires_grad=True)
        lev = torch.tensor(trials.pred_level[sl], dtype=torch.float64, requires_grad=True)
        audio = synth_sines(torch.pow(2.0, log_f), lev, torch.as_tensor(trials.pred_phase[sl]),
                            sample_rate, duration)
        emb_p = _embed(fn, audio, model)
        if emb_p.grad_fn is None:
            raise NotDifferentiable(
                "get_scene_embeddings returned a tensor without grad_fn (not differentiable "
                "torch: it detaches, runs under no_grad, or computes outside torch)"
            )
        d = embedding_distance(emb_t.to(emb_p.dtype).detach(), emb_p, metric)
        grads = torch.autograd.grad(d.sum(), [log_f, lev], allow_unused=True)
        if any(g is None for g in grads):
            raise NotDifferentiable("the embedding's gradient does not reach the input audio")
        g_f[sl], g_l[sl] = grads[0].numpy(), grads[1].numpy()
        bar.update(sl.stop - sl.start)
    bar.close()
    return g_f, g_l


def module_gradient_scores(
    module, model, sample_rate: int, trials: Trials, duration: float = 1.0,
    metric: str = "euclidean", batch_size: int = 16, quiet: bool = True,
) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """Scores of the ``eps`` columns, or ``(None, reason)`` when the module is not differentiable."""
    try:
        g_f, g_l = module_gradients(module, model, sample_rate, trials, duration, metric,
                                    batch_size, quiet)
    except NotDifferentiable as exc:
        return None, str(exc)
    away = away_directions(trials)
    return {"pitch": gradient_scores(g_f, away["pitch"]),
            "level": gradient_scores(g_l, away["level"])}, None
