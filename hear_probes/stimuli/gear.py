"""GEAR stimuli: additive harmonic tones with three known factors of variability.

Implements the synthesis model of Lostanlen, Yan & Yang (2023), "From HEAR to GEAR",
Eq. (1)::

    y(t) = sum_{p=1}^{P} (1 + (-1)^p r) / p^alpha * cos(2 pi p f1 t / T) * hann_T(t)

and two parameter designs:

``paper``
    The paper's dataset (Sec. 2.2): T = 1024 samples at 16 kHz, 50 values of ``alpha`` evenly in
    [0, 2), 50 values of ``r`` evenly in [0, 1), ``f1`` a seeded random integer in [12, 24] per
    tone, P = 32 harmonics kept strictly below Nyquist: 2500 tones. The deviations of the authors'
    public notebook are available as options (see :func:`notebook_options`).
``perceptual``
    1 s tones with a 10 ms raised-cosine fade, f0 log-uniform over 65-1000 Hz, and the two
    spectral-envelope factors on evenly spaced perceptual scales: brightness as the log of the
    power-weighted spectral centroid (in harmonic ranks) and the odd-to-even level difference in
    dB. See ``docs/gear.md`` for the definitions and their justification.

Every tone has a deterministic item id that encodes its factor values (``f1=17_alpha=0.04_r=0.96``);
:func:`parse_item_ids` recovers the factors from the ids, and :meth:`GearTones.load_items`
synthesises a tone *from its id*, so an id always names exactly the sound that was embedded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from hear_probes.errors import HearProbesError
from hear_probes.stimuli.base import StimulusSet, fixed_hash

__all__ = [
    "SYNTH_VERSION",
    "PaperConfig",
    "PerceptualConfig",
    "GearTones",
    "paper_tones",
    "perceptual_tones",
    "make_tones",
    "notebook_options",
    "synthesize_paper",
    "synthesize_perceptual",
    "harmonic_amplitudes",
    "spectral_centroid_rank",
    "alpha_from_centroid",
    "r_from_oddeven_db",
    "format_item_id",
    "parse_item_ids",
    "factor_scales",
    "set_name_for",
]

#: Bumped whenever the synthesis of an existing item id changes (part of the stimulus hash).
SYNTH_VERSION = "gear-synth-1"

PAPER_FACTORS = ("f1", "alpha", "r")
PERCEPTUAL_FACTORS = ("f0", "centroid", "oddeven")

#: Scale on which each factor is analysed: "linear" (kNN mean, R2 on raw values) or "log".
_SCALES = {
    "f1": "linear",
    "alpha": "linear",
    "r": "linear",
    "f0": "log",
    "centroid": "log",
    "oddeven": "linear",
}

#: Human-readable factor labels (for figures and JSON).
FACTOR_LABELS = {
    "f1": "f1 (cycles / window)",
    "alpha": "alpha (spectral decay)",
    "r": "r (odd/even difference)",
    "f0": "f0 (Hz)",
    "centroid": "centroid (harmonic rank)",
    "oddeven": "odd-even level (dB)",
}


# --------------------------------------------------------------------------------------------
# configurations
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PaperConfig:
    """Parameters of the paper's tone set (defaults = Sec. 2.2 of the paper).

    Parameters
    ----------
    window_length : int
        T, the tone duration in samples (also the Hann window length).
    sample_rate : int
        Rate at which the tones are synthesised (Hz); ``f0 = f1 * sample_rate / window_length``.
    n_harmonics : int or None
        P. Harmonics are additionally kept strictly below Nyquist (``p * f1 < T / 2``).
        ``None`` keeps every harmonic below Nyquist (the notebook's behaviour).
    n_alpha, alpha_range : int, (float, float)
        ``n_alpha`` values evenly spaced in ``[lo, hi)`` (``lo + i (hi - lo) / n``).
    n_r, r_range : int, (float, float)
        Same for ``r``.
    f1_range : (int, int)
        Bounds of the random integer ``f1`` (cycles per window).
    f1_high_inclusive : bool
        True: ``f1`` in ``[lo, hi]`` (the paper's "between 12 and 24"); False: ``[lo, hi)``
        (the notebook's ``range(12, 24)``).
    drop_zero : bool
        Drop tones with any factor equal to zero (the notebook's ``avoid_zero``).
    normalization : {"global", "per_tone", "none"}
        "global": one gain for the whole set, so that the loudest possible tone of the grid peaks
        at ``peak_level`` (relative levels of Eq. 1 are preserved); "per_tone": each tone scaled
        to max-abs ``peak_level`` (the notebook); "none": Eq. (1) as is (peaks up to ~P).
    peak_level : float
        Target peak amplitude.
    periodic_window : bool
        Periodic Hann (exact 3-bin DFT leakage, default) or symmetric ``np.hanning`` (notebook).
    seed : int
        Seed of the ``f1`` draws (``numpy.random.default_rng``).
    """

    window_length: int = 1024
    sample_rate: int = 16000
    n_harmonics: int | None = 32
    n_alpha: int = 50
    alpha_range: tuple[float, float] = (0.0, 2.0)
    n_r: int = 50
    r_range: tuple[float, float] = (0.0, 1.0)
    f1_range: tuple[int, int] = (12, 24)
    f1_high_inclusive: bool = True
    drop_zero: bool = False
    normalization: str = "global"
    peak_level: float = 0.9
    periodic_window: bool = True
    seed: int = 0

    variant = "paper"


@dataclass(frozen=True)
class PerceptualConfig:
    """Parameters of the perceptual tone set (see ``docs/gear.md``).

    Parameters
    ----------
    sample_rate : int
        Synthesis rate (Hz).
    duration : float
        Tone duration in seconds.
    fade : float
        Raised-cosine fade-in/out duration in seconds.
    f0_range : (float, float)
        f0 is drawn log-uniformly in this range (Hz), one draw per tone (seeded).
    n_harmonics : int
        P; harmonics are additionally kept strictly below Nyquist.
    n_centroid : int
        Number of brightness steps, evenly spaced in log centroid (cell centres).
    alpha_range : (float, float)
        Spectral-decay range whose centroids bound the brightness scale.
    centroid_harmonics : int
        Number of harmonics of the nominal spectrum on which the centroid is defined.
    n_oddeven, oddeven_db_range : int, (float, float)
        Odd-to-even level differences, evenly spaced in dB (cell centres).
    rms_level : float
        Every tone is scaled to this RMS (equal level, no loudness confound).
    seed : int
        Seed of the f0 draws.
    """

    sample_rate: int = 16000
    duration: float = 1.0
    fade: float = 0.01
    f0_range: tuple[float, float] = (65.0, 1000.0)
    n_harmonics: int = 32
    n_centroid: int = 50
    alpha_range: tuple[float, float] = (0.0, 2.0)
    centroid_harmonics: int = 32
    n_oddeven: int = 50
    oddeven_db_range: tuple[float, float] = (0.0, 30.0)
    rms_level: float = 0.1
    seed: int = 0

    variant = "perceptual"


def notebook_options() -> dict:
    """Options reproducing the deviations of the authors' public notebook (yy945635407/GEAR).

    Returns
    -------
    dict
        Keyword arguments for :class:`PaperConfig`: alpha in [1, 3), r in [1, 2), zero-valued
        parameters dropped, per-tone max-abs scaling, f1 upper bound exclusive, symmetric Hann
        window and no P = 32 cap (all harmonics below Nyquist).
    """
    return {
        "alpha_range": (1.0, 3.0),
        "r_range": (1.0, 2.0),
        "drop_zero": True,
        "normalization": "per_tone",
        "f1_high_inclusive": False,
        "periodic_window": False,
        "n_harmonics": None,
    }


# --------------------------------------------------------------------------------------------
# item ids
# --------------------------------------------------------------------------------------------
def _fmt(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.6g}"


def format_item_id(factors: dict[str, float]) -> str:
    """Encode factor values as an item id, e.g. ``f1=17_alpha=0.04_r=0.96``.

    Values are written with 6 significant digits; tones are synthesised from the *parsed* values,
    so the id is exact by construction.
    """
    return "_".join(f"{name}={_fmt(v)}" for name, v in factors.items())


def parse_item_ids(item_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Recover the factor values from item ids.

    Parameters
    ----------
    item_ids : sequence of str
        Ids written by :func:`format_item_id`, all with the same factor names in the same order.

    Returns
    -------
    dict of str to ndarray
        Factor name -> float64 array ``[n]``, in the ids' order.
    """
    if len(item_ids) == 0:
        return {}
    names = [kv.split("=", 1)[0] for kv in str(item_ids[0]).split("_")]
    values = np.empty((len(item_ids), len(names)))
    for i, item in enumerate(item_ids):
        pairs = [kv.split("=", 1) for kv in str(item).split("_")]
        if any(len(p) != 2 or not p[0] for p in pairs) or [p[0] for p in pairs] != names:
            raise ItemIdError(f"GEAR item id {item!r} (row {i}) does not encode the factors "
                              f"{', '.join(names)} like the first id {str(item_ids[0])!r}; {_ID_FORMAT}")
        try:
            values[i] = [float(p[1]) for p in pairs]
        except ValueError:
            raise ItemIdError(f"GEAR item id {item!r} (row {i}): a factor value is not a number; "
                              f"{_ID_FORMAT}") from None
        if not np.isfinite(values[i]).all():
            raise ItemIdError(f"GEAR item id {item!r} (row {i}): a factor value is NaN or infinite; "
                              "every factor needs a finite value")
    return {name: values[:, k] for k, name in enumerate(names)}


_ID_FORMAT = ("item ids must be name=value pairs joined by '_', e.g. f1=17_alpha=0.04_r=0.96 "
              "(docs/gear.md)")


class ItemIdError(HearProbesError, ValueError):
    """GEAR item ids that do not encode finite factor values (one line, exit 2 in the CLI)."""


def factor_scales(names: Sequence[str]) -> dict[str, str]:
    """Analysis scale ("linear" or "log") of each factor name (unknown names: linear)."""
    return {n: _SCALES.get(n, "linear") for n in names}


# --------------------------------------------------------------------------------------------
# paper synthesis
# --------------------------------------------------------------------------------------------
def harmonic_amplitudes(alpha: np.ndarray, r: np.ndarray, n_harmonics: int) -> np.ndarray:
    """Amplitudes ``(1 + (-1)^p r) / p^alpha`` of harmonics ``p = 1..P``.

    Parameters
    ----------
    alpha, r : ndarray
        Arrays ``[n]``.
    n_harmonics : int
        P.

    Returns
    -------
    ndarray
        ``[n, P]`` float64.
    """
    p = np.arange(1, n_harmonics + 1, dtype=np.float64)
    sign = np.where(p % 2 == 0, 1.0, -1.0)
    alpha = np.asarray(alpha, dtype=np.float64)[:, None]
    r = np.asarray(r, dtype=np.float64)[:, None]
    return (1.0 + sign * r) / p**alpha


def _paper_harmonic_mask(f1: np.ndarray, config: PaperConfig) -> tuple[np.ndarray, int]:
    """Mask ``[n, P]`` of harmonics kept (p <= P and p f1 < T / 2)."""
    f1 = np.asarray(f1, dtype=np.float64)
    nyq = config.window_length / 2
    p_max = int(np.ceil(nyq / max(float(f1.min()), 1e-9)))
    n_harm = p_max if config.n_harmonics is None else min(config.n_harmonics, p_max)
    p = np.arange(1, n_harm + 1, dtype=np.float64)
    return (p[None, :] * f1[:, None]) < nyq, n_harm


def _hann(length: int, periodic: bool) -> np.ndarray:
    if periodic:
        return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)
    return np.hanning(length)


def paper_amplitude_bound(f1, alpha, r, config: PaperConfig) -> np.ndarray:
    """Upper bound ``sum_p |a_p|`` of each tone's peak amplitude (before normalisation)."""
    mask, n_harm = _paper_harmonic_mask(f1, config)
    return np.sum(np.abs(harmonic_amplitudes(alpha, r, n_harm)) * mask, axis=1)


def synthesize_paper(
    f1: np.ndarray,
    alpha: np.ndarray,
    r: np.ndarray,
    config: PaperConfig,
    gain: float = 1.0,
    chunk: int = 64,
) -> np.ndarray:
    """Synthesise paper tones (Eq. 1) at ``config.sample_rate``.

    Parameters
    ----------
    f1, alpha, r : ndarray
        Factor arrays ``[n]``; ``f1`` in cycles per window.
    config : PaperConfig
        Synthesis configuration.
    gain : float
        Global gain (used when ``config.normalization == "global"``).
    chunk : int
        Tones synthesised per vectorised block (bounds memory at ``chunk * P * T``).

    Returns
    -------
    ndarray
        float32 ``[n, T]``.
    """
    f1 = np.atleast_1d(np.asarray(f1, dtype=np.float64))
    alpha = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    r = np.atleast_1d(np.asarray(r, dtype=np.float64))
    length = config.window_length
    t = np.arange(length, dtype=np.float64) / length
    window = _hann(length, config.periodic_window)
    mask, n_harm = _paper_harmonic_mask(f1, config)
    amps = harmonic_amplitudes(alpha, r, n_harm) * mask
    p = np.arange(1, n_harm + 1, dtype=np.float64)
    out = np.empty((len(f1), length), dtype=np.float64)
    for start in range(0, len(f1), chunk):
        sl = slice(start, start + chunk)
        phase = 2 * np.pi * (f1[sl, None] * p[None, :])[:, :, None] * t[None, None, :]
        out[sl] = np.einsum("np,npt->nt", amps[sl], np.cos(phase))
    out *= window[None, :]
    if config.normalization == "global":
        out *= gain
    elif config.normalization == "per_tone":
        peak = np.max(np.abs(out), axis=1, keepdims=True)
        out *= config.peak_level / np.where(peak > 0, peak, 1.0)
    elif config.normalization != "none":
        raise ValueError(f"unknown normalization {config.normalization!r}")
    return out.astype(np.float32)


# --------------------------------------------------------------------------------------------
# perceptual scales and synthesis
# --------------------------------------------------------------------------------------------
def spectral_centroid_rank(alpha: np.ndarray, n_harmonics: int = 32) -> np.ndarray:
    """Power-weighted spectral centroid, in harmonic ranks, of ``a_p = p^-alpha`` (r = 0).

    ``c(alpha) = sum_p p * p^(-2 alpha) / sum_p p^(-2 alpha)``, p = 1..P; decreasing in alpha
    (c(0) = (P + 1) / 2, c(2) ~ 1.11 for P = 32).
    """
    p = np.arange(1, n_harmonics + 1, dtype=np.float64)
    w = p[None, :] ** (-2.0 * np.atleast_1d(np.asarray(alpha, dtype=np.float64))[:, None])
    return (w @ p) / w.sum(axis=1)


def alpha_from_centroid(
    centroid: np.ndarray, n_harmonics: int = 32, bounds: tuple[float, float] = (-1.0, 8.0)
) -> np.ndarray:
    """Invert :func:`spectral_centroid_rank` by vectorised bisection (60 steps)."""
    target = np.atleast_1d(np.asarray(centroid, dtype=np.float64))
    lo = np.full_like(target, bounds[0])
    hi = np.full_like(target, bounds[1])
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        too_bright = spectral_centroid_rank(mid, n_harmonics) > target
        lo = np.where(too_bright, mid, lo)
        hi = np.where(too_bright, hi, mid)
    return 0.5 * (lo + hi)


def r_from_oddeven_db(level_db: np.ndarray) -> np.ndarray:
    """``r`` such that odd harmonics are ``level_db`` dB above even ones: (1-r)/(1+r) = 10^(dB/20)."""
    g = 10.0 ** (np.asarray(level_db, dtype=np.float64) / 20.0)
    return (1.0 - g) / (1.0 + g)


def synthesize_perceptual(
    f0: np.ndarray,
    centroid: np.ndarray,
    oddeven: np.ndarray,
    config: PerceptualConfig,
    chunk: int = 16,
) -> np.ndarray:
    """Synthesise perceptual-variant tones: Eq. (1) with f0 in Hz, fades, equal RMS.

    Parameters
    ----------
    f0 : ndarray
        Fundamental frequencies (Hz), ``[n]``.
    centroid : ndarray
        Nominal spectral centroid in harmonic ranks (sets alpha via :func:`alpha_from_centroid`).
    oddeven : ndarray
        Odd-to-even level difference in dB (sets r via :func:`r_from_oddeven_db`).
    config : PerceptualConfig
        Synthesis configuration.
    chunk : int
        Tones per vectorised block.

    Returns
    -------
    ndarray
        float32 ``[n, round(duration * sample_rate)]``.
    """
    f0 = np.atleast_1d(np.asarray(f0, dtype=np.float64))
    alpha = alpha_from_centroid(centroid, config.centroid_harmonics)
    r = r_from_oddeven_db(np.atleast_1d(oddeven))
    sr = config.sample_rate
    length = int(round(config.duration * sr))
    t = np.arange(length, dtype=np.float64) / sr
    p = np.arange(1, config.n_harmonics + 1, dtype=np.float64)
    amps = harmonic_amplitudes(alpha, r, config.n_harmonics) * (p[None, :] * f0[:, None] < sr / 2)
    n_fade = max(int(round(config.fade * sr)), 1)
    envelope = np.ones(length)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n_fade) + 0.5) / n_fade)
    envelope[:n_fade] = ramp
    envelope[length - n_fade :] = ramp[::-1]
    out = np.empty((len(f0), length), dtype=np.float64)
    for start in range(0, len(f0), chunk):
        sl = slice(start, start + chunk)
        phase = 2 * np.pi * (f0[sl, None] * p[None, :])[:, :, None] * t[None, None, :]
        out[sl] = np.einsum("np,npt->nt", amps[sl], np.cos(phase))
    out *= envelope[None, :]
    rms = np.sqrt(np.mean(out**2, axis=1, keepdims=True))
    out *= config.rms_level / np.where(rms > 0, rms, 1.0)
    return out.astype(np.float32)


