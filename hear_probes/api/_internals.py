"""Every internal entry point the Python API calls, named in one place.

The API (:mod:`hear_probes.api`) is a layer over the command line's machinery. It reaches
that machinery only through the names below, imported lazily (so ``import hear_probes``
stays light), so that a restructuring of the internals is repointed here and nowhere else.
"""

from __future__ import annotations

import importlib
from typing import Any

#: ``API name -> "module:attribute"`` of every internal the API uses.
ENTRY_POINTS: dict[str, str] = {
    # models and their stores
    "load_hear_module": "hear_probes.hear_module:load_hear_module",
    "LoadedModule": "hear_probes.hear_module:LoadedModule",
    "weights_identity": "hear_probes.hear_module:weights_identity",
    "adapter_version": "hear_probes.hear_module:adapter_version",
    "model_framework": "hear_probes.hear_module:model_framework",
    "to_numpy": "hear_probes.hear_module:to_numpy",
    "check_module": "hear_probes.contract:check_module",
    "check_attributes": "hear_probes.contract:check_attributes",
    "check_scene_output": "hear_probes.contract:check_scene_output",
    "probe_signal": "hear_probes.contract:probe_signal",
    "open_store": "hear_probes.store:EmbeddingStore.for_model",
    "check_cache_dir": "hear_probes.checks:check_cache_dir",
    "check_out_dir": "hear_probes.checks:check_out_dir",
    "layer_views": "hear_probes.layers:layer_views",
    "layer_out_dir": "hear_probes.layers:layer_out_dir",
    "embed_stimulus_set": "hear_probes.embed:embed_stimulus_set",
    # probes: the registry and the loop over one view
    "probes": "hear_probes.probes.registry:probes",
    "get_probe": "hear_probes.probes.registry:get_probe",
    "RunOptions": "hear_probes.probes.registry:RunOptions",
    "run_probes": "hear_probes.evaluation:run_probes",
    "load_result_folder": "hear_probes.report.load:load_result_folder",
    "read_pairs": "hear_probes.probes.timbre.pairs_file:read_pairs",
    "PAIRS_NAME": "hear_probes.probes.timbre.pairs_file:PAIRS_NAME",
    # array-level scorers
    "gear_settings": "hear_probes.probes.gear.settings:GearSettings",
    "gear_seed_run": "hear_probes.probes.gear.run:SeedRun",
    "gear_analyse_and_write": "hear_probes.probes.gear.run:analyse_and_write",
    "gear_varies_analysis": "hear_probes.probes.gear.run:VARIES_ANALYSIS",
    "timbre_settings": "hear_probes.probes.timbre.settings:TimbreSettings",
    "timbre_run": "hear_probes.probes.timbre.settings:TimbreRun",
    "timbre_prepare_study": "hear_probes.probes.timbre.study:prepare_study",
    "timbre_run_and_write": "hear_probes.probes.timbre.run:run_and_write",
    "find_timbre_dir": "hear_probes.stimuli.timbre:find_timbre_dir",
    "load_timbre_dataset": "hear_probes.stimuli.timbre:load_timbre_dataset",
    "timbre_uncertainty": "hear_probes.probes.timbre.uncertainty:UncertaintyConfig",
    "ranking_settings": "hear_probes.probes.ranking.settings:RankingSettings",
    "ranking_default_stimulus_sets": "hear_probes.probes.ranking.run:default_stimulus_sets",
    "ranking_round_trials": "hear_probes.probes.ranking.embedding:round_trials",
    "ranking_trial_items": "hear_probes.probes.ranking.embedding:trial_items",
    "ranking_score_embeddings": "hear_probes.probes.ranking.embedding:score_embeddings",
    "ranking_cell_results": "hear_probes.probes.ranking.run:cell_results",
    "ranking_run_settings": "hear_probes.probes.ranking.run:_settings",
    "ranking_write_outputs": "hear_probes.probes.ranking.run:write_outputs",
    "ranking_epsilons": "hear_probes.probes.ranking.trials:DEFAULT_EPSILONS",
    "sample_trials": "hear_probes.stimuli.sines:sample_trials",
    # paired comparisons
    "CompareSettings": "hear_probes.compare.settings:CompareSettings",
    "compare_payloads": "hear_probes.compare.run:compare_payloads",
    "TimbrePairs": "hear_probes.compare.inputs:TimbrePairs",
    # provenance and tidy tables
    "provenance": "hear_probes.provenance:provenance",
    "payload_rows": "hear_probes.tidy:payload_rows",
    "model_and_layer": "hear_probes.tidy:model_and_layer",
    "write_results_table": "hear_probes.tidy:write_results_table",
}


def get(name: str) -> Any:
    """The internal object the API calls ``name`` (imported on first use)."""
    module, _, attr = ENTRY_POINTS[name].partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
