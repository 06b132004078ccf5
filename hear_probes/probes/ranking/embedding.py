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

from hear_probes.probes.ranking.accuracy import DEFAULT_TIES, TieRule, gradient_scores, rank_scores
from hear_probes.probes.ranking.trials import DEFAULT_EPSILONS, away_directions, candidate_params
from hear_probes.stimuli.sines import Trials, parse_sine_item_id, sine_item_id, synth_sines

__all__ = [
    "METRICS",
    "TrialItems",
    "NotDifferentiable",
    "embedding_distance",
    "embedding_magnitude",
    "trial_items",
    "round_trials",
    "score_embeddings",
    "is_constant",
    "GradientPass",
    "module_gradient_pass",
    "gradient_pass_of",
    "gradient_pass_scores",
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


def embedding_magnitude(a, metric: str = "euclidean") -> np.ndarray:
    """``d(a, 0)`` per row (1 for cosine): with two rows, the rounding scale of ``d(a, b)``."""
    a = np.asarray(a, dtype=np.float64)
    if metric == "cosine":
        return np.ones(a.shape[0])
    return np.asarray(embedding_distance(a, np.zeros_like(a), metric))


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
    ties: TieRule = DEFAULT_TIES,
    precision: str | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Per-trial scores of the numeric columns from embeddings ``[n_items, d]``.

    ``precision`` (``"float64"``, the default, or ``"float32"``) is the dtype the distances
    between embeddings are computed and compared in; ``ties`` the tie rule.
    """
    eps = epsilons or DEFAULT_EPSILONS
    dtypes = {None: np.float64, "float64": np.float64, "float32": np.float32}
    if precision not in dtypes:
        raise ValueError(f"unknown precision {precision!r}; valid: float32, float64")
    emb = np.asarray(embeddings, dtype=dtypes[precision])
    mag = embedding_magnitude(emb, metric)
    target = emb[items.index["target"]]
    m_t = mag[items.index["target"]]
    d_pred = embedding_distance(target, emb[items.index["prediction"]], metric)
    s_pred = m_t + mag[items.index["prediction"]]
    out: dict[str, dict[str, np.ndarray]] = {"pitch": {}, "level": {}}
    for dim in ("pitch", "level"):
        for scale in eps[dim]:
            rows = items.index[f"{dim}-{scale}"]
            d_pert = embedding_distance(target, emb[rows], metric)
            out[dim][scale] = rank_scores(d_pred, d_pert, s_pred, m_t + mag[rows], ties.rtol,
                                          ties.rule)
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


@dataclass
class GradientPass:
    """Result of the ``eps`` pass: gradients, distances and the embeddings it computed.

    Attributes
    ----------
    grad_pitch, grad_level : ndarray
        ``dd/dlog2 w'`` and ``dd/dL'`` per trial.
    distance : ndarray
        ``d(emb(target), emb(prediction))`` per trial.
    scale : ndarray
        ``d(emb(target), 0) + d(emb(prediction), 0)``: rounding scale of the tie test.
    target, prediction : ndarray
        Scene embeddings ``[n, d]`` (float32, detached) of every trial's target and prediction,
        computed by this pass and reused for the numeric columns (no second forward pass).
    resumed_from : int
        The first trial this run computed: 0, or where it resumed an interrupted run's
        checkpoint (its time then covers only the rest of the pass).
    """

    grad_pitch: np.ndarray
    grad_level: np.ndarray
    distance: np.ndarray
    scale: np.ndarray
    target: np.ndarray
    prediction: np.ndarray
    resumed_from: int = 0


def _exact_sines(freq: np.ndarray, level: np.ndarray, phase: np.ndarray, sample_rate: int,
                 duration: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sines with leaves ``log2 w'`` and ``L'`` whose *values* are exactly ``freq``/``level``.

    ``2 ** log2(f)`` is not always ``f`` in floating point; ``f * 2 ** (u - u.detach())`` is
    (``2 ** 0 == 1``) and has the same derivative ``f ln 2``. The audio is therefore
    bit-identical to :func:`render_items` of the trial's item id, so the embedding computed with
    the graph can stand for the numeric columns' embedding of the same item.
    """
    f = torch.as_tensor(freq, dtype=torch.float64)
    log_f = torch.log2(f).requires_grad_(True)
    lev = torch.tensor(np.asarray(level, dtype=np.float64), requires_grad=True)
    audio = synth_sines(f * torch.pow(2.0, log_f - log_f.detach()), lev,
                        torch.as_tensor(phase, dtype=torch.float64), sample_rate, duration)
    return audio, log_f, lev


def module_gradient_pass(
    module,
    model,
    sample_rate: int,
    trials: Trials,
    duration: float = 1.0,
    metric: str = "euclidean",
    batch_size: int = 16,
    quiet: bool = True,
    checkpoint=None,
) -> GradientPass:
    """``dd/dlog2 w'`` and ``dd/dL'`` of ``d(emb(target), emb(prediction))`` by autograd.

    One forward pass with the graph per prediction and one without per target, batched
    ``batch_size`` trials at a time; the embeddings are returned so that the numeric columns
    do not compute them again. A progress bar counts trials unless ``quiet``. Given a
    :class:`~hear_probes.probes.ranking.checkpoint.PassCheckpoint`, an interrupted pass resumes
    after its last saved trial with the same numbers.

    Raises
    ------
    NotDifferentiable
        When the module does not return a torch tensor connected to its input (no ``grad_fn``),
        raises, or the gradient does not reach the stimulus parameters.
    """
    from hear_probes.probes.ranking.checkpoint import resumable_batches

    fn = module.get_scene_embeddings

    def batch(sl: slice, flags: dict) -> dict:
        with torch.no_grad():
            target = synth_sines(trials.target_freq[sl], trials.target_level[sl],
                                 trials.target_phase[sl], sample_rate, duration)
            emb_t = _embed(fn, target, model)
        audio, log_f, lev = _exact_sines(trials.pred_freq[sl], trials.pred_level[sl],
                                         trials.pred_phase[sl], sample_rate, duration)
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
        return {0: {"pitch": grads[0].numpy(), "level": grads[1].numpy(),
                    "distance": d.detach().double().cpu().numpy(),
                    "target": emb_t.detach().float().cpu().numpy(),
                    "prediction": emb_p.detach().float().cpu().numpy()}}

    arrays, first = resumable_batches(len(trials), batch_size, [0], batch, checkpoint,
                                      abandon=(NotDifferentiable,), desc="ranking gradients",
                                      quiet=quiet)
    return gradient_pass_of(arrays[0], metric, first)


def gradient_pass_of(arrays: dict[str, np.ndarray], metric: str = "euclidean",
                     resumed_from: int = 0) -> GradientPass:
    """The :class:`GradientPass` of one representation's filled arrays (``pitch``, ``level``,
    ``distance``, and ``target``/``prediction`` unless there are no trials)."""
    dist = arrays["distance"]
    if "target" not in arrays:  # no trials
        empty = np.empty((0, 0), dtype=np.float32)
        return GradientPass(arrays["pitch"], arrays["level"], dist, dist, empty, empty)
    scale = (embedding_magnitude(arrays["target"], metric)
             + embedding_magnitude(arrays["prediction"], metric))
    return GradientPass(arrays["pitch"], arrays["level"], dist, scale, arrays["target"],
                        arrays["prediction"], resumed_from)


def gradient_pass_scores(res: GradientPass, trials: Trials,
                         ties: TieRule = DEFAULT_TIES) -> dict[str, np.ndarray]:
    """Scores of the ``eps`` columns from a gradient pass (ties: see :func:`gradient_scores`)."""
    away = away_directions(trials)
    return {dim: gradient_scores(g, away[dim], res.scale, ties.gradient_rtol, ties.rule)
            for dim, g in (("pitch", res.grad_pitch), ("level", res.grad_level))}


def module_gradient_scores(
    module, model, sample_rate: int, trials: Trials, duration: float = 1.0,
    metric: str = "euclidean", batch_size: int = 16, quiet: bool = True,
) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """Scores of the ``eps`` columns, or ``(None, reason)`` when the module is not differentiable."""
    try:
        res = module_gradient_pass(module, model, sample_rate, trials, duration, metric,
                                   batch_size, quiet)
    except NotDifferentiable as exc:
        return None, str(exc)
    return gradient_pass_scores(res, trials), None
