"""Miles' formulas for Boolean models, and the mean intrinsic volumes of random oblate spheroids."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.stats import gamma as gamma_distribution
from scipy.stats import qmc

from microtwin._results import Result
from microtwin.errors import ParameterError
from microtwin.measure._minkowski import IntrinsicVolumes
from microtwin.models._points import positive


def miles_densities(intensity, mean_volume, mean_surface, mean_curvature) -> IntrinsicVolumes:
    """Densities V_V, S_V, M_V, χ_V of a stationary isotropic Boolean model in R³ (Miles' formulas).

    With λ the germ intensity and V̄, S̄, M̄ the mean volume, surface area and integral of mean
    curvature ∫(κ₁+κ₂)/2 dS of the typical (convex) grain:

        V_V = 1 − exp(−λ V̄)
        S_V = λ (1 − V_V) S̄
        M_V = λ (1 − V_V) (M̄ − π² λ S̄² / 32)
        χ_V = λ (1 − V_V) (1 − λ M̄ S̄ / (4π) + π λ² S̄³ / 384)

    Parameters
    ----------
    intensity : float > 0
        Germs per unit volume (length⁻³).
    mean_volume, mean_surface, mean_curvature : float > 0
        V̄ (length³), S̄ (length²), M̄ (length; a ball of radius r has M = 4πr).

    Returns
    -------
    IntrinsicVolumes
        The model's densities (same units and conventions as
        :func:`microtwin.measure.intrinsic_volumes`). They refer to all of space, not to a
        window, so ``window_volume`` is ``inf``; ``adjacency`` is 0 because a continuous model
        has no lattice adjacency.

    References
    ----------
    R. E. Miles, "Estimating aggregate and overall characteristics from thick sections by
    transmission microscopy", J. Microsc. 107 (1976) 227–233; J. Ohser, F. Mücklich,
    *Statistical Analysis of Microstructures*, Wiley 2000, sec. 5.

    Examples
    --------
    >>> r, lam = 2.0, 0.01
    >>> iv = miles_densities(lam, 4 / 3 * np.pi * r**3, 4 * np.pi * r**2, 4 * np.pi * r)
    >>> round(iv.volume_fraction, 4), iv.window_volume
    (0.2847, inf)
    """
    lam = positive(intensity, "intensity")
    v = positive(mean_volume, "mean_volume")
    s = positive(mean_surface, "mean_surface")
    m = positive(mean_curvature, "mean_curvature")
    uncovered = np.exp(-lam * v)
    return IntrinsicVolumes(
        volume_fraction=float(-np.expm1(-lam * v)),
        surface_density=float(lam * uncovered * s),
        mean_curvature_density=float(lam * uncovered * (m - np.pi**2 * lam * s**2 / 32)),
        euler_density=float(lam * uncovered * (1 - lam * m * s / (4 * np.pi) + np.pi * lam**2 * s**3 / 384)),
        window_volume=float("inf"),
        adjacency=0,
    )


def spheroid_intrinsic_volumes(a, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Volume, surface area and integral of mean curvature of spheroids with half-axes (a, a, c).

    With m = max(a, c), δ = min(a, c) / m, e = √(1 − δ²), T = artanh(e)/e = ln((1 + e)/δ)/e and
    A = arcsin(e)/e: V = (4/3) π a² c and

    - oblate (c ≤ a; the formulas of the CBD spec): S = 2π m² (1 + δ² T), M = 2π m (δ + A),
    - prolate (c > a): S = 2π m² (δ² + δ A), M = 2π m (1 + δ² T)

    (M = ∫ h dσ over the unit sphere, h the support function). T and A are evaluated by their
    Taylor series for e < 1e-4, so a ball (δ = 1) gives exactly S = 4πm², M = 4πm.
    """
    a, c = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64))
    m = np.maximum(a, c)
    delta = np.minimum(a, c) / m
    e = np.sqrt(-np.expm1(2 * np.log(delta)))  # √(1 − δ²) without cancellation near δ = 1
    small = e < 1e-4
    safe = np.where(small, 0.5, e)
    atanh_ratio = np.where(small, 1 + e**2 / 3 + e**4 / 5, np.log((1 + safe) / delta) / safe)
    asin_ratio = np.where(small, 1 + e**2 / 6 + 3 * e**4 / 40, np.arcsin(safe) / safe)
    oblate = c <= a
    volume = 4 / 3 * np.pi * a * a * c
    surface = 2 * np.pi * m**2 * np.where(oblate, 1 + delta**2 * atanh_ratio, delta**2 + delta * asin_ratio)
    curvature = 2 * np.pi * m * np.where(oblate, delta + asin_ratio, 1 + delta**2 * atanh_ratio)
    return volume, surface, curvature


