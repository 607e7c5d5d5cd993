"""Linear and rank smoothing in 3D with physical sizes: Gaussian, median, mean, minimum, maximum.

All sizes are lengths in the units of ``spacing``, converted per axis to voxels, so on
anisotropic voxels (FIB-SEM: 20 × 10 × 10 nm) the footprint covers the same physical
neighbourhood along every axis. The work is done by :mod:`scipy.ndimage` in float32.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from microtwin._validation import as_spacing
from microtwin.errors import ParameterError
from microtwin.filters._grey import as_grey, as_length, half_widths, in_voxels, positive

FOOTPRINTS = ("ball", "box")


def gaussian(volume, sigma=1.0, spacing=1.0, mode: str = "reflect", truncate: float = 4.0) -> np.ndarray:
    """Gaussian smoothing with a standard deviation given as a physical length.

    ``out = G_σ * volume`` with ``σ_i = sigma_i / spacing_i`` voxels along axis ``i`` (a sigma of
    0 along an axis leaves that axis alone); the kernel is cut at ``truncate`` standard deviations.

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values; any real dtype, converted to float32. NaN/inf are refused.
    sigma : float or 3 floats ≥ 0
        Standard deviation of the Gaussian in the units of ``spacing`` (z, y, x), not all 0.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    mode : str
        Border handling of :func:`scipy.ndimage.gaussian_filter` (default ``"reflect"``).
    truncate : float > 0
        Kernel half-width in standard deviations.

    Returns
    -------
    (Z, Y, X) float32 ndarray

    Examples
    --------
    >>> x = np.zeros((5, 5, 5), np.float32); x[2, 2, 2] = 1
    >>> round(float(gaussian(x, sigma=1.0).sum()), 4)
    1.0
    """
    arr = as_grey(volume)
    spacing = as_spacing(spacing)
    sigma = in_voxels(as_length(sigma, "sigma", allow_zero=True), spacing)
    positive(truncate, "truncate")
    return ndimage.gaussian_filter(arr, sigma, mode=mode, truncate=truncate, output=np.float32)


def structuring_element(radius, spacing=1.0, footprint: str = "ball") -> np.ndarray:
    """The voxels within ``radius`` of the centre: a boolean array of odd shape.

    ``"ball"``: offsets ``k`` with ``Σ (k_i s_i)² ≤ r²`` (an ellipsoid in voxels on anisotropic
    spacing); ``"box"``: ``|k_i| s_i ≤ r_i`` along each axis. ``radius`` may differ per axis.
    Halving the spacing along an axis doubles the half-width in voxels along it.

    Examples
    --------
    >>> structuring_element(1.0).sum(), structuring_element(1.0, footprint="box").shape
    (np.int64(7), (3, 3, 3))
    >>> structuring_element(1.0, spacing=(1, 0.5, 0.5)).shape
    (3, 5, 5)
    """
    if footprint not in FOOTPRINTS:
        raise ParameterError(f"footprint must be one of {FOOTPRINTS}; got {footprint!r}")
    spacing = as_spacing(spacing)
    radius = as_length(radius, "radius")
    half = half_widths(radius, spacing)
    if not any(half):
        raise ParameterError(f"radius {radius} is smaller than every voxel size {spacing}: the footprint is "
                             "one voxel and the filter would do nothing")
    if footprint == "box":
        return np.ones([2 * h + 1 for h in half], bool)
    grids = np.ogrid[tuple(slice(-h, h + 1) for h in half)]
    scaled = sum((g / r_voxels) ** 2 for g, r_voxels in zip(grids, in_voxels(radius, spacing)))
    return scaled <= 1 + 1e-9


def _rank_or_mean(volume, radius, spacing, footprint, mode, box_filter, footprint_filter):
    arr = as_grey(volume)
    element = structuring_element(radius, spacing, footprint)
    if footprint == "box" and box_filter is not None:
        return box_filter(arr, size=element.shape, mode=mode, output=np.float32)
    return footprint_filter(arr, element, mode)


def median(volume, radius=1.0, spacing=1.0, footprint: str = "ball", mode: str = "reflect") -> np.ndarray:
    """Median of the grey values within ``radius`` of each voxel.

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values; any real dtype, converted to float32. NaN/inf are refused.
    radius : float or 3 floats > 0
        Radius of the neighbourhood in the units of ``spacing``; see :func:`structuring_element`.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    footprint : {"ball", "box"}
        Shape of the neighbourhood.
    mode : str
        Border handling of :mod:`scipy.ndimage` (default ``"reflect"``).

    Returns
    -------
    (Z, Y, X) float32 ndarray

    Examples
    --------
    >>> x = np.zeros((3, 3, 3), np.float32); x[1, 1, 1] = 9
    >>> float(median(x)[1, 1, 1])
    0.0
    """
    return _rank_or_mean(volume, radius, spacing, footprint, mode, None,
                         lambda a, e, m: ndimage.median_filter(a, footprint=e, mode=m, output=np.float32))


def mean(volume, radius=1.0, spacing=1.0, footprint: str = "ball", mode: str = "reflect") -> np.ndarray:
    """Mean of the grey values within ``radius`` of each voxel (box: a separable running mean).

    Parameters and returns as :func:`median`.

    Examples
    --------
    >>> x = np.zeros((3, 3, 3), np.float32); x[1, 1, 1] = 7
    >>> float(mean(x)[1, 1, 1])
    1.0
    """
    def ball_mean(a, element, m):
        return ndimage.correlate(a, (element / element.sum()).astype(np.float32), mode=m, output=np.float32)

    return _rank_or_mean(volume, radius, spacing, footprint, mode, ndimage.uniform_filter, ball_mean)


def minimum(volume, radius=1.0, spacing=1.0, footprint: str = "ball", mode: str = "reflect") -> np.ndarray:
    """Smallest grey value within ``radius`` of each voxel (grey-scale erosion).

    Parameters and returns as :func:`median`.

    Examples
    --------
    >>> x = np.ones((3, 3, 3), np.float32); x[1, 1, 0] = 0
    >>> float(minimum(x)[1, 1, 1]), float(minimum(x)[1, 0, 1])
    (0.0, 1.0)
    """
    return _rank_or_mean(volume, radius, spacing, footprint, mode, ndimage.minimum_filter,
                         lambda a, e, m: ndimage.minimum_filter(a, footprint=e, mode=m, output=np.float32))


def maximum(volume, radius=1.0, spacing=1.0, footprint: str = "ball", mode: str = "reflect") -> np.ndarray:
    """Largest grey value within ``radius`` of each voxel (grey-scale dilation).

    Parameters and returns as :func:`median`.

    Examples
    --------
    >>> x = np.zeros((3, 3, 3), np.float32); x[1, 1, 0] = 1
    >>> float(maximum(x)[1, 1, 1]), float(maximum(x)[1, 0, 1])
    (1.0, 0.0)
    """
    return _rank_or_mean(volume, radius, spacing, footprint, mode, ndimage.maximum_filter,
                         lambda a, e, m: ndimage.maximum_filter(a, footprint=e, mode=m, output=np.float32))
