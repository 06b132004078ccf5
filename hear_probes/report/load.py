"""Read probe result folders into one model-indexed structure for the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hear_probes.errors import HearProbesError
from hear_probes.probes.registry import probes


@dataclass
class ModelResults:
    """Everything the report knows about one result folder."""

    name: str
    folder: Path
    probes: dict[str, dict] = field(default_factory=dict)
    figures: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def model(self) -> dict:
        """The ``model`` block of the first probe result that has one."""
        for payload in self.probes.values():
            if isinstance(payload.get("model"), dict):
                return payload["model"]
        return {}


def _name_for(folder: Path, payloads: dict[str, dict]) -> str:
    for payload in payloads.values():
        model = payload.get("model")
        if isinstance(model, dict) and model.get("model_id"):
            return str(model["model_id"])
    return folder.name


def load_result_folder(folder: str | Path) -> ModelResults:
    """Read every registered probe's ``<name>.json`` and ``<name>*.png`` of one folder.

    Raises
    ------
    HearProbesError
        When the folder does not exist, holds no result, or a JSON file is unreadable.
    hear_probes.result_schema.ResultSchemaError
        When a result file does not match its schema (:mod:`hear_probes.result_schema`).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise HearProbesError(f"{folder}: no such result folder")
    payloads: dict[str, dict] = {}
    known = probes()
    for name, probe in known.items():
        path = folder / probe.filename
        if path.is_file():
            try:
                payloads[name] = json.loads(path.read_text("utf-8"))
            except json.JSONDecodeError as exc:
                raise HearProbesError(f"{path}: not valid JSON ({exc}); rerun the probe") from exc
            if probe.schema is not None:
                probe.schema.validate(payloads[name], path)
    if not payloads:
        files = [p.filename for p in known.values()]
        raise HearProbesError(f"{folder}: no {', '.join(files[:-1])} or {files[-1]} inside")
    figures = {name: sorted(folder.glob(f"{name}*.png")) for name in known}
    return ModelResults(_name_for(folder, payloads), folder, payloads, figures)


def collect_results(folders) -> list[ModelResults]:
    """Load several result folders; names made unique by suffixing the folder name."""
    out: list[ModelResults] = []
    seen: dict[str, int] = {}
    for f in folders:
        res = load_result_folder(f)
        if res.name in seen:
            res.name = f"{res.name} ({res.folder.name})"
        seen[res.name] = 1
        out.append(res)
    return out
