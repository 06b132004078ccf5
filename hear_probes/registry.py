"""Lazy registry of the built-in models, derived from the adapters' own declarations.

Each adapter module in ``adapters/`` (installed as ``hear_probes_adapters``) declares its
models once, in a literal ``BUILTIN_MODELS`` tuple next to the constants its code uses; this
module reads that tuple from the adapter's source with :mod:`ast` (it never imports an
adapter, so no model library is imported). A :class:`ModelSpec` says which HEAR module implements a model, its backend, sample rate,
embedding sizes and where its weights come from. Nothing here imports a model library or
downloads anything: that happens in ``load_model`` of the HEAR module, when a probe asks
for it.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

from hear_probes.errors import ModelResolutionError

#: How to install CPU-only torch (not a dependency of hear-probes: several GB of CUDA
#: packages otherwise on Linux).
TORCH_CPU_INSTALL = "pip install torch --index-url https://download.pytorch.org/whl/cpu"
#: The extra that installs an import name a built-in model requires.
EXTRA_OF = {"transformers": "transformers", "tensorflow": "tf", "tensorflow_hub": "tf"}


def install_hint(missing: list[str]) -> str:
    """How to install the missing import names: torch from the CPU index, the rest by extras."""
    hints = [TORCH_CPU_INSTALL] if "torch" in missing else []
    extras = sorted({EXTRA_OF.get(m, m) for m in missing if m != "torch"})
    if extras:
        hints.append(f"pip install 'hear-probes[{','.join(extras)}]'")
    return "; ".join(hints)


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
        "numpy", "torch", "transformers" or "tensorflow": the framework it runs on.
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
    remote_code : bool
        The default weights run their repository's own Python code: the model loads only
        with ``--trust-remote-code`` (``load_model(..., trust_remote_code=True)``).
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
    remote_code: bool = False

    def readiness(self, trust_remote_code: bool = False) -> tuple[bool, str]:
        """Whether the model can be loaded here, and why not (no import, no download).

        A model whose weights need remote code is not ready without ``trust_remote_code``:
        its status then reads "ready with --trust-remote-code (...)".
        """
        ok, why = self._readiness()
        if ok and self.remote_code and not trust_remote_code:
            return False, f"ready with --trust-remote-code ({why})"
        return ok, why

    def _readiness(self) -> tuple[bool, str]:
        missing = [r for r in self.requires if importlib.util.find_spec(r) is None]
        if missing:
            return False, f"missing {', '.join(missing)} ({install_hint(missing)})"
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


#: Adapter modules whose ``BUILTIN_MODELS`` declarations make the built-in models, in listing
#: order. A new adapter is one module in ``adapters/`` with a ``BUILTIN_MODELS`` tuple and one
#: line here.
ADAPTERS: tuple[str, ...] = (
    "hear_probes_adapters.stft",
    "hear_probes_adapters.logmel",
    "hear_probes_adapters.waveform",
    "hear_probes_adapters.crepe",
    "hear_probes_adapters.fcn",
    "hear_probes_adapters.musicnn",
    "hear_probes_adapters.resemblyzer",
    "hear_probes_adapters.basic_pitch",
    "hear_probes_adapters.fcpe",
    "hear_probes_adapters.pesto",
    "hear_probes_adapters.wav2vec2",
    "hear_probes_adapters.clap",
    "hear_probes_adapters.encodec",
    "hear_probes_adapters.mert",
    "hear_probes_adapters.vggish",
    "hear_probes_adapters.yamnet",
    "hear_probes_adapters.openl3",
)


class _Constants(ast.NodeTransformer):
    """Replace names of module-level literal constants by their values."""

    def __init__(self, constants: dict):
        self.constants = constants

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id not in self.constants:
            raise ValueError(f"{node.id} is not a literal constant of the module")
        return ast.copy_location(ast.Constant(self.constants[node.id]), node)


def read_declarations(source: str, where: str = "<adapter>") -> tuple[dict, ...]:
    """The ``BUILTIN_MODELS`` tuple of an adapter's source, without importing it.

    ``BUILTIN_MODELS`` must be a literal (``ast.literal_eval``) in which a bare name stands
    for a module-level constant assigned a literal above it (``SAMPLE_RATE = 16000``), so the
    adapter states each number once and its code uses the same constant.

    Raises
    ------
    ModelResolutionError
        When the declaration is missing or not a literal.
    """
    tree = ast.parse(source, filename=where)
    constants: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name == "BUILTIN_MODELS":
                try:
                    value = ast.literal_eval(_Constants(constants).visit(node.value))
                except ValueError as exc:
                    raise ModelResolutionError(f"{where}: BUILTIN_MODELS is not a literal ({exc})") from exc
                return tuple(value)
            try:
                constants[name] = ast.literal_eval(node.value)
            except ValueError:
                continue
    raise ModelResolutionError(f"{where}: no BUILTIN_MODELS declaration")


def _specs_of(module: str) -> list[ModelSpec]:
    try:
        found = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        found = None
    if found is None or not found.origin:
        return []  # adapters not installed: no built-in models from them
    path = Path(found.origin)
    out = []
    for decl in read_declarations(path.read_text("utf-8"), str(path)):
        fields = dict(decl)
        for key in ("requires", "weights_check"):
            if key in fields:
                fields[key] = tuple(fields[key])
        out.append(ModelSpec(module=module, **fields))
    return out


@functools.cache
def _builtin() -> tuple[ModelSpec, ...]:
    specs = tuple(spec for module in ADAPTERS for spec in _specs_of(module))
    return specs + _plugin_specs({spec.name for spec in specs})


def _plugin_specs(taken: set[str]) -> tuple[ModelSpec, ...]:
    """Specs of the ``hear_probes.models`` entry points (:mod:`hear_probes.plugins`).

    Each entry point names a HEAR module whose ``BUILTIN_MODELS`` declaration is read like an
    adapter's (never imported); a module that cannot be read, or a name already taken, is
    skipped with a one-line warning.
    """
    from hear_probes.plugins import model_entry_points, warn_plugin

    out: list[ModelSpec] = []
    for ep in model_entry_points():
        module = ep.value.split(":")[0].strip()
        try:
            specs = _specs_of(module)
        except (ModelResolutionError, SyntaxError, TypeError, ImportError, OSError) as exc:
            warn_plugin(ep, "model", exc)
            continue
        if not specs:
            warn_plugin(ep, "model", f"module {module} is not importable")
        for spec in specs:
            if spec.name in taken:
                warn_plugin(ep, "model", f"model name {spec.name!r} is already taken")
                continue
            taken.add(spec.name)
            out.append(spec)
    return tuple(out)


def builtin_models() -> dict[str, ModelSpec]:
    """All registered model specs by name: the built-in ones in :data:`ADAPTERS` order, then
    those of installed plug-ins (``hear_probes.models`` entry points, :mod:`hear_probes.plugins`).

    Read from each module's ``BUILTIN_MODELS`` declaration (:func:`read_declarations`):
    the sources are parsed, never imported, so no model library is loaded.
    """
    return {spec.name: spec for spec in _builtin()}


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
