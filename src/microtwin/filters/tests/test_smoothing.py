import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import ball, dilation, erosion

from microtwin.errors import DimensionError, DTypeError, ParameterError, SpacingError
from microtwin.filters import gaussian, maximum, mean, median, minimum, structuring_element


@pytest.fixture(scope="module")
def grey():
    return np.random.default_rng(0).random((20, 22, 24)).astype(np.float32)


def test_gaussian_matches_scipy_with_sigma_in_voxels(grey):
    out = gaussian(grey, sigma=(2.0, 1.0, 3.0), spacing=(2.0, 0.5, 1.0))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ndimage.gaussian_filter(grey.astype(np.float64), (1.0, 2.0, 3.0)), atol=1e-5)


def test_gaussian_keeps_the_total_and_converts_integers():
    impulse = np.zeros((15, 15, 15), np.uint8)
    impulse[7, 7, 7] = 100
    out = gaussian(impulse, 1.5)
    assert out.dtype == np.float32 and out.sum() == pytest.approx(100, rel=1e-4)


def test_ball_footprint_is_skimage_ball_on_isotropic_voxels():
    for r in (1, 2, 3):
        np.testing.assert_array_equal(structuring_element(r), ball(r).astype(bool))


def test_halving_the_spacing_along_one_axis_doubles_the_footprint_there():
    for footprint in ("ball", "box"):
        coarse = structuring_element(2.0, spacing=1.0, footprint=footprint)
        fine = structuring_element(2.0, spacing=(1.0, 0.5, 1.0), footprint=footprint)
        assert coarse.shape == (5, 5, 5) and fine.shape == (5, 9, 5)
        assert (fine.shape[1] - 1) == 2 * (coarse.shape[1] - 1)


@pytest.mark.parametrize("footprint", ["ball", "box"])
def test_rank_filters_match_skimage_and_scipy(grey, footprint):
    element = ball(2).astype(bool) if footprint == "ball" else np.ones((5, 5, 5), bool)
    np.testing.assert_array_equal(minimum(grey, 2, footprint=footprint), erosion(grey, element))
    np.testing.assert_array_equal(maximum(grey, 2, footprint=footprint), dilation(grey, element))
    np.testing.assert_array_equal(median(grey, 2, footprint=footprint),
                                  ndimage.median_filter(grey, footprint=element, mode="reflect"))


@pytest.mark.parametrize("footprint", ["ball", "box"])
def test_mean_is_the_average_over_the_footprint(grey, footprint):
    """Brute force: the average of the shifted copies of the mirror-padded volume."""
    element = structuring_element(1.0, spacing=(1.0, 0.5, 1.0), footprint=footprint)
    half = [n // 2 for n in element.shape]
    padded = np.pad(grey.astype(np.float64), [(h, h) for h in half], mode="symmetric")
    total = sum(padded[k:k + grey.shape[0], j:j + grey.shape[1], i:i + grey.shape[2]]
                for k, j, i in np.argwhere(element))
    out = mean(grey, 1.0, spacing=(1.0, 0.5, 1.0), footprint=footprint)
    np.testing.assert_allclose(out, total / element.sum(), atol=1e-5)


def test_median_removes_salt_and_pepper():
    clean = np.full((12, 12, 12), 0.5, np.float32)
    noisy = clean.copy()
    noisy.flat[np.random.default_rng(1).choice(noisy.size, 40, replace=False)] = 1.0
    np.testing.assert_array_equal(median(noisy, 1, footprint="box"), clean)


@pytest.mark.parametrize("bad, error", [
    (np.zeros((4, 4)), DimensionError),
    (np.zeros((0, 4, 4)), DimensionError),
    (np.zeros((4, 4, 4), complex), DTypeError),
    (np.full((4, 4, 4), np.nan), ParameterError),
    (np.full((4, 4, 4), np.inf), ParameterError),
])
def test_bad_volumes_are_refused(bad, error):
    for filter_ in (gaussian, median, mean, minimum, maximum):
        with pytest.raises(error):
            filter_(bad)


def test_nan_message_counts_the_bad_values():
    bad = np.zeros((4, 4, 4), np.float32)
    bad[0, 0, :2] = np.nan
    with pytest.raises(ParameterError, match="2 NaN"):
        gaussian(bad)


@pytest.mark.parametrize("kwargs", [{"sigma": -1}, {"sigma": 0}, {"sigma": (1, 1)}, {"sigma": "wide"},
                                    {"truncate": 0}])
def test_bad_gaussian_parameters(kwargs):
    with pytest.raises(ParameterError):
        gaussian(np.zeros((4, 4, 4)), **kwargs)


def test_bad_footprints():
    with pytest.raises(ParameterError, match="one voxel"):
        median(np.zeros((4, 4, 4)), radius=0.5)
    with pytest.raises(ParameterError):
        mean(np.zeros((4, 4, 4)), radius=-1)
    with pytest.raises(ParameterError, match="footprint"):
        minimum(np.zeros((4, 4, 4)), footprint="disk")
    with pytest.raises(SpacingError):
        maximum(np.zeros((4, 4, 4)), spacing=(1, 0, 1))
