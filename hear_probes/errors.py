"""Exceptions of hear-probes.

Every error a user can trigger derives from :class:`HearProbesError` and carries one
human-readable line (what went wrong, where, and how to fix it). The CLI prints that
line instead of a traceback.
"""

from __future__ import annotations


class HearProbesError(Exception):
    """Base class of the errors hear-probes reports to users."""


class ContractError(HearProbesError):
    """A HEAR module breaks the HEAR API contract."""


class AudioError(HearProbesError):
    """An audio file or array cannot be used (unreadable, empty, NaN/inf)."""


class StoreError(HearProbesError):
    """An embedding store file is unreadable, foreign or inconsistent."""


class ModelResolutionError(HearProbesError):
    """A model name or module path cannot be resolved or loaded."""


class DatasetError(HearProbesError):
    """A stimulus dataset is missing, incomplete or fails verification."""


class DatasetMissingError(DatasetError):
    """A stimulus dataset is not there at all (nothing to verify, nothing to run on)."""


class ProbeSkipped(HearProbesError):
    """A probe cannot run on this input for want of data; ``evaluate`` skips it with a line.

    Raised by a probe's ``run`` (:class:`hear_probes.probes.registry.Probe`); ``hear-probes
    probe <name>`` reports it as an error, ``hear-probes evaluate`` as a skipped probe.
    """


class HearProbesWarning(UserWarning):
    """Something suspicious but usable (silent or very short audio, ignored files).

    The CLI prints these as one ``warning: ...`` line on stderr.
    """