@dataclass(frozen=True, eq=False)
class GrainMeans(Result):
    """Mean intrinsic volumes of a random grain.

    Attributes
    ----------
    mean_volume : float
        E[V], length³.
    mean_surface : float
        E[S], length².
    mean_curvature : float
        E[M], integral of mean curvature (a ball: 4πr), length.
    draws : int
        Number of (quasi-random) draws averaged.
    """

    mean_volume: float
    mean_surface: float
    mean_curvature: float
    draws: int


def spheroid_grain_means(alpha1, alpha2, gamma, n=2**16, seed=0) -> GrainMeans:
    """E[V], E[S], E[M] of the CBD model's random oblate spheroids.

    A ~ Gamma(shape α1, rate γ) and C ~ Gamma(shape α2, rate γ) are independent; the grain is the
    spheroid with half-axes max(A, C), max(A, C), min(A, C), whose V, S, M are given by
    :func:`spheroid_intrinsic_volumes`. The expectations are averages over a scrambled Sobol'
    sequence of (A, C) pairs mapped through the Gamma quantile functions (randomised quasi-Monte
    Carlo: unbiased, with errors far below plain Monte Carlo's 1/√n; about 1e-6 relative for the
    published parameters at the default n).

    Parameters
    ----------
    alpha1, alpha2 : float > 0
        Gamma shapes of the two half-axis lengths.
    gamma : float > 0
        Common Gamma rate (length⁻¹); the mean half-axes are α1/γ and α2/γ.
    n : int ≥ 1
        Number of draws, rounded up to a power of two (the Sobol' sequence's balance).
    seed : int or numpy.random.Generator
        Scrambling seed.

    Returns
    -------
    GrainMeans

    References
    ----------
    B. Gräfensteiner et al., "Data-driven stochastic 3D modeling of the nanoporous binder-conductive
    additive phase in battery cathodes", J. Math. Industry (2025), doi:10.1186/s13362-025-00174-z;
    A. B. Owen, "Scrambling Sobol' and Niederreiter–Xing points", J. Complexity 14 (1998) 466–489.

    Examples
    --------
    >>> means = spheroid_grain_means(1e6, 1e6, 1e5)  # both half-axes ≈ 10: nearly a ball
    >>> round(means.mean_curvature / (4 * np.pi * 10), 3)
    1.0
    """
    shapes = (positive(alpha1, "alpha1"), positive(alpha2, "alpha2"))
    rate = positive(gamma, "gamma")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ParameterError(f"n must be an integer ≥ 1; got {n!r}")
    exponent = int(np.ceil(np.log2(n)))
    uniforms = qmc.Sobol(d=2, scramble=True, seed=np.random.default_rng(seed)).random_base2(exponent)
    a, c = (gamma_distribution(shape, scale=1 / rate).ppf(u) for shape, u in zip(shapes, uniforms.T))
    big, small = np.maximum(a, c), np.minimum(a, c)
    volume, surface, curvature = spheroid_intrinsic_volumes(big, small)
    return GrainMeans(float(volume.mean()), float(surface.mean()), float(curvature.mean()), 2**exponent)