# --------------------------------------------------------------------------------------------
# tone sets
# --------------------------------------------------------------------------------------------
@dataclass
class GearTones:
    """A GEAR tone set: ids, factors and the recipe to synthesise any of its tones.

    Attributes
    ----------
    variant : str
        "paper" or "perceptual".
    config : PaperConfig or PerceptualConfig
        Synthesis configuration.
    item_ids : list of str
        Deterministic ids encoding the factor values.
    factors : dict of str to ndarray
        Factor name -> values ``[n]`` (parsed from the ids).
    gain : float
        Global gain of the paper variant ("global" normalisation), 1.0 otherwise.
    """

    variant: str
    config: PaperConfig | PerceptualConfig
    item_ids: list[str]
    factors: dict[str, np.ndarray]
    gain: float = 1.0
    extra: dict = field(default_factory=dict)

    @property
    def sample_rate(self) -> int:
        """Synthesis sample rate (Hz)."""
        return self.config.sample_rate

    def __len__(self) -> int:
        return len(self.item_ids)

    def stimulus_hash(self) -> str:
        """sha256 of everything that defines the sound of an item id (config, gain, version)."""
        payload = {
            "version": SYNTH_VERSION,
            "variant": self.variant,
            "config": {k: v for k, v in asdict(self.config).items() if k != "seed"},
            "gain": float(np.float32(self.gain)),
        }
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def synthesize(self, item_ids: Sequence[str]) -> np.ndarray:
        """Synthesise the tones named by ``item_ids`` (factors parsed from the ids).

        Returns
        -------
        ndarray
            float32 ``[n, samples]`` at :attr:`sample_rate`.
        """
        f = parse_item_ids(list(item_ids))
        if self.variant == "paper":
            return synthesize_paper(f["f1"], f["alpha"], f["r"], self.config, self.gain)
        return synthesize_perceptual(f["f0"], f["centroid"], f["oddeven"], self.config)

    def load_items(self, item_ids: Sequence[str]) -> list[np.ndarray]:
        """Tones as a list of mono float32 arrays at :attr:`sample_rate`."""
        return list(self.synthesize(item_ids))

    def stimulus_set(self, name: str) -> StimulusSet:
        """These tones as a :class:`~hear_probes.stimuli.base.StimulusSet` (``/gear/<name>``).

        Synthesised at :attr:`sample_rate`, then resampled to the model's rate.
        """
        from hear_probes.audio import resample

        sr_in = self.sample_rate

        def render(ids, sample_rate: int, resample_method: str) -> list[np.ndarray]:
            return [resample(x, sr_in, sample_rate, resample_method) for x in self.synthesize(ids)]

        return StimulusSet("gear", name, tuple(self.item_ids), render,
                           fixed_hash(self.stimulus_hash()))

    def subset(self, n: int, seed: int = 0) -> GearTones:
        """A seeded random subset of ``n`` tones (same recipe and gain, ids in original order)."""
        if n >= len(self):
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self), size=n, replace=False))
        return replace(
            self,
            item_ids=[self.item_ids[i] for i in keep],
            factors={k: v[keep] for k, v in self.factors.items()},
        )


