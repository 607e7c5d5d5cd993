"""Boolean models: the union of random grains placed at the points of a Poisson process.

Voxelisation (``paint_ellipsoids``): voxel ``(k, j, i)`` has its centre at
``((k + 0.5) dz, (j + 0.5) dy, (i + 0.5) dx)`` and is covered when its centre lies in a grain
(closed set). An ellipsoid with centre c, half-axes a_1 ≤ … ≤ a_3 = m and rotation R is
``{x : (x − c)ᵀ Q (x − c) ≤ m²}``, ``Q = R diag(m²/a_i²) Rᵀ`` (for a ball Q = I, the same sums as
:func:`microtwin.data._generated._paint_balls`). Each grain is rasterised inside its bounding
box, row by row: along a row the covered voxels form one interval, whose ends come from the
quadratic's roots and are then checked against the same test, so the result is exact per voxel
centre (up to rounding at exact tangency) and costs O(rows of the bounding box + covered voxels).
The work is split over slabs of z-slices (no two threads write the same voxel).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from microtwin._validation import as_spacing
from microtwin.errors import ParameterError
from microtwin.models._grains import Grain
from microtwin.models._points import positive

_MISSED_GRAINS = 1e-6  # expected number of germs beyond the dilated window whose grain is larger than the dilation
_MAX_GERMS = 2e8


@njit(cache=True, inline="always")
def _row_value(qxx, b, c, t):
    return qxx * t * t + 2.0 * b * t + c


@njit(cache=True)
def _paint_row(out, k, j, cx, qxx, b, c, level, dx, periodic):
    """Cover the voxels (k, j, ·) whose centre x satisfies qxx t² + 2 b t + c ≤ level, t = x − cx."""
    nx = out.shape[2]
    disc = b * b - qxx * (c - level)
    if disc < 0:
        return
    root = np.sqrt(disc)
    i0 = int(np.ceil((cx + (-b - root) / qxx) / dx - 0.5))
    i1 = int(np.floor((cx + (-b + root) / qxx) / dx - 0.5))
    # make the interval ends agree with the direct test (rounding in the roots)
    while i0 <= i1 and _row_value(qxx, b, c, (i0 + 0.5) * dx - cx) > level:
        i0 += 1
    while _row_value(qxx, b, c, (i0 - 0.5) * dx - cx) <= level:
        i0 -= 1
    while i1 >= i0 and _row_value(qxx, b, c, (i1 + 0.5) * dx - cx) > level:
        i1 -= 1
    while _row_value(qxx, b, c, (i1 + 1.5) * dx - cx) <= level:
        i1 += 1
    if i1 < i0:
        return
    if not periodic:
        for i in range(max(i0, 0), min(i1, nx - 1) + 1):
            out[k, j, i] = 1
    elif i1 - i0 + 1 >= nx:
        out[k, j, :] = 1
    else:
        for i in range(i0, i1 + 1):
            out[k, j, i % nx] = 1


@njit(cache=True)
def _paint_slice(out, k, kk, centre, q, level, lo, hi, spacing, periodic):
    """Cover the voxels of slice ``k`` (unwrapped index ``kk``) inside one ellipsoid."""
    tz = (kk + 0.5) * spacing[0] - centre[0]
    for jj in range(lo, hi + 1):
        ty = (jj + 0.5) * spacing[1] - centre[1]
        b = q[2, 0] * tz + q[2, 1] * ty
        c = q[0, 0] * tz * tz + q[1, 1] * ty * ty + 2.0 * q[0, 1] * tz * ty
        _paint_row(out, k, jj % out.shape[1], centre[2], q[2, 2], b, c, level, spacing[2], periodic)


def paint_ellipsoids(out, centres, forms, levels, reach, spacing, periodic):
    """Set ``out`` (uint8) to 1 at voxel centres inside any ellipsoid ``(x−c)ᵀ Q (x−c) ≤ level``.

    ``centres`` (n, 3), ``forms`` (n, 3, 3) symmetric positive definite Q, ``levels`` (n,) and
    ``reach`` (n, 3) the half-extents of the bounding boxes, all in physical (z, y, x) units
    (float64, ``spacing`` a length-3 array); ``periodic`` wraps grains around the faces.
    """
    n_slabs = min(out.shape[0], 8 * numba.get_num_threads())
    _paint(out, centres, forms, levels, reach, spacing, bool(periodic), n_slabs)


@njit(cache=True, parallel=True)
def _paint(out, centres, forms, levels, reach, spacing, periodic, n_slabs):
    """paint_ellipsoids' kernel: each thread owns slabs of z-slices and scans all grains."""
    shape = out.shape
    n = centres.shape[0]
    lo = np.empty((n, 3), np.int64)
    hi = np.empty((n, 3), np.int64)
    for g in range(n):
        for a in range(3):
            lo[g, a] = int(np.floor((centres[g, a] - reach[g, a]) / spacing[a] - 0.5))
            hi[g, a] = int(np.ceil((centres[g, a] + reach[g, a]) / spacing[a] - 0.5))
            if not periodic:
                lo[g, a], hi[g, a] = max(lo[g, a], 0), min(hi[g, a], shape[a] - 1)
    for slab in prange(n_slabs):
        first, stop = slab * shape[0] // n_slabs, (slab + 1) * shape[0] // n_slabs
        for g in range(n):
            if not periodic and (hi[g, 0] < first or lo[g, 0] >= stop):
                continue
            for kk in range(lo[g, 0], hi[g, 0] + 1):  # unwrapped slice indices (periodic: any integer)
                k = kk % shape[0]
                if first <= k < stop:
                    _paint_slice(out, k, kk, centres[g], forms[g], levels[g], lo[g, 1], hi[g, 1], spacing, periodic)


