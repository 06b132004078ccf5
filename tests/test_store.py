import multiprocessing as mp

import h5py
import numpy as np
import pytest

from hear_probes.embed import embed_stimulus_set
from hear_probes.errors import StoreError
from hear_probes.hear_module import load_hear_module
from hear_probes.stimuli.base import StimulusSet
from hear_probes.store import EmbeddingStore, list_sets_in_file, read_embeddings_file


def _audio(ids):
    rng = np.random.default_rng(0)
    table = {f"s{k}": rng.standard_normal(16000 + 1600 * (k % 3)).astype(np.float32) for k in range(12)}
    return [table[i] for i in ids]


@pytest.fixture
def toy():
    return load_hear_module(module="toy_good")


def test_round_trip_and_layout(tmp_path, toy):
    store = EmbeddingStore.for_model(toy, tmp_path)
    ids = [f"s{k}" for k in range(12)]
    emb = embed_stimulus_set(toy, store,
        StimulusSet.from_loader("timbre", "Toy", ids, _audio, "stim-1"),
        batch_size=5, quiet=True)
    assert emb.shape == (12, 3) and emb.dtype == np.float32
    direct = np.concatenate([toy.scene_embeddings(a[None]) for a in _audio(ids)])
    np.testing.assert_allclose(emb, direct, rtol=1e-6)
    with h5py.File(store.path, "r") as f:
        assert f.attrs["hear_probes_store"] == 1
        grp = f["timbre/Toy"]
        assert grp["embeddings"].dtype == np.float32
        assert [i.decode() for i in grp["item_ids"][...]] == ids
        for attr in ("model", "sample_rate", "stimulus_hash", "config_hash", "adapter_version", "created"):
            assert attr in grp.attrs
    assert store.sets() == ["timbre/Toy"]
    assert not (store.parts_dir / "timbre__Toy").exists()
    again = read_embeddings_file(store.path, "timbre", "Toy")
    np.testing.assert_array_equal(again.rows_for(ids[::-1]), emb[::-1])
    assert list_sets_in_file(store.path, "timbre") == ["Toy"]


def test_cache_hit_and_recompute_on_change(tmp_path, toy, monkeypatch):
    store = EmbeddingStore.for_model(toy, tmp_path)
    ids = [f"s{k}" for k in range(4)]
    calls = []

    def loader(batch):
        calls.append(list(batch))
        return _audio(batch)

    embed_stimulus_set(toy, store,
        StimulusSet.from_loader("gear", "tones", ids, loader, "h1"),
        quiet=True)
    assert len(calls) == 1
    embed_stimulus_set(toy, store,
        StimulusSet.from_loader("gear", "tones", ids, loader, "h1"),
        quiet=True)
    assert len(calls) == 1  # reused
    embed_stimulus_set(toy, store,
        StimulusSet.from_loader("gear", "tones", ids, loader, "h2"),
        quiet=True)
    assert len(calls) == 2  # stimulus changed
    toy.options = {"variant": "other"}
    embed_stimulus_set(toy, store,
        StimulusSet.from_loader("gear", "tones", ids, loader, "h2"),
        quiet=True)
    assert len(calls) == 3  # configuration changed


def test_partial_batches_resume(tmp_path, toy):
    store = EmbeddingStore.for_model(toy, tmp_path)
    ids = [f"s{k}" for k in range(10)]
    seen = []

    def failing(batch):
        seen.extend(batch)
        if len(seen) > 4:
            raise KeyboardInterrupt  # simulated kill after the first batch
        return _audio(batch)

    with pytest.raises(KeyboardInterrupt):
        embed_stimulus_set(toy, store,
            StimulusSet.from_loader("timbre", "T", ids, failing, "h"),
            batch_size=4, quiet=True)
    assert store.sets() == []
    rest = []

    def loader(batch):
        rest.extend(batch)
        return _audio(batch)

    emb = embed_stimulus_set(toy, store,
        StimulusSet.from_loader("timbre", "T", ids, loader, "h"),
        batch_size=4, quiet=True)
    assert rest == ids[4:]
    assert emb.shape == (10, 3)


def test_corrupt_and_foreign_files(tmp_path):
    truncated = tmp_path / "bad.h5"
    truncated.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(StoreError, match="truncated or foreign"):
        EmbeddingStore(truncated)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(StoreError, match="not a hear-probes embedding store"):
        EmbeddingStore(foreign)
    with pytest.raises(StoreError, match="no group /timbre/Grey1977"):
        read_embeddings_file(foreign, "timbre", "Grey1977")
    with pytest.raises(StoreError, match="no such embeddings file"):
        read_embeddings_file(tmp_path / "missing.h5", "timbre", "Grey1977")


def test_user_file_errors(tmp_path):
    path = tmp_path / "user.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("timbre/X")
        g["embeddings"] = np.ones((3, 2), np.float32)
        g["item_ids"] = np.array(["a", "b"], dtype=object).astype(h5py.string_dtype())
    with pytest.raises(StoreError, match="do not match 2 item_ids"):
        read_embeddings_file(path, "timbre", "X")


def _write_set(args):
    path, name = args
    store = EmbeddingStore(path, model_id="m")
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    ids = [f"{name}-{k}" for k in range(50)]
    store.write_set("timbre", name, rng.standard_normal((50, 64)), ids, {"model": "m"})
    return name


def test_concurrent_writers_do_not_corrupt(tmp_path):
    path = tmp_path / "m.h5"
    names = [f"set{k}" for k in range(8)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        assert sorted(pool.map(_write_set, [(path, n) for n in names])) == sorted(names)
    store = EmbeddingStore(path)
    assert store.sets() == [f"timbre/{n}" for n in sorted(names)]
    for n in names:
        assert store.read_set("timbre", n).embeddings.shape == (50, 64)


def test_duplicate_ids_rejected(tmp_path, toy):
    store = EmbeddingStore.for_model(toy, tmp_path)
    with pytest.raises(StoreError, match="duplicated"):
        embed_stimulus_set(toy, store,
            StimulusSet.from_loader("timbre", "D", ["a", "a"], _audio, "h"),
                           quiet=True)
