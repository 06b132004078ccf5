"""L-BFGS-B under a box shared by every coordinate, through scipy's public API.

:func:`minimize_lbfgsb` calls ``scipy.optimize.minimize(method="L-BFGS-B")`` with the bounds
as one :class:`scipy.optimize.Bounds` object (no per-coordinate list of tuples) and returns
the fields of scipy's result that the timbre probe uses. Earlier versions drove scipy's
private ``scipy.optimize._lbfgsb.setulb`` routine directly to save scipy's per-iteration
bookkeeping; that driver was removed (a private routine can change with any scipy release):
the iterates were bit-identical to ``minimize``, so no result changes, and the paper's
L-BFGS-B path (``init="warm"``/``"random"``, or ``polish=True``) is the only one that pays
the overhead (``docs/timbre.md``, "L-BFGS-B"). The default ``init="exact"`` path runs no
L-BFGS-B at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, minimize

#: Accepted values of ``driver`` (kept so that settings stored in older result files load):
#: both call ``scipy.optimize.minimize``.
DRIVERS = ("auto", "scipy")
#: scipy's default ``maxfun`` for L-BFGS-B.
DEFAULT_MAXFUN = 15_000


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


def check_driver(driver: str, where: str = "driver") -> None:
    """Raise a one-line :class:`ValueError` for a driver that is not in :data:`DRIVERS`.

    ``"direct"`` (scipy's private routine, removed) gets its own message.
    """
    if driver == "direct":
        raise ValueError(f"{where}='direct' (scipy's private L-BFGS-B routine) was removed; "
                         "use 'auto' (scipy.optimize.minimize, identical iterates)")
    if driver not in DRIVERS:
        raise ValueError(f"{where} must be one of {DRIVERS}, not {driver!r}")


@dataclass(frozen=True)
class LbfgsbOptions:
    """Stopping rules of one L-BFGS-B run (travel as one object).

    Attributes
    ----------
    maxiter, maxls, ftol, gtol, maxcor, maxfun
        As in ``scipy.optimize.minimize(method="L-BFGS-B", options=...)``.
    driver : {"auto", "scipy"}
        Both call ``scipy.optimize.minimize`` (kept for stored settings).
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
        Stopping rules.

    Returns
    -------
    LbfgsbResult
        ``driver`` is ``"scipy"``.

    Raises
    ------
    ValueError
        ``options.driver`` is not one of :data:`DRIVERS`.
    """
    check_driver(options.driver, "LbfgsbOptions.driver")
    x0 = np.clip(np.asarray(x0, dtype=np.float64), lower, upper)
    res = minimize(
        fun_and_grad, x0, jac=True, method="L-BFGS-B",
        bounds=Bounds(np.full(x0.size, lower), np.full(x0.size, upper)),
        options=options.scipy_options(),
    )
    return LbfgsbResult(x=np.asarray(res.x, dtype=np.float64), fun=float(res.fun),
                        nit=int(res.nit), nfev=int(res.nfev), success=bool(res.success),
                        message=str(res.message), driver="scipy")
