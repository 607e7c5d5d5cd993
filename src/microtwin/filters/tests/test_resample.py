import numpy as np
import pytest

from microtwin.errors import ParameterError
from microtwin.filters import downsample
from microtwin.io import Volume


def test_mean_downsampling_averages_blocks_and_scales_spacing():
    grey = np.arange(4 * 4 * 4, dtype=np.float32).reshape(4, 4, 4)
    out = downsample(Volume(grey, spacing=(2, 1, 1), unit="nm"), 2, method="mean")
    expected = grey.reshape(2, 2, 2, 2, 2, 2).mean(axis=(1, 3, 5))
    np.testing.assert_allclose(out.array, expected)
    assert out.spacing == (4.0, 2.0, 2.0) and out.unit == "nm"


def test_mode_downsampling_takes_majority_label():
    labels = np.zeros((2, 2, 2), np.uint8)
    labels[0] = 2
    labels[1, 0, 0] = 2
    assert downsample(labels, 2, method="mode").array.item() == 2


def test_auto_picks_mode_for_labels_and_keeps_dtype():
    labels = np.random.default_rng(0).integers(0, 3, (6, 6, 6)).astype(np.uint8)
    out = downsample(labels, 3)
    assert out.dtype == np.uint8
    assert set(np.unique(out.array)) <= {0, 1, 2}
    mask = labels > 0
    assert downsample(mask, 2).dtype == bool


def test_trailing_voxels_are_dropped():
    assert downsample(np.zeros((5, 7, 9), np.uint16), 2).shape == (2, 3, 4)


def test_lazy_downsampling_matches_numpy():
    da = pytest.importorskip("dask.array")
    grey = np.random.default_rng(1).integers(0, 60000, (8, 12, 10)).astype(np.uint16)
    eager = downsample(grey, 2, method="mean").array
    lazy = downsample(Volume(da.from_array(grey, chunks=4)), 2, method="mean")
    assert lazy.is_lazy
    np.testing.assert_array_equal(lazy.compute().array, eager)


@pytest.mark.parametrize("factor", [0, -2, 1.5, 20])
def test_bad_factor_is_refused(factor):
    with pytest.raises(ParameterError):
        downsample(np.zeros((4, 4, 4)), factor)
