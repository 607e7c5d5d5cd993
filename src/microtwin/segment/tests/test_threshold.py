"""Tests of the threshold segmentations: a given level, Otsu and multi-Otsu against skimage and brute force."""

import numpy as np
import pytest
from skimage.filters import threshold_multiotsu, threshold_otsu

from microtwin.data import noisy_grey
from microtwin.errors import DimensionError, DTypeError, ParameterError
from microtwin.segment import multi_otsu, otsu, threshold
from microtwin.segment.tests.test_gmm import three_phase_truth


@pytest.fixture(scope="module")
def grey():
    truth = three_phase_truth((32, 32, 32))
    return truth, noisy_grey(truth, [1.0, 2.0, 3.0], blur=0, photons=50, seed=2)


def between_class_variance(values, t):
    low, high = values[values <= t], values[values > t]
    return low.size * high.size * (low.mean() - high.mean()) ** 2 if low.size and high.size else 0.0


def test_threshold_puts_values_above_the_level_in_phase_one():
    volume = np.arange(27, dtype=np.int16).reshape(3, 3, 3)
    seg = threshold(volume, 13)
    np.testing.assert_array_equal(seg.labels, volume > 13)
    assert seg.labels.dtype == np.uint8 and seg.probabilities is None and seg.classes == (0, 1)
    assert seg.model == {"method": "threshold", "thresholds": [13.0]}


def test_otsu_matches_skimage_and_maximises_the_between_class_variance(grey):
    _, volume = grey
    seg = otsu(volume)
    t = threshold_otsu(volume.ravel())
    assert seg.model["thresholds"] == [pytest.approx(t)]
    np.testing.assert_array_equal(seg.labels, volume > t)
    # brute force over thresholds at the 256-bin resolution: none separates the classes better
    values = volume.ravel()[::7]
    candidates = np.linspace(values.min(), values.max(), 257)[1:-1]
    best = max(between_class_variance(values, c) for c in candidates)
    assert between_class_variance(values, t) >= 0.999 * best


def test_multi_otsu_matches_skimage_and_orders_labels_by_grey_value(grey):
    truth, volume = grey
    seg = multi_otsu(volume, 3)
    thresholds = threshold_multiotsu(volume.ravel(), classes=3)
    np.testing.assert_allclose(seg.model["thresholds"], thresholds)
    np.testing.assert_array_equal(seg.labels, np.digitize(volume, thresholds, right=True))
    means = [volume[seg.labels == k].mean() for k in range(3)]
    assert means == sorted(means) and seg.classes == (0, 1, 2)
    assert (seg.labels == truth).mean() > 0.9


def test_two_phase_multi_otsu_agrees_with_otsu(grey):
    _, volume = grey
    bin_width = (volume.max() - volume.min()) / 256
    assert abs(multi_otsu(volume, 2).model["thresholds"][0] - otsu(volume).model["thresholds"][0]) <= bin_width


def test_otsu_separates_two_clean_levels_exactly():
    volume = np.full((6, 7, 8), 10, np.uint8)
    volume[:, 3:] = 200
    np.testing.assert_array_equal(otsu(volume).labels, volume == 200)


@pytest.mark.parametrize("level", [np.nan, np.inf, "1", None, True])
def test_threshold_refuses_bad_levels(level):
    with pytest.raises(ParameterError, match="level"):
        threshold(np.arange(8.0).reshape(2, 2, 2), level)


@pytest.mark.parametrize("function", [otsu, multi_otsu, lambda v: threshold(v, 0.5)])
def test_thresholds_refuse_bad_volumes(function):
    with pytest.raises(ParameterError, match="constant"):
        function(np.ones((4, 4, 4)))
    with pytest.raises(ParameterError, match="finite"):
        function(np.array([np.nan, 1.0] * 32).reshape(4, 4, 4))
    with pytest.raises(DimensionError, match="3D"):
        function(np.arange(16.0).reshape(4, 4))
    with pytest.raises(DTypeError):
        function(np.ones((4, 4, 4), bool))


def test_multi_otsu_refuses_bad_phase_counts_and_too_few_values():
    volume = np.arange(64.0).reshape(4, 4, 4)
    for n in (1, 2.0, 300):
        with pytest.raises(ParameterError, match="n_phases"):
            multi_otsu(volume, n)
    with pytest.raises(ParameterError, match="4 phases"):
        multi_otsu((volume > 30).astype(np.float32), 4)
    with pytest.raises(ParameterError, match="nbins"):
        otsu(volume, nbins=1)
