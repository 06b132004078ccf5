"""docs/api.md runs: its Python blocks are executed in order, as a notebook would."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(text: str) -> list[str]:
    """The fenced ``python`` blocks of a Markdown text, in order."""
    return BLOCK.findall(text)


def test_blocks_are_found():
    blocks = python_blocks(DOC.read_text("utf-8"))
    assert len(blocks) >= 4
    assert any("hear_probes.evaluate(log_spectrum" in b for b in blocks)
    assert any(".compare(" in b for b in blocks) and any("to_pandas()" in b for b in blocks)


def test_api_walkthrough_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pandas", reason="docs/api.md uses pandas (pip install pandas)")
    monkeypatch.chdir(tmp_path)
    namespace = {"CACHE": tmp_path / "cache", "OUT": tmp_path / "out", "__name__": "api_md"}
    t0 = time.perf_counter()
    for k, block in enumerate(python_blocks(DOC.read_text("utf-8"))):
        try:
            exec(compile(block, f"docs/api.md block {k + 1}", "exec"), namespace)
        except Exception as exc:  # name the block that failed
            raise AssertionError(f"docs/api.md python block {k + 1} failed: {exc!r}") from exc
    seconds = time.perf_counter() - t0
    out = capsys.readouterr().out
    # what the walkthrough promises: a pandas table, a paired comparison of two models
    df, table = namespace["df"], namespace["table"]
    assert {"ranking", "gear"} <= set(df["probe"])
    assert set(table["probe"]) >= {"ranking", "gear"} and table["p_holm"].notna().any()
    assert set(namespace["both"]["model"]) == {"log_spectrum", "log_frequency_spectrum"}
    assert "results.csv" in out and "gear" in out
    print(f"docs/api.md walkthrough: {seconds:.1f} s")
