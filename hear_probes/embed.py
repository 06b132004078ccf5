"""Embedding stage: stimuli → HEAR module → HDF5 store, resumable, with a progress bar."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from tqdm.auto import tqdm

from hear_probes.audio import DEFAULT_RESAMPLE_METHOD, RESAMPLE_QUALITY, group_by_length
from hear_probes.errors import ContractError, HearProbesError, StoreError
from hear_probes.hear_module import LoadedModule
from hear_probes.stimuli.base import StimulusSet
from hear_probes.store import EmbeddingStore


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
    that asks for the same set waits for the first and then reuses its finished set, and it
    keys the saved partial batches by ``batch_size`` (rows computed in batches of another size
    may differ in the last bits and are never mixed into one set).
    """
    with store.computing(stimuli.group, stimuli.name, quiet=quiet):
        return compute_set(loaded, store.with_batch_size(batch_size), stimuli,
                           batch_size=batch_size, quiet=quiet, precomputed=precomputed,
                           status=status)


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


def embed_timbre(loaded: LoadedModule, store: EmbeddingStore, data_dir=None,
                 datasets: list[str] | None = None, batch_size: int = 8,
                 quiet: bool = False) -> dict[str, np.ndarray]:
    """Embed the sounds of the timbre studies through the store (``/timbre/<Dataset>``).

    Each study is one set; finished studies are reused, an interrupted one resumes.

    Returns
    -------
    dict
        ``{dataset: embeddings [n_sounds, dim]}`` with rows in sorted sound order.
    """
    from hear_probes.stimuli.timbre import timbre_stimulus_sets

    return embed_stimulus_sets(loaded, store, timbre_stimulus_sets(data_dir, datasets),
                               batch_size=batch_size, quiet=quiet)


