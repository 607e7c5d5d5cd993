import numpy as np
import pytest
from scipy import ndimage
from skimage.feature import hessian_matrix, hessian_matrix_eigvals, structure_tensor_eigenvalues

from microtwin.errors import DimensionError, DTypeError, ParameterError, SpacingError
from microtwin.segment import _features
from microtwin.segment._features import (FEATURES, correlate_along, feature_names, gaussian_kernel,
                                         symmetric_eigenvalues, voxel_features)


def smooth_field(shape=(28, 30, 32), seed=0, blur=2.0):
    """A smooth random grey volume (float32)."""
    return ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), blur).astype(np.float32)


def test_eigenvalues_match_numpy_eigvalsh_on_random_and_degenerate_matrices():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 3, 3)) * rng.lognormal(0, 2, size=(500, 1, 1))
    a = a + a.transpose(0, 2, 1)
    q = np.linalg.qr(rng.normal(size=(4, 3, 3)))[0]  # random rotations for the degenerate cases
    degenerate = [np.zeros((3, 3)), 2.5 * np.eye(3), np.diag([1.0, 1.0, 2.0]), np.diag([-3.0, 0.0, 0.0])]
    a = np.concatenate([a, [r @ d @ r.T for r, d in zip(q, degenerate)], degenerate]).astype(np.float32)
    entries = [a[:, i, j].reshape(-1, 1, 1) for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))]
    ours = symmetric_eigenvalues(*entries)[:, :, 0, 0].T
    reference = np.linalg.eigvalsh(a.astype(np.float64))[:, ::-1]
    scale = np.abs(reference).max(axis=1, keepdims=True) + 1e-30
    assert ours.dtype == np.float32
    np.testing.assert_array_less(np.abs(ours - reference) / scale, 2e-6)
    assert np.all(np.diff(ours, axis=1) <= 0)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_correlation_along_an_axis_matches_scipy_correlate1d(axis):
    volume = np.random.default_rng(2).random((19, 23, 17)).astype(np.float32)[:, ::-1, 1:]  # a strided view
    for sigma, order in [(0.5, 0), (2.0, 1), (7.0, 2)]:  # the last kernel is longer than the axes
        weights = gaussian_kernel(sigma, order)
        reference = ndimage.correlate1d(volume.astype(np.float64), weights, axis=axis, mode="reflect")
        ours = correlate_along(volume, weights, axis, 3, volume.shape[axis] - 2)
        np.testing.assert_allclose(ours, np.take(reference, range(3, volume.shape[axis] - 2), axis=axis),
                                   rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("sigma", [1.5, 2.5])
def test_hessian_eigenvalues_match_skimage(monkeypatch, sigma):
    # with the kernels cut far out, our moment-normalised kernels and skimage's (scipy's) coincide;
    # skimage chains two first derivatives of σ/√2, which mirror differently at the faces: compare inside
    monkeypatch.setattr(_features, "TRUNCATE", 6.0)
    volume, inner = smooth_field(), (slice(None),) + (slice(8, -8),) * 3
    reference = hessian_matrix_eigvals(hessian_matrix(volume.astype(np.float64), sigma, mode="reflect",
                                                      use_gaussian_derivatives=True))[inner]
    ours = voxel_features(volume, ("hessian",), (sigma,))[inner]
    np.testing.assert_allclose(ours, reference, atol=1e-4 * np.abs(reference).max())


def test_structure_tensor_eigenvalues_match_scipy_derivatives_and_skimage_eigenvalues(monkeypatch):
    monkeypatch.setattr(_features, "TRUNCATE", 6.0)
    volume, sigma = smooth_field().astype(np.float64), 2.0
    gradient = [ndimage.gaussian_filter(volume, sigma, order=tuple(int(a == b) for b in range(3)), mode="reflect",
                                        truncate=6.0) for a in range(3)]
    tensor = [ndimage.gaussian_filter(gradient[a] * gradient[b], sigma / 2, mode="reflect", truncate=6.0)
              for a, b in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))]
    reference = structure_tensor_eigenvalues(tensor)
    ours = voxel_features(volume, ("structure",), (sigma,))
    np.testing.assert_allclose(ours, reference, atol=1e-4 * np.abs(reference).max())


def test_gaussian_feature_matches_scipy_gaussian_filter_cut_at_three_sigma():
    volume = smooth_field(blur=0.5)
    reference = ndimage.gaussian_filter(volume, (1.6, 0.8, 0.4), mode="reflect", truncate=3.0)
    ours = voxel_features(volume, ("gaussian",), (1.6,), spacing=(1.0, 2.0, 4.0))[0]
    # scipy sizes its kernel radius from the per-axis sigma just as we do: identical sampled kernels
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)


