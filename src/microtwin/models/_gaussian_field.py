"""Stationary Gaussian random fields on a voxel grid, by circulant embedding of the covariance.

The field is drawn on a periodic grid larger than the requested one and cropped. On a periodic
grid of ``m = (m_z, m_y, m_x)`` voxels the covariance matrix of the wrapped correlation function
``c(d) = ρ(|(min(d_i, m_i − d_i)·s_i)_i|)`` is block-circulant: the FFT diagonalises it, with
eigenvalues ``λ = DFT(c)``, so ``Z = IDFT(√λ · DFT(W))`` for white noise ``W`` has covariance
exactly ``c`` wherever ``λ ≥ 0`` (Wood & Chan 1994; Dietrich & Newsam 1997).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

from microtwin._validation import as_spacing
from microtwin.errors import DimensionError, ParameterError

_WORKERS = -1  # scipy.fft threads: every core
#: the grid is padded until |ρ| has fallen to this at every longer lag ...
DECAY = 1e-3
#: ... but by at most max(3n, 64) voxels along an axis of n voxels (fields far wider than the window)
_MAX_PAD_FACTOR, _MAX_PAD_MIN = 3, 64
#: warn when the simulated covariance differs from ρ by more than this after clipping
WARN_ERROR = 1e-2


@dataclass(frozen=True, eq=False)
class CirculantEmbedding:
    """The periodic grid a field is drawn on, and how exactly it reproduces ρ.

    Attributes
    ----------
    padded_shape : tuple of 3 ints
        The periodic grid ``m`` (even, FFT-friendly sizes; 1 along an axis of one voxel).
    sqrt_eigenvalues : (m_z//2+1, m_y//2+1, m_x//2+1) float32 ndarray
        √λ on the non-negative frequencies (λ is even in every frequency), after clipping.
    clipped : float
        Σ|λ⁻| / Σλ, the share of the spectrum's mass that was negative and set to 0 (the rest
        is then rescaled so that the variance stays 1).
    covariance_error : float
        max |c_simulated(d) − ρ(|d|)| over the lags of the padded grid's first octant (every lag
        of the output up to half the padded size); 0 when nothing was clipped.
    """

    padded_shape: tuple
    sqrt_eigenvalues: np.ndarray
    clipped: float
    covariance_error: float


def _checked_shape(shape) -> tuple[int, int, int]:
    try:
        values = tuple(shape)
    except TypeError:
        raise DimensionError(f"shape must be 3 integers (z, y, x); got {shape!r}") from None
    if len(values) != 3:
        raise DimensionError(f"shape must be 3 integers (z, y, x); got {len(values)}: {shape!r}")
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in values):
        raise ParameterError(f"shape entries must be integers ≥ 1; got {shape!r}")
    return tuple(int(n) for n in values)


def _evaluate(covariance, h: np.ndarray) -> np.ndarray:
    """ρ(h) as a finite float64 array of the shape of ``h``, or :class:`ParameterError`."""
    rho = np.asarray(covariance(h), dtype=np.float64)
    if rho.shape != h.shape or not np.all(np.isfinite(rho)):
        raise ParameterError(f"covariance {covariance!r} must map an array of distances to finite values "
                             f"of the same shape; got shape {rho.shape} for {h.shape}")
    return rho


def _checked_covariance(covariance):
    if not callable(covariance):
        raise ParameterError(f"covariance must be a callable ρ(h), e.g. cauchy(eta); got {covariance!r}")
    at_zero = float(_evaluate(covariance, np.zeros(1))[0])
    if abs(at_zero - 1.0) > 1e-9:
        raise ParameterError(f"covariance must be a correlation function with ρ(0) = 1; got ρ(0) = {at_zero!r}")
    return covariance


def _padding(covariance, step: float, n: int) -> int:
    """The largest lag k (voxels) with |ρ(k·step)| > DECAY, at most max(3n, 64)."""
    limit = max(_MAX_PAD_FACTOR * n, _MAX_PAD_MIN)
    lags = np.arange(1, limit + 1)
    above = np.flatnonzero(np.abs(_evaluate(covariance, lags * step)) > DECAY)
    return int(lags[above[-1]]) if above.size else 0


def _padded_length(n: int, pad: int) -> int:
    """The smallest even 5-smooth length ≥ pad + max(n, pad) (1 for an axis of one voxel: no lag to embed).

    ≥ n + pad: a lag of the output wraps to one longer than ``pad``; ≥ 2·pad: the wrapped
    covariance is cut at half the period, where |ρ| ≤ DECAY (a cut where ρ is still large makes
    negative eigenvalues).
    """
    return 1 if n == 1 else 2 * sfft.next_fast_len(math.ceil((pad + max(n, pad)) / 2), real=True)


def _multiplicity(m: int) -> np.ndarray:
    """How often each non-negative frequency 0 … m//2 occurs among the m frequencies."""
    weights = np.full(m // 2 + 1, 2.0)
    weights[0] = 1.0
    weights[-1] = 1.0
    return weights


def circulant_embedding(shape, spacing, covariance) -> CirculantEmbedding:
    """The circulant embedding used by :func:`gaussian_field` (grid, √eigenvalues, clipping).

    Along an axis of ``n`` voxels, let ``p`` be the longest lag at which |ρ| still exceeds
    ``DECAY`` = 10⁻³ (at most max(3n, 64) voxels); the period is the next even FFT-friendly size
    ``m ≥ p + max(n, p)``. Every lag of the output then either lies within ``m/2`` (covariance
    exact) or wraps to a lag where |ρ| ≤ 10⁻³, as is the target, and the wrapped covariance is
    cut where it has decayed, which keeps the eigenvalues non-negative for the built-in kernels.
    ``c`` is even along each axis, so only its first octant is evaluated, and its eigenvalues are
    the type-I discrete cosine transform of that octant.

    Parameters
    ----------
    shape, spacing, covariance
        As for :func:`gaussian_field`.

    Returns
    -------
    CirculantEmbedding
        The padded grid, √λ, the clipped share of the spectrum and the resulting covariance error.

    Examples
    --------
    >>> from microtwin.models import cauchy
    >>> plan = circulant_embedding((400, 400, 400), 40.0, cauchy(0.0127))
    >>> plan.padded_shape, plan.covariance_error < 1e-3
    ((480, 480, 480), True)
    """
    shape, spacing = _checked_shape(shape), as_spacing(spacing)
    covariance = _checked_covariance(covariance)
    padded = tuple(_padded_length(n, _padding(covariance, s, n)) for n, s in zip(shape, spacing))
    lags = [np.arange(m // 2 + 1) * s for m, s in zip(padded, spacing)]
    wrapped = _evaluate(covariance, np.sqrt(lags[0][:, None, None] ** 2 + lags[1][None, :, None] ** 2
                                            + lags[2][None, None, :] ** 2))
    axes = [i for i, m in enumerate(padded) if m > 1]
    eigenvalues = sfft.dctn(wrapped, type=1, axes=axes, workers=_WORKERS) if axes else wrapped.copy()
    weights = [_multiplicity(m) for m in padded]
    total = float(np.prod(padded))  # = Σλ over all frequencies, since c(0) = ρ(0) = 1
    clipped = abs(float(np.einsum("ijk,i,j,k->", np.minimum(eigenvalues, 0.0), *weights))) / total
    error = 0.0
    if clipped > 0:
        np.maximum(eigenvalues, 0.0, out=eigenvalues)
        eigenvalues *= total / np.einsum("ijk,i,j,k->", eigenvalues, *weights)
        simulated = sfft.idctn(eigenvalues, type=1, axes=axes, workers=_WORKERS) if axes else eigenvalues
        error = float(np.max(np.abs(simulated - wrapped)))
    return CirculantEmbedding(padded, np.sqrt(eigenvalues).astype(np.float32), clipped, error)


def gaussian_field(shape, spacing, covariance, seed=0) -> np.ndarray:
    """A stationary Gaussian random field of mean 0, variance 1 and correlation function ρ.

    Circulant embedding: white noise ``W`` on a periodic grid of ``m`` voxels is filtered in
    Fourier space, ``Z = IDFT(√λ · DFT(W))``, where ``λ`` are the eigenvalues of the wrapped
    covariance ``c`` (see :func:`circulant_embedding`), and the first ``shape`` voxels are kept. Each axis
    is padded until |ρ| ≤ 10⁻³, so the covariance of the output matches ρ to 10⁻³ at every lag
    (exactly up to half the padded size). Negative eigenvalues — round-off, or a correlation
    length comparable to the window — are set to 0 and the spectrum rescaled to variance 1;
    a ``RuntimeWarning`` reports it when the simulated covariance then differs from ρ by more
    than 0.01 somewhere (enlarge the window to avoid it).

    Memory: one float32 array of the padded grid and its complex64 half-spectrum (about
    8 bytes per padded voxel), plus the output. For the Cauchy covariance with
    η = 0.0127 nm⁻¹ at 40 nm, a 400³ field is drawn on a 480³ grid.

    Parameters
    ----------
    shape : 3 ints
        (Z, Y, X) voxels.
    spacing : float or 3 floats
        Voxel size (z, y, x), in the units the covariance's lengths are given in (e.g. nm).
    covariance : callable
        ρ(h) with ρ(0) = 1, positive definite in 3D: :func:`cauchy`, :func:`exponential`,
        :func:`gaussian`, :func:`matern`, or any vectorised function of distance.
    seed : int or numpy.random.Generator

    Returns
    -------
    (Z, Y, X) float32 ndarray

    References
    ----------
    Wood, A. T. A. & Chan, G. (1994). Simulation of stationary Gaussian processes in [0, 1]^d.
    J. Comput. Graph. Stat. 3, 409–432.
    Dietrich, C. R. & Newsam, G. N. (1997). Fast and exact simulation of stationary Gaussian
    processes through circulant embedding of the covariance matrix. SIAM J. Sci. Comput. 18, 1088–1107.

    Examples
    --------
    >>> from microtwin.models import cauchy
    >>> z = gaussian_field((32, 32, 32), 40.0, cauchy(0.0127), seed=1)
    >>> z.shape, z.dtype
    ((32, 32, 32), dtype('float32'))
    """
    shape = _checked_shape(shape)
    plan = circulant_embedding(shape, spacing, covariance)
    if plan.covariance_error > WARN_ERROR:
        warnings.warn(f"gaussian_field: {plan.clipped:.2%} of the covariance spectrum was negative and clipped; "
                      f"the simulated covariance differs from {covariance!r} by up to {plan.covariance_error:.3f} "
                      f"(the correlation length is large for a {shape} window; enlarge it)",
                      RuntimeWarning, stacklevel=2)
    noise = np.random.default_rng(seed).standard_normal(plan.padded_shape, dtype=np.float32)
    spectrum = sfft.rfftn(noise, workers=_WORKERS)
    del noise
    m_z, m_y, _ = plan.padded_shape
    fold_z = np.minimum(np.arange(m_z), m_z - np.arange(m_z))  # frequency k and m − k share λ
    fold_y = np.minimum(np.arange(m_y), m_y - np.arange(m_y))
    for k in range(m_z):
        spectrum[k] *= plan.sqrt_eigenvalues[fold_z[k]][fold_y]
    # irfftn in two steps: scipy's multi-axis c2r would copy the whole spectrum first
    spectrum = sfft.ifftn(spectrum, axes=(0, 1), workers=_WORKERS, overwrite_x=True)
    field = sfft.irfft(spectrum, n=plan.padded_shape[2], axis=2, workers=_WORKERS, overwrite_x=True)
    del spectrum
    return np.ascontiguousarray(field[: shape[0], : shape[1], : shape[2]])