def _even_grid(n: int, bounds: tuple[float, float]) -> np.ndarray:
    lo, hi = bounds
    return lo + np.arange(n) * (hi - lo) / n


def _cell_centres(n: int, bounds: tuple[float, float]) -> np.ndarray:
    lo, hi = bounds
    return lo + (np.arange(n) + 0.5) * (hi - lo) / n


def _round_trip(factors: dict[str, np.ndarray]) -> tuple[list[str], dict[str, np.ndarray]]:
    names = list(factors)
    n = len(factors[names[0]])
    ids = [format_item_id({k: factors[k][i] for k in names}) for i in range(n)]
    return ids, parse_item_ids(ids)


def paper_tones(config: PaperConfig | None = None) -> GearTones:
    """The paper's tone set (2500 tones with the defaults).

    Tones are ordered alpha-major then r, as in the paper's code; ``f1`` is drawn per tone.

    Parameters
    ----------
    config : PaperConfig, optional
        Defaults to ``PaperConfig()`` (the paper's values).

    Returns
    -------
    GearTones
    """
    config = config or PaperConfig()
    alpha_grid = _even_grid(config.n_alpha, config.alpha_range)
    r_grid = _even_grid(config.n_r, config.r_range)
    alpha, r = (a.ravel() for a in np.meshgrid(alpha_grid, r_grid, indexing="ij"))
    lo, hi = config.f1_range
    rng = np.random.default_rng(config.seed)
    f1 = rng.integers(lo, hi, size=alpha.size, endpoint=config.f1_high_inclusive).astype(float)
    if config.drop_zero:
        keep = (f1 != 0) & (alpha != 0) & (r != 0)
        f1, alpha, r = f1[keep], alpha[keep], r[keep]
    ids, factors = _round_trip({"f1": f1, "alpha": alpha, "r": r})
    gain = 1.0
    if config.normalization == "global":
        # worst case over every f1 the design allows and the whole (alpha, r) grid: seed-free
        f1_all = np.arange(lo, hi + 1 if config.f1_high_inclusive else hi, dtype=float)
        grid = [a.ravel() for a in np.meshgrid(f1_all, alpha_grid, r_grid, indexing="ij")]
        gain = config.peak_level / float(paper_amplitude_bound(*grid, config).max())
    return GearTones("paper", config, ids, factors, gain=gain)


