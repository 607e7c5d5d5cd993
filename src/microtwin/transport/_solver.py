"""Flexible conjugate gradients with the aggregation-multigrid preconditioner, and its stopping rule.

Solves ``A φ = b`` for the potential with φ = 1 on the inlet Dirichlet face and 0 on the outlet
(layout and operator of :mod:`._multigrid`). Stops when BOTH the relative residual
``‖b − Aφ‖ / ‖b‖ ≤ rtol`` and the flux balance ``|I_in − I_out| / I ≤ flux_tol`` hold, with
``I_in = Σ g_in (1 − φ_first)`` and ``I_out = Σ g_out φ_last`` (float64 throughout).
Flexible CG (Polak–Ribière β, Notay 2000) because the K-cycle preconditioner varies slightly
from one application to the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from microtwin.errors import ConvergenceError
from microtwin.transport._multigrid import Hierarchy, Level, dot


@dataclass(frozen=True)
class Solution:
    potential: np.ndarray
    current_in: float
    current_out: float
    iterations: int
    residual: float
    flux_imbalance: float


@njit(cache=True, parallel=True)
def _step(x, r, p, q, alpha):
    """``x += α p``, ``r -= α q``; return ``r · r``."""
    total = 0.0
    for k in prange(x.shape[0]):
        s = 0.0
        for j in range(x.shape[1]):
            for i in range(x.shape[2]):
                x[k, j, i] += alpha * p[k, j, i]
                r[k, j, i] -= alpha * q[k, j, i]
                s += r[k, j, i] * r[k, j, i]
        total += s
    return total


@njit(cache=True, parallel=True)
def _direction(p, z, beta):
    """``p = z + β p``."""
    for k in prange(p.shape[0]):
        for j in range(p.shape[1]):
            for i in range(p.shape[2]):
                p[k, j, i] = z[k, j, i] + beta * p[k, j, i]


def _currents(gz, x):
    n = gz.shape[0] - 1
    return float(np.sum(gz[0] * (1.0 - x[0]), dtype=np.float64)), float(np.sum(gz[n] * x[n - 1], dtype=np.float64))


def _imbalance(current_in, current_out):
    return abs(current_in - current_out) / max(0.5 * (current_in + current_out), 1e-300)


def _finished(gz, x, residual, rtol, flux_tol, iteration):
    """The solution if both stopping criteria hold, else None."""
    if residual > rtol:
        return None
    current_in, current_out = _currents(gz, x)
    imbalance = _imbalance(current_in, current_out)
    if imbalance > flux_tol:
        return None
    return Solution(x, current_in, current_out, iteration, float(residual), float(imbalance))


def solve(gz, gy, gx, rtol=1e-6, flux_tol=1e-3, maxiter=500, progress=None) -> Solution:
    """Potential for φ = 1 at the inlet, 0 at the outlet (see the module docstring).

    ``progress``: optional callable ``progress(iteration, residual)`` called after every iteration.
    """
    fine = Level(gz, gy, gx)
    preconditioner = Hierarchy(fine)
    n = gy.shape[0]
    active = fine.diag > 0
    x = np.where(active, 1.0 - (np.arange(n)[:, None, None] + 0.5) / n, 0.0)  # linear initial guess
    b = np.zeros(x.shape)
    b[0] = gz[0]
    r = np.empty(x.shape)
    fine.apply(x, r)
    np.subtract(b, r, out=r)
    b_norm = np.sqrt(dot(b, b))
    residual = np.sqrt(dot(r, r)) / b_norm
    done = _finished(gz, x, residual, rtol, flux_tol, 0)
    if done:
        return done
    z = preconditioner(r)
    p, q = z.copy(), np.empty(x.shape)
    rz = dot(r, z)
    for iteration in range(1, maxiter + 1):
        fine.apply(p, q)
        alpha = rz / dot(p, q)
        residual = np.sqrt(_step(x, r, p, q, alpha)) / b_norm
        if progress is not None:
            progress(iteration, residual)
        done = _finished(gz, x, residual, rtol, flux_tol, iteration)
        if done:
            return done
        z = preconditioner(r)
        rz_new = dot(r, z)
        beta = -alpha * dot(q, z) / rz  # Polak–Ribière: r_new·(z_new) − r_old·z_new over r_old·z_old
        rz = rz_new
        _direction(p, z, beta)
    raise ConvergenceError(f"the solver did not reach rtol={rtol:g} and flux_tol={flux_tol:g} in {maxiter} "
                           f"iterations (residual {residual:.2e}, flux imbalance {_imbalance(*_currents(gz, x)):.2e})")