def compute_set(  # noqa: C901  (one resumable pipeline: cached rows, precomputed rows, batches by length, checks)
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
        The HEAR module.
    store : EmbeddingStore
        Its store.
    stimuli : StimulusSet
        The set: it lives in the store at ``/<stimuli.group>/<stimuli.name>``; its item ids
        are unique and the rows of the result follow their order; its items are rendered at
        ``loaded.sample_rate`` with the module's resampling method; its content hash (at that
        rate) is part of the cache key.
    batch_size : int
        Items per call of ``get_scene_embeddings`` (and per saved partial batch). Items are
        batched only with items of equal length: no clip is padded with another's silence.
    quiet : bool
        No progress bar.
    precomputed : dict, optional
        ``{item_id: scene embedding}`` already computed by the caller with this module and
        these stimuli (e.g. a forward pass the ranking probe needed anyway); they are checked,
        saved like computed rows and not embedded again.
    status : dict, optional
        Receives ``{"cached": True}`` when the finished set was reused, else ``False``.

    Returns
    -------
    np.ndarray
        float32 ``[len(stimuli.item_ids), scene_embedding_size]``.
    """
    probe, set_name = stimuli.group, stimuli.name
    ids = [str(i) for i in stimuli.item_ids]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise StoreError(f"/{probe}/{set_name}: duplicated item ids: {', '.join(dup[:10])}")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    config_hash = loaded.key()
    method = getattr(loaded, "resample_method", DEFAULT_RESAMPLE_METHOD)
    sr = int(loaded.sample_rate)

    def load_items(chunk: Sequence[str]) -> list[np.ndarray]:
        return stimuli.render(chunk, sr, method)

    # the default keeps its historical key (existing caches stay valid); others add their name
    full_hash = f"{stimuli.content_hash(sr)}|{RESAMPLE_QUALITY if method == DEFAULT_RESAMPLE_METHOD else method}"
    import hashlib

    stim_key = hashlib.sha256(full_hash.encode()).hexdigest()
    hit = store.lookup(probe, set_name, stim_key, config_hash)
    if status is not None:
        status["cached"] = False
    if hit is not None and set(hit.item_ids) == set(ids):
        if status is not None:
            status["cached"] = True
        return hit.rows_for(ids)
    store.check_writable(f"/{probe}/{set_name}")
    if getattr(loaded, "layer_group", None) is not None:
        return _compute_layers(loaded, store, probe, set_name, ids, load_items, stim_key,
                               batch_size, quiet)

    done = store.partial_rows(probe, set_name, stim_key, config_hash)
    given = [i for i in ids if precomputed and i in precomputed and i not in done]
    if given:
        rows = np.stack([np.asarray(precomputed[i], dtype=np.float32) for i in given])
        if rows.shape != (len(given), loaded.scene_embedding_size) or not np.isfinite(rows).all():
            raise ContractError(
                f"/{probe}/{set_name}: precomputed embeddings of shape {rows.shape} (or non-finite);"
                f" expected ({len(given)}, {loaded.scene_embedding_size}) finite values"
            )
        store.save_partial(probe, set_name, stim_key, config_hash, given, rows)
        done.update(zip(given, rows, strict=True))
    missing = [i for i in ids if i not in done]
    bar = tqdm(total=len(ids), initial=len(ids) - len(missing), desc=f"{loaded.model_id} {probe}/{set_name}",
               unit="item", disable=quiet, leave=False)
    try:
        for chunk, audio in _loaded_batches(missing, batch_size, load_items):
            rows = np.empty((len(chunk), loaded.scene_embedding_size), dtype=np.float32)
            for length, idx in group_by_length(audio).items():
                if length == 0:
                    raise ValueError(f"stimulus {chunk[idx[0]]!r} is empty")
                batch = np.stack([audio[i] for i in idx]).astype(np.float32)
                rows[idx] = _checked_scene(loaded, batch, [chunk[i] for i in idx])
            store.save_partial(probe, set_name, stim_key, config_hash, chunk, rows)
            done.update(zip(chunk, rows, strict=True))
            bar.update(len(chunk))
    finally:
        bar.close()
    emb = np.stack([done[i] for i in ids]).astype(np.float32)
    store.write_set(
        probe,
        set_name,
        emb,
        ids,
        {
            "model": loaded.model_id,
            "sample_rate": loaded.sample_rate,
            "stimulus_hash": stim_key,
            "config_hash": config_hash,
            "adapter_version": loaded.adapter_version,
            "weights_id": loaded.weights_id,
        },
    )
    return emb


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


def _compute_layers(view: LoadedModule, store: EmbeddingStore, probe: str, set_name: str,  # noqa: C901, PLR0912  (the --layers twin of compute_set: every layer's resume state in one pass)
                    ids: list[str], load_items, stim_key: str, batch_size: int, quiet: bool
                    ) -> np.ndarray:
    """Embed a set for every selected layer of ``view``'s model at once; return ``view``'s rows.

    One forward pass per batch gives all layers (``get_layer_scene_embeddings``); each layer's
    rows are saved as partial batches in its own store and written there as a finished set,
    so the other layer views of the model find the set cached. Layers whose set is already
    finished are skipped.
    """
    group = view.layer_group
    todo: dict[int, tuple] = {}  # layer -> (view, store, config hash, done rows)
    for k, sib in group.views.items():
        sib_store = group.stores[k].with_batch_size(store.batch_size)
        key = sib.key()
        hit = sib_store.lookup(probe, set_name, stim_key, key)
        if hit is None or set(hit.item_ids) != set(ids):
            todo[k] = (sib, sib_store, key, sib_store.partial_rows(probe, set_name, stim_key, key))
    if view.layer not in todo:  # finished meanwhile
        return store.lookup(probe, set_name, stim_key, view.key()).rows_for(ids)
    # every layer of a batch is saved in one file of the requested layer's parts (one fsync)
    for k, rows_k in store.partial_layers(probe, set_name, stim_key, view.key()).items():
        if k in todo:
            todo[k][3].update(rows_k)
    missing = [i for i in ids if any(i not in t[3] for t in todo.values())]
    bar = tqdm(total=len(ids), initial=len(ids) - len(missing),
               desc=f"{view.model_id.rsplit('@layer-', 1)[0]} {len(todo)} layers {probe}/{set_name}",
               unit="item", disable=quiet, leave=False)
    try:
        for chunk, audio in _loaded_batches(missing, batch_size, load_items):
            rows = {k: np.empty((len(chunk), t[0].scene_embedding_size), np.float32)
                    for k, t in todo.items()}
            for length, idx in group_by_length(audio).items():
                if length == 0:
                    raise ValueError(f"stimulus {chunk[idx[0]]!r} is empty")
                batch = np.stack([audio[i] for i in idx]).astype(np.float32)
                try:
                    out = group.scene_all(batch)
                except HearProbesError:
                    raise
                except Exception as exc:  # the user's code: one line, not its traceback
                    raise module_failure(view, "get_layer_scene_embeddings", exc,
                                         [chunk[i] for i in idx]) from exc
                for k in todo:
                    rows[k][idx] = _checked_rows(todo[k][0], out[k], [chunk[i] for i in idx])
            store.save_partial(probe, set_name, stim_key, view.key(), chunk, rows[view.layer],
                               layers={k: r for k, r in rows.items() if k != view.layer})
            for k, (_, _, _, done) in todo.items():
                done.update(zip(chunk, rows[k], strict=True))
            bar.update(len(chunk))
    finally:
        bar.close()
    result = None
    # the requested layer last: its parts folder holds every layer's rows until then
    order = sorted(todo, key=lambda k: k == view.layer)
    for k in order:
        sib, sib_store, key, done = todo[k]
        emb = np.stack([done[i] for i in ids]).astype(np.float32)
        sib_store.write_set(probe, set_name, emb, ids, {
            "model": sib.model_id, "sample_rate": sib.sample_rate, "stimulus_hash": stim_key,
            "config_hash": key, "adapter_version": sib.adapter_version,
            "weights_id": sib.weights_id, "layer": int(k),
        })
        if k == view.layer:
            result = emb
    return result


def _checked_rows(loaded: LoadedModule, out: np.ndarray, ids: list[str]) -> np.ndarray:
    want = (len(ids), loaded.scene_embedding_size)
    if out.shape != want:
        raise ContractError(f"{loaded.model_id}: layer embeddings of shape {out.shape}; expected {want}")
    if not np.all(np.isfinite(out)):
        raise ContractError(f"{loaded.model_id}: NaN/inf layer embeddings for some of "
                            f"{', '.join(ids[:10])}")
    return out
