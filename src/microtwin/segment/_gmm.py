"""Gaussian mixture of grey values fitted by EM on a fine histogram, with per-voxel posteriors."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from numba import njit, prange
from skimage.filters import threshold_multiotsu

from microtwin.errors import EmptyPhaseError, ParameterError
from microtwin.segment._partial_volume import (
    PV_LEVELS,
    component_weights,
    fraction_matrix,
    pv_em,
    start_weights,
)
from microtwin.segment._result import Segmentation
from microtwin.segment._threshold import as_grey, as_phase_count

#: histogram bins for float volumes: bin width h = range / 2**14, so (h²/12)/σ² < 1e-4 for any
#: component wider than 1/500 of the grey range
FINE_BINS = 2**14
#: most histogram bins of the partial-volume fit, whose 32 (K − 1) mixel cells make each bin 30-60 times
#: dearer: h = range / 2048 still gives (h²/12)/σ² < 1e-3 for components wider than 1/200 of the range
PV_BINS = 2**11
#: bins of the coarse histogram on which multi-Otsu picks the starting classes
COARSE_BINS = 256


@njit(cache=True)
def _histogram(values, low, scale, n_bins):
    """Counts of ``values`` in bins ``floor((v - low) · scale)`` (the top edge falls in the last bin)."""
    counts = np.zeros(n_bins, np.int64)
    for v in values:
        b = min(int((v - low) * scale), n_bins - 1)
        counts[b] += 1
    return counts


@njit(parallel=True, cache=True)
def _fractions(volume, means, half_precisions, log_norms, matrix, out, labels):
    """``out[k] = Σ_c r_c A_ck`` with ``r_c = π_c N(v; m_c, s_c) / Σ_j π_j N(v; m_j, s_j)``; ``labels = argmax_k``.

    ``matrix`` is the (C, K) matrix ``A`` of the phase fractions of each component (the identity
    for a plain mixture, whose ``out`` is then the component posteriors).
    """
    n_components, n_classes = matrix.shape
    nz, ny, nx = volume.shape
    for z in prange(nz):
        logit = np.empty(n_components)
        fraction = np.empty(n_classes)
        for y in range(ny):
            for x in range(nx):
                v = np.float64(volume[z, y, x])
                best = -np.inf
                for c in range(n_components):
                    d = v - means[c]
                    logit[c] = log_norms[c] - d * d * half_precisions[c]
                    best = max(best, logit[c])
                total = 0.0
                fraction[:] = 0.0
                for c in range(n_components):
                    r = np.exp(logit[c] - best)
                    total += r
                    for k in range(n_classes):
                        fraction[k] += r * matrix[c, k]
                arg = 0
                for k in range(n_classes):
                    out[k, z, y, x] = fraction[k] / total
                    if fraction[k] > fraction[arg]:
                        arg = k
                labels[z, y, x] = arg


def _binned(volume, sample, seed, n_bins):
    """Histogram of the grey values: (bin centres, counts of the non-empty bins, bin width, exact).

    Integer volumes whose range fits in ``n_bins`` get one bin per value (exact: the EM below is
    then the EM of the data); others get ``n_bins`` bins of width ``h`` across the range.
    """
    low, high = float(volume.min()), float(volume.max())
    exact = np.issubdtype(volume.dtype, np.integer) and high - low + 1 <= n_bins
    if exact:
        width, n = 1.0, int(high - low) + 1
    else:
        width, n = (high - low) / n_bins, n_bins
    if sample is None:
        values = volume.reshape(-1)
    else:
        index = np.random.default_rng(seed).integers(0, volume.size, sample)
        values = volume.reshape(-1)[index]
    counts = _histogram(values, low, 1.0 / width, n)
    centres = low + (np.arange(n) + (0.0 if exact else 0.5)) * width
    filled = counts > 0
    return centres[filled], counts[filled].astype(np.float64), width, exact


def _start(centres, counts, n_phases, init):
    """Starting means, variances and weights: from multi-Otsu classes, equal-count classes, or given means.

    A class-based start with an empty class falls back to equal-count classes, then to means at
    the quantiles of the occupied grey values.
    """
    if not isinstance(init, str):
        means = np.asarray(init, dtype=np.float64)
        if means.shape != (n_phases,) or not np.all(np.isfinite(means)):
            raise ParameterError(f"init means must be {n_phases} finite numbers; got {init!r}")
        return _around(np.sort(means), centres)
    if init not in ("multi_otsu", "quantiles"):
        raise ParameterError(f"init must be 'multi_otsu', 'quantiles' or {n_phases} means; got {init!r}")
    candidates = [_equal_count_classes(counts, n_phases)]
    if init == "multi_otsu":
        candidates.insert(0, _multi_otsu_classes(centres, counts, n_phases))
    for classes in candidates:
        if classes is not None and np.unique(classes).size == n_phases:
            weights = np.bincount(classes, counts, n_phases)
            means = np.bincount(classes, counts * centres, n_phases) / weights
            variances = np.bincount(classes, counts * (centres - means[classes]) ** 2, n_phases) / weights
            return means, variances, weights / weights.sum()
    return _around(np.quantile(centres, (np.arange(n_phases) + 0.5) / n_phases), centres)


def _multi_otsu_classes(centres, counts, n_phases):
    """Class of every bin from multi-Otsu on a coarse (≤ 256-bin) regrouping of the histogram."""
    group = -(-centres.size // COARSE_BINS)  # consecutive occupied bins per coarse bin
    starts = np.arange(0, centres.size, group)
    coarse = np.add.reduceat(counts, starts)
    try:
        cuts = threshold_multiotsu(hist=(coarse, np.add.reduceat(counts * centres, starts) / coarse),
                                   classes=n_phases)
    except ValueError:  # fewer coarse bins than classes
        return None
    return np.searchsorted(cuts, centres, side="left")


def _equal_count_classes(counts, n_phases):
    """Class of every bin splitting the voxels into ``n_phases`` grey ranges of equal counts."""
    middle = (np.cumsum(counts) - counts / 2) / counts.sum()
    return np.minimum((middle * n_phases).astype(np.int64), n_phases - 1)


def _around(means, centres):
    """Equal weights and a common spread (range / 2K) around the given means."""
    spread = (centres[-1] - centres[0]) / (2 * means.size)
    return means, np.full(means.size, spread**2), np.full(means.size, 1.0 / means.size)


def _em(centres, counts, means, variances, weights, floor, max_iter, tol):
    """EM for a 1-D Gaussian mixture of points ``centres`` with multiplicities ``counts``.

    Returns means, variances, weights, the mean log-likelihood per voxel, iterations, converged.
    """
    total = counts.sum()
    previous = -np.inf
    for iteration in range(1, max_iter + 1):
        log_r = (np.log(weights) - 0.5 * np.log(2 * np.pi * variances))[:, None] \
            - (centres[None, :] - means[:, None]) ** 2 / (2 * variances[:, None])
        top = log_r.max(axis=0)
        log_density = top + np.log(np.exp(log_r - top).sum(axis=0))
        likelihood = float(counts @ log_density / total)
        r = np.exp(log_r - log_density) * counts  # responsibilities × multiplicities
        mass = r.sum(axis=1)
        if mass.min() < 1e-9 * total:
            raise EmptyPhaseError(f"component {int(mass.argmin())} lost all its voxels after {iteration} EM "
                                  f"iterations; the grey values may hold fewer than {means.size} phases "
                                  f"(try fewer n_phases or another init)")
        weights = mass / total
        means = r @ centres / mass
        variances = np.maximum((r * (centres[None, :] - means[:, None]) ** 2).sum(axis=1) / mass, floor)
        if abs(likelihood - previous) < tol:
            return means, variances, weights, likelihood, iteration, True
        previous = likelihood
    return means, variances, weights, likelihood, max_iter, False


def gmm(volume, n_phases, *, partial_volume: bool = True, max_iter: int = 1000, tol: float = 1e-9,
        init="multi_otsu", sample=None, seed=0, bins: int = FINE_BINS) -> Segmentation:
    """Gaussian mixture of the grey values (EM), with the probability (or fraction) of every phase per voxel.

    With ``partial_volume=False`` the grey values are modelled as i.i.d. draws from
    ``Σ_k w_k N(μ_k, σ_k²)`` and ``p_k(x) = w_k N(v(x); μ_k, σ_k) / Σ_j w_j N(v(x); μ_j, σ_j)``
    is the posterior probability of phase k. A blurred scan breaks that model: voxels near an
    interface record a blend of the phases, which a pure-phase mixture absorbs into inflated,
    inward-shifted components (a blurred 60/40 two-phase volume comes out 47/53). With
    ``partial_volume=True`` (the default, because every CT or FIB-SEM volume is blurred by its
    point-spread function) the mixture also holds, between every two phases adjacent in grey
    value, the "mixels" ``y = (1 − a) μ_k + a μ_{k+1} + noise`` with ``a ~ Uniform(0, 1)``
    (discretised in 32 cells) and the noise variance ``(1 − a) σ_k² + a σ_{k+1}²`` (Santago &
    Gage 1993), and ``p_k(x)`` is the expected *fraction* of phase k in the voxel, pure
    posteriors plus ``E[1 − a | v]``, ``E[a | v]`` of the mixels: ``Σ_x p_k(x)`` then estimates the
    volume of phase k without the blur bias, and ``argmax_k p_k`` (for two phases ``p_1 > ½``) puts
    an interface at the blurred midpoint. Mixels are modelled only between phases adjacent in grey
    value: where phases k and k + 2 touch directly their blend is read as phase k + 1 (a
    pore–active-material contact through no binder inflates the binder). On a clean (unblurred)
    mixture the mixel weights go to ≈ 0 and both models agree.

    EM is run on the histogram of the values (the data, grouped into bins, each bin's count a
    weight on its centre): each iteration then costs ``C × bins`` instead of ``C × voxels``
    (``C`` components: K, or K + 32 (K − 1) with partial volumes), independent of the volume size.
    Integer volumes whose range fits in ``bins`` get one bin per value, which is exact. Float
    volumes get ``bins`` bins of width ``h = range / bins``; grouping moves each value by at most
    ``h/2`` and adds ``h²/12`` to every component's variance, which is subtracted at the end
    (Sheppard's correction), leaving errors of order ``h²/σ²`` relative — below 1e-4 for any
    component wider than 1/500 of the grey range. Variances are kept ≥ ``h²``. EM stops when the
    mean log-likelihood per voxel changes by less than ``tol``. The probabilities are then
    evaluated exactly at every voxel's own value in one parallel pass that allocates nothing but
    the (K, Z, Y, X) float32 output and the labels.

    Parameters
    ----------
    volume : (Z, Y, X) integer or float ndarray
        Grey values; finite and not constant.
    n_phases : int ≥ 2
        Number of phases K.
    partial_volume : bool
        Model the blurred mixtures of grey-adjacent phases (see above); ``probabilities`` are then
        expected phase fractions. False: a plain mixture of K Gaussians.
    max_iter : int
        Most EM iterations (a warning when reached before ``tol``).
    tol : float > 0
        Convergence threshold on the change of the mean log-likelihood per voxel (nats).
    init : "multi_otsu", "quantiles" or K floats
        Starting classes: multi-Otsu classes of a 256-bin histogram, K equal-count grey ranges, or
        the starting means (then equal weights and a common σ = range / 2K).
    sample : int, optional
        Fit on this many voxels drawn at random (with replacement) instead of all; the posteriors
        are still computed for every voxel.
    seed : int or numpy.random.Generator
        Seeds the subsample.
    bins : int
        Histogram bins for float volumes (at most 2048 with partial volumes).

    Returns
    -------
    Segmentation
        ``labels`` (uint8, 0 … K−1 by increasing mean = argmax of the posteriors),
        ``probabilities`` (K, Z, Y, X) float32, ``model``: ``partial_volume``, ``means``, ``stds``
        (grey units, ordered by mean), ``weights`` (of the pure phases), with partial volumes
        ``pv_weights`` (K − 1: of the mixels between phases k and k + 1) and ``pv_levels`` (cells
        of ``a``), ``log_likelihood`` (mean per fitted voxel, nats, of the binned values),
        ``iterations``, ``converged``, ``bin_width``, ``sample``.

    Raises
    ------
    ParameterError
        Bad parameters, fewer distinct grey values than phases, NaN/inf values, a constant volume.
    EmptyPhaseError
        If a component loses all its voxels during EM.

    References
    ----------
    Dempster, A. P., Laird, N. M. & Rubin, D. B. (1977). Maximum likelihood from incomplete data
    via the EM algorithm. J. R. Stat. Soc. B 39, 1-38. Sheppard, W. F. (1898). On the calculation
    of the most probable values of frequency-constants for data arranged according to
    equidistant division of a scale. Proc. London Math. Soc. 29, 353-380. Santago, P. & Gage,
    H. D. (1993). Quantification of MR brain images by mixture density and partial volume
    modeling. IEEE Trans. Med. Imaging 12, 566-574.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> volume = np.where(rng.random((16, 16, 16)) < 0.5, rng.normal(1, 0.1, (16, 16, 16)),
    ...                   rng.normal(3, 0.2, (16, 16, 16))).astype(np.float32)
    >>> seg = gmm(volume, 2)
    >>> [round(m, 1) for m in seg.model["means"]], seg.probabilities.shape
    ([1.0, 3.0], (2, 16, 16, 16))
    >>> edge = np.repeat(np.clip(np.linspace(0, 4, 16), 1, 3), 256).reshape(16, 16, 16)
    >>> round(float(gmm(edge + rng.normal(0, 0.05, edge.shape), 2).probabilities[1].mean()), 2)
    0.5
    """
    volume = as_grey(volume)
    n_phases = as_phase_count(n_phases)
    if not isinstance(partial_volume, (bool, np.bool_)):
        raise ParameterError(f"partial_volume must be True or False; got {partial_volume!r}")
    partial_volume = bool(partial_volume)
    max_iter = _count(max_iter, "max_iter", 1)
    bins = _count(bins, "bins", 2)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise ParameterError(f"tol must be a number > 0; got {tol!r}")
    if sample is not None:
        sample = _count(sample, "sample", n_phases)
    centres, counts, width, exact = _binned(volume, sample, seed, min(bins, PV_BINS) if partial_volume else bins)
    if centres.size < n_phases:
        raise ParameterError(f"the grey values fall in only {centres.size} distinct bins; cannot fit "
                             f"{n_phases} phases")
    means, variances, weights = _start(centres, counts, n_phases, init)
    variances = np.maximum(variances, width**2)
    if partial_volume:
        pure, mixed = start_weights(weights)
        means, variances, pure, mixed, likelihood, iterations, converged = pv_em(
            centres, counts, means, variances, pure, mixed, width**2, max_iter, float(tol))
    else:
        means, variances, weights, likelihood, iterations, converged = _em(
            centres, counts, means, variances, weights, width**2, max_iter, float(tol))
        order = np.argsort(means)
        means, variances, weights = means[order], variances[order], weights[order]
    if not converged:
        warnings.warn(f"gmm: EM stopped at max_iter={max_iter} before the log-likelihood changed by less "
                      f"than tol={tol}", RuntimeWarning, stacklevel=2)
    if not exact:
        variances = variances - width**2 / 12  # Sheppard's correction (variances ≥ h² before it)
    model = {"method": "gmm", "partial_volume": partial_volume, "means": means.tolist(),
             "stds": np.sqrt(variances).tolist()}
    if partial_volume:
        matrix, component = fraction_matrix(n_phases), component_weights(pure, mixed)
        model.update(weights=pure.tolist(), pv_weights=mixed.tolist(), pv_levels=PV_LEVELS)
    else:
        matrix, component = np.eye(n_phases), weights
        model.update(weights=weights.tolist())
    model.update(log_likelihood=likelihood, iterations=iterations, converged=converged, bin_width=width,
                 sample=sample)
    probabilities = np.empty((n_phases, *volume.shape), np.float32)
    labels = np.empty(volume.shape, np.uint8)
    spread = matrix @ variances
    _fractions(volume, matrix @ means, 0.5 / spread, np.log(component) - 0.5 * np.log(2 * np.pi * spread),
               matrix, probabilities, labels)
    return Segmentation(labels, probabilities, tuple(range(n_phases)), model)


def _count(value, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ParameterError(f"{name} must be an integer ≥ {least}; got {value!r}")
    return int(value)
