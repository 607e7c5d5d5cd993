"""Intensity corrections: FIB-SEM shading (a linear ramp per slice) and CT beam hardening (cupping)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from microtwin._validation import as_3d, as_axis, as_spacing
from microtwin.errors import DimensionError, DTypeError, EmptyPhaseError, ParameterError
from microtwin.filters._grey import as_grey, as_length, in_voxels, positive
from microtwin.filters._smoothing import gaussian

BEAM_HARDENING_METHODS = ("radial", "background")
_PRESMOOTH = 0.7  # voxels: in-plane Gaussian of each slice before the minimum projection


def _divide_by(arr: np.ndarray, field, what: str, norm=None) -> np.ndarray:
    """``arr / (field / norm)`` (``norm``: default the mean of ``field``), slice by slice; ``field`` must be > 0."""
    if not np.all(field > 0):
        raise ParameterError(f"the fitted {what} is not positive everywhere (min {float(np.min(field)):.3g}); "
                             "grey values must be offset so the darkest phase is above 0")
    field = (field / (field.mean(dtype=np.float64) if norm is None else norm)).astype(np.float32)
    out = np.empty_like(arr)
    for k in range(arr.shape[0]):
        np.divide(arr[k], field[k] if field.ndim == 3 else field, out=out[k])
    return out


def _smooth_keeping_ramps(planes: np.ndarray, sigma, truncate: float = 4.0) -> np.ndarray:
    """In-plane Gaussian of a stack of planes, borders extended by point reflection (ramps stay linear)."""
    pad = [(0, 0)] + [(min(int(truncate * s) + 1, n - 1),) * 2 for s, n in zip(sigma, planes.shape[1:])]
    padded = np.pad(planes, pad, mode="reflect", reflect_type="odd")
    ndimage.gaussian_filter(padded, (0, *sigma), output=padded, mode="nearest", truncate=truncate)
    return padded[tuple(slice(a, a + n) for (a, _), n in zip(pad, planes.shape))]


def _robust_plane(image: np.ndarray, valid=None, rounds: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares plane ``a + b·y + c·x`` through the ``valid`` points of an image, refitted without
    the points more than 3 MADs above it; returns the plane and the mask of the points kept."""
    ys, xs = np.indices(image.shape, dtype=np.float64)
    design = np.stack([np.ones(image.size), ys.ravel(), xs.ravel()], axis=1)
    values = image.ravel().astype(np.float64)
    valid = np.ones(image.size, bool) if valid is None else valid.ravel()
    keep = valid
    for _ in range(rounds):
        fit = design @ np.linalg.lstsq(design[keep], values[keep], rcond=None)[0]
        excess = np.where(valid, values - fit, np.inf)
        keep = excess <= 3 * 1.4826 * np.median(np.abs(excess[keep])) + 1e-12
    return fit.reshape(image.shape), keep.reshape(image.shape)


def _shading_ramp(projection: np.ndarray, sigma, valid=None) -> np.ndarray:
    """The ramp of a projection: invalid points and outliers replaced by a first robust fit, smoothed, refitted."""
    first, keep = _robust_plane(projection, valid)
    filled = np.where(keep, projection, first)
    return _robust_plane(_smooth_keeping_ramps(filled[None], sigma)[0])[0]


def shading_correction(volume, axis: int = 0, sigma=None, spacing=1.0) -> np.ndarray:
    """Remove FIB-SEM shading: divide every slice by a linear ramp fitted to its darkest phase.

    Slices are perpendicular to the milling ``axis``. (1) The minimum-intensity projection
    along the milling axis shows the darkest phase (the pore filling) everywhere in the plane
    (each slice is first smoothed by a Gaussian of 0.7 voxel so the minimum is not set by noise
    alone); places the dark phase never reaches (more than 3 median absolute deviations above
    a robust plane fit) are replaced by that fit; (2) it is smoothed in-plane by a wide Gaussian
    of standard deviation ``sigma`` (borders extended by point reflection, so a linear ramp
    passes unbent); (3) a plane ``a + b·y + c·x`` is fitted to it by (robust) least squares; (4) each slice is divided by that ramp
    over its mean. One projection of the whole stack gives one ramp for all slices (for shading
    that changes along the stack, correct sub-stacks long enough for the dark phase to appear in
    every column). Multiplicative shading is removed; the grey scale stays that of the average slice.

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values > 0 in the darkest phase; any real dtype, converted to float32.
    axis : int
        The milling (slicing) axis.
    sigma : float or 3 floats > 0, optional
        In-plane standard deviation of the smoothing Gaussian, in the units of ``spacing``
        (about 1 µm for FIB-SEM, as in the literature); default 1/10 of the smaller in-plane extent.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    (Z, Y, X) float32 ndarray

    Examples
    --------
    >>> y = np.arange(16, dtype=np.float32)
    >>> shaded = np.ones((4, 16, 16), np.float32) * (1 + 0.05 * y)[None, :, None]
    >>> bool(np.ptp(shading_correction(shaded)) < 1e-5)
    True
    """
    axis = as_axis(axis)
    arr = np.moveaxis(as_grey(volume), axis, 0)
    spacing = as_spacing(spacing)
    spacing = (spacing[axis], *[s for a, s in enumerate(spacing) if a != axis])
    if sigma is None:
        sigma = min(n * s for n, s in zip(arr.shape[1:], spacing[1:])) / 10
    plane_sigma = in_voxels(as_length(sigma, "sigma"), spacing)[1:]
    projection = np.full(arr.shape[1:], np.inf, np.float32)
    for plane in arr:
        np.minimum(projection, _smooth_keeping_ramps(plane[None], (_PRESMOOTH,) * 2)[0], out=projection)
    ramp = _shading_ramp(projection, plane_sigma)
    out = _divide_by(arr, ramp, "shading ramp")
    return np.moveaxis(out, 0, axis)


