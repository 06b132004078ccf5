"""Score the ranking trials on differentiable spectral distances (batched, torch).

Per batch of trials the sinusoids of every role are synthesised once and every STFT
configuration needed by the requested distances is computed once, then shared by all distances.
Two exact identities keep the hot path cheap:

- a level change is a gain on the signal, so the STFT of a level-perturbed prediction is the
  prediction's STFT times ``10 ** ((L'' - L') / 25)`` (the STFT is linear);
- the ``eps`` column needs ``dd/dtheta'`` at the prediction. The STFT being linear,
  ``STFT(x(theta' + t)) = STFT(x) + t STFT(dx/dtheta') + o(t)``; the tangent signal
  ``dx/dlog2 w'`` is obtained by forward-mode automatic differentiation through the synthesizer,
  and the distance is differentiated by reverse-mode autograd with respect to ``t`` (pitch) and
  a gain ``c`` (level, ``dx/dL' = x ln(10) / 25``) through the non-linear part of the
  representation. This equals back-propagating through the whole pipeline (checked in the tests)
  at a fraction of the cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.autograd.forward_ad as fwad

from hear_probes.probes.ranking.accuracy import DEFAULT_TIES, TieRule, gradient_scores, rank_scores
from hear_probes.probes.ranking.distances import SpectralDistance
from hear_probes.probes.ranking.transforms import Analysis, stft_complex
from hear_probes.probes.ranking.trials import (
    DEFAULT_EPSILONS,
    SineParams,
    away_directions,
    candidate_params,
)
from hear_probes.stimuli.sines import LEVEL_SCALE, Trials, synth_sines

__all__ = ["Precision", "PRECISIONS", "score_distances", "scores_from_raw",
           "full_autograd_gradients", "distance_curve"]

DLEVEL = math.log(10.0) / LEVEL_SCALE  # dx/dL = x * ln(10) / 25


@dataclass(frozen=True)
class Precision:
    """Floating-point precision of a run.

    Attributes
    ----------
    signal : torch.dtype
        Stimuli, STFTs, features and distances (default float32, as the paper's PyTorch code).
    phase : torch.dtype
        The synthesizer's phase ``w t + phi`` (default float64: a clean sine; see
        :func:`hear_probes.synth.sinusoid`).
    """

    signal: torch.dtype = torch.float32
    phase: torch.dtype = torch.float64

    @property
    def name(self) -> str:
        """``"float32"`` / ``"float64"`` (the signal precision), as written in results."""
        return str(self.signal).removeprefix("torch.")


#: ``--precision`` values.
PRECISIONS = {"float32": Precision(), "float64": Precision(torch.float64)}


def _render(params: SineParams, idx: slice, sample_rate: int, duration: float,
            precision: Precision = PRECISIONS["float32"]) -> torch.Tensor:
    return synth_sines(params.freq[idx], params.level[idx], params.phase[idx], sample_rate,
                       duration, dtype=precision.signal, phase_dtype=precision.phase)


def _render_with_tangent(
    params: SineParams, idx: slice, sample_rate: int, duration: float,
    precision: Precision = PRECISIONS["float32"],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Signals and their derivative w.r.t. ``log2`` frequency (forward-mode autodiff)."""
    log_f = torch.as_tensor(np.log2(params.freq[idx]), dtype=torch.float64)
    level = torch.as_tensor(params.level[idx], dtype=torch.float64)
    phase = torch.as_tensor(params.phase[idx], dtype=torch.float64)

    with fwad.dual_level():
        dual = fwad.make_dual(log_f, torch.ones_like(log_f))
        x = synth_sines(torch.pow(2.0, dual), level, phase, sample_rate, duration,
                        dtype=precision.signal, phase_dtype=precision.phase)
        primal, tangent = fwad.unpack_dual(x)
    return primal, tangent


def _scale(spectra: Sequence[torch.Tensor], gain: torch.Tensor) -> list[torch.Tensor]:
    g = gain.view(-1, 1, 1)
    return [s * g for s in spectra]


