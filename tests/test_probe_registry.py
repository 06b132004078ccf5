"""The probe registry: a fourth probe, defined here, runs through ``evaluate`` and ``report``.

Nothing outside this module is edited for it: the toy probe is one :class:`Probe` and one
:func:`register` call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hear_probes.cli import main
from hear_probes.errors import ProbeSkipped
from hear_probes.evaluation import run_probes
from hear_probes.probes import registry
from hear_probes.probes.registry import Probe, ReportSection, RunOptions
from hear_probes.report.tables import Cell, Table
from hear_probes.result_schema import COMMON, NUMBER_OR_NULL, Key, ResultSchema
from hear_probes.stimuli.base import StimulusSet, fixed_hash

# -- the toy probe: how loud does the model find a quiet and a loud tone? ------------------

TOY_SCHEMA = ResultSchema("loudness", "loudness.json", COMMON + (
    Key("norm_ratio", NUMBER_OR_NULL, required=True),
))


def _tones(ids, sample_rate: int) -> list[np.ndarray]:
    t = np.arange(int(0.25 * sample_rate)) / sample_rate
    return [(float(i.split("-")[1]) * np.sin(2 * np.pi * 440 * t)).astype(np.float32) for i in ids]


def toy_stimuli(options: RunOptions) -> list[StimulusSet]:
    """The toy probe's one stimulus set: a quiet and a loud tone."""
    return [StimulusSet("loudness", "tones", ("amp-0.1", "amp-0.9"),
                        lambda ids, sr, method: _tones(ids, sr), fixed_hash("toy-tones-v1"))]


def toy_run(loaded, store, out_dir: Path, options: RunOptions) -> dict:
    """Embed two tones, write loudness.json with the ratio of their embedding norms."""
    from hear_probes.embed import embed_stimulus_set
    from hear_probes.provenance import provenance, write_json
    from hear_probes.result_schema import SCHEMA_VERSION

    if options.data is not None and not Path(options.data).exists():
        raise ProbeSkipped(f"no loudness data at {options.data}")
    emb = embed_stimulus_set(loaded, store, toy_stimuli(options)[0], quiet=options.quiet)
    norms = np.linalg.norm(emb, axis=1)
    payload = {"probe": "loudness", "schema_version": SCHEMA_VERSION,
               "model": loaded.describe(), "provenance": provenance(seed=options.seed),
               "norm_ratio": float(norms[1] / norms[0]) if norms[0] else None,
               # its own options arrive under its name, not as fields of the generic RunOptions
               "options": options.for_probe("loudness")}
    write_json(Path(out_dir) / "loudness.json", payload)
    return payload


def toy_tables(results) -> list[Table | None]:
    """One row per model: the norm ratio."""
    rows = [[Cell(r.name), Cell(f"{r.probes['loudness']['norm_ratio']:.3f}")]
            for r in results if "loudness" in r.probes]
    return [Table("table-loudness", "Loudness norm ratio", ["model", "ratio"], rows)] if rows else [None]


TOY = Probe(
    name="loudness",
    run=toy_run,
    stimulus_sets=toy_stimuli,
    schema=TOY_SCHEMA,
    report=ReportSection(
        title="Loudness (toy)",
        tables=toy_tables,
        summary=lambda r: [("loudness", f"{r.probes['loudness']['norm_ratio']:.2f}", "toy ratio")]
        if "loudness" in r.probes else [],
        card_note="loudness: norm ratio of a loud to a quiet tone",
    ),
)


@pytest.fixture
def toy_probe():
    registry.register(TOY)  # the one registry line
    yield TOY
    registry.unregister(TOY.name)


def test_builtin_probes_declared_once():
    probes = registry.probes()
    assert list(probes)[:3] == ["ranking", "gear", "timbre"]
    # the built-in ones (an installed plug-in, e.g. tests/toy_plugin, may add others)
    for name, probe in list(probes.items())[:len(registry.BUILTIN)]:
        assert probe.name == name and probe.filename == f"{name}.json"
        assert probe.schema is not None and probe.schema.probe == name
        assert probe.command is not None and probe.stimulus_sets is not None
        assert probe.report.title and probe.report.missing


def test_unknown_probe_lists_known():
    from hear_probes.errors import HearProbesError

    with pytest.raises(HearProbesError, match="choose from ranking, gear, timbre"):
        registry.parse_probe_names("ranking,nope")


def test_toy_probe_through_evaluate_and_report(toy_probe, tmp_path, cache_dir, capsys):
    out = tmp_path / "toy"
    code = main(["evaluate", "--module", "toy_good", "--probes", "loudness", "--out", str(out),
                 "--quiet"])
    assert code == 0
    assert (out / "loudness.json").is_file()
    html = (out / "report.html").read_text("utf-8")
    assert 'id="loudness"' in html and "Loudness norm ratio" in html
    assert 'href="#loudness"' in html and "toy ratio" in html
    assert "loudness: norm ratio of a loud to a quiet tone" in html  # its own card note
    # `embed --stimuli loudness` finds the toy's stimulus set through the registry
    assert main(["embed", "--module", "toy_good", "--stimuli", "loudness", "--quiet"]) == 0
    md = (out / "report.md").read_text("utf-8")
    assert "## Loudness (toy)" in md

    # the report command reads it back through the registry (schema checked on load)
    code = main(["report", str(out), "-o", str(tmp_path / "again.html")])
    assert code == 0 and "Loudness norm ratio" in (tmp_path / "again.html").read_text("utf-8")


