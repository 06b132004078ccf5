"""``hear-probes compare``: a thin command over :func:`hear_probes.compare.compare_folders`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hear_probes.errors import HearProbesError


def compare_command(
    result_dirs: Annotated[list[Path], typer.Argument(
        help="Two or more result folders holding timbre_pairs.h5 (and optionally ranking.json, gear.json).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for compare.json and compare.csv.")
                   ] = Path("hear-probes-compare"),
    baseline: Annotated[bool, typer.Option(
        "--baseline", help="With 3+ folders: compare each with the first instead of all pairs.")] = False,
    resamples: Annotated[int, typer.Option(
        "--resamples", min=1, help="Bootstrap resamples (the smallest p is 2/(B+1)).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the resamples.")] = 0,
    alpha: Annotated[float, typer.Option(
        "--alpha", min=0.0, max=1.0, help="Level of the tests after Holm's correction.")] = 0.05,
    studies: Annotated[str | None, typer.Option(
        "--studies", help="Comma-separated timbre studies to compare (default: all).")] = None,
) -> None:
    """Paired tests of differences between models: which are significant after Holm.

    Timbre: a paired bootstrap over sounds per study (the same resampled sounds for both models), a Wilcoxon signed-rank over groups of studies that share no sound.

    Ranking: exact McNemar on the same trials. GEAR: paired t over seeds (when stored).

    Differences are B - A (second folder minus first). See docs/compare.md.
    """
    from hear_probes.compare import (
        CompareSettings,
        compare_folders,
        format_comparison,
        write_comparison,
    )

    names = tuple(s.strip() for s in studies.split(",") if s.strip()) if studies else None
    if studies is not None and not names:
        raise HearProbesError("--studies: give at least one study name, e.g. --studies Grey1977,McAdams1995")
    if not 0 < alpha < 1:
        raise HearProbesError(f"--alpha must be between 0 and 1 (exclusive), not {alpha}")
    settings = CompareSettings(n_resamples=resamples, seed=seed, alpha=alpha, baseline=baseline,
                               studies=names)
    res = compare_folders(result_dirs, settings)
    typer.echo(format_comparison(res, bold=sys.stdout.isatty()))
    json_path, csv_path = write_comparison(res, out)
    typer.echo(f"wrote {json_path} and {csv_path}")
