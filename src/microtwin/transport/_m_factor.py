"""Morphology → property regression: M ≈ ε^a β^b / τ_geo^c (Stenzel et al. 2016)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from microtwin._results import Result
from microtwin.errors import ParameterError


@dataclass(frozen=True)
class MFactorFit(Result):
    """Coefficients of ``M = ε^a β^b / τ_geo^c`` (all ≥ 0) and the goodness of fit.

    Attributes
    ----------
    a, b, c : float
        Exponents of the volume fraction ε, the constrictivity β and the geodesic tortuosity τ_geo.
    r2 : float
        Coefficient of determination of the predicted M against the given M (linear scale).
    n : int
        Number of structures fitted.
    """

    a: float
    b: float
    c: float
    r2: float
    n: int


def _positive(name, values, n=None):
    values = np.asarray(values, dtype=np.float64).ravel()
    if n is not None and values.size != n:
        raise ParameterError(f"{name} must have {n} values like eps; got {values.size}")
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ParameterError(f"{name} must be finite and > 0; got {values}")
    return values


def fit_m_factor(eps, beta, tau_geo, m) -> MFactorFit:
    """Least-squares fit of ``M ≈ ε^a β^b / τ_geo^c`` with ``a, b, c ≥ 0`` over many structures.

    Log-linear non-negative least squares: ``ln M = a ln ε + b ln β − c ln τ_geo``
    (:func:`scipy.optimize.nnls`).

    Parameters
    ----------
    eps, beta, tau_geo, m : 1D arrays of the same length (≥ 3), all > 0
        Volume fraction, constrictivity, geodesic tortuosity and M-factor of each structure.

    Returns
    -------
    MFactorFit

    References
    ----------
    O. Stenzel, O. Pecho, L. Holzer, M. Neumann, V. Schmidt, "Predicting effective conductivities
    based on geometric microstructure characteristics", AIChE J. 62 (2016) 1834–1843
    (M = ε^1.15 β^0.37 / τ_geo^4.39).

    Examples
    --------
    >>> import numpy as np
    >>> eps, beta, tau = np.array([0.3, 0.5, 0.4, 0.6]), np.array([0.2, 0.5, 0.3, 0.7]), np.array([1.5, 1.2, 1.3, 1.1])
    >>> fit = fit_m_factor(eps, beta, tau, eps**1.15 * beta**0.37 / tau**4.39)
    >>> round(fit.a, 6), round(fit.b, 6), round(fit.c, 6), round(fit.r2, 6)
    (1.15, 0.37, 4.39, 1.0)
    """
    eps = _positive("eps", eps)
    beta, tau_geo, m = (_positive(name, v, eps.size) for name, v in (("beta", beta), ("tau_geo", tau_geo), ("m", m)))
    if eps.size < 3:
        raise ParameterError(f"fit_m_factor needs at least 3 structures for 3 exponents; got {eps.size}")
    design = np.column_stack([np.log(eps), np.log(beta), -np.log(tau_geo)])
    (a, b, c), _ = nnls(design, np.log(m))
    fit = MFactorFit(a=float(a), b=float(b), c=float(c), r2=0.0, n=int(eps.size))
    predicted = predict_m_factor(fit, eps, beta, tau_geo)
    total = np.sum((m - m.mean()) ** 2)
    r2 = 1.0 - np.sum((m - predicted) ** 2) / total if total > 0 else 1.0
    return MFactorFit(a=fit.a, b=fit.b, c=fit.c, r2=float(r2), n=fit.n)


def predict_m_factor(fit: MFactorFit, eps, beta, tau_geo):
    """``ε^a β^b / τ_geo^c`` with the coefficients of ``fit`` (scalars or arrays).

    Examples
    --------
    >>> round(float(predict_m_factor(MFactorFit(1.15, 0.37, 4.39, 1.0, 10), 0.4, 0.3, 1.2)), 4)
    0.1003
    """
    eps, beta, tau_geo = (np.asarray(v, dtype=np.float64) for v in (eps, beta, tau_geo))
    if np.any(eps <= 0) or np.any(beta <= 0) or np.any(tau_geo <= 0):
        raise ParameterError("eps, beta and tau_geo must be > 0")
    return eps**fit.a * beta**fit.b / tau_geo**fit.c
