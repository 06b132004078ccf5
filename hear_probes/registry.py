"""Lazy registry of the built-in models.

A :class:`ModelSpec` says which HEAR module implements a model, its backend, sample rate,
embedding sizes and where its weights come from. Nothing here imports a model library or
downloads anything: that happens in ``load_model`` of the HEAR module, when a probe asks
for it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

from hear_probes.errors import ModelResolutionError


@dataclass(frozen=True)
class ModelSpec:
    """Description of a built-in model.

    Attributes
    ----------
    name : str
        Registry name (``--model NAME``).
    module : str
        Dotted path of the HEAR module.
    backend : str
        "numpy", "torch", "transformers" or "tensorflow": the extra that installs it.
    sample_rate : int
        Input rate in Hz.
    scene_dim, timestamp_dim : int
        Embedding sizes.
    weights : str
        Where the default weights come from ("none" for weight-free representations).
    options : dict
        Keyword arguments passed to ``load_model`` (variants of one module).
    requires : tuple of str
        Import names that must be importable for the model to be ready.
    description : str
        One line for ``hear-probes models``.
    """

    name: str
    module: str
    backend: str
    sample_rate: int
    scene_dim: int
    timestamp_dim: int
    weights: str = "none"
    options: dict = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    description: str = ""

    def readiness(self) -> tuple[bool, str]:
        """Whether the model can be loaded here, and why not (no import, no download)."""
        missing = [r for r in self.requires if importlib.util.find_spec(r) is None]
        if missing:
            extra = {"transformers": "torch", "tensorflow": "tf"}.get(self.backend, self.backend)
            return False, f"missing {', '.join(missing)} (pip install 'hear-probes[{extra}]')"
        if importlib.util.find_spec(self.module.split(".")[0]) is None:
            return False, f"module {self.module} is not installed"
        return True, "ready" if self.weights == "none" else f"ready (weights: {self.weights})"


_BUILTIN: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="stft",
        module="hear_probes_adapters.stft",
        backend="torch",
        sample_rate=44100,
        scene_dim=513,
        timestamp_dim=513,
        requires=("torch",),
        description="magnitude STFT, Hann 1024, hop 512, time-averaged (Pascal & Lagrange 2024)",
    ),
    ModelSpec(
        name="logmel",
        module="hear_probes_adapters.logmel",
        backend="torch",
        sample_rate=44100,
        scene_dim=4096,
        timestamp_dim=4096,
        requires=("torch",),
        description="log-mel (256 bands) + fixed random projection to 4096 (HEAR naive baseline idea)",
    ),
)


def builtin_models() -> dict[str, ModelSpec]:
    """All built-in model specs by name, in registration order."""
    return {spec.name: spec for spec in _BUILTIN}


def get_spec(name: str) -> ModelSpec:
    """Spec of a built-in model.

    Raises
    ------
    ModelResolutionError
        For an unknown name, listing the known ones.
    """
    models = builtin_models()
    try:
        return models[name]
    except KeyError:
        known = ", ".join(models)
        raise ModelResolutionError(
            f"unknown model {name!r}; built-in models are: {known}. "
            "To probe your own HEAR module use --module pkg.module [--model-path FILE]"
        ) from None
