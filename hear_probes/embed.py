"""Embedding stage: stimuli → HEAR module → HDF5 store, resumable, with a progress bar.

One computation for every model: a model without layers is a group of one member, a layer
view (``--layers``) a member of its model's :class:`~hear_probes.layers.LayerGroup`. Each
batch is embedded once for every member whose set is not finished (one forward pass), its
rows saved as one partial batch (resumable), and every member's finished set written to
its own store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from hear_probes.audio import DEFAULT_RESAMPLE_METHOD, RESAMPLE_QUALITY, group_by_length
from hear_probes.errors import ContractError, HearProbesError, StoreError
from hear_probes.hear_module import LoadedModule
from hear_probes.layers import split_layer_id
from hear_probes.stimuli.base import StimulusSet
from hear_probes.store import EmbeddingStore, SetKey


def embed_stimulus_set(loaded: LoadedModule, store: EmbeddingStore, stimuli: StimulusSet, *,
                       batch_size: int = 16, quiet: bool = False,
                       precomputed: dict[str, np.ndarray] | None = None,
                       status: dict | None = None) -> np.ndarray:
    """Scene embeddings of one :class:`~hear_probes.stimuli.base.StimulusSet`, computing only
    what the store lacks (concurrency-safe).

    ``status``, when given, receives ``{"cached": bool}``: True only when the finished set
    was found in the store for these stimuli and this exact model configuration.

    Parameters and result as :func:`compute_set`, which does the work. This wrapper holds the
    store's per-set lock (:meth:`EmbeddingStore.computing`) around it, so a second process
    that asks for the same set waits for the first and then reuses its finished set.
    """
    with store.computing(stimuli.group, stimuli.name, quiet=quiet):
        return compute_set(loaded, store, stimuli, batch_size=batch_size, quiet=quiet,
                           precomputed=precomputed, status=status)


def embed_stimulus_sets(loaded: LoadedModule, store: EmbeddingStore,
                        sets: Sequence[StimulusSet], *, batch_size: int = 8,
                        quiet: bool = False) -> dict[str, np.ndarray]:
    """Embeddings of several sets, ``{set name: [n_items, dim]}``, one progress bar over them."""
    out: dict[str, np.ndarray] = {}
    group = sets[0].group if sets else ""
    for sset in tqdm(sets, desc=f"{loaded.model_id} {group}", unit="set", disable=quiet):
        out[sset.name] = embed_stimulus_set(loaded, store, sset, batch_size=batch_size,
                                            quiet=quiet)
    return out


def stimulus_key(loaded: LoadedModule, stimuli: StimulusSet) -> str:
    """Cache key of a stimulus set as ``loaded`` hears it: content hash at its sample rate,
    plus its resampling method (the default keeps its historical key, so that existing caches
    stay valid; others add their name)."""
    method = getattr(loaded, "resample_method", DEFAULT_RESAMPLE_METHOD)
    quality = RESAMPLE_QUALITY if method == DEFAULT_RESAMPLE_METHOD else method
    full = f"{stimuli.content_hash(int(loaded.sample_rate))}|{quality}"
    return hashlib.sha256(full.encode()).hexdigest()


@dataclass
class _Member:
    """One model (or layer view) of a group whose set is still to be finished."""

    view: LoadedModule
    store: EmbeddingStore
    key: SetKey
    done: dict[str, np.ndarray] = field(default_factory=dict)


def _members(loaded: LoadedModule, store: EmbeddingStore) -> dict[int | None, tuple]:
    """``{layer: (view, store)}`` of the group ``loaded`` belongs to; ``{None: ...}`` alone."""
    group = getattr(loaded, "layer_group", None)
    if group is None:
        return {None: (loaded, store)}
    return {k: (view, store if k == loaded.layer else group.stores[k])
            for k, view in group.views.items()}


def _forward(loaded: LoadedModule, batch: np.ndarray, ids: list[str]) -> dict[int | None, np.ndarray]:
    """Scene embeddings of one batch for every member of ``loaded``'s group, one pass."""
    group = getattr(loaded, "layer_group", None)
    if group is None:
        return {None: _checked_scene(loaded, batch, ids)}
    try:
        return group.scene_all(batch)
    except HearProbesError:
        raise
    except Exception as exc:  # the user's code: one line, not its traceback
        raise module_failure(loaded, "get_layer_scene_embeddings", exc, ids) from exc


