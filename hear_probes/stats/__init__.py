"""Statistics shared by the probes: resampling over sounds, permutation nulls, multiple tests.

Nothing here knows about a probe. Every function is vectorised over resamples: the probes
call them with a ``[n_resamples, n_pairs]`` weight or index matrix and get one score per
resample back, so 1000 bootstrap resamples of a study cost a few matrix products.

The package's names are those of :mod:`hear_probes.stats.resampling`, listed once in its
``__all__`` (re-exported here whole, so the two lists cannot drift apart).
"""

from hear_probes.stats.resampling import *  # noqa: F403  (re-exports exactly resampling.__all__)
from hear_probes.stats.resampling import __all__ as __all__
