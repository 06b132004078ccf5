"""Command-line options shared by the commands of every probe (typer annotations only).

This module is part of the command-line stage: nothing below the CLI imports it. What the
options turn into (a :class:`~hear_probes.views.ModelSource`, layer views, result folders)
lives in :mod:`hear_probes.views`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Built-in model name (see 'hear-probes models').")]
ModuleOpt = Annotated[str | None, typer.Option("--module", help="Dotted path of any HEAR module, e.g. mypkg.mymodel.")]
ModelPathOpt = Annotated[Path | None, typer.Option("--model-path", help="Weights passed to load_model(model_file_path).")]
CacheOpt = Annotated[Path | None, typer.Option("--cache", help="Cache folder (default: $XDG_CACHE_HOME/hear-probes).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder for JSON/CSV/PNG.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (recorded in the results).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
LayersOpt = Annotated[str | None, typer.Option(
    "--layers", help="Layers of a layered model (hf:<id>, mert, crepe): all, last, first or "
                     "comma-separated indices such as 0,4,8; results go to <out>/layer-K.")]
DeviceOpt = Annotated[str | None, typer.Option(
    "--device", help="Where a torch model runs: cpu, cuda, cuda:1, mps or auto (default: the "
                     "module's own choice, CUDA when available).")]
BatchSizeOpt = Annotated[int | None, typer.Option(
    "--batch-size", min=1, help="Sounds per get_scene_embeddings call (default: each probe's).")]
TrustRemoteCodeOpt = Annotated[bool, typer.Option(
    "--trust-remote-code", help="Let hf:/mert checkpoints run their repository's own Python code "
                                "(review it first; hub ids must be pinned to a commit).")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Folder of the timbre datasets (sounds/, ratings/); a sibling timbre-extra/ folder is used too.")]
