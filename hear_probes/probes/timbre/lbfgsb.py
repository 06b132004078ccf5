"""A lean driver for scipy's L-BFGS-B routine (same iterates as ``scipy.optimize.minimize``).

The paper's fits run L-BFGS-B for 10⁴ iterations on problems whose objective costs tens of
microseconds, so the per-iteration bookkeeping of ``scipy.optimize.minimize`` (the
``ScalarFunction`` wrapper, bound conversion, an ``OptimizeResult`` and a callback check per
iteration) costs more than the objective itself. :func:`minimize_lbfgsb` talks to the very same
compiled routine (``scipy.optimize._lbfgsb.setulb``, reverse communication) directly, with the
same stopping rules (``maxiter``, ``maxfun``, ``factr = ftol / eps``, ``pgtol = gtol``), so
the iterates are bit-identical to ``scipy.optimize.minimize(method="L-BFGS-B")``
(``tests/test_timbre_lbfgsb.py`` checks it); only the overhead goes.

``setulb`` is private to scipy: its signature is checked once, and on any mismatch (another
scipy version) the driver falls back to ``scipy.optimize.minimize`` transparently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

#: Ways of calling L-BFGS-B (see :func:`minimize_lbfgsb`).
DRIVERS = ("auto", "direct", "scipy")
#: scipy's default ``maxfun`` for L-BFGS-B.
DEFAULT_MAXFUN = 15_000

_STATUS = {4: "CONVERGENCE", 5: "STOP", 6: "WARNING", 7: "ERROR", 8: "ABNORMAL"}
_TASK = {
    401: "NORM OF PROJECTED GRADIENT <= PGTOL",
    402: "RELATIVE REDUCTION OF F <= FACTR*EPSMCH",
    502: "TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT",
    503: "PROJECTED GRADIENT IS SUFFICIENTLY SMALL",
    504: "TOTAL NO. OF ITERATIONS REACHED LIMIT",
    601: "ROUNDING ERRORS PREVENT PROGRESS",
    602: "STP = STPMAX",
    603: "STP = STPMIN",
    604: "XTOL TEST SATISFIED",
}


@dataclass
class LbfgsbResult:
    """Outcome of :func:`minimize_lbfgsb` (the fields of scipy's result that the probe uses)."""

    x: np.ndarray
    fun: float
    nit: int
    nfev: int
    success: bool
    message: str
    driver: str


def _setulb():
    try:
        from scipy.optimize import _lbfgsb
    except ImportError:  # pragma: no cover - depends on the scipy build
        return None
    return getattr(_lbfgsb, "setulb", None)


@dataclass(frozen=True)
class LbfgsbOptions:
    """Stopping rules and driver of one L-BFGS-B run (travel as one object).

    Attributes
    ----------
    maxiter, maxls, ftol, gtol, maxcor, maxfun
        As in ``scipy.optimize.minimize(method="L-BFGS-B", options=...)``.
    driver : {"auto", "direct", "scipy"}
        ``"direct"``: reverse communication with scipy's compiled routine (fast);
        ``"scipy"``: ``scipy.optimize.minimize``; ``"auto"``: direct when available.
    """

    maxiter: int
    maxls: int
    ftol: float
    gtol: float
    maxcor: int = 10
    maxfun: int = DEFAULT_MAXFUN
    driver: str = "auto"

    def scipy_options(self) -> dict:
        """The ``options`` of ``scipy.optimize.minimize(method="L-BFGS-B")``."""
        return {"maxiter": self.maxiter, "maxls": self.maxls, "ftol": self.ftol,
                "gtol": self.gtol, "maxcor": self.maxcor, "maxfun": self.maxfun}


def minimize_lbfgsb(
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    lower: float,
    upper: float,
    options: LbfgsbOptions,
) -> LbfgsbResult:
    """Minimise ``fun_and_grad`` under the box ``lower <= x <= upper`` with L-BFGS-B.

    Parameters
    ----------
    fun_and_grad : callable
        ``x -> (f, grad)``, float and float64 array; must not modify ``x``.
    x0 : np.ndarray
        Starting point (clipped into the box, as scipy does).
    lower, upper : float
        Bounds shared by every coordinate.
    options : LbfgsbOptions
        Stopping rules and driver.

    Returns
    -------
    LbfgsbResult
    """
    driver = options.driver
    if driver not in DRIVERS:
        raise ValueError(f"driver must be one of {DRIVERS}, not {driver!r}")
    x0 = np.clip(np.asarray(x0, dtype=np.float64), lower, upper)
    setulb = _setulb() if driver != "scipy" else None
    if setulb is not None:
        try:
            return _direct(setulb, fun_and_grad, x0, (lower, upper), options)
        except TypeError:  # another scipy's private signature
            if driver == "direct":
                raise
    elif driver == "direct":
        raise RuntimeError("scipy.optimize._lbfgsb.setulb is not available in this scipy")
    return _via_scipy(fun_and_grad, x0, (lower, upper), options)


def _via_scipy(fun_and_grad, x0: np.ndarray, box: tuple[float, float],
               options: LbfgsbOptions) -> LbfgsbResult:
    res = minimize(
        fun_and_grad, x0, jac=True, method="L-BFGS-B",
        bounds=[box] * x0.size,
        options=options.scipy_options(),
    )
    return LbfgsbResult(x=np.asarray(res.x, dtype=np.float64), fun=float(res.fun),
                        nit=int(res.nit), nfev=int(res.nfev), success=bool(res.success),
                        message=str(res.message), driver="scipy")


def _direct(setulb, fun_and_grad, x0: np.ndarray, box: tuple[float, float],
            options: LbfgsbOptions) -> LbfgsbResult:
    lower, upper = box
    maxiter, maxls, maxfun, gtol = options.maxiter, options.maxls, options.maxfun, options.gtol
    n, m = x0.size, int(options.maxcor)
    x = x0.copy()
    low = np.full(n, lower, dtype=np.float64)
    up = np.full(n, upper, dtype=np.float64)
    nbd = np.full(n, 2, dtype=np.int32)  # both bounds
    f = np.array(0.0, dtype=np.float64)
    g = np.zeros(n, dtype=np.float64)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, dtype=np.float64)
    iwa = np.zeros(3 * n, dtype=np.int32)
    task = np.zeros(2, dtype=np.int32)
    ln_task = np.zeros(2, dtype=np.int32)
    lsave = np.zeros(4, dtype=np.int32)
    isave = np.zeros(44, dtype=np.int32)
    dsave = np.zeros(29, dtype=np.float64)
    factr = options.ftol / np.finfo(float).eps
    nit = nfev = 0
    last_x = None
    while True:
        setulb(m, x, low, up, nbd, f, g, factr, gtol, wa, iwa, task, lsave, isave, dsave,
               maxls, ln_task)
        if task[0] == 3:  # f and g wanted at x
            if last_x is None or not np.array_equal(x, last_x):  # scipy caches repeats too
                fv, gv = fun_and_grad(x)
                nfev += 1
                last_x = x.copy()
                last_f, last_g = float(fv), np.array(gv, dtype=np.float64)
            f = np.array(last_f, dtype=np.float64)
            g = last_g.copy()  # setulb works in place on its inputs
        elif task[0] == 1:  # new iterate
            nit += 1
            if nit >= maxiter:
                task[0], task[1] = 5, 504
            elif nfev > maxfun:
                task[0], task[1] = 5, 502
        else:
            break
    message = f"{_STATUS.get(int(task[0]), str(task[0]))}: {_TASK.get(int(task[1]), '')}"
    return LbfgsbResult(x=x, fun=float(f), nit=nit, nfev=nfev, success=bool(task[0] == 4),
                        message=message, driver="direct")
