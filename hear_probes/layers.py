"""Layer by layer: ``--layers all | 0,4,8 | last`` for models that expose their layers.

A HEAR module is *layered* when its model has ``layer_ids`` (the valid layer indices),
``layer_dims`` (their sizes, same order), optionally ``layer_names`` (names that ``--layers``
accepts in place of the indices, same order) and ``with_layer(k)`` (a view sharing the weights whose
HEAR functions embed with layer ``k``), and the module has
``get_layer_scene_embeddings(audio, model) -> list`` giving the scene embedding of every layer
(``layer_ids`` order) from **one** forward pass. ``hf_auto``, ``mert``, ``crepe`` and ``fcn`` are.

:func:`layer_views` turns a loaded model into one :class:`~hear_probes.hear_module.LoadedModule`
per selected layer, with model id ``<model>@layer-K`` and its own store
(``<model>@layer-K.h5``, see ``docs/embedding-store.md``). The views of one model share a
:class:`LayerGroup`: when a probe asks one view for a stimulus set, the embedding stage
computes every selected layer of the missing items in one pass per batch and writes all their
sets, so the other layers find their sets cached (see :func:`hear_probes.embed.compute_set`:
a model without layers is the same computation for a group of one).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hear_probes.errors import HearProbesError
from hear_probes.hear_module import LoadedModule, to_numpy

LAYER_DIR = "layer-{k}"
#: A layer view's model id is ``<model id>@layer-K`` (:func:`layer_model_id`).
LAYER_ID = "{base}@layer-{k}"
_LAYER_ID = re.compile(r"^(?P<base>.+)@layer-(?P<k>-?\d+)$")


def layer_model_id(base: str, k: int) -> str:
    """The model id of layer ``k`` of model ``base``: ``base@layer-K`` (the one place it is made)."""
    return LAYER_ID.format(base=base, k=int(k))


def split_layer_id(model_id: str) -> tuple[str, int] | None:
    """``(base, K)`` of a layer view's model id ``base@layer-K``, else None (the one parser).

    Examples
    --------
    >>> split_layer_id("hf:org/x@rev@layer-12")
    ('hf:org/x@rev', 12)
    >>> split_layer_id("logmel") is None
    True
    """
    m = _LAYER_ID.match(str(model_id))
    return (m.group("base"), int(m.group("k"))) if m else None


def is_layered(loaded: LoadedModule) -> bool:
    """Whether a loaded module exposes its layers (see the module docstring)."""
    model = loaded.model
    return (hasattr(model, "layer_ids") and hasattr(model, "with_layer")
            and hasattr(loaded.module, "get_layer_scene_embeddings"))


def parse_layers(spec: str, layer_ids: list[int], model: str = "model",
                 names: list[str] | None = None) -> list[int]:
    """Layer indices selected by ``--layers``.

    Parameters
    ----------
    spec : str
        ``all``, ``last``, ``first`` or comma-separated indices (negative count from the end)
        or, for a model with layer names, names (``conv3,classifier``).
    layer_ids : list of int
        The model's valid indices, in depth order.
    model : str
        Name used in error messages.
    names : list of str, optional
        The model's layer names (``layer_names``, same order as ``layer_ids``).

    Raises
    ------
    HearProbesError
        An empty, unknown or out-of-range entry; the message gives the valid range (and names).
    """
    ids = list(layer_ids)
    by_name = {str(n).lower(): k for n, k in zip(names or [], ids, strict=False)}
    valid = f"valid layers of {model}: {ids[0]}..{ids[-1]}"
    if by_name:
        valid += " (" + ", ".join(f"{k} = {n}" for n, k in by_name.items()) + ")"
    valid += ", or all, first, last"
    text = str(spec).strip().lower()
    if text == "all":
        return ids
    out: list[int] = []
    for part in text.split(","):
        k = _one_layer(part.strip(), ids, by_name, valid)
        if k not in out:
            out.append(k)
    if not out:
        raise HearProbesError(f"--layers: no layer given; {valid}")
    return out


def _one_layer(part: str, ids: list[int], by_name: dict[str, int], valid: str) -> int:
    """The index named by one entry of ``--layers`` (see :func:`parse_layers`)."""
    named = {"last": ids[-1], "first": ids[0], **by_name}
    if part in named:
        return named[part]
    try:
        k = int(part)
    except ValueError:
        what = "a layer index or name" if by_name else "a layer index"
        raise HearProbesError(f"--layers: {part!r} is not {what}; {valid}") from None
    if k < 0 and -len(ids) <= k:
        k = ids[k]
    if k not in ids:
        raise HearProbesError(f"--layers: layer {k} out of range; {valid}")
    return k


_LAYER_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def check_layers_spec(spec: str) -> str:
    """Check the form of ``--layers`` without a model (before a sweep starts).

    Entries are integers, ``first``/``last`` or layer names (identifiers such as ``conv3``).
    Whether the indices or names exist is known only once the model is loaded
    (:func:`parse_layers`).

    Raises
    ------
    HearProbesError
        An empty spec or an entry that is neither an integer, first, last nor a name.
    """
    text = str(spec).strip().lower()
    parts = [p.strip() for p in text.split(",")]
    if text == "all":
        return text
    if not text or not any(parts):
        raise HearProbesError("--layers: no layer given; use all, first, last or indices such as 0,4,8")
    for part in parts:
        if part in ("first", "last") or _LAYER_NAME.fullmatch(part):
            continue
        try:
            int(part)
        except ValueError:
            raise HearProbesError(f"--layers: {part!r} is not a layer index or name; use all, "
                                  "first, last or comma-separated indices or names such as 0,4,8") from None
    return text


@dataclass
class LayerGroup:
    """The selected layers of one model: shared forward pass, one store per layer."""

    base: LoadedModule
    layer_ids: list[int]
    views: dict[int, LoadedModule] = field(default_factory=dict)
    stores: dict = field(default_factory=dict)
    #: Work one pass gives for every layer and each view takes its share of, keyed by what
    #: made it (the ranking probe's forward-mode ``eps`` pass, see ``probes.ranking.run``).
    shared: dict = field(default_factory=dict)

    def scene_all(self, audio: np.ndarray) -> dict[int, np.ndarray]:
        """Scene embeddings of every selected layer for a numpy batch, one forward pass."""
        x = self.base.to_framework(audio)
        fn = self.base.module.get_layer_scene_embeddings
        if self.base.framework == "torch":
            import torch

            with torch.no_grad():
                outs = fn(x, self.base.model)
        else:
            outs = fn(x, self.base.model)
        all_ids = list(self.base.model.layer_ids)
        if len(outs) != len(all_ids):
            raise HearProbesError(f"{self.base.module_name}.get_layer_scene_embeddings returned "
                                  f"{len(outs)} layers, the model has {len(all_ids)}")
        return {k: to_numpy(outs[all_ids.index(k)]).astype(np.float32, copy=False)
                for k in self.layer_ids}


def layer_views(loaded: LoadedModule, spec: str, cache: str | Path | None = None
                ) -> list[LoadedModule]:
    """One loaded view per layer selected by ``spec`` (``--layers``), sharing one forward pass.

    Raises
    ------
    HearProbesError
        The model does not expose layers, or ``spec`` is invalid.
    """
    if not is_layered(loaded):
        raise HearProbesError(
            f"model {loaded.model_id!r} does not expose layers (--layers); layered models: any "
            "hf:<repo_id>, mert, crepe (every size), fcn-929/993/1953, or a HEAR module with layer_ids, with_layer "
            "and get_layer_scene_embeddings (docs/layers.md)")
    from hear_probes.store import EmbeddingStore

    ids = parse_layers(spec, list(loaded.model.layer_ids), loaded.model_id,
                       getattr(loaded.model, "layer_names", None))
    group = LayerGroup(loaded, ids)
    for k in ids:
        view = dataclasses.replace(
            loaded,
            model=loaded.model.with_layer(k),
            model_id=layer_model_id(loaded.model_id, k),
            options={**loaded.options, "layer_view": k},
            layer=k,
            layer_group=group,
        )
        group.views[k] = view
        group.stores[k] = EmbeddingStore.for_model(view, cache)
    return [group.views[k] for k in ids]


def layer_out_dir(out: Path, k: int) -> Path:
    """Result folder of layer ``k`` under ``out`` (``out/layer-K``)."""
    return Path(out) / LAYER_DIR.format(k=k)