def score_distances(  # noqa: C901, PLR0915  (the batched hot loop; shared STFTs stay in one scope)
    distances: Sequence[SpectralDistance],
    trials: Trials,
    duration: float = 1.0,
    epsilons: dict | None = None,
    batch_size: int = 10,
    gradients: bool = True,
    progress: Callable[[int], None] | None = None,
    precision: Precision | str = "float32",
) -> dict[str, dict]:
    """Per-trial scores of the six Table 1 columns for several spectral distances.

    Parameters
    ----------
    distances : sequence of SpectralDistance
        Distances sharing one sample rate (used for synthesis).
    trials : Trials
        Target/prediction pairs.
    duration : float
        Stimulus duration in seconds.
    epsilons : dict, optional
        Perturbation sizes (default: the paper's 30/600 cents, 2/10 dB).
    batch_size : int
        Trials per batch; memory grows with ``batch_size * duration`` (about 30 MB per trial-second
        with every catalogue distance).
    gradients : bool
        Compute the ``eps`` columns.
    progress : callable, optional
        Called with the number of trials done after each batch.
    precision : Precision or {"float32", "float64"}
        Precision of stimuli, STFTs, features and distances, and of the synthesizer's phase.
        The scores use the default :class:`TieRule`; :func:`scores_from_raw` rescored the raw
        values under another.

    Returns
    -------
    dict
        ``{name: {"pitch": {"eps", "fine", "coarse"}, "level": {...}, "_distances": {...},
        "_gradients": {...}}}``: per-trial scores (1 correct, 0 wrong, 0.5 tie), raw distances
        per role and the raw gradients (``dd/dlog2 w'``, ``dd/dL'``).
    """
    rates = {d.sample_rate for d in distances}
    if len(rates) != 1:
        raise ValueError(f"distances must share one sample rate, got {sorted(rates)}")
    sr = rates.pop()
    if isinstance(precision, str):
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
        precision = PRECISIONS[precision]
    eps = epsilons or DEFAULT_EPSILONS
    roles = candidate_params(trials, eps)
    away = away_directions(trials)
    n = len(trials)
    analyses: list[Analysis] = []
    for dist in distances:
        analyses.extend(a for a in dist.analyses() if a not in analyses)
    pitch_roles = [f"pitch-{s}" for s in eps["pitch"]]
    raw = {d.name: {r: np.empty(n) for r in roles if r != "target"} for d in distances}
    # d(target, 0) + d(candidate, 0): the rounding scale of each distance (ties)
    mags = {d.name: {r: np.empty(n) for r in roles if r != "target"} for d in distances}
    grads = {d.name: {"pitch": np.full(n, np.nan), "level": np.full(n, np.nan)}
             for d in distances}
    for start in range(0, n, batch_size):
        idx = slice(start, min(n, start + batch_size))
        b = idx.stop - idx.start
        with torch.no_grad():
            pred, tangent = _render_with_tangent(roles["prediction"], idx, sr, duration,
                                                 precision)
            signals = [_render(roles["target"], idx, sr, duration, precision), pred, tangent]
            signals += [_render(roles[r], idx, sr, duration, precision) for r in pitch_roles]
            batch = torch.cat(signals)
            stfts = {a: stft_complex(batch, a).split(b) for a in analyses}
            del batch, signals
        for dist in distances:
            spec = {role: [stfts[a][k] for a in dist.analyses()]
                    for k, role in enumerate(["target", "prediction", "tangent", *pitch_roles])}
            with torch.no_grad():
                rt = dist.features(spec["target"])
                mag_t = dist.magnitude(rt).double().numpy()
            d_raw, g_raw, m_raw = raw[dist.name], grads[dist.name], mags[dist.name]

            def record(role: str, r_cand, d_raw=d_raw, m_raw=m_raw, rt=rt, mag_t=mag_t,
                       dist=dist, idx=idx) -> None:
                d_raw[role][idx] = dist.between(rt, r_cand).double().numpy()
                m_raw[role][idx] = mag_t + dist.magnitude(r_cand).double().numpy()

            if gradients:
                t = torch.zeros(b, dtype=precision.signal, requires_grad=True)
                c = torch.ones(b, dtype=precision.signal, requires_grad=True)
                moved = [x + t.view(-1, 1, 1) * v
                         for x, v in zip(spec["prediction"], spec["tangent"], strict=True)]
                rp = dist.features(_scale(moved, c))
                d = dist.between(rt, rp)
                g_t, g_c = torch.autograd.grad(d.sum(), [t, c])
                g_raw["pitch"][idx] = g_t.numpy()
                g_raw["level"][idx] = g_c.numpy() * DLEVEL
            with torch.no_grad():
                record("prediction", tuple(f.detach() for f in rp) if gradients
                       else dist.features(spec["prediction"]))
                for role in pitch_roles:
                    record(role, dist.features(spec[role]))
                for scale in eps["level"]:
                    role = f"level-{scale}"
                    gain = torch.as_tensor(
                        np.power(10.0, (roles[role].level[idx] - roles["prediction"].level[idx])
                                 / LEVEL_SCALE), dtype=precision.signal)
                    record(role, dist.features(_scale(spec["prediction"], gain)))
        del stfts
        if progress is not None:
            progress(idx.stop)
    out: dict[str, dict] = {}
    for dist in distances:
        res = {"_distances": raw[dist.name], "_gradients": grads[dist.name],
               "_magnitudes": mags[dist.name]}
        res.update(scores_from_raw(res, away, eps))
        if not gradients:
            res["pitch"]["eps"] = res["level"]["eps"] = np.full(n, np.nan)
        out[dist.name] = res
    return out


