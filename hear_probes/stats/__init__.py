"""Statistics shared by the probes: resampling over sounds, permutation nulls, multiple tests.

Nothing here knows about a probe. Every function is vectorised over resamples: the probes
call them with a ``[n_resamples, n_pairs]`` weight or index matrix and get one score per
resample back, so 1000 bootstrap resamples of a study cost a few matrix products.
"""

from hear_probes.stats.resampling import (
    condensed_index,
    holm,
    pair_weights,
    percentile_interval,
    permutation_p_value,
    permuted_pair_index,
    signed_ev,
    sound_bootstrap_counts,
    sound_permutations,
    weighted_midranks,
    weighted_pearson,
    weighted_spearman,
)

__all__ = [
    "condensed_index",
    "holm",
    "pair_weights",
    "percentile_interval",
    "permutation_p_value",
    "permuted_pair_index",
    "signed_ev",
    "sound_bootstrap_counts",
    "sound_permutations",
    "weighted_midranks",
    "weighted_pearson",
    "weighted_spearman",
]
