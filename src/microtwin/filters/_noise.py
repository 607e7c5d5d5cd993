"""Noise level of a grey volume, estimated from the data (wavelet median absolute deviation)."""

from __future__ import annotations

import itertools

import numpy as np

from microtwin.errors import ParameterError
from microtwin.filters._grey import as_grey

#: median of |N(0, 1)|: the MAD of a standard normal variable
_MAD_NORMAL = 0.6744897501960817


def estimate_noise(volume) -> float:
    """Standard deviation of additive white noise in ``volume``, estimated robustly from the data.

    Donoho's wavelet estimator, as :func:`skimage.restoration.estimate_sigma` (which needs
    PyWavelets): ``σ = median |c| / 0.6745`` over the finest diagonal detail coefficients ``c``
    of a one-level orthonormal Haar transform, ``c = Σ_{v ∈ {0,1}³} (−1)^{v_z+v_y+v_x} u(2q + v) / √8``
    over the disjoint 2×2×2 blocks ``q``. White noise passes with its σ unchanged; anything
    smooth in any one direction (flat regions, planar ramps, most of an interface) cancels, and
    the median ignores the few blocks an edge does reach. Unlike skimage, coefficients that are
    exactly zero are kept: a noise-free piecewise-constant volume has σ = 0, not the size of its
    steps. For Poisson noise the result is a typical σ over the volume.

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values, at least 2 voxels along each axis; converted to float32; NaN/inf refused.

    Returns
    -------
    float
        σ in grey-value units (0 for a volume with no fine-scale variation at all).

    References
    ----------
    D. L. Donoho and I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
    Biometrika 81 (1994) 425–455.

    Examples
    --------
    >>> noise = np.random.default_rng(0).normal(0, 0.1, (32, 32, 32))
    >>> round(estimate_noise(noise), 2)
    0.1
    """
    arr = as_grey(volume)
    if min(arr.shape) < 2:
        raise ParameterError(f"noise estimation needs at least 2 voxels along each axis; got shape {arr.shape}")
    even = tuple(n - n % 2 for n in arr.shape)
    detail = np.zeros([n // 2 for n in even], np.float32)
    for v in itertools.product((0, 1), repeat=3):
        block = arr[tuple(slice(o, n, 2) for o, n in zip(v, even))]
        detail += block if sum(v) % 2 == 0 else -block
    return float(np.median(np.abs(detail)) / np.sqrt(8.0) / _MAD_NORMAL)


def noise_or_given(volume, sigma, what: str) -> float:
    """``sigma`` checked to be > 0, or estimated from ``volume``; a noise-free volume is an error."""
    if sigma is not None:
        if isinstance(sigma, bool) or not np.isfinite(sigma) or sigma <= 0:
            raise ParameterError(f"sigma (noise level) must be a finite number > 0; got {sigma!r}")
        return float(sigma)
    estimate = estimate_noise(volume)
    if estimate <= 0:
        raise ParameterError(f"{what}: the noise level estimated from the volume is 0 (is it constant or "
                             "noise-free?); pass the noise level sigma explicitly")
    return estimate
