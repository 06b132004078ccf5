"""Weighted-distance metric learning on dissimilarity ratings (Pascal & Lagrange 2024, Sec. IV).

For a representation ``Psi`` of the ``l`` sounds of one study, the squared weighted distance
between sounds ``i`` and ``j`` is

    d_w(a_i, a_j)^2 = sum_k (Psi_k(a_i) - Psi_k(a_j))^2 / w_k^2 = (D @ (1 / w^2))_{ij}

where ``D`` [n_pairs, dim] holds the squared feature differences of all unordered pairs
``i < j`` (precomputed once). The weights maximise the Pearson correlation between ``d_w^2``
and the human ratings ``s`` with L-BFGS-B, bounds ``1 <= w_k <= 1e15``, starting from the
non-negative least-squares warm start of the paper (or the random start of Thoret et al.).

Everything is vectorised: one evaluation of the objective and its gradient costs two
matrix-vector products with ``D``; there is no Python loop over pairs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import nnls

from hear_probes.probes.timbre.lbfgsb import LbfgsbOptions, check_driver, minimize_lbfgsb

#: Paper settings (Sec. IV, "Optimization").
PAPER_MAXITER = 10_000
PAPER_MAXLS = 50
PAPER_TOL = 1e-36
W_MIN = 1.0
W_MAX = 1e15
#: Initialisations: the paper's warm start, Thoret et al.'s random start, the exact optimum.
INITS = ("warm", "random", "exact")

#: Default tolerances: the paper's. With them L-BFGS-B effectively runs to ``maxiter``; looser
#: tolerances stop earlier but, measured on the 17 studies with the stft representation, lose
#: up to 0.05 of explained variance (docs/timbre.md, "Tolerances"). ``init="exact"`` is the
#: fast and exact alternative.
DEFAULT_FTOL = PAPER_TOL
DEFAULT_GTOL = PAPER_TOL


@dataclass(frozen=True)
class FitOptions:
    """Options of one metric-learning fit.

    Parameters
    ----------
    init : {"exact", "warm", "random"}
        ``"exact"`` (default): the global maximiser (:func:`exact_start`), returned as is
        unless ``polish`` is set. ``"warm"``: non-negative least-squares warm start of Pascal & Lagrange (Eq. 4),
        ``w0_k = 1 / sqrt(x_k + nnls_eps)``. ``"random"``: Thoret et al. (2021),
        ``w0_k = |random_mean + random_std * N(0, 1)|`` (then clipped into the bounds).
    polish : bool
        With ``init="exact"``, run L-BFGS-B from the exact optimum as well (it cannot improve
        it beyond rounding; kept for comparisons).
    maxiter : int
        Maximum number of L-BFGS-B iterations (paper: 1e4).
    maxls : int
        Maximum number of line-search steps per iteration (paper: 50).
    ftol, gtol : float
        L-BFGS-B stopping tolerances on the relative objective decrease and on the projected
        gradient. Default: the paper's 1e-36 for both (run to ``maxiter``).
    maxcor : int
        Number of L-BFGS memory pairs (scipy default 10).
    w_min, w_max : float
        Box constraints on the weights (paper: 1 and 1e15).
    nnls_eps : float
        ``eps`` of the warm start (paper: machine epsilon of float64).
    random_mean, random_std : float
        Parameters of the random initialisation (Thoret et al.: 1 and 0.01).
    driver : {"auto", "scipy"}
        How L-BFGS-B is called: both use ``scipy.optimize.minimize`` (the field stays so that
        settings stored in older result files load; ``"direct"``, scipy's private routine,
        was removed).
    """

    init: str = "exact"
    polish: bool = False
    maxiter: int = PAPER_MAXITER
    maxls: int = PAPER_MAXLS
    ftol: float = DEFAULT_FTOL
    gtol: float = DEFAULT_GTOL
    maxcor: int = 10
    w_min: float = W_MIN
    w_max: float = W_MAX
    nnls_eps: float = float(np.finfo(float).eps)
    random_mean: float = 1.0
    random_std: float = 0.01
    driver: str = "auto"

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise ValueError(f"FitOptions.init must be one of {INITS}, not {self.init!r}")
        if not 0 < self.w_min < self.w_max:
            raise ValueError(f"FitOptions needs 0 < w_min < w_max, got {self.w_min}, {self.w_max}")
        check_driver(self.driver, "FitOptions.driver")
        if self.maxiter < 1 or self.maxls < 1:
            raise ValueError("FitOptions.maxiter and maxls must be >= 1")

    def lbfgsb(self) -> LbfgsbOptions:
        """The L-BFGS-B part of these options, as one object."""
        return LbfgsbOptions(maxiter=self.maxiter, maxls=self.maxls, ftol=self.ftol,
                             gtol=self.gtol, maxcor=self.maxcor, driver=self.driver)

    @classmethod
    def paper(cls, **overrides) -> FitOptions:
        """The paper's procedure: warm start, tolerances 1e-36 (effectively run to ``maxiter``)."""
        return cls(**{"init": "warm", "ftol": PAPER_TOL, "gtol": PAPER_TOL, **overrides})

    def to_dict(self) -> dict:
        """Plain-dict form (for JSON)."""
        return asdict(self)