def perceptual_tones(config: PerceptualConfig | None = None) -> GearTones:
    """The perceptual tone set (``n_centroid * n_oddeven`` tones, 2500 with the defaults).

    Brightness steps are evenly spaced in log centroid between the centroids of
    ``alpha_range[1]`` and ``alpha_range[0]``; odd-even steps evenly in dB; f0 log-uniform.

    Parameters
    ----------
    config : PerceptualConfig, optional
        Defaults to ``PerceptualConfig()``.

    Returns
    -------
    GearTones
    """
    config = config or PerceptualConfig()
    c_bounds = spectral_centroid_rank(np.array(config.alpha_range[::-1]), config.centroid_harmonics)
    log_c = _cell_centres(config.n_centroid, (np.log(c_bounds[0]), np.log(c_bounds[1])))
    db = _cell_centres(config.n_oddeven, config.oddeven_db_range)
    centroid, oddeven = (a.ravel() for a in np.meshgrid(np.exp(log_c), db, indexing="ij"))
    rng = np.random.default_rng(config.seed)
    lo, hi = np.log(config.f0_range[0]), np.log(config.f0_range[1])
    f0 = np.exp(rng.uniform(lo, hi, size=centroid.size))
    ids, factors = _round_trip({"f0": f0, "centroid": centroid, "oddeven": oddeven})
    return GearTones("perceptual", config, ids, factors)


