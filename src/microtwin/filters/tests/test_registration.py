import numpy as np
import pytest
from scipy import ndimage

from microtwin.data import boolean_spheres, noisy_grey
from microtwin.errors import DimensionError, ParameterError
from microtwin.filters import register_slices


def drifted_stack(drifts, seed=0):
    """A field of view (64², fixed) over a blurred 2D texture that moves by the cumulative ``drifts``
    (exact sub-voxel translations by Fourier shift of a larger periodic texture)."""
    plane = ndimage.gaussian_filter(np.random.default_rng(seed).random((128, 128)), 2.0, mode="wrap")
    shifts = np.cumsum(drifts, axis=0)
    slices = [np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(plane), s)).real[32:96, 32:96] for s in shifts]
    return np.stack(slices).astype(np.float32), shifts


@pytest.mark.parametrize("drifts", [
    [[0, 0], [2, -1], [1, 0], [0, 3], [-2, -2], [1, 1]],                  # whole voxels
    [[0, 0], [0.4, -0.3], [1.7, 0.25], [-0.6, 0.9], [0.35, -1.45], [0.1, 0.5]],  # sub-voxel
])
def test_known_drifts_are_recovered_within_a_fifth_of_a_voxel(drifts):
    stack, truth = drifted_stack(np.array(drifts, float))
    corrected, shifts = register_slices(stack)
    assert corrected.dtype == np.float32 and corrected.shape == stack.shape
    recovered = -(shifts - shifts[0])  # the correction undoes the drift
    np.testing.assert_allclose(recovered, truth - truth[0], atol=0.2)
    inner = (slice(None), slice(8, -8), slice(8, -8))
    misfit = np.abs(corrected[inner] - corrected[0][None, 8:-8, 8:-8]).mean()
    assert misfit < 0.1 * np.abs(stack[inner] - stack[0][None, 8:-8, 8:-8]).mean()


def test_sub_voxel_drift_of_a_noisy_3d_structure_along_another_axis():
    """Blurred balls drifting by (0.3, −0.2) voxel per slice (slicing along y), then photon noise.

    The field is cropped after the drift, so the borders stay put while the structure moves.
    Consecutive slices differ (the structure is 3D), so each pairwise estimate is off by up to
    ~0.15 voxel; the mean drift per slice is recovered within 0.05 voxel.
    """
    labels = boolean_spheres((96, 32, 96), radius=6, solid_fraction=0.5, seed=3).array
    clean = noisy_grey(labels, [0.3, 0.7], blur=1.0, photons=1e12, seed=4)
    drift = np.array([0.3, -0.2])
    moved = np.stack([ndimage.shift(clean[:, j], drift * j, order=3)[16:80, 16:80] for j in range(32)], axis=1)
    noisy = np.random.default_rng(5).poisson(2000 * np.clip(moved, 0, None)).astype(np.float32) / 2000
    _, shifts = register_slices(noisy, axis=1)
    np.testing.assert_allclose(np.diff(shifts, axis=0).mean(axis=0), -drift, atol=0.05)


def test_register_slices_errors():
    stack, _ = drifted_stack(np.zeros((3, 2)))
    with pytest.raises(ParameterError, match="constant"):
        register_slices(np.concatenate([stack, np.ones((1, 64, 64), np.float32)]))
    with pytest.raises(ParameterError, match="≥ 2 slices"):
        register_slices(stack[:1])
    with pytest.raises(ParameterError):
        register_slices(stack, upsample_factor=0)
    with pytest.raises(ParameterError):
        register_slices(stack, order=7)
    with pytest.raises(ParameterError):
        register_slices(stack, axis=-4)
    with pytest.raises(DimensionError):
        register_slices(stack[0])
    with pytest.raises(ParameterError, match="NaN"):
        register_slices(np.where(stack > 0.5, np.nan, stack))