def test_toy_probe_schema_checked_by_report(toy_probe, tmp_path, cache_dir, capsys):
    out = tmp_path / "toy"
    assert main(["evaluate", "--module", "toy_good", "--probes", "loudness", "--out", str(out),
                 "--quiet"]) == 0
    path = out / "loudness.json"
    path.write_text(path.read_text("utf-8").replace('"norm_ratio": ', '"norm_ratio": "x", "o": '))
    code = main(["report", str(out), "-o", str(tmp_path / "bad.html")])
    assert code == 2
    assert "does not match the loudness result schema" in capsys.readouterr().err


def test_probe_skipped_is_a_typed_skip(toy_probe, tmp_path, cache_dir, capsys):
    from hear_probes.hear_module import load_hear_module
    from hear_probes.views import open_store

    loaded = load_hear_module(module="toy_good")
    ran = run_probes(loaded, open_store(loaded, None), tmp_path, ["loudness"],
                     RunOptions(data=tmp_path / "missing"))
    assert ran == []
    assert "probe loudness: skipped (no loudness data at" in capsys.readouterr().out


def test_evaluate_computes_the_timbre_reference_first(tmp_path, cache_dir, timbre_dir, capsys):
    """--robustness: the missing default reference (stft) is computed by evaluate, beside."""
    import json

    out = tmp_path / "toy"
    code = main(["evaluate", "--module", "toy_good", "--probes", "timbre", "--quick",
                 "--robustness", "--data", str(timbre_dir), "--out", str(out), "--quiet"])
    assert code == 0
    ref = json.loads((tmp_path / "stft" / "timbre.json").read_text())
    assert ref["model"]["model_id"] == "stft" and ref["robustness_reference"]["source"] == "self"
    toy = json.loads((out / "timbre.json").read_text())
    assert toy["robustness_reference"]["name"] == "stft"
    assert toy["robustness_reference"]["source"].endswith("stft/timbre.json")
    assert set(toy["relative_area_db"]) == set(ref["explained_variance"])


def test_probe_timbre_command_computes_the_reference_with_its_settings(tmp_path, cache_dir,
                                                                       timbre_dir):
    """`probe timbre --robustness`: the reference runs first, with the command's settings."""
    import json

    out = tmp_path / "toy"
    code = main(["probe", "timbre", "--module", "toy_good", "--quick", "--robustness",
                 "--rating-norm", "max", "--no-loso", "--data", str(timbre_dir),
                 "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 0
    ref = json.loads((tmp_path / "stft" / "timbre.json").read_text())
    assert ref["settings"]["rating_normalisation"] == "max" and not ref["settings"]["loso"]
    toy = json.loads((out / "timbre.json").read_text())
    assert toy["robustness_reference"]["source"].endswith("stft/timbre.json")


def test_toy_probe_gets_its_own_options(toy_probe, tmp_path, cache_dir):
    from hear_probes.views import ModelSource, open_store

    loaded, _ = ModelSource(module="toy_good").views()
    options = RunOptions(quiet=True, probe_options={"loudness": {"gain": 2}, "timbre": {"x": 1}})
    run_probes(loaded, open_store(loaded, None), tmp_path, ["loudness"], options)
    import json

    assert json.loads((tmp_path / "loudness.json").read_text())["options"] == {"gain": 2}


def test_each_probe_owns_its_schema_and_notes():
    """The schemas live in the probe packages; result_schema.py holds no probe's knowledge."""
    import hear_probes.result_schema as rs

    assert not any(hasattr(rs, n) for n in ("RANKING", "GEAR", "TIMBRE", "SCHEMAS", "GEAR_SCORES"))
    found = rs.schemas()
    assert list(found)[:3] == ["ranking", "gear", "timbre"]
    import importlib

    for name, schema in found.items():
        if name in ("ranking", "gear", "timbre"):
            assert importlib.import_module(f"hear_probes.probes.{name}.schema").SCHEMA is schema
        doc = schema.json_schema()
        assert doc["type"] == "object" and {"probe", "schema_version"} <= set(doc["required"])
    timbre = found["timbre"].json_schema()["properties"]
    assert timbre["median"]["maximum"] == pytest.approx(1.0)
    assert timbre["explained_variance"]["additionalProperties"]["type"] == ["number", "null"]
    gear = found["gear"].json_schema()["properties"]["factors"]["additionalProperties"]
    from hear_probes.probes.gear.schema import GEAR_SCORES

    assert set(GEAR_SCORES) <= set(gear["properties"])
    for name in ("ranking", "gear", "timbre"):  # a plug-in's probe may leave them empty
        probe = registry.get_probe(name)
        assert probe.report.card_note and probe.report.layer_note, name


def test_exported_json_schemas_accept_the_committed_results():
    """Each probe's JSON Schema accepts every committed result file and rejects a broken one."""
    jsonschema = pytest.importorskip("jsonschema")
    import json

    root = Path(__file__).resolve().parents[1] / "results"
    for name, probe in registry.probes().items():
        if probe.schema is None:  # a plug-in probe without a schema (tests/toy_plugin)
            continue
        validator = jsonschema.Draft202012Validator(probe.schema.json_schema())
        files = sorted(root.rglob(probe.filename))
        assert files, name
        for path in files:
            assert not list(validator.iter_errors(json.loads(path.read_text("utf-8")))), path
        broken = json.loads(files[0].read_text("utf-8")) | {"schema_version": "2"}
        assert list(validator.iter_errors(broken))
