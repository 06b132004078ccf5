import numpy as np
import pytest

from hear_probes.errors import DatasetError
from hear_probes.stimuli.timbre import (
    EXTRA_TIMBRE_DATASETS,
    TIMBRE_DATASETS,
    fetch_timbre,
    list_timbre_datasets,
    load_manifest,
    load_timbre_dataset,
    read_rating_matrix,
    verify_timbre_dir,
)


def test_all_studies_load(timbre_dir):
    listed = list_timbre_datasets(timbre_dir)  # + the sibling timbre-extra when present
    assert listed[:17] == TIMBRE_DATASETS and listed[17:] in ([], EXTRA_TIMBRE_DATASETS)
    sizes = {"Grey1977": 16, "McAdams1995": 18, "Lakatos2000_Comb": 20, "Patil2012_A3": 11,
             "Vahidi2020": 15, "Zacharakis2014_greek": 24}
    for name in listed:
        ds = load_timbre_dataset(timbre_dir, name)
        n = len(ds.item_ids)
        assert ds.ratings.shape == (n, n)
        assert ds.item_ids == sorted(ds.item_ids)
        assert np.all(np.isnan(ds.ratings[np.tril_indices(n)]))
        i, j, s = ds.pair_ratings()
        assert len(s) == n * (n - 1) // 2 and np.all(np.isfinite(s))
        if name in sizes:
            assert n == sizes[name]
        assert (ds.n_raters > 0) == (name in TIMBRE_DATASETS)  # extra studies: unknown


def test_manifest_matches_shared_copy(timbre_dir):
    manifest = load_manifest()
    assert len(manifest["files"]) == 274
    assert "github.com/EtienneTho/musical-timbre-studies" in manifest["source"]["repository"]
    assert verify_timbre_dir(timbre_dir) == []


def test_fetch_from_local_copy_and_resume(tmp_path, timbre_dir):
    dest = tmp_path / "timbre"
    fetch_timbre(dest, source_dir=timbre_dir, quiet=True)
    assert verify_timbre_dir(dest) == []
    victim = dest / "sounds" / "Grey1977" / "BN.aiff"
    victim.write_bytes(b"tampered")
    assert verify_timbre_dir(dest) == ["sounds/Grey1977/BN.aiff (sha256 mismatch)"]
    fetch_timbre(dest, source_dir=timbre_dir, quiet=True)  # repairs only what is wrong
    assert verify_timbre_dir(dest) == []


def test_fetch_rejects_bad_source(tmp_path, timbre_dir):
    import shutil

    src = tmp_path / "src"
    shutil.copytree(timbre_dir, src)
    (src / "ratings" / "Grey1977_dissimilarity_matrix.txt").write_text("1 2\n3 4\n")
    with pytest.raises(DatasetError, match="does not match the manifest"):
        fetch_timbre(tmp_path / "dest", source_dir=src, quiet=True)
    assert not (tmp_path / "dest" / "ratings" / "Grey1977_dissimilarity_matrix.txt").exists()


def test_download_failure_is_clear(tmp_path, monkeypatch):
    import hear_probes.download

    def refuse(url, *a, **k):
        raise DatasetError(f"cannot download {url} after 4 attempts: ConnectionError: unreachable")

    monkeypatch.setattr(hear_probes.download, "download", refuse)
    with pytest.raises(DatasetError, match="--from DIR"):
        fetch_timbre(tmp_path / "dest", quiet=True, revision="abc")
    assert not (tmp_path / "dest").exists()


def test_rating_matrix_validation(tmp_path):
    p = tmp_path / "m.txt"
    p.write_text("0 1 2\n0 0 3\n")
    with pytest.raises(DatasetError, match="not square"):
        read_rating_matrix(p, 3)
    p.write_text("0 1\n0 0\n")
    with pytest.raises(DatasetError, match="has 3 sounds"):
        read_rating_matrix(p, 3)
    p.write_text("0 0.5 nan\n0 0 0.2\n0 0 0\n")
    m = read_rating_matrix(p, 3)
    assert m[0, 1] == 0.5 and np.isnan(m[0, 2]) and np.isnan(m[1, 0])
