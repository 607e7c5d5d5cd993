"""Slice-to-slice drift correction of a stack (FIB-SEM) by phase correlation."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import window
from skimage.registration import phase_cross_correlation

from microtwin._validation import as_axis
from microtwin.errors import ParameterError
from microtwin.filters._grey import as_grey, positive


def register_slices(volume, axis: int = 0, upsample_factor: int = 20, order: int = 1):
    """Align every slice to the one before it (translations), cumulatively from the first slice.

    The in-plane drift between consecutive slices ``k − 1`` and ``k`` is the peak of their
    cross-correlation, computed in Fourier space, with each slice less its mean and multiplied
    by a Hann window (so the image borders, which do not move with the sample, do not pull the
    peak to zero), refined to ``1 / upsample_factor`` voxel by matrix-multiply DFT upsampling
    around the peak (:func:`skimage.registration.phase_cross_correlation` with
    ``normalization=None``: on noisy slices of a changing 3D structure the whitened phase
    correlation is biased towards zero shift, the plain correlation much less). Drifts add up
    along the stack: slice ``k`` is moved by ``s_k = Σ_{i ≤ k} d_i`` (``s_0 = 0``) with
    :func:`scipy.ndimage.shift` (spline of ``order``, borders repeat the edge voxels). Errors of
    the pairwise estimates add up too, as a random walk; the structure must change little
    between neighbouring slices (slices thinner than its features). Measured: exact
    translations of a texture within 0.1 voxel; blurred balls drifting 0.3 voxel per slice,
    about 0.01–0.03 voxel per slice low on average, ±0.15 per slice.

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values; any real dtype, converted to float32. NaN/inf are refused.
    axis : int
        The slicing (milling) axis; the other two are the plane of each slice.
    upsample_factor : int ≥ 1
        Sub-voxel precision of each pairwise shift (1: whole voxels).
    order : int in 0…5
        Spline order of the interpolation that moves the slices.

    Returns
    -------
    corrected : (Z, Y, X) float32 ndarray
        The aligned stack.
    shifts : (N, 2) float64 ndarray
        The cumulative shift applied to each slice, in voxels, along the two in-plane axes in
        increasing axis order (multiply by their spacing for physical lengths).

    References
    ----------
    M. Guizar-Sicairos, S. T. Thurman and J. R. Fienup, "Efficient subpixel image registration
    algorithms", Opt. Lett. 33 (2008) 156–158.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sample = ndimage.gaussian_filter(rng.random((80, 80)), 2)
    >>> stack = np.stack([sample[8:72, 8:72], sample[5:69, 8:72]])  # the sample moved 3 voxels
    >>> corrected, shifts = register_slices(stack)
    >>> bool(np.allclose(shifts[1], [-3, 0], atol=0.2))
    True
    """
    axis = as_axis(axis)
    arr = np.moveaxis(as_grey(volume), axis, 0)
    upsample_factor = positive(upsample_factor, "upsample_factor", integer=True)
    if isinstance(order, bool) or order not in range(6):
        raise ParameterError(f"order must be an integer in 0…5; got {order!r}")
    if arr.shape[0] < 2 or min(arr.shape[1:]) < 2:
        raise ParameterError(f"register_slices needs ≥ 2 slices of ≥ 2×2 voxels; got shape {arr.shape} "
                             f"with axis {axis} as the slicing axis")
    hann = window("hann", arr.shape[1:]).astype(np.float32)
    shifts = np.zeros((arr.shape[0], 2))
    out = np.empty_like(arr)
    out[0] = arr[0]
    for k in range(1, arr.shape[0]):
        if np.ptp(arr[k - 1]) == 0 or np.ptp(arr[k]) == 0:
            raise ParameterError(f"slice {k - 1 if np.ptp(arr[k - 1]) == 0 else k} is constant: "
                                 "there is nothing to register it by")
        previous, current = (hann * (arr[i] - arr[i].mean(dtype=np.float64)) for i in (k - 1, k))
        step = phase_cross_correlation(previous, current, upsample_factor=upsample_factor, normalization=None)[0]
        shifts[k] = shifts[k - 1] + step
        ndimage.shift(arr[k], shifts[k], output=out[k], order=order, mode="nearest")
    return np.moveaxis(out, 0, axis), shifts