def ellipsoid_forms(half_axes, rotations):
    """``(Q, level, reach)`` of ellipsoids: Q = R diag(m²/a²) Rᵀ, level m², bounding-box half-extents."""
    m = half_axes.max(axis=1)
    forms = (rotations * ((m[:, None] / half_axes) ** 2)[:, None, :]) @ rotations.transpose(0, 2, 1)
    reach = np.sqrt(((rotations**2) @ (half_axes**2)[:, :, None])[:, :, 0])
    return np.ascontiguousarray(forms), m**2, reach


def _checked_shape(shape) -> tuple[int, int, int]:
    try:
        values = tuple(int(n) for n in shape)
        exact = all(int(n) == n for n in shape)
    except (TypeError, ValueError):
        raise ParameterError(f"shape must be 3 positive ints (z, y, x); got {shape!r}") from None
    if len(values) != 3 or not exact or min(values) < 1:
        raise ParameterError(f"shape must be 3 positive ints (z, y, x); got {shape!r}")
    return values


def boolean_model(shape, spacing, intensity, grain, seed=None, periodic=False) -> np.ndarray:
    """A realisation of a Boolean model Ξ = ∪ (X_i + E_i) on a voxel grid.

    Germs X_i: a Poisson process of ``intensity`` λ; grains E_i: independent copies of ``grain``
    (random sizes, uniformly random orientation), centred at the germs. The image window is
    ``[0, n_z dz] × [0, n_y dy] × [0, n_x dx]``. Without ``periodic``, germs are simulated in the
    window dilated (as a box) by the ``1 − ε`` quantile of the grains' circumradius, with ε such that
    the expected number of germs in the dilated window whose grain exceeds it is 10⁻⁶ (for fixed
    sizes: the exact circumradius), so grains reaching in from outside are present and the
    realisation is the stationary model seen through the window. With ``periodic``, germs lie in
    the window and grains wrap around its faces (a model on the 3-torus). Each voxel is covered
    when its centre lies in a grain (exact per voxel centre; see the module notes).

    The expected densities are Miles' formulas (:func:`microtwin.models.miles_densities`),
    e.g. V_V = 1 − exp(−λ E[V(E)]).

    Parameters
    ----------
    shape : 3 ints
        (n_z, n_y, n_x).
    spacing : float or 3 floats
        Voxel size (dz, dy, dx), the length unit of ``intensity`` and of the grain sizes.
    intensity : float > 0
        Germs per unit volume (length⁻³).
    grain : Ball, Spheroid or Ellipsoid
    seed : int or numpy.random.Generator
    periodic : bool

    Returns
    -------
    (n_z, n_y, n_x) uint8 ndarray
        1 where covered by a grain, 0 elsewhere.

    References
    ----------
    S. N. Chiu, D. Stoyan, W. S. Kendall, J. Mecke, *Stochastic Geometry and its Applications*,
    3rd ed., Wiley 2013, ch. 3; R. E. Miles, "Estimating aggregate and overall characteristics
    from thick sections by transmission microscopy", J. Microsc. 107 (1976) 227–233.

    Examples
    --------
    >>> from microtwin.models import Ball
    >>> labels = boolean_model((32, 32, 32), 1.0, 1e-3, Ball(3.0), seed=0)
    >>> labels.dtype, round(float(labels.mean()), 1)
    (dtype('uint8'), 0.1)
    """
    shape = _checked_shape(shape)
    spacing = np.asarray(as_spacing(spacing), dtype=np.float64)
    intensity = positive(intensity, "intensity")
    if not isinstance(grain, Grain):
        raise ParameterError(f"grain must be a Ball, Spheroid or Ellipsoid; got {type(grain).__name__}")
    rng = np.random.default_rng(seed)
    extent = np.asarray(shape) * spacing
    dilation = 0.0
    if not periodic:
        germs = intensity * np.prod(extent + 2 * grain.circumradius_quantile(0.5))
        dilation = grain.circumradius_quantile(1 - min(0.5, _MISSED_GRAINS / max(germs, 1.0)))
    expected = intensity * np.prod(extent + 2 * dilation)
    if expected > _MAX_GERMS:
        raise ParameterError(f"the model needs about {expected:.3g} germs (intensity {intensity} in a window "
                             f"dilated by {dilation:.4g}); at most {_MAX_GERMS:.0e} are supported")
    centres = -dilation + rng.random((rng.poisson(expected), 3)) * (extent + 2 * dilation)
    half_axes, rotations = grain.sample(len(centres), rng)
    real = np.all(half_axes > 0, axis=1)  # a zero-length half-axis is a null set
    forms, levels, reach = ellipsoid_forms(half_axes[real], rotations[real])
    out = np.zeros(shape, dtype=np.uint8)
    paint_ellipsoids(out, np.ascontiguousarray(centres[real]), forms, levels, reach, spacing, periodic)
    return out
