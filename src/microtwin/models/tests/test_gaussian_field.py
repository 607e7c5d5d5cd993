"""Gaussian random fields, their covariances, excursion sets and the excursion-covariance inversion.

References not computed by us: scikit-learn's Matérn/RBF kernels, closed-form Matérn ν = 3/2, 5/2,
numpy's full FFT of the folded spectrum, Owen's T function (scipy) for the bivariate normal
orthant probability, 1 − Φ(μ), and empirical moments of simulated fields.
"""

import warnings

import numpy as np
import pytest
from scipy import special
from sklearn.gaussian_process.kernels import RBF, Matern

from microtwin.errors import DimensionError, DTypeError, ParameterError, SpacingError
from microtwin.models import (
    cauchy,
    circulant_embedding,
    excursion_covariance,
    excursion_set,
    exponential,
    gaussian,
    gaussian_field,
    invert_excursion_covariance,
    matern,
)
from microtwin.models._gaussian_field import DECAY

ETA = 0.0127  # nm⁻¹, the published CBD calibration
SPACING = (30.0, 40.0, 50.0)  # nm, anisotropic on purpose
MU = 0.499


def axis_covariance(fields, spacing, max_lag):
    """Per axis: (lags h, mean of Z(x)·Z(x + h)) over all pairs in all fields (the mean 0 is known)."""
    out = []
    for axis, step in enumerate(spacing):
        n = fields.shape[axis + 1]
        lags = np.arange(min(int(max_lag / step), n - 1) + 1)
        products = [np.mean(fields.take(range(n - k), axis + 1) * fields.take(range(k, n), axis + 1))
                    for k in lags]
        out.append((lags * step, np.array(products)))
    return out


