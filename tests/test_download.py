"""Dataset downloads through pooch: one archive per dataset, retries, sha256, atomic staging.

A local HTTP server stands in for the public source (no network needed).
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from hear_probes.errors import DatasetError, HearProbesWarning
from hear_probes.stimuli import timbre

N_FILES = 12  # >= ARCHIVE_MIN_FILES


class _Source:
    """Files of a fake repository, served as raw files and as a GitHub-style archive."""

    def __init__(self, root: Path, fail_first: int = 0):
        self.root, self.fail_first, self.requests = root, fail_first, []
        self.files = {f"data/S{k:02d}_dissimilarity_matrix.txt": f"{k} 0.5\n0 {k}\n".encode()
                      for k in range(N_FILES)}
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for rel, data in self.files.items():
                info = tarfile.TarInfo(f"repo-deadbeef/ext/python/{rel}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            evil = tarfile.TarInfo("repo-deadbeef/../../escape.txt")  # never extracted
            evil.size = 1
            tar.addfile(evil, io.BytesIO(b"x"))
        self.archive = buf.getvalue()

    def manifest(self, port: int, commit: str | None = "deadbeef") -> dict:
        base = f"http://127.0.0.1:{port}"
        return {"name": "timbre", "source": {
            "repository": "https://example.invalid/repo", "folder": "ext/python",
            "commit": commit, "revision": "master",
            "url_template": base + "/raw/{revision}/ext/python/{remote}",
            "archive_url_template": base + "/archive/{revision}.tar.gz"},
            "files": [{"path": "ratings/" + rel.split("/")[1], "remote": rel,
                       "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                      for rel, data in self.files.items()]}

    def serve(self):
        src = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                src.requests.append(self.path)
                if len(src.requests) <= src.fail_first:
                    self.send_error(503)
                    return
                if self.path.startswith("/archive/"):
                    body = src.archive
                else:
                    rel = self.path.split("/ext/python/", 1)[-1]
                    if rel not in src.files:
                        self.send_error(404)
                        return
                    body = src.files[rel]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture
def source(tmp_path, monkeypatch):
    def make(fail_first=0, commit="deadbeef", corrupt=None):
        src = _Source(tmp_path / "src", fail_first)
        server = src.serve()
        manifest = src.manifest(server.server_address[1], commit)
        if corrupt:
            next(f for f in manifest["files"] if f["remote"] == corrupt)["sha256"] = "0" * 64
        monkeypatch.setattr(timbre, "load_manifest", lambda name="timbre": manifest)
        return src, server
    yield make


def _check(dest: Path, src: _Source) -> None:
    for rel, data in src.files.items():
        assert (dest / "ratings" / rel.split("/")[1]).read_bytes() == data


def test_one_archive_for_the_dataset_pinned_to_its_commit(tmp_path, source):
    src, server = source()
    dest = timbre.fetch_timbre(tmp_path / "d" / "timbre", quiet=True)
    server.shutdown()
    _check(dest, src)
    assert src.requests == ["/archive/deadbeef.tar.gz"]  # one request, at the commit
    assert not (tmp_path / "escape.txt").exists() and not (dest / ".archive").exists()
    assert [p.name for p in dest.parent.iterdir()] == ["timbre"]  # no staging left behind


def test_failed_requests_are_retried(tmp_path, source):
    src, server = source(fail_first=2)
    dest = timbre.fetch_timbre(tmp_path / "timbre", quiet=True)
    server.shutdown()
    _check(dest, src)
    assert len(src.requests) == 3


def test_a_few_missing_files_are_fetched_one_by_one(tmp_path, source):
    src, server = source()
    dest = timbre.fetch_timbre(tmp_path / "timbre", quiet=True)
    victim = dest / "ratings" / "S03_dissimilarity_matrix.txt"
    victim.write_bytes(b"tampered")
    timbre.fetch_timbre(dest, quiet=True)
    server.shutdown()
    _check(dest, src)
    assert src.requests[1:] == ["/raw/deadbeef/ext/python/data/S03_dissimilarity_matrix.txt"]


def test_checksum_mismatch_in_the_archive_leaves_destination_untouched(tmp_path, source):
    _, server = source(corrupt="data/S05_dissimilarity_matrix.txt")
    with pytest.raises(DatasetError, match="S05.*does not match the manifest"):
        timbre.fetch_timbre(tmp_path / "d" / "timbre", quiet=True)
    server.shutdown()
    assert list((tmp_path / "d").iterdir()) == []


def test_unreachable_source_is_one_clear_error(tmp_path, source, monkeypatch):
    import hear_probes.download

    monkeypatch.setattr(hear_probes.download, "DOWNLOAD_RETRIES", 0)
    _, server = source()
    server.shutdown()
    server.server_close()
    with pytest.raises(DatasetError, match=r"cannot download http://127\.0\.0\.1.*--from DIR"):
        timbre.fetch_timbre(tmp_path / "timbre", quiet=True, timeout=2)


def test_unpinned_manifest_falls_back_to_its_branch_with_a_warning(tmp_path, source):
    src, server = source(commit=None)
    with pytest.warns(HearProbesWarning, match="not pinned to a commit"):
        timbre.fetch_timbre(tmp_path / "timbre", quiet=True)
    server.shutdown()
    assert src.requests == ["/archive/master.tar.gz"]


def test_shipped_manifests_have_a_commit_field_used_by_the_downloader():
    import re

    root = Path(__file__).resolve().parents[1] / "datasets"
    for path in sorted(root.glob("*.json")):
        source = json.loads(path.read_text("utf-8"))["source"]
        assert "commit" in source and "archive_url_template" in source, path.name
        if source["commit"] is not None:
            assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]), path.name
            assert timbre.source_revision({"name": path.stem, "source": source}) == source["commit"]
        else:
            assert source.get("commit_note"), f"{path.name}: say why no commit is pinned"
