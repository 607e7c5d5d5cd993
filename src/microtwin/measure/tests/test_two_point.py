import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.data._generated import boolean_spheres
from microtwin.errors import DimensionError, DTypeError, EmptyPhaseError, ParameterError
from microtwin.measure._two_point import _correlation_box, two_point


def brute_force(x, y, lag):
    """P(x ∈ X, x + h ∈ Y) over all voxel pairs at lag h inside the window (direct count)."""
    first = tuple(slice(max(0, -h), n - max(0, h)) for h, n in zip(lag, x.shape))
    second = tuple(slice(max(0, h), n - max(0, -h)) for h, n in zip(lag, x.shape))
    return np.mean(x[first] & y[second])


def random_phase(shape, fraction=0.4, seed=0):
    return np.random.default_rng(seed).random(shape) < fraction


def test_per_axis_equals_brute_force_with_anisotropic_spacing():
    x = random_phase((18, 21, 15), seed=1)
    spacing = (2.0, 1.0, 1.5)
    tp = two_point(x, spacing=spacing)
    for axis in range(3):
        lags, c = tp.per_axis[axis]
        k = np.rint(lags / spacing[axis]).astype(int)
        np.testing.assert_allclose(lags, k * spacing[axis])
        expected = [brute_force(x, x, tuple(int(j) if a == axis else 0 for a in range(3))) for j in k]
        np.testing.assert_allclose(c, expected, atol=1e-6)
        assert lags[-1] <= tp.max_distance
    assert tp.max_distance == min(18 * 2.0, 21 * 1.0, 15 * 1.5) / 2


def test_lag_box_equals_brute_force_for_cross_correlation_at_oblique_lags():
    rng = np.random.default_rng(2)
    x, y = rng.random((2, 17, 13, 19)) < np.array([0.3, 0.6])[:, None, None, None]
    lags = np.array([6, 5, 7])
    box = _correlation_box(x, y, lags)
    assert box.shape == tuple(2 * lags + 1)
    for lag in rng.integers(-lags, lags + 1, size=(40, 3)):
        assert box[tuple(lag + lags)] == pytest.approx(brute_force(x, y, tuple(lag)), abs=1e-6)


def test_autocorrelation_is_symmetric_and_cross_correlation_is_antisymmetric_in_its_arguments():
    rng = np.random.default_rng(3)
    x, y = rng.random((2, 16, 14, 12)) < 0.5
    lags = np.array([5, 4, 3])
    auto = _correlation_box(x, None, lags)
    np.testing.assert_allclose(auto, auto[::-1, ::-1, ::-1], atol=1e-6)
    xy, yx = _correlation_box(x, y, lags), _correlation_box(y, x, lags)
    np.testing.assert_allclose(xy, yx[::-1, ::-1, ::-1], atol=1e-6)  # C_XY(h) = C_YX(−h)


def test_non_periodic_estimator_is_unbiased_for_a_gradient_where_the_periodic_one_is_not():
    n = 24
    z = np.arange(n)[:, None, None]
    x = np.random.default_rng(4).random((n, n, n)) < (z + 0.5) / n  # V_V grows linearly along z
    lags, ours = two_point(x).per_axis[0]
    exact = np.array([brute_force(x, x, (k, 0, 0)) for k in lags.astype(int)])
    np.testing.assert_allclose(ours, exact, atol=1e-6)
    spectrum = np.fft.fftn(x)
    periodic = np.fft.ifftn(spectrum * spectrum.conj()).real[: lags.size, 0, 0] / x.size
    assert np.max(np.abs(periodic - exact)) > 0.02  # the wrap-around pairs bias it


def test_c0_is_volume_fraction_and_c_tends_to_its_square_for_white_noise():
    x = random_phase((64, 64, 64), fraction=0.3, seed=5)
    tp = two_point(x)
    assert tp.distance[0] == 0
    assert tp.probability[0] == pytest.approx(tp.volume_fraction, abs=1e-6)
    np.testing.assert_allclose(tp.probability[1:], tp.volume_fraction**2, atol=2e-3)
    np.testing.assert_allclose(tp.covariance[1:], 0, atol=2e-3)


def test_cross_correlation_of_disjoint_phases_is_zero_at_the_origin():
    x = random_phase((40, 40, 40), fraction=0.5, seed=6)
    tp = two_point(x, other=~x)
    assert abs(tp.probability[0]) < 1e-6
    assert tp.other_fraction == pytest.approx(1 - tp.volume_fraction)
    np.testing.assert_allclose(tp.probability[1:], tp.volume_fraction * tp.other_fraction, atol=3e-3)


def boolean_pore_covariance(h, intensity, radius):
    """Exact C_pore(h) of a Boolean model of balls: exp(−λ(2V − γ(h))), γ the ball's set covariance."""
    ball = 4 / 3 * np.pi * radius**3
    h = np.minimum(h, 2 * radius)
    gamma = ball * (1 - 3 * h / (4 * radius) + h**3 / (16 * radius**3))
    return np.exp(-intensity * (2 * ball - gamma))