def make_tones(variant: str = "paper", notebook: bool = False, **options) -> GearTones:
    """Build a tone set by variant name.

    Parameters
    ----------
    variant : {"paper", "perceptual"}
        Design.
    notebook : bool
        Paper variant only: apply :func:`notebook_options` (before ``options``).
    **options
        Overrides of the config fields (``seed``, ``n_alpha``, ...).

    Returns
    -------
    GearTones
    """
    if variant == "paper":
        base = notebook_options() if notebook else {}
        return paper_tones(PaperConfig(**{**base, **options}))
    if variant == "perceptual":
        if notebook:
            raise ValueError("notebook options apply to the paper variant only")
        return perceptual_tones(PerceptualConfig(**options))
    raise ValueError(f"unknown GEAR variant {variant!r} (expected 'paper' or 'perceptual')")


def set_name_for(tones: GearTones) -> str:
    """Store set name of a tone set.

    "tones" (paper recipe), "tones-perceptual" (perceptual recipe), "tones-notebook" (paper with
    :func:`notebook_options`), else ``tones-<variant>-<hash8>``. The seed is not part of the name:
    it only changes which ids are drawn, and ids name their sounds exactly.
    """
    config = replace(tones.config, seed=0)
    if tones.variant == "paper" and config == PaperConfig():
        return "tones"
    if tones.variant == "perceptual" and config == PerceptualConfig():
        return "tones-perceptual"
    if tones.variant == "paper" and config == PaperConfig(**notebook_options()):
        return "tones-notebook"
    return f"tones-{tones.variant}-{tones.stimulus_hash()[:8]}"