def _radial_profile(arr, mask, radius, degree):
    """Polynomial ``p(r)`` of degree ``degree`` fitted to the masked grey values against the radius."""
    sums, counts = np.zeros(radius.shape), np.zeros(radius.shape)
    for k in range(arr.shape[0]):
        inside = arr[k] if mask is None else np.where(mask[k], arr[k], 0)
        sums += inside
        counts += 1 if mask is None else mask[k]
    used = counts > 0
    if used.sum() <= degree:
        raise EmptyPhaseError(f"the mask covers {int(used.sum())} distinct positions in the plane; a degree-"
                              f"{degree} radial fit needs at least {degree + 1}")
    r, level, weight = radius[used], sums[used] / counts[used], counts[used]
    return np.polynomial.Polynomial.fit(r, level, degree, w=np.sqrt(weight)), (r, weight)


def beam_hardening_correction(volume, method: str = "radial", mask=None, axis: int = 0, degree: int = 2,
                              sigma=None, spacing=1.0) -> np.ndarray:
    """Remove CT cupping (beam hardening): divide by a fitted smooth background.

    ``"radial"``: cupping is a function of the distance ``r`` to the rotation ``axis`` (through
    the centre of the slice); a polynomial ``p(r)`` of ``degree`` is fitted by weighted least
    squares to the grey values of ``mask`` (a homogeneous phase, e.g. the solid from a first
    segmentation; default all voxels), and the volume is divided by ``p(r) / p̄``, where ``p̄``
    is the mean of ``p`` over the mask, so that phase keeps its mean grey value.
    ``"background"``: the volume is divided by its own low-pass ``G_σ * u`` over its mean, for
    cupping or drifts with no known shape (``σ`` must be well above the structure size).

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values (> 0 where divided); any real dtype, converted to float32.
    method : {"radial", "background"}
    mask : (Z, Y, X) bool array, optional
        ``"radial"`` only: the voxels of one homogeneous phase, best its interior (eroded by a
        voxel or two: voxels at an interface carry the blur of the other phase).
    axis : int
        The rotation axis (``"radial"``).
    degree : int ≥ 1
        Degree of the radial polynomial.
    sigma : float or 3 floats > 0, optional
        ``"background"`` only: low-pass standard deviation in the units of ``spacing``;
        default 1/8 of the smallest extent.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    (Z, Y, X) float32 ndarray

    Examples
    --------
    >>> y, x = np.indices((32, 32)) - 15.5
    >>> cupped = np.ones((4, 32, 32), np.float32) * (1 - 0.002 * (x**2 + y**2))
    >>> bool(np.ptp(beam_hardening_correction(cupped)) < 1e-3)
    True
    """
    if method not in BEAM_HARDENING_METHODS:
        raise ParameterError(f"method must be one of {BEAM_HARDENING_METHODS}; got {method!r}")
    arr = as_grey(volume)
    spacing = as_spacing(spacing)
    if method == "background":
        if mask is not None:
            raise ParameterError("mask is used by method='radial' only")
        if sigma is None:
            sigma = min(n * s for n, s in zip(arr.shape, spacing)) / 8
        return _divide_by(arr, gaussian(arr, as_length(sigma, "sigma"), spacing), "background")
    axis = as_axis(axis)
    degree = positive(degree, "degree", integer=True)
    arr = np.moveaxis(arr, axis, 0)
    if mask is not None:
        mask = as_3d(mask, "mask")
        if mask.dtype != bool:
            raise DTypeError(f"mask must be a boolean array; got dtype {mask.dtype}")
        if mask.shape != tuple(np.moveaxis(arr, 0, axis).shape):
            raise DimensionError(f"mask shape {mask.shape} differs from the volume's {np.moveaxis(arr, 0, axis).shape}")
        mask = np.moveaxis(mask, axis, 0)
    plane_spacing = [s for a, s in enumerate(spacing) if a != axis]
    ys, xs = [(np.arange(n) - (n - 1) / 2) * s for n, s in zip(arr.shape[1:], plane_spacing)]
    radius = np.hypot(ys[:, None], xs[None, :])
    profile, (r, weight) = _radial_profile(arr, mask, radius, degree)
    out = _divide_by(arr, profile(radius), "radial profile", norm=np.average(profile(r), weights=weight))
    return np.moveaxis(out, 0, axis)
