"""Multi-scale voxel features for pixel classification (the ilastik set), computed on any sub-box.

At each scale σ (in the units of ``spacing``; ``σ / spacing`` voxels along each axis) a voxel
gets:

- ``gaussian``: the grey value smoothed by the Gaussian ``G_σ``;
- ``gradient``: the gradient magnitude ``|∇(G_σ * I)|``;
- ``structure``: the eigenvalues of the structure tensor ``G_{σ/2} * (∇I_σ ∇I_σᵀ)``
  (gradient at the inner scale σ, averaged at the outer scale σ/2, as ilastik does);
- ``hessian``: the eigenvalues of the Hessian of the Gaussian ``∂²(G_σ * I)/∂x_a∂x_b``.

Derivatives are taken along physical axes (voxel derivatives divided by the spacing), and
eigenvalues come largest first. Gaussian derivatives are separable 1D correlations with kernels
cut at ``3σ`` (as vigra/ilastik) and normalised by their moments, so that smoothing keeps
constants, the first derivative of a linear ramp and the second derivative of a parabola are
exact; the image is mirrored at its faces (as ``scipy.ndimage``'s ``reflect``). The correlations
are parallel Numba loops (``scipy.ndimage.correlate1d`` runs on one core and would filter the
whole margin along each axis only to crop it). The
eigenvalues of the 3 × 3 symmetric tensors come from the closed-form trigonometric solution [1]_
in a parallel Numba loop (float64 inside, float32 out).

:func:`voxel_features` computes the features of a sub-box of the volume reading only the margin
each filter needs around it (the kernel radii, chained for the structure tensor), so features
computed box by box equal, value for value, those of the whole volume.

References
----------
.. [1] O. K. Smith, "Eigenvalues of a symmetric 3 × 3 matrix", Commun. ACM 4(4), 168 (1961).
.. [2] C. Sommer et al., "ilastik: Interactive learning and segmentation toolkit", IEEE ISBI,
       230–233 (2011).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from microtwin._validation import as_grey, as_spacing
from microtwin.errors import ParameterError

#: the feature families, in their canonical order
FEATURES = ("gaussian", "gradient", "structure", "hessian")
#: channels each family contributes per scale
_CHANNELS = {"gaussian": 1, "gradient": 1, "structure": 3, "hessian": 3}
#: ilastik's scales, in voxels
DEFAULT_SIGMAS = (0.7, 1.0, 1.6, 3.5, 5.0)
#: Gaussian kernels are cut at this many standard deviations
TRUNCATE = 3.0
#: smallest scale, in voxels along any axis, for which a sampled Gaussian derivative means anything
MIN_SIGMA_VOXELS = 0.3

_AXES = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
_PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))  # upper triangle: a00 a01 a02 a11 a12 a22


def _second_order(a: int, b: int) -> tuple[int, int, int]:
    """The derivative orders (oz, oy, ox) of ∂²/∂x_a∂x_b."""
    return tuple(int(a == i) + int(b == i) for i in range(3))


def checked_features(features) -> tuple[str, ...]:
    """Return ``features`` as a tuple of distinct known family names, or raise ParameterError."""
    names = (features,) if isinstance(features, str) else tuple(features)
    unknown = [name for name in names if name not in FEATURES]
    if not names or unknown or len(set(names)) != len(names):
        raise ParameterError(f"features must be distinct names among {FEATURES}; got {features!r}")
    return names


def checked_sigmas(sigmas, spacing) -> tuple[float, ...]:
    """Return the scales as distinct positive floats of at least MIN_SIGMA_VOXELS voxels, or raise."""
    try:
        values = tuple(float(s) for s in np.atleast_1d(np.asarray(sigmas, dtype=float)))
    except (TypeError, ValueError):
        raise ParameterError(f"sigmas must be positive numbers; got {sigmas!r}") from None
    if not values or not all(np.isfinite(s) and s > 0 for s in values) or len(set(values)) != len(values):
        raise ParameterError(f"sigmas must be one or more distinct positive finite numbers; got {sigmas!r}")
    smallest = min(values) / max(spacing)
    if smallest < MIN_SIGMA_VOXELS:
        raise ParameterError(f"every sigma must span ≥ {MIN_SIGMA_VOXELS} voxels along each axis; sigma "
                             f"{min(values)} is {smallest:.3g} voxels at spacing {spacing} (sigmas are in "
                             f"the units of spacing)")
    return values


def checked_volume(volume, name: str = "volume") -> np.ndarray:
    """Return a 3D real, finite grey volume as float32 (no copy when it already is)."""
    return as_grey(volume, name, allow_bool=False)


def feature_names(features=FEATURES, sigmas=DEFAULT_SIGMAS) -> list[str]:
    """Names of the channels of :func:`voxel_features`, in order: ``family[_i]_σ``, scale by scale.

    Examples
    --------
    >>> feature_names(("gaussian", "hessian"), (1.0,))
    ['gaussian_1', 'hessian_1_1', 'hessian_2_1', 'hessian_3_1']
    """
    names = []
    for sigma in sigmas:
        for family in checked_features(features):
            n = _CHANNELS[family]
            names += [f"{family}_{sigma:g}"] if n == 1 else [f"{family}_{i}_{sigma:g}" for i in range(1, n + 1)]
    return names


def _radius(sigma_voxels: float) -> int:
    return max(1, int(TRUNCATE * sigma_voxels + 0.5))


def gaussian_kernel(sigma_voxels: float, order: int) -> np.ndarray:
    """Correlation weights ``w(x)``, ``x = -r…r``, of the Gaussian derivative of ``order`` 0, 1 or 2.

    Normalised so that ``Σ w = 1`` (order 0), ``Σ w x = 1`` (order 1) and ``Σ w = 0``,
    ``Σ w x²/2 = 1`` (order 2): ``Σ_x w(x) f(i + x)`` is then exact for ``f`` = constant, linear
    ramp, parabola respectively.
    """
    r = _radius(sigma_voxels)
    x = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma_voxels) ** 2)
    if order == 0:
        return g / g.sum()
    if order == 1:
        return x * g / (x * x * g).sum()
    w = (x * x - (x * x * g).sum() / g.sum()) * g
    return w / (0.5 * (w * x * x).sum())


def _around(box, radii, shape):
    """``box`` grown by ``radii`` and clipped to the volume: [(start, stop)] per axis."""
    return [(max(0, a - r), min(n, b + r)) for (a, b), r, n in zip(box, radii, shape)]


def _gaussian_derivatives(field, target, sigma_voxels, orders) -> dict:
    """``{(oz, oy, ox): ∂^o (G * field)}`` on ``target`` (per-axis (start, stop) in ``field``'s indices).

    ``field`` must extend a kernel radius beyond ``target`` on every side where it does not end at
    the volume's face. Separable: one z-pass per z-order, one y-pass per (z, y)-prefix, one x-pass per
    order, each computed only on ``target`` along its axis.
    """
    fields = {(): field}
    for axis in range(3):
        fields = {prefix: correlate_along(fields[prefix[:-1]], gaussian_kernel(sigma_voxels[axis], prefix[-1]),
                                          axis, *target[axis])
                  for prefix in sorted({order[:axis + 1] for order in orders})}
    return fields


def correlate_along(field, weights, axis: int, start: int, stop: int) -> np.ndarray:
    """``out[o] = Σ_t w[t] field[start + o + t - r]`` along ``axis`` for ``o < stop - start`` (float32).

    The field is mirrored at its faces like ``scipy.ndimage.correlate1d(mode="reflect")``
    (``d c b a | a b c d | d c b a``); sums in float64; parallel Numba loops.
    """
    shape = list(field.shape)
    shape[axis] = stop - start
    out = np.empty(shape, dtype=np.float32)
    (_along_z, _along_y, _along_x)[axis](field, np.asarray(weights, dtype=np.float64), start, out)
    return out


@njit(cache=True, inline="always")
def _mirrored(i, n):
    """Index ``i`` folded into [0, n) by mirroring at the faces, half-sample symmetric, any distance."""
    i %= 2 * n
    return i if i < n else 2 * n - 1 - i


@njit(cache=True, parallel=True)
def _along_z(field, w, start, out):
    n, r = field.shape[0], w.size // 2
    for k in prange(out.shape[0]):
        acc = np.zeros(out.shape[1:])
        for t in range(w.size):
            plane = field[_mirrored(start + k + t - r, n)]
            for j in range(out.shape[1]):
                for i in range(out.shape[2]):
                    acc[j, i] += w[t] * plane[j, i]
        for j in range(out.shape[1]):
            for i in range(out.shape[2]):
                out[k, j, i] = acc[j, i]


@njit(cache=True, parallel=True)
def _along_y(field, w, start, out):
    n, r = field.shape[1], w.size // 2
    for k in prange(out.shape[0]):
        acc = np.empty(out.shape[2])
        for j in range(out.shape[1]):
            acc[:] = 0.0
            for t in range(w.size):
                row = field[k, _mirrored(start + j + t - r, n)]
                for i in range(out.shape[2]):
                    acc[i] += w[t] * row[i]
            for i in range(out.shape[2]):
                out[k, j, i] = acc[i]


@njit(cache=True, parallel=True)
def _along_x(field, w, start, out):
    n, r = field.shape[2], w.size // 2
    for k in prange(out.shape[0]):
        lines = np.empty((out.shape[1], out.shape[2] + 2 * r))  # the rows of this plane, mirrored out
        for j in range(out.shape[1]):
            for m in range(lines.shape[1]):
                lines[j, m] = field[k, j, _mirrored(start + m - r, n)]
        acc = np.zeros(out.shape[1:])
        for t in range(w.size):
            for j in range(out.shape[1]):
                for i in range(out.shape[2]):
                    acc[j, i] += w[t] * lines[j, i + t]
        for j in range(out.shape[1]):
            for i in range(out.shape[2]):
                out[k, j, i] = acc[j, i]


@njit(cache=True, inline="always")
def _eigenvalues_3x3(a00, a01, a02, a11, a12, a22):
    """Eigenvalues (largest first) of a symmetric 3 × 3 matrix, trigonometric closed form."""
    q = (a00 + a11 + a22) / 3.0
    b00, b11, b22 = a00 - q, a11 - q, a22 - q
    p = math.sqrt((b00 * b00 + b11 * b11 + b22 * b22 + 2.0 * (a01 * a01 + a02 * a02 + a12 * a12)) / 6.0)
    if p == 0.0:
        return q, q, q
    det = b00 * (b11 * b22 - a12 * a12) - a01 * (a01 * b22 - a12 * a02) + a02 * (a01 * a12 - b11 * a02)
    r = min(1.0, max(-1.0, det / (2.0 * p * p * p)))
    phi = math.acos(r) / 3.0
    e1 = q + 2.0 * p * math.cos(phi)
    e3 = q + 2.0 * p * math.cos(phi + 2.0 * math.pi / 3.0)
    return e1, 3.0 * q - e1 - e3, e3


@njit(cache=True, parallel=True)
def _eigenvalue_fields(a00, a01, a02, a11, a12, a22, out):
    nz, ny, nx = a00.shape
    for k in prange(nz):
        for j in range(ny):
            for i in range(nx):
                e = _eigenvalues_3x3(np.float64(a00[k, j, i]), np.float64(a01[k, j, i]), np.float64(a02[k, j, i]),
                                     np.float64(a11[k, j, i]), np.float64(a12[k, j, i]), np.float64(a22[k, j, i]))
                out[0, k, j, i], out[1, k, j, i], out[2, k, j, i] = e[0], e[1], e[2]


def symmetric_eigenvalues(a00, a01, a02, a11, a12, a22, out=None) -> np.ndarray:
    """Eigenvalues, largest first, of a field of symmetric 3 × 3 matrices given by their upper triangle.

    Parameters
    ----------
    a00, a01, a02, a11, a12, a22 : 3D float arrays of one shape
        The entries ``A[0, 0], A[0, 1], …`` at every voxel.
    out : (3, *shape) float32 ndarray, optional

    Returns
    -------
    (3, *shape) float32 ndarray
        ``λ1 ≥ λ2 ≥ λ3`` at every voxel.

    Examples
    --------
    >>> one = np.ones((1, 1, 1), np.float32)
    >>> symmetric_eigenvalues(2 * one, 0 * one, 0 * one, 3 * one, 0 * one, -1 * one)[:, 0, 0, 0].tolist()
    [3.0, 2.0, -1.0]
    """
    if out is None:
        out = np.empty((3, *np.shape(a00)), dtype=np.float32)
    _eigenvalue_fields(a00, a01, a02, a11, a12, a22, out)
    return out


def voxel_features(volume, features=FEATURES, sigmas=DEFAULT_SIGMAS, spacing=1.0, region=None):
    """The multi-scale features of the voxels of ``region`` (default: the whole volume).

    Parameters
    ----------
    volume : (Z, Y, X) real ndarray
        Grey values, finite.
    features : sequence of str
        Families among ``"gaussian"``, ``"gradient"``, ``"structure"``, ``"hessian"``.
    sigmas : sequence of float
        Scales in the units of ``spacing``; each must span ≥ 0.3 voxels along every axis.
    spacing : float or 3 floats
        Voxel size (z, y, x).
    region : tuple of 3 slices, optional
        The box (steps of 1) whose features are returned; the margin the filters need is read
        from ``volume`` around it, so the values equal those of the whole volume's features.

    Returns
    -------
    (F, *region_shape) float32 ndarray
        Channel ``c`` is ``feature_names(features, sigmas)[c]``: per scale, 1 channel for
        ``gaussian`` and ``gradient``, 3 eigenvalues (largest first) for ``structure`` and ``hessian``.

    Examples
    --------
    >>> ramp = np.broadcast_to(np.arange(16, dtype=np.float32), (16, 16, 16))
    >>> f = voxel_features(ramp, ("gaussian", "gradient"), (1.0,), spacing=0.5)
    >>> np.round(f[:, 8, 8, 8], 4).tolist()  # the ramp itself, and slope 1 / 0.5
    [8.0, 2.0]
    """
    volume = checked_volume(volume)
    spacing = as_spacing(spacing)
    features, sigmas = checked_features(features), checked_sigmas(sigmas, spacing)
    region = (slice(None),) * 3 if region is None else region
    try:
        box = [region[a].indices(volume.shape[a]) for a in range(3)]
    except (AttributeError, IndexError, TypeError):
        box = None
    if box is None or len(region) != 3 or any(step != 1 or stop <= start for start, stop, step in box):
        raise ParameterError(f"region must be 3 non-empty slices with step 1; got {region!r}")
    return box_features(volume, [(start, stop) for start, stop, _ in box], features, sigmas, spacing)


def box_features(volume, box, features, sigmas, spacing) -> np.ndarray:
    """:func:`voxel_features` of the box [(start, stop)] × 3 for arguments already checked."""
    out = np.empty((len(feature_names(features, sigmas)), *(b - a for a, b in box)), dtype=np.float32)
    channel = 0
    for sigma in sigmas:
        channel = _features_at_scale(volume, box, features, sigma, spacing, out, channel)
    return out


def _features_at_scale(volume, box, features, sigma, spacing, out, channel) -> int:
    """Write the features at one scale into ``out[channel:]``; return the next free channel."""
    inner = tuple(sigma / s for s in spacing)
    outer = tuple(v / 2 for v in inner)  # integration scale of the structure tensor
    orders = set()
    if "gaussian" in features:
        orders.add((0, 0, 0))
    if "gradient" in features or "structure" in features:
        orders.update(_AXES)
    if "hessian" in features:
        orders.update(_second_order(a, b) for a, b in _PAIRS)
    # derivatives on the box grown by the structure tensor's outer radius (not grown without it)
    grown = _around(box, [_radius(v) for v in outer], volume.shape) if "structure" in features else box
    source = _around(grown, [_radius(v) for v in inner], volume.shape)
    field = volume[tuple(slice(*s) for s in source)]
    d = _gaussian_derivatives(field, [(g0 - s0, g1 - s0) for (g0, g1), (s0, _) in zip(grown, source)], inner, orders)
    rel = [(b0 - g0, b1 - g0) for (b0, b1), (g0, _) in zip(box, grown)]  # the box within the grown box
    core = tuple(slice(*r) for r in rel)
    gradient = [d[_AXES[a]] / np.float32(spacing[a]) for a in range(3)] if _AXES[0] in orders else None
    for family in features:
        if family == "gaussian":
            out[channel] = d[(0, 0, 0)][core]
        elif family == "gradient":
            out[channel] = np.sqrt(sum(g[core] ** 2 for g in gradient))
        elif family == "structure":
            tensor = [_gaussian_derivatives(gradient[a] * gradient[b], rel, outer, {(0, 0, 0)})[(0, 0, 0)]
                      for a, b in _PAIRS]
            symmetric_eigenvalues(*tensor, out=out[channel:channel + 3])
        else:
            hessian = [d[_second_order(a, b)][core] / np.float32(spacing[a] * spacing[b]) for a, b in _PAIRS]
            symmetric_eigenvalues(*hessian, out=out[channel:channel + 3])
        channel += _CHANNELS[family]
    return channel
