"""Third-party models and probes, registered through package entry points.

A package adds models and probes to hear-probes by declaring entry points in its
``pyproject.toml``; nothing else is needed (no hear-probes file changes)::

    [project.entry-points."hear_probes.models"]
    mymodels = "mypkg.hear_module"        # a HEAR module with a literal BUILTIN_MODELS tuple

    [project.entry-points."hear_probes.probes"]
    myprobe = "mypkg.probe_entry"         # a module whose PROBE is a hear_probes Probe

A model entry point names a HEAR module that declares its models in a literal
``BUILTIN_MODELS`` tuple, exactly like the built-in adapters (:mod:`hear_probes.registry`):
the declaration is read from the module's source without importing it, so ``hear-probes
models`` stays fast and imports no model library. A probe entry point names a module with a
``PROBE`` (:class:`hear_probes.probes.registry.Probe`), or ``module:attribute`` for another
name; it is imported when the probe registry is first used.

A plug-in that cannot be read (missing module, bad declaration, name clash) is skipped with a
one-line :class:`~hear_probes.errors.HearProbesWarning`: a broken third-party package never
stops the command line.
"""

from __future__ import annotations

import functools
import warnings
from importlib import metadata

__all__ = ["MODEL_GROUP", "PROBE_GROUP", "model_entry_points", "probe_entry_points", "warn_plugin"]

#: Entry-point group of model plug-ins (value: a HEAR module with ``BUILTIN_MODELS``).
MODEL_GROUP = "hear_probes.models"
#: Entry-point group of probe plug-ins (value: a module with ``PROBE``, or ``module:attr``).
PROBE_GROUP = "hear_probes.probes"


def _entry_points(group: str) -> tuple[metadata.EntryPoint, ...]:
    eps = metadata.entry_points(group=group)
    # one entry per (name, value): an editable install can list a distribution twice
    seen: dict[tuple[str, str], metadata.EntryPoint] = {}
    for ep in eps:
        seen.setdefault((ep.name, ep.value), ep)
    return tuple(sorted(seen.values(), key=lambda ep: (ep.name, ep.value)))


@functools.cache
def model_entry_points() -> tuple[metadata.EntryPoint, ...]:
    """Installed ``hear_probes.models`` entry points, sorted by name (cached per process)."""
    return _entry_points(MODEL_GROUP)


@functools.cache
def probe_entry_points() -> tuple[metadata.EntryPoint, ...]:
    """Installed ``hear_probes.probes`` entry points, sorted by name (cached per process)."""
    return _entry_points(PROBE_GROUP)


def _distribution(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f" (package {dist.name})" if dist is not None else ""


def warn_plugin(ep: metadata.EntryPoint, what: str, exc: BaseException | str) -> None:
    """One warning line for a plug-in that is skipped."""
    from hear_probes.errors import HearProbesWarning

    msg = " ".join(str(exc).split()) if not isinstance(exc, str) else exc
    warnings.warn(f"{what} plug-in {ep.name} = {ep.value!r}{_distribution(ep)} skipped: {msg}",
                  HearProbesWarning, stacklevel=3)
