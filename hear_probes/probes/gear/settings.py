"""One settings object per GEAR run, built by the command line (or ``evaluate``) and passed
whole; each setting is defined, defaulted and checked here."""

from __future__ import annotations

from dataclasses import dataclass, field

from hear_probes.errors import HearProbesError

#: The stimulus designs (``--variant``).
VARIANTS = ("paper", "perceptual")


@dataclass(frozen=True)
class GearSettings:
    """Everything that shapes a GEAR run.

    Attributes
    ----------
    variant : {"paper", "perceptual"}
        Stimulus design.
    notebook : bool
        Paper variant with the public notebook's deviations (see ``docs/gear.md``).
    quick : bool
        400 tones instead of 2500.
    n_tones : int, optional
        Explicit number of tones (seeded subset).
    seed : int
        First seed. A seed draws the tones (f1 / f0 draws, the quick subset), the CV folds,
        the pair sampling and the kNN permutation null.
    n_seeds : int
        Seeds ``seed ... seed + n_seeds - 1``; every score is reported as their mean with a
        95 % t interval and the per-seed values (``docs/gear.md``).
    quiet : bool
        No progress bar.
    batch_size : int
        Items per ``get_scene_embeddings`` call.
    isomap_neighbors, knn_k, tau : int, int, float
        Isomap K (100), kNN log-ratio K (40), sensitivity tolerance (0.05).
    figures : bool
        Write the PNG figures (and the HTML view).
    stimulus_options : dict
        Overrides of the synthesis config fields (:class:`~hear_probes.stimuli.gear.PaperConfig`).
    """

    variant: str = "paper"
    notebook: bool = False
    quick: bool = False
    n_tones: int | None = None
    seed: int = 0
    n_seeds: int = 5
    quiet: bool = False
    batch_size: int = 16
    isomap_neighbors: int = 100
    knn_k: int = 40
    tau: float = 0.05
    figures: bool = True
    stimulus_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise HearProbesError(f"--variant must be 'paper' or 'perceptual', not {self.variant!r}")