def owen_coverage(mu, rho):
    """P(Z₁ ≥ μ, Z₂ ≥ μ), standard bivariate normal, by Owen's T: Φ(−μ) − 2 T(μ, √((1−ρ)/(1+ρ)))."""
    rho = np.asarray(rho, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return special.ndtr(-mu) - 2.0 * special.owens_t(mu, np.sqrt((1.0 - rho) / (1.0 + rho)))


@pytest.fixture(scope="module")
def cauchy_fields():
    """Ten 96³ fields with the published η at anisotropic 30 × 40 × 50 nm voxels (float64 copies)."""
    return np.stack([gaussian_field((96, 96, 96), SPACING, cauchy(ETA), seed=s) for s in range(10)]).astype(np.float64)


# --- covariance functions -----------------------------------------------------------------------

def test_covariances_against_independent_formulas():
    h = np.linspace(0.0, 20.0, 201)
    assert np.allclose(cauchy(0.5)(h), 1.0 / (1.0 + 0.25 * h**2), rtol=0, atol=1e-15)
    assert np.allclose(exponential(3.0)(h), np.exp(-h / 3.0), rtol=0, atol=1e-15)
    assert np.allclose(matern(0.5, 3.0)(h), exponential(3.0)(h), rtol=0, atol=1e-12)
    x = np.sqrt(3.0) * h / 2.0
    assert np.allclose(matern(1.5, 2.0)(h), (1 + x) * np.exp(-x), rtol=0, atol=1e-12)
    x = np.sqrt(5.0) * h / 2.0
    assert np.allclose(matern(2.5, 2.0)(h), (1 + x + x**2 / 3) * np.exp(-x), rtol=0, atol=1e-12)
    points = h[:, None]
    for nu in (0.3, 1.7, 4.0):
        reference = Matern(length_scale=2.5, nu=nu)(points, np.zeros((1, 1)))[:, 0]
        assert np.allclose(matern(nu, 2.5)(h), reference, rtol=0, atol=1e-9)
    assert np.allclose(gaussian(2.5)(h), RBF(length_scale=2.5)(points, np.zeros((1, 1)))[:, 0], rtol=0, atol=1e-15)
    near = matern(100.0, 2.5)(h)  # ν → ∞, through the small-x series where K_ν overflows
    assert np.allclose(near, gaussian(2.5)(h), rtol=0, atol=3e-3) and np.all(np.diff(near) < 1e-12)
    tiny = np.array([0.0, 1e-300, 1e-6, 1e-2, 1e5])
    for nu in (0.2, 2.0, 50.0, 100.0):
        values = matern(nu, 1.0)(tiny)
        assert np.all(np.isfinite(values)) and np.all((values >= 0) & (values <= 1)) and values[-1] == 0.0


def test_covariance_repr_rebuilds_it():
    for rho in (cauchy(0.0127), exponential(2.0), gaussian(1.5), matern(1.5, 4.0)):
        assert eval(repr(rho)) == rho
        assert float(rho(0.0)) == 1.0 and rho(np.zeros((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("build", [lambda v: cauchy(v), lambda v: exponential(v), lambda v: gaussian(v),
                                   lambda v: matern(v, 1.0), lambda v: matern(1.0, v)])
@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf, "a"])
def test_covariance_parameters_must_be_positive(build, value):
    with pytest.raises(ParameterError):
        build(value)


def test_matern_smoothness_is_bounded():
    with pytest.raises(ParameterError, match="gaussian"):
        matern(150.0, 1.0)


# --- circulant embedding ------------------------------------------------------------------------

@pytest.mark.parametrize("rho, shape, spacing", [
    (cauchy(ETA), (20, 9, 14), (40.0, 30.0, 55.0)),
    (gaussian(2.0), (16, 1, 12), (1.0, 1.0, 1.5)),
    (matern(1.5, 3.0), (10, 13, 8), 1.0),
])
def test_embedding_reproduces_rho_at_every_lag_of_the_window(rho, shape, spacing):
    """The covariance the generator realises — numpy's inverse FFT of the full, unfolded spectrum λ —
    equals ρ at every lag of the output within the decay tolerance (exact up to half the padded grid)."""
    plan = circulant_embedding(shape, spacing, rho)
    m = plan.padded_shape
    assert all(mi >= ni and (mi % 2 == 0 or mi == 1) for mi, ni in zip(m, shape))
    folds = [np.minimum(np.arange(k), k - np.arange(k)) for k in m]
    eigenvalues = plan.sqrt_eigenvalues.astype(np.float64)[np.ix_(*folds)] ** 2
    simulated = np.fft.ifftn(eigenvalues).real
    assert abs(simulated[0, 0, 0] - 1.0) < 1e-6  # variance 1
    steps = np.broadcast_to(np.asarray(spacing, dtype=np.float64), (3,))
    grids = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, steps)], indexing="ij")
    target = rho(np.sqrt(sum(g**2 for g in grids)))
    observed = simulated[: shape[0], : shape[1], : shape[2]]
    assert np.max(np.abs(observed - target)) <= DECAY + plan.covariance_error + 1e-6
    inner = tuple(slice(0, min(n, k // 2 + 1)) for n, k in zip(shape, m))
    assert np.max(np.abs(observed[inner] - target[inner])) <= plan.covariance_error + 1e-6


def test_published_field_needs_no_clipping_and_pads_moderately():
    plan = circulant_embedding((400, 400, 400), 40.0, cauchy(ETA))
    assert plan.covariance_error < 1e-4
    assert plan.padded_shape[0] < 1.25 * 400  # ρ < 1e-3 beyond 63 voxels: not the 2n of a minimal embedding


def test_correlation_wider_than_the_window_warns():
    with pytest.warns(RuntimeWarning, match="clipped"):
        gaussian_field((16, 16, 16), 1.0, gaussian(30.0), seed=0)
    with pytest.warns(RuntimeWarning, match="clipped"):  # a tent is positive definite in 1D, not in 3D
        gaussian_field((32, 32, 32), 1.0, lambda h: np.maximum(0.0, 1.0 - np.asarray(h) / 8.0), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gaussian_field((32, 32, 32), 40.0, cauchy(ETA), seed=0)


# --- simulated fields ---------------------------------------------------------------------------

def test_cauchy_field_covariance_along_each_axis(cauchy_fields):
    for h, observed in axis_covariance(cauchy_fields, SPACING, 5.0 / ETA):
        assert h[-1] >= 5.0 / ETA - max(SPACING)
        assert np.max(np.abs(observed - cauchy(ETA)(h))) < 0.02


@pytest.mark.parametrize("rho", [exponential(3.0), gaussian(2.5), matern(1.5, 3.0)])
def test_other_kernels_covariance_along_each_axis(rho):
    spacing = (1.0, 1.5, 2.0)
    fields = np.stack([gaussian_field((64, 64, 64), spacing, rho, seed=s) for s in range(6)]).astype(np.float64)
    for h, observed in axis_covariance(fields, spacing, 10.0):
        assert np.max(np.abs(observed - rho(h))) < 0.02


def test_field_has_mean_zero_and_variance_one_up_to_its_borders(cauchy_fields):
    assert abs(cauchy_fields.mean()) < 0.04  # sd of a window mean ≈ 0.037 per field (long-range ρ)
    squares = cauchy_fields**2
    border = np.ones(cauchy_fields.shape[1:], dtype=bool)
    border[4:-4, 4:-4, 4:-4] = False
    assert abs(squares[:, border].mean() - 1.0) < 0.02
    assert abs(squares[:, ~border].mean() - 1.0) < 0.02


def test_field_is_not_periodic_across_the_window():
    """Lag n − 1 along z must correlate like ρ(n − 1), not like ρ(1) as on a torus of period n."""
    rho = gaussian(3.0)
    fields = np.stack([gaussian_field((16, 2, 2), 1.0, rho, seed=s) for s in range(400)]).astype(np.float64)
    h, observed = axis_covariance(fields, (1.0, 1.0, 1.0), 15.0)[0]
    assert np.max(np.abs(observed - rho(h))) < 0.15
    assert observed[-1] < 0.15 < rho(1.0)


def test_excursion_fraction_is_one_minus_phi(cauchy_fields):
    fractions = excursion_set(cauchy_fields, MU).mean(axis=(1, 2, 3))
    assert abs(fractions.mean() - special.ndtr(-MU)) < 0.01


def test_excursion_two_point_coverage_matches_the_formula(cauchy_fields):
    phase = excursion_set(cauchy_fields, MU).astype(np.float64)
    for h, observed in axis_covariance(phase, SPACING, 5.0 / ETA):
        assert np.max(np.abs(observed - excursion_covariance(MU, cauchy(ETA)(h)))) < 0.01


def test_seed_reproduces_and_generator_accepted():
    a = gaussian_field((12, 10, 8), 40.0, cauchy(ETA), seed=7)
    assert a.dtype == np.float32 and a.shape == (12, 10, 8) and a.flags.c_contiguous
    assert np.array_equal(a, gaussian_field((12, 10, 8), 40.0, cauchy(ETA), seed=7))
    assert not np.array_equal(a, gaussian_field((12, 10, 8), 40.0, cauchy(ETA), seed=8))
    b = gaussian_field((12, 10, 8), 40.0, cauchy(ETA), seed=np.random.default_rng(7))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("shape, error", [((8, 8), DimensionError), (8, DimensionError), ((8, 8, 0), ParameterError),
                                          ((8, 8, 2.5), ParameterError), ((8, True, 8), ParameterError)])
def test_bad_shape(shape, error):
    with pytest.raises(error):
        gaussian_field(shape, 1.0, exponential(1.0))


@pytest.mark.parametrize("spacing", [0.0, -1.0, (1.0, 1.0), (1.0, np.nan, 1.0)])
def test_bad_spacing(spacing):
    with pytest.raises(SpacingError):
        gaussian_field((8, 8, 8), spacing, exponential(1.0))


@pytest.mark.parametrize("covariance", [0.5, lambda h: 2.0 * np.exp(-np.asarray(h)), lambda h: 1.0,
                                        lambda h: np.where(np.asarray(h) > 0, np.nan, 1.0)])
def test_bad_covariance(covariance):
    with pytest.raises(ParameterError):
        gaussian_field((8, 8, 8), 1.0, covariance)


# --- excursion sets and their covariance --------------------------------------------------------

def test_excursion_covariance_special_values_and_owens_t():
    assert excursion_covariance(0.0, 1.0) == pytest.approx(0.5, abs=1e-15)
    for mu in (-2.0, -0.3, 0.0, MU, 1.5, 3.0):
        v = special.ndtr(-mu)
        assert excursion_covariance(mu, 0.0) == pytest.approx(v**2, abs=1e-15)
        assert excursion_covariance(mu, 1.0) == pytest.approx(v, abs=1e-14)
        assert excursion_covariance(mu, -1.0) == pytest.approx(max(0.0, v - special.ndtr(mu)), abs=1e-12)
        rho = np.concatenate([np.linspace(-0.999, 0.999, 401), 1.0 - np.logspace(-14, -2, 25)])
        assert np.max(np.abs(excursion_covariance(mu, rho) - owen_coverage(mu, rho))) < 1e-11
        assert np.all(np.diff(excursion_covariance(mu, np.linspace(-1, 1, 101))) > -1e-15)  # round-off at ρ = −1


def test_inversion_returns_rho_to_1e_6():
    rho = np.concatenate([np.linspace(0.0, 1.0, 201), 1.0 - np.logspace(-12, -1, 12)])
    worst = 0.0
    for mu in (-2.0, -0.5, 0.0, MU, 1.0, 2.5):
        recovered = invert_excursion_covariance(mu, excursion_covariance(mu, rho))
        worst = max(worst, np.max(np.abs(recovered - rho)))
        assert invert_excursion_covariance(mu, float(excursion_covariance(mu, 0.4))) == pytest.approx(0.4, abs=1e-6)
    assert worst < 1e-6
    assert recovered.shape == rho.shape and isinstance(invert_excursion_covariance(0.0, 0.3), float)


def test_excursion_set_is_the_upper_level_set():
    field = np.array([[-np.inf, -0.1, 0.2], [0.2, 0.5, np.inf]], dtype=np.float32)
    assert np.array_equal(excursion_set(field, 0.2), field >= 0.2)
    assert excursion_set(field, 0.2).dtype == bool


@pytest.mark.parametrize("level", [np.nan, np.inf, -np.inf, "0.5", None, True])
def test_level_must_be_finite(level):
    with pytest.raises(ParameterError):
        excursion_set(np.zeros(3), level)
    with pytest.raises(ParameterError):
        excursion_covariance(level, 0.5)
    with pytest.raises(ParameterError):
        invert_excursion_covariance(level, 0.2)


def test_excursion_set_refuses_non_float_or_nan_fields():
    with pytest.raises(DTypeError):
        excursion_set(np.zeros(3, dtype=np.int32), 0.0)
    with pytest.raises(DTypeError):
        excursion_set(np.zeros(3, dtype=bool), 0.0)
    with pytest.raises(ParameterError, match="NaN"):
        excursion_set(np.array([0.0, np.nan]), 0.0)


@pytest.mark.parametrize("rho", [1.5, -1.01, np.nan, [0.2, 2.0]])
def test_rho_outside_minus_one_one(rho):
    with pytest.raises(ParameterError):
        excursion_covariance(0.0, rho)


@pytest.mark.parametrize("mu, coverage", [(0.0, 0.6), (0.0, -0.1), (1.0, 0.2), (-1.0, 0.5), (0.0, np.nan),
                                          (0.0, [0.3, 0.7])])
def test_coverage_out_of_range(mu, coverage):
    """C ranges over [max(0, 1 − 2Φ(μ)), 1 − Φ(μ)]: 1 − Φ(1) = 0.159 < 0.2; 1 − 2Φ(−1) = 0.683 > 0.5."""
    with pytest.raises(ParameterError, match="coverage"):
        invert_excursion_covariance(mu, coverage)
