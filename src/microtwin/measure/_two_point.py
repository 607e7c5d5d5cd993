"""Two-point coverage probability C(h) = P(x ∈ X, x + h ∈ Y), by FFT with non-periodic normalisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft
from numba import njit

from microtwin._results import Result
from microtwin._validation import as_phase, as_spacing
from microtwin.errors import EmptyPhaseError, ParameterError

_WORKERS = -1  # scipy.fft threads: every core


@dataclass(frozen=True, eq=False)
class TwoPoint(Result):
    """Two-point coverage probability of a phase X with a phase Y (Y = X by default).

    All lengths are in the units of ``spacing``; probabilities are in [0, 1].

    Attributes
    ----------
    distance : ndarray
        Mean lag length |h| of the lags falling in each radial bin (bins holding no lag are
        dropped); ``distance[0] = 0`` with the default bins.
    probability : ndarray
        Radially averaged C(|h|): the mean of C(h) over the lags of each bin (C(0) first).
    per_axis : tuple of three (lags, C) pairs
        C along axis z, y, x: ``lags = k·s_i`` for k = 0 … L_i and C averaged over ±h
        (for Y = X both are equal; for Y ≠ X this is (C_XY + C_YX) / 2).
    volume_fraction : float
        V_X, the volume fraction of X.
    other_fraction : float
        V_Y, the volume fraction of Y (equal to ``volume_fraction`` for the auto-correlation).
    max_distance : float
        Largest lag length used.
    """

    distance: np.ndarray
    probability: np.ndarray
    per_axis: tuple
    volume_fraction: float
    other_fraction: float
    max_distance: float

    @property
    def covariance(self) -> np.ndarray:
        """Centred radial curve C(|h|) − V_X·V_Y (→ 0 at large |h| for a homogeneous structure)."""
        return self.probability - self.volume_fraction * self.other_fraction

    def correlation_length(self, level: float = float(np.exp(-1.0))) -> float | None:
        """First |h| where the normalised covariance (C − V_X V_Y)/(C(0) − V_X V_Y) falls to ``level``.

        C(0) is the first radial bin (the zero lag alone with the default bins). Linearly
        interpolated between bins, in the units of spacing; ``None`` when the curve stays above
        ``level`` up to ``max_distance``. Raises :class:`EmptyPhaseError` when the covariance is
        identically 0 (a phase that is empty or fills the window).
        """
        if not 0 < level < 1:
            raise ParameterError(f"level must be in (0, 1); got {level}")
        centred = self.covariance
        if abs(centred[0]) < 1e-6:  # single-precision round-off of an identically-0 covariance
            raise EmptyPhaseError("the covariance is identically 0: a phase is empty or fills the window")
        rho = centred / centred[0]
        below = np.flatnonzero(rho <= level)
        if below.size == 0:
            return None
        i = below[0]
        d0, d1, r0, r1 = self.distance[i - 1], self.distance[i], rho[i - 1], rho[i]
        return float(d0 + (r0 - level) / (r0 - r1) * (d1 - d0))


def two_point(phase, spacing=1, other=None, max_distance=None, bins=None) -> TwoPoint:
    """Two-point coverage probability C(h) = P(x ∈ X, x + h ∈ Y) along the axes and radially averaged.

    The lag-h correlation Σ_x 1_X(x)·1_Y(x + h) is computed for every lag of the box
    |h_i| ≤ L_i = ⌊max_distance / s_i⌋ at once by FFT (real, single-precision transforms on arrays
    zero-padded to n_i + L_i, so nothing wraps around), then divided by the number of voxel pairs
    at that lag, Π_i (n_i − |h_i|), the autocorrelation of the window. This non-periodic
    estimator is unbiased for any structure, also one with a trend (Ohser & Mücklich 2000),
    unlike the periodic FFT estimator. C(0) = V_X for Y = X, and C(h) → V_X·V_Y at large |h|
    for a homogeneous structure.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
        The phase X.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx); lags are in these units, anisotropic spacing is handled exactly.
    other : (Z, Y, X) bool ndarray, optional
        The phase Y for a cross-correlation; X by default.
    max_distance : float, optional
        Largest |h|; default half the smallest box extent min_i(n_i·s_i)/2, at most
        min_i((n_i − 1)·s_i) (the longest lag available along every axis).
    bins : int or 1-D array, optional
        Radial bins: default one bin per smallest voxel size w centred on k·w
        (edges 0, w/2, 3w/2, …); an int gives that many equal bins on [0, max_distance];
        an array gives the edges.

    Returns
    -------
    TwoPoint
        Radial curve, per-axis curves and volume fractions (lengths in the units of spacing).

    References
    ----------
    J. Ohser, F. Mücklich, "Statistical Analysis of Microstructures in Materials Science",
    Wiley 2000. S. Torquato, "Random Heterogeneous Materials", Springer 2002, ch. 2.

    Examples
    --------
    >>> x = np.zeros((8, 8, 8), bool); x[:, :, :4] = True
    >>> tp = two_point(x)
    >>> np.round(tp.per_axis[2][1][:3], 4).tolist()  # along x: C(0) = V_X, then (4 - k) / (8 - k) / 2
    [0.5, 0.4286, 0.3333]
    """
    x = as_phase(phase)
    y = x if other is None else as_phase(other, "other")
    if y.shape != x.shape:
        raise ParameterError(f"other must have the shape of phase {x.shape}; got {y.shape}")
    spacing = np.asarray(as_spacing(spacing))
    shape = np.asarray(x.shape)
    reach = float(np.min((shape - 1) * spacing))
    if reach == 0:
        raise ParameterError(f"phase needs at least 2 voxels along every axis; got shape {x.shape}")
    edges = None if bins is None or isinstance(bins, (int, np.integer)) else _checked_edges(bins)
    if max_distance is None:
        max_distance = min(float(np.min(shape * spacing)) / 2 if edges is None else float(edges[-1]), reach)
    if not 0 < max_distance <= reach:
        raise ParameterError(f"max_distance must be in (0, {reach:g}] (longest lag along every axis); "
                             f"got {max_distance}")
    if edges is None:
        edges = _bin_edges(bins, float(max_distance), float(np.min(spacing)))
    lags = np.minimum(np.floor(max_distance / spacing * (1 + 1e-12)).astype(np.int64), shape - 1)
    box = _correlation_box(x, None if other is None else y, lags)
    sums, counts, lengths = _radial_sums(box, spacing, lags, edges, float(max_distance))
    keep = counts > 0
    centre = tuple(lags)
    per_axis = []
    for axis in range(3):
        line = box[centre[:axis] + (slice(None),) + centre[axis + 1:]].astype(np.float64)
        k = np.arange(lags[axis] + 1)
        per_axis.append((k * spacing[axis], (line[lags[axis] + k] + line[lags[axis] - k]) / 2))
    return TwoPoint(
        distance=lengths[keep] / counts[keep],
        probability=sums[keep] / counts[keep],
        per_axis=tuple(per_axis),
        volume_fraction=np.count_nonzero(x) / x.size,
        other_fraction=np.count_nonzero(y) / y.size,
        max_distance=float(max_distance),
    )


def _bin_edges(bins, max_distance: float, width: float) -> np.ndarray:
    """Radial bin edges for ``bins`` None (one per voxel size ``width``) or a number of bins."""
    if bins is None:
        count = int(np.floor(max_distance / width + 0.5))
        return np.concatenate([[0.0], (np.arange(count + 1) + 0.5) * width])
    if bins < 1:
        raise ParameterError(f"bins must be ≥ 1; got {bins}")
    return np.linspace(0.0, max_distance, int(bins) + 1)


def _checked_edges(bins) -> np.ndarray:
    """Radial bin edges given as an array: ≥ 2, increasing, from ≥ 0."""
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or edges[0] < 0 or np.any(np.diff(edges) <= 0):
        raise ParameterError(f"bins must be ≥ 2 increasing edges ≥ 0; got {bins!r}")
    return edges


def _lag_index(padded: int, lag: int) -> np.ndarray:
    """Positions of lags −lag … lag in a circular correlation of length ``padded``."""
    return np.r_[padded - lag:padded, 0:lag + 1]


def _spectrum(a: np.ndarray, padded) -> np.ndarray:
    """Real FFT of ``a`` zero-padded to ``padded``, one axis at a time (zero rows are not transformed)."""
    f = sfft.rfft(a.astype(np.float32), n=padded[2], axis=2, workers=_WORKERS)
    f = sfft.fft(f, n=padded[1], axis=1, workers=_WORKERS, overwrite_x=True)
    return sfft.fft(f, n=padded[0], axis=0, workers=_WORKERS, overwrite_x=True)


def _correlation_box(x: np.ndarray, y: np.ndarray | None, lags) -> np.ndarray:
    """C(h) = Σ_x X(x)Y(x+h) / Π(n_i − |h_i|) for |h_i| ≤ lags_i, float32, zero lag at index ``lags``.

    ``y=None`` means Y = X (one forward transform, real power spectrum).
    """
    shape = x.shape
    padded = [sfft.next_fast_len(int(n + lag), real=(axis == 2))
              for axis, (n, lag) in enumerate(zip(shape, lags))]
    f = _spectrum(x, padded)
    if y is None:
        f = np.abs(f)  # |F|², real float32
        np.square(f, out=f)
    else:
        np.conjugate(f, out=f)
        f *= _spectrum(y, padded)  # conj(F_X)·F_Y ↔ Σ_x X(x) Y(x + h)
    for axis in (0, 1):
        f = sfft.ifft(f, axis=axis, workers=_WORKERS, overwrite_x=True)
        f = np.take(f, _lag_index(padded[axis], lags[axis]), axis=axis)
    f = sfft.irfft(f, n=padded[2], axis=2, workers=_WORKERS, overwrite_x=True)
    box = np.take(f, _lag_index(padded[2], lags[2]), axis=2)
    del f
    for axis, (n, lag) in enumerate(zip(shape, lags)):
        pairs = (n - np.abs(np.arange(-lag, lag + 1))).astype(np.float32)
        box /= pairs.reshape([-1 if a == axis else 1 for a in range(3)])
    return box


@njit(cache=True)
def _radial_sums(box, spacing, lags, edges, max_distance):
    """Per radial bin: sum of C, number of lags, sum of |h| over the lags with |h| ≤ max_distance."""
    nbins = edges.size - 1
    sums = np.zeros(nbins)
    counts = np.zeros(nbins, np.int64)
    lengths = np.zeros(nbins)
    top = min(max_distance * (1 + 1e-12), edges[-1])
    for a in range(box.shape[0]):
        hz = (a - lags[0]) * spacing[0]
        for b in range(box.shape[1]):
            hy = (b - lags[1]) * spacing[1]
            for c in range(box.shape[2]):
                hx = (c - lags[2]) * spacing[2]
                d = np.sqrt(hz * hz + hy * hy + hx * hx)
                if d > top or d < edges[0]:
                    continue
                i = min(np.searchsorted(edges, d, side="right") - 1, nbins - 1)
                sums[i] += box[a, b, c]
                counts[i] += 1
                lengths[i] += d
    return sums, counts, lengths
