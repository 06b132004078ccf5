"""Spectral optimal transport (SOT) distance (Torres, Peeters & Richard 2024).

Each frame of a power spectrogram (flat-top window of ``n_fft`` samples, hop 256) is normalised
to unit mass and read as a discrete measure on the bin frequencies. Two frames are compared by
the 1-D Wasserstein distance computed in closed form through quantile functions (their eq. 5):

``W_p^p(a, b) = sum_i |F_a^{-1}(r_i) - F_b^{-1}(r_i)|^p (r_i - r_{i-1})``

where ``r`` is the sorted union of the two CDFs' values. The distance is the mean over frames of
``W_2^2`` (their eq. 6 with ``p = 2``). Gradients reach the spectra through the quantile steps
``r_i - r_{i-1}``; positions are piecewise constant in the weights.

Support: normalised frequency ``k / n_fft`` (cycles per sample, 0 to 0.5), or with
``log_frequency=True`` its natural log, the DC bin dropped (``log 0`` is undefined) -- the
"SOT-512-LS" variant. The training-time extras of the paper (frequency cut-off on the
reconstruction, added ``lambda * MSS``) are not part of the distance and are not applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hear_probes.probes.ranking.distances import SpectralDistance
from hear_probes.probes.ranking.transforms import Analysis, magnitude

__all__ = ["wasserstein_1d", "SpectralOT"]


def _merge_plan(ca: np.ndarray, cb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge order of two row-wise sorted CDFs and the quantile indices at each merged value.

    ``np.argsort(kind="stable")`` is a timsort: each row is two sorted runs, so the merge is
    linear. Ties put ``ca`` first; a tied value then contributes ``dr = 0``, so the choice of side
    does not change the result.

    Returns
    -------
    perm : ndarray
        ``[R, 2M]`` merged order into ``concat(ca, cb)``.
    ia, ib : ndarray
        ``[R, 2M]`` indices ``F_a^{-1}(r_t)``, ``F_b^{-1}(r_t)`` (first bin whose CDF reaches
        ``r_t``), clipped to ``M - 1``.
    """
    m = ca.shape[-1]
    perm = np.argsort(np.concatenate([ca, cb], axis=-1), axis=-1, kind="stable")
    from_a = perm < m
    a_before = np.cumsum(from_a, axis=-1) - from_a
    b_before = np.cumsum(~from_a, axis=-1) - ~from_a
    ia = np.minimum(np.where(from_a, perm, a_before), m - 1)
    ib = np.minimum(np.where(from_a, b_before, perm - m), m - 1)
    return perm, ia, ib


def wasserstein_1d(
    a: torch.Tensor, b: torch.Tensor, positions: torch.Tensor, p: float = 2.0
) -> torch.Tensor:
    """``W_p^p`` between discrete measures sharing sorted ``positions`` (closed form).

    ``W_p^p = sum_t |x[F_a^{-1}(r_t)] - x[F_b^{-1}(r_t)]|^p (r_t - r_{t-1})`` over the merged
    CDF values ``r`` (Torres et al. 2024, eq. 5). The merge plan is computed without gradient
    (numpy, float64); the ``r_t`` are gathered from the differentiable CDFs, so gradients reach
    ``a`` and ``b`` through the quantile steps.

    Parameters
    ----------
    a, b : Tensor
        ``[..., M]`` non-negative weights, each summing to one along the last axis.
    positions : Tensor
        ``[M]`` increasing support.
    p : float
        Order of the ground cost ``|x - y| ** p``.

    Returns
    -------
    Tensor
        ``[...]`` the ``p``-th power of the ``p``-Wasserstein distance.
    """
    lead, m = a.shape[:-1], a.shape[-1]
    ca = torch.cumsum(a.reshape(-1, m).double(), dim=-1)
    cb = torch.cumsum(b.reshape(-1, m).double(), dim=-1)
    perm, ia, ib = _merge_plan(ca.detach().numpy(), cb.detach().numpy())
    r = torch.gather(torch.cat([ca, cb], dim=-1), 1, torch.from_numpy(perm))
    dr = torch.diff(r, dim=-1, prepend=torch.zeros_like(r[:, :1]))
    pos = positions.double()
    cost = (pos[torch.from_numpy(ia)] - pos[torch.from_numpy(ib)]).abs().pow(p)
    return (cost * dr).sum(dim=-1).to(a.dtype).reshape(lead)


@dataclass
class SpectralOT(SpectralDistance):
    """Mean over frames of ``W_p^p`` between unit-mass power spectra (SOT)."""

    name: str = "sot-2048"
    n_fft: int = 2048
    hop_length: int = 256
    window: str = "flattop"
    power: float = 2.0
    center: bool = True
    p: float = 2.0
    log_frequency: bool = False
    sample_rate: int = 44100

    def positions(self, n_bins: int, dtype: torch.dtype) -> torch.Tensor:
        freqs = torch.arange(n_bins, dtype=torch.float64) / self.n_fft
        if self.log_frequency:
            freqs = torch.log(freqs[1:])
        return freqs.to(dtype)

    def analyses(self) -> tuple[Analysis, ...]:
        return (Analysis(self.n_fft, self.hop_length, self.window, self.center),)

    def features(self, spectra) -> tuple[torch.Tensor, ...]:
        s = magnitude(spectra[0], self.power).transpose(1, 2)  # [b, frames, bins]
        if self.log_frequency:
            s = s[..., 1:]
        mass = s.sum(dim=-1, keepdim=True).clamp_min(1e-30)
        return (s / mass,)

    def magnitude(self, r) -> torch.Tensor:
        """0: SOT has no zero element; ties fall back to the distances' own size.

        Its rounding is absolute (normalised spectra, bounded support), so neither scale
        separates rounding from genuine differences cleanly (docs/ranking.md, "Ties").
        """
        return torch.zeros(r[0].shape[0], dtype=r[0].dtype)

    def between(self, ra, rb) -> torch.Tensor:
        a, b = ra[0], rb[0]
        n_bins = self.n_fft // 2 + 1
        w = wasserstein_1d(a, b, self.positions(n_bins, a.dtype), p=self.p)  # [b, frames]
        return w.mean(dim=-1)
