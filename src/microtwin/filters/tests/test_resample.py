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


def test_resample_fib_sem_to_isotropic_voxels_by_block_mean():
    from microtwin.filters import resample

    grey = np.random.default_rng(2).random((6, 12, 12)).astype(np.float32)
    out = resample(Volume(grey, spacing=(20, 10, 10), unit="nm"), 20.0)
    assert out.shape == (6, 6, 6) and out.spacing == (20.0, 20.0, 20.0) and out.unit == "nm"
    np.testing.assert_allclose(out.array, grey.reshape(6, 1, 6, 2, 6, 2).mean(axis=(1, 3, 5)), rtol=1e-6)
    assert out.array.mean() == pytest.approx(grey.mean(), rel=1e-6)


def test_resample_by_interpolation_keeps_the_field_of_view_and_the_mean():
    from microtwin.filters import resample

    z, y, x = np.meshgrid(*[np.linspace(0, 1, 30)] * 3, indexing="ij")
    smooth = (1 + np.sin(2 * np.pi * x) * np.cos(np.pi * y) + z).astype(np.float32)
    out = resample(smooth, (1.5, 1.5, 1.5), spacing=1.0)
    assert out.shape == (20, 20, 20) and out.spacing == (1.5, 1.5, 1.5)
    assert out.array.dtype == np.float32
    assert out.array.mean() == pytest.approx(smooth.mean(), rel=2e-3)
    up = resample(smooth, 0.5, order=3)
    assert up.shape == (60, 60, 60) and up.array.mean() == pytest.approx(smooth.mean(), rel=2e-3)


def test_resample_spacing_argument_and_errors():
    from microtwin.errors import SpacingError
    from microtwin.filters import resample

    grey = np.ones((4, 4, 4), np.float32)
    assert resample(Volume(grey, spacing=5), 2.0, spacing=1.0).spacing == (2.0, 2.0, 2.0)
    with pytest.raises(ParameterError):
        resample(grey, 0.0)
    with pytest.raises(ParameterError, match="coarser"):
        resample(grey, 8.0)
    with pytest.raises(ParameterError):
        resample(grey, 2.0, order=9)
    with pytest.raises(SpacingError):
        resample(grey, 2.0, spacing=-1)
    with pytest.raises(ParameterError, match="NaN"):
        resample(np.full((4, 4, 4), np.nan), 2.0)
