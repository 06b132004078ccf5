"""The catalogue of named distances of the ranking probe (Turian & Henry 2020, Table 2; SOT).

Adding a distance: write its class (a :class:`~.distances.SpectralDistance`) in
``distances.py`` or its own module, then add one entry here (and a display name).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hear_probes.probes.ranking.distances import (
    MelDistance,
    MFCCDistance,
    MultiScaleSpectrogram,
    SpectralCentroidDistance,
    SpectralDistance,
    Spectrogram,
)
from hear_probes.probes.ranking.sot import SpectralOT


def _sot(n_fft: int, log_freq: bool, name: str) -> Callable[[], SpectralDistance]:
    def make() -> SpectralDistance:
        return SpectralOT(name=name, n_fft=n_fft, log_frequency=log_freq)

    return make


#: STFT conventions of the four spectrogram rows (one function in the paper: "MSSTFT and log
#: MSSTFT computed as Spectrogram and log(Spectrogram)"): uncentred frames, as the 2019 PyTorch
#: DDSP port's ``MSSTFTLoss`` (``torch.stft(..., center=False)``); see docs/ranking.md.
_SPEC = {"center": False}

#: Table 1 / Table 2 of Turian & Henry (2020), in the paper's row order, plus the named variant
#: ``spectrogram-power2`` of the row whose evidence is split (docs/ranking.md).
SPECTRAL_DISTANCES: dict[str, Callable[[], SpectralDistance]] = {
    # the paper writes |Spectrogram(x)|: magnitude
    "spectrogram": lambda: Spectrogram(name="spectrogram", power=1.0, **_SPEC),
    # the same function with the power of the other three rows
    "spectrogram-power2": lambda: Spectrogram(name="spectrogram-power2", power=2.0, **_SPEC),
    "log-spectrogram": lambda: Spectrogram(name="log-spectrogram", norm="l2", log=True,
                                           power=2.0, **_SPEC),
    "mel": lambda: MelDistance(name="mel"),
    "mfcc": lambda: MFCCDistance(name="mfcc"),
    "mss": lambda: MultiScaleSpectrogram(name="mss", power=2.0, **_SPEC),
    "log-mss": lambda: MultiScaleSpectrogram(name="log-mss", norm="l2", log=True, power=2.0,
                                             **_SPEC),
    "log2-centroid": lambda: SpectralCentroidDistance(name="log2-centroid"),
}
#: Spectral optimal transport variants (Torres et al. 2024).
SOT_DISTANCES: dict[str, Callable[[], SpectralDistance]] = {
    "sot-2048": _sot(2048, False, "sot-2048"),
    "sot-512": _sot(512, False, "sot-512"),
    "sot-512-ls": _sot(512, True, "sot-512-ls"),
}
DISTANCES: dict[str, Callable[[], SpectralDistance]] = {**SPECTRAL_DISTANCES, **SOT_DISTANCES}

DISPLAY_NAMES = {
    "spectrogram": "Spectrogram",
    "spectrogram-power2": "Spectrogram (power 2)",
    "log-spectrogram": "log(Spectrogram)",
    "mel": "Mel",
    "mfcc": "MFCC",
    "mss": "MSS",
    "log-mss": "log MSS",
    "log2-centroid": "log2(Spectral Centroid)",
    "sot-2048": "SOT-2048",
    "sot-512": "SOT-512",
    "sot-512-ls": "SOT-512-LS",
}


def get_distance(name: str) -> SpectralDistance:
    """Instantiate a catalogue distance by name (``ValueError`` listing valid names otherwise)."""
    key = name.strip().lower()
    if key not in DISTANCES:
        raise ValueError(
            f"unknown distance {name!r}; valid: {', '.join(DISTANCES)} (or 'all', 'spectral', 'sot')"
        )
    return DISTANCES[key]()


def parse_distance_names(spec: str | Sequence[str]) -> list[str]:
    """Expand ``"a,b"``, ``"all"``, ``"spectral"`` or ``"sot"`` into catalogue names (validated)."""
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    names: list[str] = []
    for part in (p.strip().lower() for p in parts):
        if not part:
            continue
        if part == "all":
            expanded = list(DISTANCES)
        elif part == "spectral":
            expanded = list(SPECTRAL_DISTANCES)
        elif part == "sot":
            expanded = list(SOT_DISTANCES)
        else:
            get_distance(part)  # validates
            expanded = [part]
        names.extend(n for n in expanded if n not in names)
    if not names:
        raise ValueError(f"no distance given; valid: {', '.join(DISTANCES)}")
    return names
