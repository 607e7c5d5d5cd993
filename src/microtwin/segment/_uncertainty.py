"""Ensembles of plausible segmentations drawn from posterior maps, with spatially correlated noise.

A segmentation is one draw, not the truth. :func:`sample_ensemble` turns the per-voxel class
posteriors ``p_k(x)`` of a :class:`~microtwin.segment.Segmentation` into ``n`` label images whose
voxels follow those posteriors but whose errors are spatially coherent (a boundary moves as a
whole instead of fraying into salt-and-pepper noise); :func:`propagate` runs any descriptor over
the members and reports mean, standard deviation and an empirical interval.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from scipy import ndimage, special

from microtwin._validation import as_spacing
from microtwin.errors import DimensionError, DTypeError, ParameterError
from microtwin.segment._result import Segmentation

#: the Gaussian smoothing kernel is truncated at this many standard deviations
_TRUNCATE = 4.0


def _kernel(sigma: float) -> np.ndarray:
    """Normalised 1D Gaussian kernel of standard deviation ``sigma`` voxels, truncated at 4σ."""
    radius = int(np.ceil(_TRUNCATE * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / sigma) ** 2) if sigma > 0 else (x == 0).astype(np.float64)
    return w / w.sum()


def gaussian_field(shape, correlation_length, seed=0, spacing=1.0) -> np.ndarray:
    """A stationary Gaussian random field of mean 0, variance 1 and Gaussian correlation.

    White noise is smoothed by a separable Gaussian kernel of standard deviation
    ``s_i = ℓ / (√2 · spacing_i)`` voxels along axis ``i``, whose autocorrelation is
    ``ρ(r) = exp(−|r|² / (2ℓ²))`` (``r`` in the units of ``spacing``), and divided by the exact
    standard deviation of filtered unit white noise, ``√(Π_i Σ_j w_ij²)`` (``w_ij`` the
    discrete kernel weights). The noise is drawn on the volume padded by the kernel radius and
    the padding cropped, so every voxel, borders included, has variance exactly 1.
    ``correlation_length = 0`` gives white noise.

    Parameters
    ----------
    shape : 3 ints
    correlation_length : float ≥ 0
        ℓ, in the units of ``spacing``.
    seed : int or numpy.random.Generator
    spacing : float or 3 floats

    Returns
    -------
    (Z, Y, X) float32 ndarray

    Examples
    --------
    >>> g = gaussian_field((32, 32, 32), 2.0, seed=0)
    >>> g.dtype, bool(abs(g.std() - 1) < 0.1)
    (dtype('float32'), True)
    """
    spacing = as_spacing(spacing)
    shape = tuple(int(n) for n in shape)
    ell = _checked_length(correlation_length)
    rng = np.random.default_rng(seed)
    if ell == 0:
        return rng.standard_normal(shape, dtype=np.float32)
    kernels = [_kernel(ell / (np.sqrt(2.0) * s)) for s in spacing]
    pads = [k.size // 2 for k in kernels]
    field = rng.standard_normal([n + 2 * p for n, p in zip(shape, pads)], dtype=np.float32)
    for axis, k in enumerate(kernels):
        if k.size > 1:
            ndimage.correlate1d(field, k, axis=axis, output=field, mode="constant")
    inner = field[tuple(slice(p, p + n) for p, n in zip(pads, shape))]
    norm = np.sqrt(np.prod([np.sum(k**2) for k in kernels]))
    return np.ascontiguousarray(inner) / np.float32(norm)


@njit(cache=True, parallel=True)
def _assign(u, probabilities, out):
    """``out[x]`` = first class ``k`` with ``u(x) · Σ_j p_j(x) < Σ_{j≤k} p_j(x)`` (the last class otherwise)."""
    n_classes = probabilities.shape[0]
    n = u.size
    for i in prange(n):
        total = 0.0
        for k in range(n_classes):
            total += probabilities[k, i]
        target = u[i] * total
        cumulative = 0.0
        label = n_classes - 1
        for k in range(n_classes - 1):
            cumulative += probabilities[k, i]
            if target < cumulative:
                label = k
                break
        out[i] = label


def _checked_length(correlation_length) -> float:
    try:
        ell = float(correlation_length)
    except (TypeError, ValueError):
        raise ParameterError(f"correlation_length must be a number ≥ 0; got {correlation_length!r}") from None
    if not (np.isfinite(ell) and ell >= 0):
        raise ParameterError(f"correlation_length must be finite and ≥ 0; got {correlation_length!r}")
    return ell


def _checked_segmentation(segmentation) -> Segmentation:
    if not isinstance(segmentation, Segmentation):
        raise DTypeError(f"segmentation must be a microtwin Segmentation; got {type(segmentation).__name__}")
    if segmentation.probabilities is None:
        raise ParameterError(
            "the segmentation has no probabilities (a hard method such as a threshold); "
            "use a method that gives posteriors (gmm, mrf, a random forest)"
        )
    if max(segmentation.classes) > 255:
        raise ParameterError(f"class labels must fit in uint8; got {max(segmentation.classes)}")
    return segmentation


def sample_ensemble(segmentation, n, correlation_length, seed=0, spacing=1.0) -> np.ndarray:
    """``n`` plausible label images drawn from the posterior maps of a segmentation.

    For each member a Gaussian random field ``G`` of unit variance and correlation length ℓ
    (:func:`gaussian_field`) is mapped to a uniform field ``U = Φ(G)``, and voxel ``x`` takes
    the class ``k`` whose cumulative posterior interval ``[Σ_{j<k} p_j(x), Σ_{j≤k} p_j(x))``
    contains ``U(x)``. Every voxel therefore has class ``k`` with probability ``p_k(x)``
    exactly, and the expected phase fractions of the members are ``mean_x p_k(x)``; because
    ``U`` is smooth on the scale ℓ, neighbouring uncertain voxels switch together: a blurred
    boundary is displaced as a whole. A boundary whose uncertain band has width ``w`` is moved
    by about ``w·G``, which roughens it and adds surface area in proportion to ``(w/ℓ)²``,
    while the phase fractions keep their exact expectation for any ℓ. ``correlation_length=0``
    samples every voxel independently, which frays boundaries into salt-and-pepper noise (+34 %
    S_V in the tests) — offered to show why it is wrong.

    Choosing ℓ: with the partial-volume posteriors of :func:`gmm` on a lightly denoised scan
    (blur 1 voxel, Gaussian prefilter σ = 1), ℓ = 5 voxels (≈ 3.5× the combined blur) gave
    members whose S_V exceeds that of the most probable labels by ≈ 6 %, which happens to offset
    the ≈ 5–10 % of surface the blur removes from smooth structures; the 95 % intervals of
    porosity and S_V then covered the truth in 20/20 trials. Without denoising, noise roughens
    every member (+20–30 % S_V); on creased structures (overlapping balls) or features near the
    blur scale the S_V interval does not cover the truth — the blur's loss of surface is not an
    uncertainty the posteriors know about. Porosity intervals cover whenever the posteriors are
    calibrated (partial-volume voxels included: a pure-phase mixture is biased by several per
    cent at blurred edges, far beyond the ensemble spread).

    Members are generated one by one (one float32 field at a time); member ``i`` uses its own
    random stream spawned from ``seed``, so the first members do not depend on ``n``.

    Parameters
    ----------
    segmentation : Segmentation
        With ``probabilities`` (K, Z, Y, X).
    n : int ≥ 1
        Number of members.
    correlation_length : float ≥ 0
        ℓ of the Gaussian correlation ``exp(−r²/2ℓ²)``, in the units of ``spacing``.
    seed : int or numpy.random.Generator
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    (n, Z, Y, X) uint8 ndarray
        Label images with values in ``segmentation.classes``.

    References
    ----------
    The Gaussian-copula (probability-field) simulation of categorical variables:
    R. M. Srivastava, "Reservoir characterization with probability field simulation",
    SPE 24753 (1992); A. G. Journel, "Geostatistics for conditional simulation of ore bodies",
    Economic Geology 69 (1974).

    Examples
    --------
    >>> p = np.zeros((2, 8, 8, 8), np.float32); p[0, :4], p[1, 4:] = 1, 1; p[:, 3:5] = 0.5
    >>> seg = Segmentation(np.argmax(p, axis=0).astype(np.uint8), p, (0, 1))
    >>> members = sample_ensemble(seg, 4, correlation_length=2.0, seed=0)
    >>> members.shape, bool((members[:, :3] == 0).all() and (members[:, 5:] == 1).all())
    ((4, 8, 8, 8), True)
    """
    seg = _checked_segmentation(segmentation)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n must be an integer ≥ 1; got {n!r}")
    ell = _checked_length(correlation_length)
    spacing = as_spacing(spacing)
    if seg.labels.ndim != 3:
        raise DimensionError(f"labels must be 3D; got shape {seg.labels.shape}")
    shape = seg.labels.shape
    probabilities = seg.probabilities.reshape(len(seg.classes), -1)
    lookup = np.asarray(seg.classes, dtype=np.uint8)
    streams = np.random.default_rng(seed).spawn(int(n))
    out = np.empty((int(n), *shape), dtype=np.uint8)
    index = np.empty(int(np.prod(shape)), dtype=np.uint8)
    for member, stream in enumerate(streams):
        u = special.ndtr(gaussian_field(shape, ell, stream, spacing)).ravel()
        _assign(u, probabilities, index)
        out[member] = lookup[index].reshape(shape)
    return out