def compute_set(
    loaded: LoadedModule,
    store: EmbeddingStore,
    stimuli: StimulusSet,
    *,
    batch_size: int = 16,
    quiet: bool = False,
    precomputed: dict[str, np.ndarray] | None = None,
    status: dict | None = None,
) -> np.ndarray:
    """Scene embeddings of a stimulus set, computing only what the store lacks.

    Parameters
    ----------
    loaded : LoadedModule
        The HEAR module, or one layer view of it: then every selected layer of the missing
        items is computed in the same forward pass and written to its own store, so that the
        other layer views find the set cached.
    store : EmbeddingStore
        Its store.
    stimuli : StimulusSet
        The set: it lives in the store at ``/<stimuli.group>/<stimuli.name>``; its item ids
        are unique and the rows of the result follow their order; its items are rendered at
        ``loaded.sample_rate`` with the module's resampling method; its content hash (at that
        rate) is part of the cache key.
    batch_size : int
        Items per call of ``get_scene_embeddings`` (and per saved partial batch: part of the
        partial batches' key). Items are batched only with items of equal length: no clip is
        padded with another's silence.
    quiet : bool
        No progress bar.
    precomputed : dict, optional
        ``{item_id: scene embedding}`` already computed by the caller with this module and
        these stimuli (e.g. a forward pass the ranking probe needed anyway); they are checked,
        saved like computed rows and not embedded again. Used when ``loaded`` is the only
        member still to compute (a layer view's siblings need the forward pass anyway).
    status : dict, optional
        Receives ``{"cached": True}`` when the finished set was reused, else ``False``.

    Returns
    -------
    np.ndarray
        float32 ``[len(stimuli.item_ids), scene_embedding_size]``.
    """
    ids = [str(i) for i in stimuli.item_ids]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise StoreError(f"/{stimuli.group}/{stimuli.name}: duplicated item ids: {', '.join(dup[:10])}")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    stim = stimulus_key(loaded, stimuli)
    key = SetKey(stimuli.group, stimuli.name, stim, loaded.key(), batch_size)
    hit = store.lookup(key)
    if status is not None:
        status["cached"] = hit is not None and set(hit.item_ids) == set(ids)
    if hit is not None and set(hit.item_ids) == set(ids):
        return hit.rows_for(ids)
    store.check_writable(key.where)
    todo = _pending(loaded, store, key, ids)
    if loaded.layer not in todo:  # a sibling run finished this layer meanwhile
        return store.lookup(key).rows_for(ids)
    if precomputed and len(todo) == 1:
        _add_precomputed(todo[loaded.layer], ids, precomputed)
    _embed_missing(loaded, todo, stimuli, ids, quiet)
    return _write_finished(loaded, todo, ids)


def _pending(loaded: LoadedModule, store: EmbeddingStore, key: SetKey, ids: list[str]
             ) -> dict[int | None, _Member]:
    """The members whose set (``key``, with each member's configuration) is not finished, with
    the rows their partial batches hold."""
    from dataclasses import replace

    todo: dict[int | None, _Member] = {}
    for k, (view, member_store) in _members(loaded, store).items():
        key = replace(key, config_hash=view.key())
        hit = member_store.lookup(key)
        if hit is None or set(hit.item_ids) != set(ids):
            todo[k] = _Member(view, member_store, key, member_store.partial_rows(key))
    if loaded.layer in todo:  # every layer of a batch is saved in the requested layer's parts
        for k, rows in store.partial_layers(todo[loaded.layer].key).items():
            if k in todo:
                todo[k].done.update(rows)
    return todo


def _add_precomputed(member: _Member, ids: list[str], precomputed: dict[str, np.ndarray]) -> None:
    """Check the caller's rows and save them as one partial batch."""
    given = [i for i in ids if i in precomputed and i not in member.done]
    if not given:
        return
    size = member.view.scene_embedding_size
    rows = np.stack([np.asarray(precomputed[i], dtype=np.float32) for i in given])
    if rows.shape != (len(given), size) or not np.isfinite(rows).all():
        raise ContractError(
            f"{member.key.where}: precomputed embeddings of shape {rows.shape} (or non-finite);"
            f" expected ({len(given)}, {size}) finite values"
        )
    member.store.save_partial(member.key, given, rows)
    member.done.update(zip(given, rows, strict=True))