@dataclass
class FitResult:
    """Outcome of one fit.

    Attributes
    ----------
    weights : np.ndarray
        Learned ``w`` [dim] (dimensions excluded from the fit keep their initial value).
    pearson : float
        Pearson correlation between ``d_w^2`` and the ratings the fit was trained on.
    explained_variance : float
        Signed ``sign(pearson) pearson ** 2``.
    pearson_init : float
        Pearson correlation at the initial point.
    n_iter, n_eval : int
        L-BFGS-B iterations and objective evaluations.
    converged : bool
        ``scipy`` success flag.
    message : str
        ``scipy`` termination message.
    seconds : float
        Wall time of the fit (NNLS warm start included).
    """

    weights: np.ndarray
    pearson: float
    explained_variance: float
    pearson_init: float
    n_iter: int
    n_eval: int
    converged: bool
    message: str
    seconds: float
    extra: dict = field(default_factory=dict)


def pair_indices(n_sounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-major upper-triangle indices ``(i, j)`` with ``i < j`` of ``n_sounds`` sounds."""
    return np.triu_indices(n_sounds, k=1)


def pair_matrix(values: np.ndarray, n_sounds: int) -> np.ndarray:
    """Symmetric ``[n, n]`` matrix of pair values, NaN on the diagonal.

    Parameters
    ----------
    values : np.ndarray
        ``[n_pairs]`` values of the pairs ``i < j`` in row-major order (:func:`pair_indices`).
    n_sounds : int
        Sounds of the study.

    Returns
    -------
    np.ndarray
        ``[n_sounds, n_sounds]`` matrix ``m`` with ``m[i, j] = m[j, i] = values[pair]``.
    """
    m = np.full((n_sounds, n_sounds), np.nan)
    i, j = pair_indices(n_sounds)
    m[i, j] = values
    m[j, i] = values
    return m


def pair_differences(features: np.ndarray) -> np.ndarray:
    """Squared feature differences of all unordered pairs.

    Parameters
    ----------
    features : np.ndarray
        ``[n_sounds, dim]`` representation.

    Returns
    -------
    np.ndarray
        ``D`` [n_pairs, dim] float64, row ``p`` = ``(Psi(a_i) - Psi(a_j))**2`` for the p-th
        pair of :func:`pair_indices`.
    """
    x = np.asarray(features, dtype=np.float64)
    i, j = pair_indices(x.shape[0])
    return (x[i] - x[j]) ** 2


def ratings_vector(matrix: np.ndarray) -> np.ndarray:
    """Upper triangle (``i < j``, row-major) of a rating matrix as a vector."""
    m = np.asarray(matrix, dtype=np.float64)
    i, j = pair_indices(m.shape[0])
    return m[i, j]


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation over the entries where both ``x`` and ``y`` are finite.

    Returns NaN when fewer than 3 entries are valid or one side is constant (up to float
    rounding: ``validation.all_tied``, so tied distances never give a rounding-noise number).
    """
    from hear_probes.probes.timbre.validation import all_tied

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or all_tied(x[ok]) or all_tied(y[ok]):
        return float("nan")
    xc = x[ok] - x[ok].mean()
    yc = y[ok] - y[ok].mean()
    den = np.sqrt(np.dot(xc, xc) * np.dot(yc, yc))
    if den == 0:
        return float("nan")
    return float(np.dot(xc, yc) / den)


def explained_variance(r: float) -> float:
    """Signed explained variance ``sign(r) r**2`` of a Pearson correlation ``r``.

    An anti-correlation gives a negative value, never a positive one (NaN stays NaN); see
    :func:`hear_probes.stats.signed_ev`.
    """
    r = float(r)
    return float(np.sign(r) * r * r) if np.isfinite(r) else float("nan")


class PearsonObjective:
    """``-Pearson(D @ w**-2, s)`` and its analytic gradient with respect to ``w``.

    The ratings are centred and scaled once, ``z = (s - mean(s)) / ||s - mean(s)||``, and the
    columns of ``D`` are centred once, ``Dc = D - mean(D, axis=0)``, so that with
    ``u = w**-2`` the centred squared distances are ``c = d - mean(d) = Dc @ u``:

        P(w)      = z . c / ||c||
        dP/du     = Dc^T (z - P c / ||c||) / ||c||
        dP/dw_k   = -2 w_k**-3 (dP/du)_k

    Centring ``D`` is exactly the derivative of the mean ``mu_w`` of ``d_w^2``: dropping it
    (using ``D`` instead of ``Dc`` in ``dP/du``) is the error of the code that accompanied
    Thoret et al. (2021) pointed out by Pascal & Lagrange (2024).

    Parameters
    ----------
    D : np.ndarray
        ``[n_pairs, dim]`` squared pair differences.
    s : np.ndarray
        ``[n_pairs]`` ratings; NaN entries (missing ratings) are dropped pair-wise.
    """

    def __init__(self, D: np.ndarray, s: np.ndarray) -> None:
        s = np.asarray(s, dtype=np.float64)
        ok = np.isfinite(s)
        if ok.sum() < 3:
            raise ValueError("fewer than 3 rated pairs: the Pearson correlation is undefined")
        D = np.asarray(D, dtype=np.float64)[ok]
        z = s[ok] - s[ok].mean()
        norm = np.sqrt(np.dot(z, z))
        if norm == 0:
            raise ValueError("ratings are constant: the Pearson correlation is undefined")
        self.mask = ok
        self.z = z / norm
        self.Dc = np.ascontiguousarray(D - D.mean(axis=0))
        self.DcT = np.ascontiguousarray(self.Dc.T)
        self.a = self.DcT @ self.z  # Dc^T z, constant
        self.n_eval = 0

    def pearson(self, w: np.ndarray) -> float:
        """Pearson correlation at ``w`` (no gradient); NaN if all distances are equal."""
        c = self.Dc @ (1.0 / np.square(np.asarray(w, dtype=np.float64)))
        nc = np.sqrt(np.dot(c, c))
        return float(np.dot(self.z, c) / nc) if nc > 0 else float("nan")

    def value_and_gradient(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        """``-Pearson`` at ``w`` and its gradient (one call, two matrix-vector products)."""
        self.n_eval += 1
        u = 1.0 / (w * w)
        c = self.Dc @ u
        cc = np.dot(c, c)
        if cc == 0:
            return 0.0, np.zeros_like(w)
        nc = np.sqrt(cc)
        p = np.dot(self.z, c) / nc
        g_u = self.a / nc - (p / cc) * (self.DcT @ c)
        # d(-P)/dw = -g_u * (-2 w**-3) = 2 g_u u / w
        return -float(p), 2.0 * g_u * u / w


def warm_start(D: np.ndarray, s: np.ndarray, options: FitOptions | None = None) -> np.ndarray:
    """Warm start of Pascal & Lagrange (Eq. 4) by non-negative least squares.

    Solves ``x = argmin_{x >= 0} || D x - s ||^2`` over the pairs with a rating (NaN ratings
    are dropped) with :func:`scipy.optimize.nnls`, then ``w0_k = 1 / sqrt(x_k + eps)``,
    clipped into ``[w_min, w_max]``.
    """
    options = options or FitOptions()
    s = np.asarray(s, dtype=np.float64)
    ok = np.isfinite(s)
    A = np.asarray(D, dtype=np.float64)[ok]
    try:
        x, _ = nnls(A, s[ok], maxiter=max(50 * A.shape[1], 1000))
    except RuntimeError:  # iteration limit (very ill-conditioned D): fall back to no limit
        x, _ = nnls(A, s[ok], maxiter=None)
    w0 = 1.0 / np.sqrt(x + options.nnls_eps)
    return np.clip(w0, options.w_min, options.w_max)


def exact_start(D: np.ndarray, s: np.ndarray, options: FitOptions | None = None) -> np.ndarray:
    """Global maximiser of the Pearson correlation, by non-negative least squares.

    With ``u = w**-2 >= 0`` the centred distances ``Dc @ u`` span a convex cone ``K`` and
    ``max_u z . Dc u / ||Dc u||`` equals ``||proj_K(z)||``, attained at the non-negative
    least-squares solution ``u* = argmin_{u >= 0} ||Dc u - z||``. (Pearson is scale invariant,
    so the box ``[w_min, w_max]`` only matters through ``u_max / u_min <= (w_max / w_min)**2``.)
    Returns ``w = 1 / sqrt(u*)`` rescaled so that ``min(w) = w_min``, zeros mapped to ``w_max``.
    This is an option (``init="exact"``), not the paper's method; it also gives the exact upper
    bound reported as ``explained_variance_max``.
    """
    options = options or FitOptions()
    s = np.asarray(s, dtype=np.float64)
    ok = np.isfinite(s)
    A = np.asarray(D, dtype=np.float64)[ok]
    A = A - A.mean(axis=0)
    z = s[ok] - s[ok].mean()
    z = z / np.sqrt(np.dot(z, z))
    try:
        u, _ = nnls(A, z, maxiter=max(50 * A.shape[1], 1000))
    except RuntimeError:
        u, _ = nnls(A, z, maxiter=None)
    if not np.any(u > 0):
        # no non-negative weighting correlates positively with the ratings (the KKT condition
        # of u = 0 is Dc^T z <= 0): the all-ones weights returned here are a placeholder, not
        # a fit; callers test :func:`has_positive_metric` and report "no positive metric"
        return np.full(A.shape[1], options.w_min)
    u = u / u.max() * options.w_min**-2
    u = np.maximum(u, options.w_max**-2)
    return np.clip(1.0 / np.sqrt(u), options.w_min, options.w_max)


def has_positive_metric(D: np.ndarray, s: np.ndarray) -> bool:
    """Whether some non-negative weighting ``u = w**-2`` correlates positively with ``s``.

    ``max_{u >= 0} Pearson(D u, s) > 0`` iff some centred column of ``D`` has a positive
    inner product with the centred ratings (a positive combination of columns that all have
    ``Dc_k . z <= 0`` cannot have a positive one). When it is false the exact optimum's NNLS
    returns ``u = 0`` and no learned metric explains any variance: the study is reported as
    "no positive metric", never with the correlation of a placeholder.

    Parameters
    ----------
    D : np.ndarray
        ``[n_pairs, dim]`` squared pair differences (active dimensions).
    s : np.ndarray
        ``[n_pairs]`` ratings (NaN = missing).
    """
    s = np.asarray(s, dtype=np.float64)
    ok = np.isfinite(s)
    A = np.asarray(D, dtype=np.float64)[ok]
    z = s[ok] - s[ok].mean()
    a = (A - A.mean(axis=0)).T @ z
    # relative tolerance: rounding noise of a zero inner product is not a positive metric
    tol = 1e-12 * np.sqrt(np.dot(z, z)) * np.sqrt((A * A).sum(axis=0)).max(initial=0.0)
    return bool(np.any(a > tol))


def max_explained_variance(D: np.ndarray, s: np.ndarray) -> float:
    """Exact maximum of the signed EV ``sign(P) P**2`` over all non-negative weights ``w**-2``.

    NaN when no non-negative weighting correlates positively (:func:`has_positive_metric`).
    """
    if not has_positive_metric(D, s):
        return float("nan")
    w = exact_start(D, s)
    return explained_variance(PearsonObjective(D, s).pearson(w))


def random_start(dim: int, options: FitOptions, rng: np.random.Generator) -> np.ndarray:
    """Random start of Thoret et al. (2021): ``|mean + std * N(0, 1)|`` clipped to bounds."""
    w0 = np.abs(options.random_mean + options.random_std * rng.standard_normal(dim))
    return np.clip(w0, options.w_min, options.w_max)


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread while fitting.

    The products with ``D`` are small (``n_pairs`` <= 190 rows): a multi-threaded BLAS spends
    more time synchronising threads than computing (measured 15x slower per iteration with
    torch and numpy both loaded). Parallelism comes from running fits side by side instead.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def fit_metric(
    D: np.ndarray,
    s: np.ndarray,
    options: FitOptions | None = None,
    *,
    seed: int | None = 0,
    active: np.ndarray | None = None,
) -> FitResult:
    """Learn the weights ``w`` maximising ``Pearson(D @ w**-2, s)`` with L-BFGS-B.

    Parameters
    ----------
    D : np.ndarray
        ``[n_pairs, dim]`` squared pair differences (:func:`pair_differences`).
    s : np.ndarray
        ``[n_pairs]`` ratings (NaN = missing pair, ignored).
    options : FitOptions, optional
        Optimiser settings (defaults: warm start, paper bounds and iteration limits, tuned
        tolerances).
    seed : int or None
        Seed of the random initialisation (unused by the warm start).
    active : np.ndarray of bool, optional
        Dimensions to optimise; the others keep ``w = w_max`` (i.e. contribute nothing).
        Used to leave out constant dimensions, whose gradient is identically zero.

    Returns
    -------
    FitResult
    """
    with single_threaded_blas():
        return _fit_metric(D, s, options or FitOptions(), seed, active)


def _fit_metric(D, s, options: FitOptions, seed: int | None, active) -> FitResult:
    t0 = time.perf_counter()
    D = np.asarray(D, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    dim = D.shape[1]
    if active is None:
        active = np.ones(dim, dtype=bool)
    Da = D[:, active]
    objective = PearsonObjective(Da, s)
    if options.init == "warm":
        w0 = warm_start(Da, s, options)
    elif options.init == "exact":
        w0 = exact_start(Da, s, options)
    else:
        w0 = random_start(Da.shape[1], options, np.random.default_rng(seed))
    p0 = objective.pearson(w0)
    positive = has_positive_metric(Da, s)
    if options.init == "exact" and not options.polish:
        res = _exact_result(w0, p0, active, options, n_eval=objective.n_eval, t0=t0)
        res.extra["no_positive_metric"] = not positive
        return res
    res = minimize_lbfgsb(objective.value_and_gradient, w0, options.w_min, options.w_max,
                          options.lbfgsb())
    x = np.asarray(res.x, dtype=np.float64)
    w_active = np.clip(x, options.w_min, options.w_max)
    p = objective.pearson(w_active)
    if not np.isfinite(p) or (np.isfinite(p0) and p < p0):
        # never return a point worse than the start (L-BFGS-B can stop on a failed line search)
        w_active, p = w0, p0
    weights = np.full(dim, options.w_max, dtype=np.float64)
    weights[active] = w_active
    return FitResult(
        weights=weights,
        pearson=float(p),
        explained_variance=explained_variance(p),
        pearson_init=float(p0),
        n_iter=int(res.nit),
        n_eval=int(objective.n_eval),
        converged=bool(res.success),
        message=str(res.message),
        seconds=time.perf_counter() - t0,
        extra={"driver": res.driver, "no_positive_metric": not positive},
    )


def _exact_result(w_active: np.ndarray, p: float, active: np.ndarray, options: FitOptions,
                  *, n_eval: int, t0: float) -> FitResult:
    """FitResult of the exact optimum, without L-BFGS-B."""
    weights = np.full(active.shape[0], options.w_max, dtype=np.float64)
    weights[active] = w_active
    return FitResult(
        weights=weights, pearson=float(p), explained_variance=explained_variance(p),
        pearson_init=float(p), n_iter=0, n_eval=int(n_eval), converged=True,
        message="exact optimum (non-negative least squares on centred pair differences)",
        seconds=time.perf_counter() - t0, extra={"driver": "nnls"},
    )


def distances(D: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Squared learned distances ``D @ w**-2`` of the pairs of ``D``."""
    return np.asarray(D, dtype=np.float64) @ (1.0 / np.square(np.asarray(weights, np.float64)))
