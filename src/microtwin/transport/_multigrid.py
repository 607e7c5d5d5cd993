"""Matrix-free aggregation multigrid for the 7-point conductance operator, used as a CG preconditioner.

A level is its face conductances ``gz`` (nz+1, ny, nx), ``gy`` (nz, ny, nx), ``gx`` (nz, ny, nx):
``gz[k]`` joins layers k−1 and k, ``gz[0]``/``gz[nz]`` join the first/last layer to the Dirichlet
faces; ``gy[:, j]`` joins rows j−1 and j, ``gy[:, 0]`` the last and the first row (0 unless
periodic), likewise ``gx``. The operator is ``(A x)_c = Σ_faces g (x_c − x_nb)`` with the Dirichlet
values moved to the right-hand side.

Coarsening merges 2×2×2 blocks. With piecewise-constant prolongation ``P`` the Galerkin operator
``Pᵀ A P`` is again a 7-point conductance operator whose face conductances are the sums of the
fine ones across each coarse face (faces inside a block drop out), so every level is the same
structure and nothing is assembled. Smoother: red-black Gauss–Seidel (parallel over planes);
the cycle is a K-cycle (Notay & Vassilevski 2008): on each coarse level two steps of flexible CG
preconditioned by the next level, which keeps the convergence independent of the depth with
plain aggregation. The coarsest level (≤ 1000 cells) is solved directly.

References: Y. Notay, P. S. Vassilevski, "Recursive Krylov-based multigrid cycles", Numer. Linear
Algebra Appl. 15 (2008) 473–487; D. Braess, "Towards algebraic multigrid for elliptic problems of
second order", Computing 55 (1995) 379–393.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

_COARSEST = 1000  # cells solved directly
_SERIAL = 40_000  # levels smaller than this run on one thread (a parallel launch costs more)


@njit(cache=True, parallel=True)
def diagonal(gz, gy, gx):
    """Sum of the six face conductances of each cell (float64)."""
    nz, ny, nx = gy.shape
    out = np.empty((nz, ny, nx))
    for k in prange(nz):
        for j in range(ny):
            jp = j + 1 if j + 1 < ny else 0
            for i in range(nx):
                ip = i + 1 if i + 1 < nx else 0
                out[k, j, i] = (np.float64(gz[k, j, i]) + gz[k + 1, j, i] + gy[k, j, i] + gy[k, jp, i]
                                + gx[k, j, i] + gx[k, j, ip])
    return out


@njit(cache=True, inline="always")
def _neighbour_sum(gz, gy, gx, x, k, j, i):
    """``Σ g x_nb`` over the six faces of cell (k, j, i) (Dirichlet faces excluded)."""
    nz, ny, nx = gy.shape
    jm, jp = j - 1 if j > 0 else ny - 1, j + 1 if j + 1 < ny else 0
    im, ip = i - 1 if i > 0 else nx - 1, i + 1 if i + 1 < nx else 0
    s = gy[k, j, i] * x[k, jm, i] + gy[k, jp, i] * x[k, jp, i] + gx[k, j, i] * x[k, j, im] + gx[k, j, ip] * x[k, j, ip]
    if k > 0:
        s += gz[k, j, i] * x[k - 1, j, i]
    if k + 1 < nz:
        s += gz[k + 1, j, i] * x[k + 1, j, i]
    return s


@njit(cache=True, parallel=True)
def apply(gz, gy, gx, diag, x, out):
    """``out = A x``."""
    nz, ny, nx = gy.shape
    for k in prange(nz):
        for j in range(ny):
            for i in range(nx):
                out[k, j, i] = diag[k, j, i] * x[k, j, i] - _neighbour_sum(gz, gy, gx, x, k, j, i)


@njit(cache=True, parallel=True)
def _sweep(gz, gy, gx, inv_diag, x, b, parity, reverse):
    """Gauss–Seidel on the planes k ≡ parity (mod 2), in parallel; lexicographic inside each plane
    (``reverse``: backwards, so that forward-then-backward sweeps make a symmetric smoother)."""
    nz, ny, nx = gy.shape
    for half in prange((nz + 1 - parity) // 2):
        k = 2 * half + parity
        for jj in range(ny):
            j = ny - 1 - jj if reverse else jj
            for ii in range(nx):
                i = nx - 1 - ii if reverse else ii
                w = inv_diag[k, j, i]
                if w > 0:
                    x[k, j, i] = (b[k, j, i] + _neighbour_sum(gz, gy, gx, x, k, j, i)) * w


@njit(cache=True, parallel=True)
def _restrict_residual(gz, gy, gx, diag, x, b, coarse):
    """``coarse = Pᵀ (b − A x)``: the residual summed over 2×2×2 blocks."""
    nz, ny, nx = gy.shape
    for kc in prange(coarse.shape[0]):
        coarse[kc] = 0.0
        for k in range(2 * kc, min(2 * kc + 2, nz)):
            for j in range(ny):
                for i in range(nx):
                    coarse[kc, j >> 1, i >> 1] += (b[k, j, i] - diag[k, j, i] * x[k, j, i]
                                                   + _neighbour_sum(gz, gy, gx, x, k, j, i))


@njit(cache=True, parallel=True)
def _prolong_add(coarse, x, weight):
    """``x += weight · P coarse`` (each fine cell takes its block's value)."""
    nz, ny, nx = x.shape
    for k in prange(nz):
        for j in range(ny):
            for i in range(nx):
                x[k, j, i] += weight * coarse[k // 2, j // 2, i // 2]


@njit(cache=True, parallel=True)
def _coarsen_faces(gz, gy, gx, cgz, cgy, cgx):
    """Coarse face conductances: sums of the fine ones across each coarse face."""
    nz, ny, nx = gy.shape
    cz, cy, cx = cgy.shape
    for kc in prange(cz + 1):
        k = min(2 * kc, nz)
        for jc in range(cy):
            for ic in range(cx):
                s = 0.0
                for j in range(2 * jc, min(2 * jc + 2, ny)):
                    for i in range(2 * ic, min(2 * ic + 2, nx)):
                        s += gz[k, j, i]
                cgz[kc, jc, ic] = s
    for kc in prange(cz):
        for jc in range(cy):
            for ic in range(cx):
                sy, sx = 0.0, 0.0
                for k in range(2 * kc, min(2 * kc + 2, nz)):
                    for i in range(2 * ic, min(2 * ic + 2, nx)):
                        sy += gy[k, 2 * jc, i]
                    for j in range(2 * jc, min(2 * jc + 2, ny)):
                        sx += gx[k, j, 2 * ic]
                cgy[kc, jc, ic] = sy if cy > 1 else 0.0  # a single coarse row has no y face
                cgx[kc, jc, ic] = sx if cx > 1 else 0.0


@njit(cache=True, parallel=True)
def dot(a, b):
    """``Σ a b`` in float64 (parallel over planes)."""
    total = 0.0
    for k in prange(a.shape[0]):
        s = 0.0
        for j in range(a.shape[1]):
            for i in range(a.shape[2]):
                s += a[k, j, i] * b[k, j, i]
        total += s
    return total


@njit(cache=True, parallel=True)
def _inverse(diag):
    """``1/d`` where ``d > 0``, else 0 (cells that carry no current stay at 0)."""
    out = np.zeros_like(diag)
    for k in prange(diag.shape[0]):
        for j in range(diag.shape[1]):
            for i in range(diag.shape[2]):
                if diag[k, j, i] > 0:
                    out[k, j, i] = 1.0 / diag[k, j, i]
    return out


class Level:
    """One level: face conductances, diagonal and work arrays."""

    def __init__(self, gz, gy, gx):
        self.gz, self.gy, self.gx = gz, gy, gx
        self.shape = gy.shape
        self.diag = diagonal(gz, gy, gx)
        self.inv_diag = _inverse(self.diag)

    def apply(self, x, out):
        apply(self.gz, self.gy, self.gx, self.diag, x, out)

    def coarsen(self) -> Level:
        shape = tuple(-(-n // 2) for n in self.shape)
        cgz = np.empty((shape[0] + 1, *shape[1:]), self.gz.dtype)
        cgy, cgx = np.empty(shape, self.gy.dtype), np.empty(shape, self.gx.dtype)
        _coarsen_faces(self.gz, self.gy, self.gx, cgz, cgy, cgx)
        return Level(cgz, cgy, cgx)


class _DirectLevel:
    """The coarsest level: a dense solve restricted to its active cells."""

    def __init__(self, level: Level):
        self.level = level
        n = int(np.prod(level.shape))
        matrix = np.empty((n, n))
        unit, column = np.zeros(level.shape), np.empty(level.shape)
        for c in range(n):  # A e_c, column by column (at most _COARSEST of them)
            unit.flat[c] = 1.0
            level.apply(unit, column)
            matrix[:, c] = column.ravel()
            unit.flat[c] = 0.0
        self.active = np.flatnonzero(level.diag.ravel() > 0)
        sub = matrix[np.ix_(self.active, self.active)]
        self.inverse = np.linalg.pinv(sub, hermitian=True)

    def solve(self, b):
        x = np.zeros(self.level.shape)
        x.flat[self.active] = self.inverse @ b.ravel()[self.active]
        return x


class Hierarchy:
    """The multigrid preconditioner ``z ≈ A⁻¹ r`` (a K-cycle over aggregation levels)."""

    def __init__(self, finest: Level, smoothing_steps: int = 1):
        self.levels = [finest]
        while np.prod(self.levels[-1].shape) > _COARSEST and max(self.levels[-1].shape) > 1:
            self.levels.append(self.levels[-1].coarsen())
        self.direct = _DirectLevel(self.levels[-1])
        self.steps = smoothing_steps

    def __call__(self, r, level: int = 0):
        """Approximate ``A_level⁻¹ r``: pre-smooth, coarse correction, post-smooth (symmetric)."""
        if level == len(self.levels) - 1:
            return self.direct.solve(r)
        lv = self.levels[level]
        if lv.diag.size < _SERIAL and numba.get_num_threads() > 1:
            threads = numba.get_num_threads()
            numba.set_num_threads(1)
            try:
                return self(r, level)
            finally:
                numba.set_num_threads(threads)
        x = np.zeros(lv.shape)
        for _ in range(self.steps):
            _sweep(lv.gz, lv.gy, lv.gx, lv.inv_diag, x, r, 0, False)
            _sweep(lv.gz, lv.gy, lv.gx, lv.inv_diag, x, r, 1, False)
        coarse = np.empty(self.levels[level + 1].shape)
        _restrict_residual(lv.gz, lv.gy, lv.gx, lv.diag, x, r, coarse)
        if level + 1 == len(self.levels) - 1:
            correction = self.direct.solve(coarse)
        else:
            correction = self._krylov(coarse, level + 1)
        _prolong_add(correction, x, 1.0)
        for _ in range(self.steps):
            _sweep(lv.gz, lv.gy, lv.gx, lv.inv_diag, x, r, 1, True)
            _sweep(lv.gz, lv.gy, lv.gx, lv.inv_diag, x, r, 0, True)
        return x

    def _krylov(self, b, level):
        """Two flexible-CG steps on ``A_level x = b`` preconditioned by the cycle (the K-cycle)."""
        lv = self.levels[level]
        c1 = self(b, level)
        v1 = np.empty(lv.shape)
        lv.apply(c1, v1)
        rho1, alpha1 = dot(c1, v1), dot(c1, b)
        if rho1 <= 0:
            return c1
        r2 = b - (alpha1 / rho1) * v1
        c2 = self(r2, level)
        v2 = np.empty(lv.shape)
        lv.apply(c2, v2)
        gamma, beta, alpha2 = dot(c2, v1), dot(c2, v2), dot(c2, r2)
        rho2 = beta - gamma * gamma / rho1
        if rho2 <= 0:
            return (alpha1 / rho1) * c1
        return (alpha1 / rho1 - gamma * alpha2 / (rho1 * rho2)) * c1 + (alpha2 / rho2) * c2
