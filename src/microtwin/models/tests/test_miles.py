"""Miles' formulas and spheroid intrinsic volumes against independent results: the ball, numerical
integration (surface of revolution, support function), digitised spheroids measured by
microtwin.measure, double quadrature of the Gamma-distributed half-axes, the dilute limit and
the identity S_V = dV_V/dr for balls."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.spatial.transform import Rotation

from microtwin.errors import ParameterError
from microtwin.measure import IntrinsicVolumes, intrinsic_volumes
from microtwin.models import miles_densities, spheroid_grain_means, spheroid_intrinsic_volumes
from microtwin.models._boolean import ellipsoid_forms, paint_ellipsoids


def ball(r):
    return 4 / 3 * np.pi * r**3, 4 * np.pi * r**2, 4 * np.pi * r


def integrated(a, c):
    """V, S, M of the spheroid (a, a, c) by quadrature: S as a surface of revolution
    (x = a sin t, z = c cos t), M = ∫ h dσ with the support function h(θ) = √(a² sin²θ + c² cos²θ)."""
    area = integrate.quad(lambda t: 2 * np.pi * a * np.sin(t) * np.hypot(a * np.cos(t), c * np.sin(t)), 0, np.pi,
                          epsabs=0, epsrel=1e-12)[0]
    curvature = integrate.quad(lambda t: 2 * np.pi * np.hypot(a * np.sin(t), c * np.cos(t)) * np.sin(t), 0, np.pi,
                               epsabs=0, epsrel=1e-12)[0]
    return 4 / 3 * np.pi * a * a * c, area, curvature


@pytest.mark.parametrize("a, c", [(1.0, 0.3), (2.0, 0.01), (5.0, 4.99), (1.0, 3.0), (0.2, 7.0), (1.0, 1.0 + 1e-7)])
def test_spheroid_formulas_match_numerical_integration(a, c):
    assert np.array(spheroid_intrinsic_volumes(a, c)) == pytest.approx(integrated(a, c), rel=1e-9)


def test_spheroid_formulas_tend_to_ball_and_disc():
    for delta in (1.0, 1 - 1e-12, 1 - 1e-9, 1 - 1e-6):
        assert np.array(spheroid_intrinsic_volumes(3.0, 3.0 * delta)) == pytest.approx(ball(3.0), rel=1e-5)
    assert np.array(spheroid_intrinsic_volumes(3.0, 3.0)) == pytest.approx(ball(3.0), rel=1e-15)
    _, area, curvature = spheroid_intrinsic_volumes(2.0, 1e-12)  # flat disc: two faces, M = π² r
    assert (area, curvature) == pytest.approx((2 * np.pi * 4, np.pi**2 * 2), rel=1e-9)


@pytest.mark.parametrize("axes, spacing, seed", [((24, 24, 10), 1.0, 0), ((12, 12, 30), 1.0, 1),
                                                 ((24, 24, 10), (1.0, 0.8, 1.2), 2)])
def test_digitised_spheroid_measures_match_formulas(axes, spacing, seed):
    spacing = np.broadcast_to(np.asarray(spacing, float), (3,)).copy()
    rng = np.random.default_rng(seed)
    shape = tuple(int(np.ceil(2 * max(axes) / s)) + 6 for s in spacing)
    centre = np.array(shape) * spacing / 2 + rng.random(3)
    out = np.zeros(shape, np.uint8)
    paint_ellipsoids(out, centre[None], *ellipsoid_forms(np.array([axes], float),
                                                         Rotation.random(1, rng=rng).as_matrix()), spacing, False)
    iv = intrinsic_volumes(out == 1, spacing)
    measured = np.array([iv.volume_fraction, iv.surface_density, iv.mean_curvature_density]) * iv.window_volume
    assert measured == pytest.approx(spheroid_intrinsic_volumes(axes[0], axes[2]), rel=0.025)
    assert iv.euler_density * iv.window_volume == pytest.approx(1.0)


def gauss_legendre(low, high, n=200):
    """Nodes and weights (broadcast over ``low``, ``high``) of the n-point Gauss–Legendre rule."""
    x, w = np.polynomial.legendre.leggauss(n)
    half = (np.asarray(high) - np.asarray(low))[..., None] / 2
    return np.asarray(low)[..., None] + half * (x + 1), half * w


def quadrature_means(alpha1, alpha2, gamma):
    """E[V], E[S], E[M] of the oblate spheroid (max, max, min) by product Gauss–Legendre quadrature,
    the inner integral over C split at C = A (where max/min has its kink)."""
    f1, f2 = stats.gamma(alpha1, scale=1 / gamma), stats.gamma(alpha2, scale=1 / gamma)
    a, wa = gauss_legendre(f1.ppf(1e-14), f1.ppf(1 - 1e-14), 400)
    lo, hi = f2.ppf(1e-14), f2.ppf(1 - 1e-14)
    total = np.zeros(3)
    for low, high in ((np.full_like(a, lo), np.clip(a, lo, hi)), (np.clip(a, lo, hi), np.full_like(a, hi))):
        c, wc = gauss_legendre(low, high)
        values = np.array(spheroid_intrinsic_volumes(np.maximum(a[:, None], c), np.minimum(a[:, None], c)))
        total += (values * f2.pdf(c) * wc * (f1.pdf(a) * wa)[:, None]).sum(axis=(1, 2))
    return total


@pytest.mark.parametrize("alpha1, alpha2, gamma", [(3.0, 5.0, 0.5), (20.0, 60.0, 2.0)])
def test_spheroid_grain_means_match_double_quadrature(alpha1, alpha2, gamma):
    means = spheroid_grain_means(alpha1, alpha2, gamma, n=2**14, seed=1)
    reference = quadrature_means(alpha1, alpha2, gamma)
    assert [means.mean_volume, means.mean_surface, means.mean_curvature] == pytest.approx(reference, rel=5e-4)
    assert means.draws == 2**14


def test_spheroid_grain_means_ball_limit_and_published_parameters():
    r = 10.0  # shapes 1e8: both half-axes are 10 to a relative 1e-4, the grain is a ball
    means = spheroid_grain_means(1e8, 1e8, 1e7)
    assert [means.mean_volume, means.mean_surface, means.mean_curvature] == pytest.approx(ball(r), rel=1e-3)
    published = spheroid_grain_means(205, 3944, 1.971, n=1000, seed=3)
    assert published.draws == 1024
    # thin flakes, m ≈ 3944/1.971 ≈ 2001 nm, δ ≈ 205/3944: volume near (4/3)π m² · 104 nm
    assert published.mean_volume == pytest.approx(4 / 3 * np.pi * (3944 / 1.971) ** 2 * (205 / 1.971), rel=0.01)
    assert spheroid_grain_means(205, 3944, 1.971, seed=3).to_dict() == spheroid_grain_means(205, 3944, 1.971,
                                                                                              seed=3).to_dict()


def test_miles_densities_dilute_limit_and_type():
    v, s, m = ball(2.0)
    iv = miles_densities(1e-9, v, s, m)
    assert isinstance(iv, IntrinsicVolumes) and iv.window_volume == np.inf and iv.adjacency == 0
    per_grain = np.array([iv.volume_fraction, iv.surface_density, iv.mean_curvature_density, iv.euler_density]) / 1e-9
    assert per_grain == pytest.approx([v, s, m, 1.0], rel=1e-6)  # no overlaps: each grain counts fully


def test_miles_surface_density_is_derivative_of_volume_fraction_in_radius():
    # growing every ball by dr adds S_V dr of covered volume per unit volume
    lam, r, h = 2e-3, 3.0, 1e-5
    vv = [miles_densities(lam, *ball(x)).volume_fraction for x in (r - h, r + h)]
    assert miles_densities(lam, *ball(r)).surface_density == pytest.approx((vv[1] - vv[0]) / (2 * h), rel=1e-7)


def test_miles_euler_density_changes_sign_at_high_intensity():
    # χ_V of overlapping balls: positive (isolated balls) → negative (tunnels) → positive (isolated pores)
    v, s, m = ball(1.0)
    signs = [np.sign(miles_densities(lam, v, s, m).euler_density) for lam in (0.01, 0.3, 3.0)]
    assert signs == [1, -1, 1]


@pytest.mark.parametrize("call", [
    lambda: miles_densities(0.0, 1, 1, 1),
    lambda: miles_densities(1.0, -1, 1, 1),
    lambda: miles_densities(1.0, 1, np.nan, 1),
    lambda: miles_densities(1.0, 1, 1, np.inf),
    lambda: spheroid_grain_means(0, 1, 1),
    lambda: spheroid_grain_means(1, -1, 1),
    lambda: spheroid_grain_means(1, 1, 0),
    lambda: spheroid_grain_means(1, 1, 1, n=0),
    lambda: spheroid_grain_means(1, 1, 1, n=2.5),
])
def test_bad_parameters_raise_parameter_error(call):
    with pytest.raises(ParameterError):
        call()
