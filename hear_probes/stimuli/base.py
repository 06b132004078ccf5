"""The one stimulus-set type that every ``stimuli/`` module produces.

A :class:`StimulusSet` is a named list of item ids, a way to produce their audio at any
sample rate, and a content hash (part of the embedding cache key). The embedding stage
(:func:`hear_probes.embed.embed_stimulus_set`) consumes it; stimulus modules never import
the embedding stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: ``render(item_ids, sample_rate, resample_method) -> [mono float32 array, ...]``.
RenderFn = Callable[[Sequence[str], int, str], list[np.ndarray]]


def fixed_hash(value: str) -> Callable[[int], str]:
    """A content hash that does not depend on the sample rate (recorded or loaded audio)."""
    return lambda sample_rate: value


@dataclass(frozen=True)
class StimulusSet:
    """A named set of stimuli.

    Attributes
    ----------
    group : str
        Store group (``/<group>/<name>`` in the HDF5 store), e.g. the probe's name.
    name : str
        Set name inside the group.
    item_ids : tuple of str
        Unique ids, one per item; embedding rows follow this order.
    render : callable
        ``render(ids, sample_rate, resample_method) -> list of mono float32 arrays`` at
        ``sample_rate`` (synthesised at that rate, or loaded and resampled).
    content_hash : callable
        ``content_hash(sample_rate) -> str``: hash of the content the model sees (not of
        the model). Sets synthesised at the model's rate depend on it; loaded ones do not
        (:func:`fixed_hash`).
    """

    group: str
    name: str
    item_ids: tuple[str, ...]
    render: RenderFn
    content_hash: Callable[[int], str]

    @classmethod
    def from_loader(cls, group: str, name: str, item_ids: Sequence[str],
                    load_items: Callable[[Sequence[str]], list[np.ndarray]],
                    content_hash: str) -> StimulusSet:
        """A set of items that exist at one sample rate only (recorded or pre-rendered audio).

        ``load_items(ids)`` returns the audio at the model's sample rate (the caller's
        responsibility); ``content_hash`` identifies that audio.
        """
        return cls(group, name, tuple(str(i) for i in item_ids),
                   render=lambda ids, sample_rate, method: load_items(ids),
                   content_hash=fixed_hash(content_hash))

    def __len__(self) -> int:
        return len(self.item_ids)
