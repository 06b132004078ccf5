"""Run registered probes on one loaded model (or layer view): ``hear-probes evaluate``'s loop.

The command line and the sweep call :func:`run_probes`; it knows no probe by name, only the
registry (:mod:`hear_probes.probes.registry`).
"""

from __future__ import annotations

import time
from pathlib import Path

from hear_probes.errors import ProbeSkipped
from hear_probes.probes.registry import RunOptions, check_embeddings_available, get_probe
from hear_probes.views import run_prerequisites


def _echo(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, flush=True)


def run_probes(loaded, store, out_dir: Path, wanted: list[str],
               options: RunOptions | None = None) -> list[str]:
    """Run the ``wanted`` probes on one loaded model; the names that ran.

    Parameters
    ----------
    loaded : LoadedModule
        The model (or one layer view of it).
    store : EmbeddingStore
        Its embedding store.
    out_dir : Path
        Folder of the result files.
    wanted : list of str
        Registered probe names, in run order.
    options : RunOptions, optional
        Passed whole to every probe's ``run``.

    Returns
    -------
    list of str
        The probes that ran; a probe raising :class:`~hear_probes.errors.ProbeSkipped` is
        skipped with one line. Before a probe runs, the results it needs from other models
        (:attr:`Probe.prerequisites`) are computed with ``options.load_model``.
    """
    options = options or RunOptions()
    for name in wanted:  # before any probe runs: a scene-only module and a timestamp probe
        check_embeddings_available(get_probe(name), loaded)
    ran = []
    for name in wanted:
        probe = get_probe(name)
        t0 = time.perf_counter()
        try:
            if options.load_model is not None:
                run_prerequisites(probe.prerequisites(loaded.model_id, Path(out_dir), options),
                                  options.load_model)
            probe.run(loaded, store, Path(out_dir), options)
        except ProbeSkipped as exc:
            _echo(f"probe {name}: skipped ({exc})", options.quiet)
            continue
        _echo(f"probe {name}: done in {time.perf_counter() - t0:.1f} s → "
              f"{Path(out_dir) / probe.filename}", options.quiet)
        ran.append(name)
    return ran

