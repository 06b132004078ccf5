"""A fake timbre study on disk for tests: empty sound files and ratings from two embedding dims."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hear_probes.probes.timbre.metric import pair_differences


def fake_study(root: Path, name: str, n: int, rng: np.random.Generator, *, dims: int = 6,
               informative: tuple[int, int] = (0, 2), diagonal: float = 0.0
               ) -> tuple[list[str], np.ndarray]:
    """Write study ``name`` under ``root`` (``sounds/<name>/*.aiff``, ``ratings/``).

    The ratings are the summed squared differences of two embedding dimensions plus a little
    noise, scaled to [0, 1]; ``diagonal`` fills the diagonal (ratings of a sound with itself).

    Returns
    -------
    ids : list of str
        Sound names (rating-matrix row order).
    x : np.ndarray
        ``[n, dims]`` embeddings that explain the ratings.
    """
    sdir = root / "sounds" / name
    sdir.mkdir(parents=True)
    ids = [f"{k:02d}_snd" for k in range(n)]
    for i in ids:
        (sdir / f"{i}.aiff").write_bytes(b"")
    x = rng.normal(size=(n, dims))
    D = pair_differences(x)
    s = D[:, informative[0]] + D[:, informative[1]] + 0.1 * rng.normal(size=D.shape[0])
    m = np.zeros((n, n))
    m[np.triu_indices(n, 1)] = (s - s.min()) / (s.max() - s.min())
    m[np.diag_indices(n)] = diagonal
    (root / "ratings").mkdir(exist_ok=True)
    np.savetxt(root / "ratings" / f"{name}_dissimilarity_matrix.txt", m)
    return ids, x