def _embed_missing(loaded: LoadedModule, todo: dict[int | None, _Member], stimuli: StimulusSet,
                   ids: list[str], quiet: bool) -> None:
    """Embed the items some member lacks, batch by batch, saving each batch as it finishes."""
    me = todo[loaded.layer]
    missing = [i for i in ids if any(i not in m.done for m in todo.values())]
    method = getattr(loaded, "resample_method", DEFAULT_RESAMPLE_METHOD)
    sr = int(loaded.sample_rate)
    split = split_layer_id(loaded.model_id) if loaded.layer is not None else None
    what = f"{split[0]} {len(todo)} layers" if split else loaded.model_id
    bar = tqdm(total=len(ids), initial=len(ids) - len(missing),
               desc=f"{what} {me.key.where[1:]}", unit="item", disable=quiet, leave=False)
    try:
        for chunk, audio in _loaded_batches(missing, me.key.batch_size,
                                            lambda c: stimuli.render(c, sr, method)):
            rows = {k: np.empty((len(chunk), m.view.scene_embedding_size), np.float32)
                    for k, m in todo.items()}
            for length, idx in group_by_length(audio).items():
                if length == 0:
                    raise ValueError(f"stimulus {chunk[idx[0]]!r} is empty")
                batch = np.stack([audio[i] for i in idx]).astype(np.float32)
                names = [chunk[i] for i in idx]
                out = _forward(loaded, batch, names)
                for k, m in todo.items():
                    rows[k][idx] = _checked_rows(m.view, out[k], names)
            me.store.save_partial(me.key, chunk, rows[loaded.layer],
                                  layers={k: r for k, r in rows.items() if k != loaded.layer})
            for k, m in todo.items():
                m.done.update(zip(chunk, rows[k], strict=True))
            bar.update(len(chunk))
    finally:
        bar.close()


def _write_finished(loaded: LoadedModule, todo: dict[int | None, _Member], ids: list[str]
                    ) -> np.ndarray:
    """Write every member's finished set; the requested member's rows.

    The requested member is written last: its parts folder holds every member's rows until
    then.
    """
    result = None
    for k in sorted(todo, key=lambda k: k == loaded.layer):
        m = todo[k]
        emb = np.stack([m.done[i] for i in ids]).astype(np.float32)
        attrs = {"model": m.view.model_id, "sample_rate": m.view.sample_rate,
                 "stimulus_hash": m.key.stimulus_hash, "config_hash": m.key.config_hash,
                 "adapter_version": m.view.adapter_version, "weights_id": m.view.weights_id}
        if k is not None:
            attrs["layer"] = int(k)
        m.store.write_set(m.key.group, m.key.name, emb, ids, attrs)
        if k == loaded.layer:
            result = emb
    return result


def _loaded_batches(ids: list[str], batch_size: int, load_items
                    ) -> Iterator[tuple[list[str], list[np.ndarray]]]:
    """``(ids, audio)`` of consecutive batches of ``ids``, the audio checked to match."""
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        audio = load_items(chunk)
        if len(audio) != len(chunk):
            raise ValueError(f"load_items returned {len(audio)} signals for {len(chunk)} ids")
        yield chunk, audio


def module_failure(loaded: LoadedModule, fn: str, exc: Exception, ids: list[str]) -> ContractError:
    """One line for an exception raised inside a user's HEAR module while embedding ``ids``."""
    shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
    msg = " ".join(str(exc).split())
    return ContractError(
        f"module {loaded.module_name!r}: {fn} raised {type(exc).__name__}: {msg} (batch of "
        f"{len(ids)} item(s): {shown}); finished batches are saved, a rerun resumes after the fix")


def _checked_scene(loaded: LoadedModule, batch: np.ndarray, ids: list[str]) -> np.ndarray:
    try:
        out = loaded.scene_embeddings(batch)
    except Exception as exc:  # the user's code: one line, not its traceback
        raise module_failure(loaded, "get_scene_embeddings", exc, ids) from exc
    want = (batch.shape[0], loaded.scene_embedding_size)
    if out.shape != want:
        raise ContractError(
            f"module {loaded.module_name!r} returned scene embeddings of shape {out.shape} for "
            f"{want[0]} items; expected {want}"
        )
    if not np.all(np.isfinite(out)):
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(out).all(axis=1))]
        raise ContractError(
            f"module {loaded.module_name!r} returned NaN/inf embeddings for: {', '.join(bad[:10])}"
        )
    return out.astype(np.float32, copy=False)


def _checked_rows(loaded: LoadedModule, out: np.ndarray, ids: list[str]) -> np.ndarray:
    want = (len(ids), loaded.scene_embedding_size)
    if out.shape != want:
        raise ContractError(f"{loaded.model_id}: layer embeddings of shape {out.shape}; expected {want}")
    if not np.all(np.isfinite(out)):
        raise ContractError(f"{loaded.model_id}: NaN/inf layer embeddings for some of "
                            f"{', '.join(ids[:10])}")
    return out