def test_features_of_a_quadric_are_exact_in_physical_units():
    # f = ½ xᵀAx + bᵀx in physical coordinates: Hessian = A, gradient = Ax + b, smoothing adds the
    # constant ½ Σ_a A_aa var_a (var_a ≈ σ², that of the cut kernel); exact on polynomials of degree ≤ 2.
    spacing, sigma = (0.5, 1.0, 2.0), 1.5
    shape = (40, 24, 20)
    x = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing)], indexing="ij")
    a = np.array([[0.02, 0.01, -0.005], [0.01, -0.03, 0.004], [-0.005, 0.004, 0.03]])
    b = np.array([0.3, -0.2, 0.5])
    f = 0.5 * sum(a[i, j] * x[i] * x[j] for i in range(3) for j in range(3)) + sum(b[i] * x[i] for i in range(3))
    feats = voxel_features(f.astype(np.float32), ("gaussian", "gradient", "hessian"), (sigma,), spacing)
    inner = (slice(12, -12), slice(6, -6), slice(4, -4))  # ≥ 3σ/s from every face
    gradient = np.stack([sum(a[i, j] * x[j] for j in range(3)) + b[i] for i in range(3)])
    offset = (feats[0] - f)[inner]
    assert np.ptp(offset) < 1e-4 and offset.mean() == pytest.approx(0.5 * sigma**2 * np.trace(a), rel=0.05)
    np.testing.assert_allclose(feats[1][inner], np.sqrt((gradient**2).sum(axis=0))[inner], atol=2e-5)
    expected = np.linalg.eigvalsh(a)[::-1]
    for k in range(3):
        np.testing.assert_allclose(feats[2 + k][inner], expected[k], atol=2e-5)


def test_structure_tensor_of_a_linear_ramp_is_the_outer_product_of_its_slope():
    spacing = (1.0, 0.5, 0.8)
    b = np.array([0.4, -0.3, 0.2])
    x = np.meshgrid(*[np.arange(n) * s for n, s in zip((30, 30, 30), spacing)], indexing="ij")
    ramp = sum(bi * xi for bi, xi in zip(b, x)).astype(np.float32)
    feats = voxel_features(ramp, ("structure",), (1.0,), spacing)[:, 8:-8, 8:-8, 8:-8]
    np.testing.assert_allclose(feats[0], b @ b, rtol=1e-4)
    np.testing.assert_allclose(feats[1:], 0, atol=1e-5)


def test_features_of_a_box_equal_the_whole_volume_features():
    volume, spacing = smooth_field(blur=1.0), (1.0, 0.7, 1.3)
    whole = voxel_features(volume, spacing=spacing)
    for region in [(slice(3, 17), slice(0, 30), slice(20, 32)), (slice(0, 1), slice(29, 30), slice(0, 5)),
                   (slice(None), slice(None), slice(None))]:
        np.testing.assert_array_equal(voxel_features(volume, spacing=spacing, region=region),
                                      whole[(slice(None), *region)])


def test_features_commute_with_flips_and_axis_permutations():
    volume, spacing, sigmas = smooth_field(blur=1.0), (1.0, 0.7, 1.3), (0.9, 2.0)
    feats = voxel_features(volume, sigmas=sigmas, spacing=spacing)
    flipped = voxel_features(volume[::-1, :, ::-1], sigmas=sigmas, spacing=spacing)
    np.testing.assert_allclose(flipped, feats[:, ::-1, :, ::-1], atol=1e-5 * np.abs(feats).max())
    order = (2, 0, 1)
    permuted = voxel_features(volume.transpose(order), sigmas=sigmas, spacing=[spacing[i] for i in order])
    np.testing.assert_allclose(permuted, feats.transpose(0, *(i + 1 for i in order)), atol=1e-5 * np.abs(feats).max())


def test_channel_count_and_names():
    sigmas = (0.7, 1.6)
    feats = voxel_features(smooth_field((8, 9, 10)), FEATURES, sigmas)
    names = feature_names(FEATURES, sigmas)
    assert feats.shape == (16, 8, 9, 10) and feats.dtype == np.float32 and len(names) == 16
    assert names[:4] == ["gaussian_0.7", "gradient_0.7", "structure_1_0.7", "structure_2_0.7"]
    assert names[-1] == "hessian_3_1.6" and len(set(names)) == 16


@pytest.mark.parametrize("kwargs, error", [
    ({"features": ("gaussian", "laplace")}, ParameterError),
    ({"features": ()}, ParameterError),
    ({"features": ("hessian", "hessian")}, ParameterError),
    ({"sigmas": ()}, ParameterError),
    ({"sigmas": (1.0, -1.0)}, ParameterError),
    ({"sigmas": (0.0,)}, ParameterError),
    ({"sigmas": (np.nan,)}, ParameterError),
    ({"sigmas": (1.0, 1.0)}, ParameterError),
    ({"sigmas": ("wide",)}, ParameterError),
    ({"sigmas": (1.0,), "spacing": 10.0}, ParameterError),  # 0.1 voxel: sigmas are in spacing units
    ({"spacing": (1.0, 1.0)}, SpacingError),
    ({"region": (slice(0, 8, 2), slice(None), slice(None))}, ParameterError),
    ({"region": (slice(5, 5), slice(None), slice(None))}, ParameterError),
    ({"region": (slice(0, 4), slice(None))}, ParameterError),
    ({"region": (0, slice(None), slice(None))}, ParameterError),
])
def test_bad_arguments_are_refused(kwargs, error):
    with pytest.raises(error):
        voxel_features(smooth_field((8, 8, 8)), **kwargs)


@pytest.mark.parametrize("volume, error", [
    (np.full((6, 6, 6), np.nan, np.float32), ParameterError),
    (np.pad(np.zeros((5, 6, 6), np.float32), ((0, 1), (0, 0), (0, 0)), constant_values=np.inf), ParameterError),
    (np.zeros((6, 6, 6), bool), DTypeError),
    (np.zeros((6, 6), np.float32), DimensionError),
])
def test_bad_volumes_are_refused(volume, error):
    with pytest.raises(error):
        voxel_features(volume, sigmas=(1.0,))