def scores_from_raw(raw: dict, away: dict[str, np.ndarray], epsilons: dict | None = None,
                    rule: TieRule = DEFAULT_TIES) -> dict[str, dict[str, np.ndarray]]:
    """Per-trial scores of the six columns from the raw values of :func:`score_distances`.

    Parameters
    ----------
    raw : dict
        One distance's entry of :func:`score_distances` (``_distances``, ``_magnitudes``,
        ``_gradients``).
    away : dict
        ``sgn(theta' - theta)`` per dimension (:func:`~.trials.away_directions`).
    epsilons : dict, optional
        Perturbation sizes (their keys name the numeric columns).
    rule : TieRule
        Tie rule and tolerances. Rescoring is free: the tie-sensitivity table of
        ``docs/ranking.md`` rescored one run under several rules.

    Returns
    -------
    dict
        ``{dim: {scale: scores}}`` (1 correct, 0 wrong, 0.5 tie; NaN gradients score 0).
    """
    eps = epsilons or DEFAULT_EPSILONS
    d_raw, g_raw, m_raw = raw["_distances"], raw["_gradients"], raw["_magnitudes"]
    res: dict = {"pitch": {}, "level": {}}
    for dim in ("pitch", "level"):
        res[dim]["eps"] = gradient_scores(g_raw[dim], away[dim], m_raw["prediction"],
                                          rule.gradient_rtol, rule.rule)
        for scale in eps[dim]:
            res[dim][scale] = rank_scores(d_raw["prediction"], d_raw[f"{dim}-{scale}"],
                                          m_raw["prediction"], m_raw[f"{dim}-{scale}"],
                                          rule.rtol, rule.rule)
    return res


def full_autograd_gradients(
    distance: SpectralDistance,
    target: torch.Tensor,
    freq: np.ndarray,
    level: np.ndarray,
    phase: np.ndarray,
    duration: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: back-propagate ``d(target, x(L', w'))`` through synthesizer and STFT.

    Returns ``(d, dd/dlog2 w', dd/dL')`` as numpy arrays (slow; used to check the fast path).
    """
    log_f = torch.tensor(np.log2(freq), dtype=torch.float64, requires_grad=True)
    lev = torch.tensor(level, dtype=torch.float64, requires_grad=True)
    x = synth_sines(torch.pow(2.0, log_f), lev, torch.as_tensor(phase), distance.sample_rate,
                    duration)
    with torch.no_grad():
        rt = distance.represent(target)
    d = distance.between(rt, distance.represent(x))
    g_f, g_l = torch.autograd.grad(d.sum(), [log_f, lev])
    return d.detach().double().numpy(), g_f.numpy(), g_l.numpy()


def distance_curve(
    distance: SpectralDistance,
    target: tuple[float, float, float],
    freqs: np.ndarray,
    levels: np.ndarray,
    phase: float = 0.0,
    duration: float = 1.0,
    batch_size: int = 50,
) -> np.ndarray:
    """``d(target, x(L_i, w_i))`` for candidate pitches/levels (figures).

    Parameters
    ----------
    target : (freq, level, phase)
    freqs, levels : ndarray
        Candidate parameters (same shape; flattened internally).
    phase : float
        Candidates' phase.

    Returns
    -------
    ndarray
        Distances with the shape of ``freqs``.
    """
    shape = np.shape(freqs)
    f, lev = np.ravel(freqs), np.ravel(levels)
    sr = distance.sample_rate
    out = np.empty(f.size)
    with torch.no_grad():
        rt = distance.represent(synth_sines([target[0]], [target[1]], [target[2]], sr, duration))
        for start in range(0, f.size, batch_size):
            sl = slice(start, min(f.size, start + batch_size))
            x = synth_sines(f[sl], lev[sl], np.full(sl.stop - sl.start, phase), sr, duration)
            rt_b = tuple(r.expand(sl.stop - sl.start, *r.shape[1:]) for r in rt)
            out[sl] = distance.between(rt_b, distance.represent(x)).double().numpy()
    return out.reshape(shape)