@pytest.mark.parametrize("phase", ["pore", "solid"])
def test_boolean_model_of_balls_matches_the_analytic_covariance(phase):
    radius, curves = 6.0, []
    for seed in range(3):
        vol = boolean_spheres((96, 96, 96), radius=radius, solid_fraction=0.5, seed=seed)
        tp = two_point(vol.array == vol.meta["phases"][phase], max_distance=24)
        v = tp.volume_fraction
        curves.append((tp.probability - v * v) / (v - v * v))  # normalised covariance ρ(h)
    intensity = vol.meta["intensity"]
    p = np.exp(-intensity * 4 / 3 * np.pi * radius**3)  # pore fraction
    pore = boolean_pore_covariance(tp.distance, intensity, radius)
    c = pore if phase == "pore" else 1 - 2 * p + pore
    q = p if phase == "pore" else 1 - p
    expected = (c - q * q) / (q - q * q)
    # sampling σ of the 3-realisation mean is ≈ 0.007 here; binning and voxelisation add no bias
    # (voxel centres sample the continuous model exactly, distance = mean |h| of each bin)
    np.testing.assert_allclose(np.mean(curves, axis=0), expected, atol=0.035)


def test_matches_porespy_with_the_same_bins():
    porespy = pytest.importorskip("porespy")
    x = porespy.generators.blobs(shape=[40, 40, 40], porosity=0.4, blobiness=1, seed=0)
    edges = np.arange(0, 21.0)
    theirs = porespy.metrics.two_point_correlation(x, bins=edges)
    ours = two_point(x, bins=edges, max_distance=19.999)
    # porespy's `probability` is C/V_V (1 at r = 0); `probability_scaled` is C itself
    np.testing.assert_allclose(ours.probability[:-1], theirs.probability_scaled[:-1], atol=2e-6)


def test_radial_distance_is_in_physical_units_and_bins_are_respected():
    x = random_phase((20, 20, 20), seed=7)
    tp = two_point(x, spacing=0.5, bins=5, max_distance=4.0)
    assert tp.distance.size == 5 and tp.max_distance == 4.0
    assert np.all(np.diff(tp.distance) > 0) and tp.distance[-1] <= 4.0
    default = two_point(x, spacing=0.5)
    np.testing.assert_allclose(default.distance[:2], [0, (6 * 0.5 + 12 * 0.5 * 2**0.5) / 18])


def test_correlation_length_of_a_boolean_model_is_below_the_ball_diameter():
    vol = boolean_spheres((64, 64, 64), radius=4.0, solid_fraction=0.5, seed=0)
    tp = two_point(vol.array == 1)
    length = tp.correlation_length()
    assert 1.0 < length < 8.0
    assert tp.correlation_length(0.999) < length
    with pytest.raises(ParameterError):
        tp.correlation_length(1.5)


def test_empty_phase_gives_zero_curves_and_no_correlation_length():
    tp = two_point(np.zeros((10, 10, 10), bool))
    np.testing.assert_allclose(tp.probability, 0, atol=1e-7)
    assert tp.volume_fraction == 0
    with pytest.raises(EmptyPhaseError):
        tp.correlation_length()


def test_to_dict_is_plain_python():
    d = two_point(random_phase((10, 10, 10))).to_dict()
    assert isinstance(d["distance"], list) and isinstance(d["per_axis"][0][1], list)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(phase=np.zeros((8, 8, 8), np.uint8)), DTypeError),
        (dict(phase=np.zeros((8, 8), bool)), DimensionError),
        (dict(other=np.zeros((8, 8, 9), bool)), ParameterError),
        (dict(max_distance=8.0), ParameterError),
        (dict(max_distance=0), ParameterError),
        (dict(bins=0), ParameterError),
        (dict(bins=[0, 2, 1]), ParameterError),
        (dict(bins=[]), ParameterError),
        (dict(phase=np.zeros((8, 1, 8), bool)), ParameterError),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, error):
    arguments = dict(phase=np.ones((8, 8, 8), bool)) | kwargs
    with pytest.raises(error):
        two_point(**arguments)


volumes = st.tuples(st.integers(6, 12), st.integers(6, 12), st.integers(6, 12), st.integers(0, 2**16))
spacings = st.tuples(*[st.sampled_from([0.5, 1.0, 1.5, 2.0])] * 3)


@settings(max_examples=15, deadline=None)
@given(volumes, spacings, st.permutations([0, 1, 2]), st.lists(st.booleans(), min_size=3, max_size=3))
def test_invariant_under_axis_permutation_and_flips_with_spacing_permuted(volume, spacing, order, flips):
    x = random_phase(volume[:3], seed=volume[3])
    tp = two_point(x, spacing=spacing)
    y = np.transpose(x, order)[tuple(slice(None, None, -1 if f else 1) for f in flips)]
    moved = two_point(y, spacing=tuple(spacing[a] for a in order))
    np.testing.assert_allclose(moved.distance, tp.distance, rtol=1e-12)
    np.testing.assert_allclose(moved.probability, tp.probability, atol=1e-6)
    for new, old in enumerate(order):
        np.testing.assert_allclose(moved.per_axis[new], tp.per_axis[old], atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(volumes, spacings, st.sampled_from([0.1, 3.0, 1000.0]))
def test_scaling_the_spacing_scales_distances_and_keeps_probabilities_in_0_1(volume, spacing, scale):
    x = random_phase(volume[:3], seed=volume[3])
    tp = two_point(x, spacing=spacing)
    scaled = two_point(x, spacing=tuple(scale * s for s in spacing))
    np.testing.assert_allclose(scaled.distance, scale * tp.distance, rtol=1e-9)
    np.testing.assert_allclose(scaled.probability, tp.probability, atol=1e-6)
    assert np.all((tp.probability > -1e-6) & (tp.probability < 1 + 1e-6))
