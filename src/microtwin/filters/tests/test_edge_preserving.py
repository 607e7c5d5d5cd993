import numpy as np
import pytest
from scipy import ndimage
from skimage.restoration import denoise_nl_means

from microtwin.data import boolean_spheres, noisy_grey
from microtwin.errors import DimensionError, ParameterError
from microtwin.filters import (anisotropic_diffusion, bilateral, estimate_noise, gaussian, nl_means,
                               unsharp_mask)

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def noisy_step():
    """A step 0.2 → 0.8 across x = 16 with white noise σ = 0.05."""
    clean = np.full((24, 24, 32), 0.2, np.float32)
    clean[..., 16:] = 0.8
    return clean, clean + np.random.default_rng(1).normal(0, 0.05, clean.shape).astype(np.float32)


def test_noise_estimate_recovers_white_noise_and_ignores_structure():
    labels = boolean_spheres((48, 48, 48), radius=5, seed=3).array
    sharp = np.where(labels == 1, 0.8, 0.2).astype(np.float32)
    clean = gaussian(sharp, 1.0)  # a scanner's point-spread function
    for sigma in (0.01, 0.1):
        noisy = clean + np.random.default_rng(4).normal(0, sigma, clean.shape).astype(np.float32)
        assert estimate_noise(noisy) == pytest.approx(sigma, rel=0.07)
    assert estimate_noise(sharp) == 0.0


def test_noise_estimate_of_poisson_noise_is_the_typical_sigma():
    labels = boolean_spheres((48, 48, 48), radius=5, seed=3).array
    grey = noisy_grey(labels, [0.3, 0.7], blur=1.0, photons=50, seed=5)
    truth = grey - noisy_grey(labels, [0.3, 0.7], blur=1.0, photons=1e12, seed=5)
    assert estimate_noise(grey) == pytest.approx(truth.std(), rel=0.05)


def test_nl_means_is_at_least_as_good_as_skimage_fast_mode():
    labels = boolean_spheres((32, 32, 32), radius=4, seed=6).array
    clean = np.where(labels == 1, 0.7, 0.3).astype(np.float32)
    noisy = clean + np.random.default_rng(7).normal(0, 0.08, clean.shape).astype(np.float32)
    ours = nl_means(noisy, sigma=0.08, h=0.048)
    theirs = denoise_nl_means(noisy, patch_size=3, patch_distance=3, h=0.048, sigma=0.08, fast_mode=True)
    rmse = [float(np.sqrt(np.mean((x - clean) ** 2))) for x in (noisy, ours, theirs)]
    assert ours.dtype == np.float32
    assert rmse[1] < 0.7 * rmse[0]
    assert rmse[1] <= 1.05 * rmse[2]
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] > 0.95


def test_nl_means_leaves_a_constant_volume_alone_and_keeps_the_mean(noisy_step):
    flat = np.full((10, 10, 10), 3.0, np.float32)
    np.testing.assert_allclose(nl_means(flat, sigma=0.1), flat, rtol=1e-6)
    _, noisy = noisy_step
    assert nl_means(noisy).mean() == pytest.approx(noisy.mean(), abs=2e-3)


def test_nl_means_patch_and_search_sizes_follow_spacing(noisy_step):
    """On voxels twice as long along z, a window of the same physical size spans half the planes."""
    _, noisy = noisy_step
    iso = nl_means(noisy, sigma=0.05, patch_radius=1, search_radius=2)
    aniso = nl_means(noisy, sigma=0.05, patch_radius=(2, 1, 1), search_radius=(4, 2, 2), spacing=(2, 1, 1))
    np.testing.assert_allclose(iso, aniso, atol=1e-6)


def edge_error_and_residual(filtered, clean):
    """(mean |error| within 2 voxels of the step, noise std far from it)."""
    return (float(np.abs(filtered - clean)[..., 14:18].mean()),
            float(np.sqrt(0.5 * (filtered[..., 2:10].var() + filtered[..., 22:30].var()))))


def gaussian_of_equal_noise(noisy, target):
    low, high = 0.05, 6.0
    for _ in range(25):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if edge_error_and_residual(gaussian(noisy, mid), noisy)[1] > target else (low, mid)
    return gaussian(noisy, 0.5 * (low + high))


@pytest.mark.parametrize("filter_", [lambda x: bilateral(x, sigma_spatial=1.5),
                                     lambda x: anisotropic_diffusion(x, n_iter=10, kappa=0.05),
                                     lambda x: nl_means(x)], ids=["bilateral", "anisotropic_diffusion", "nl_means"])
def test_edge_preserving_filters_keep_a_step_sharper_than_a_gaussian_of_equal_noise_reduction(noisy_step, filter_):
    clean, noisy = noisy_step
    filtered = filter_(noisy)
    edge, residual = edge_error_and_residual(filtered, clean)
    assert residual < 0.5 * 0.05
    reference = gaussian_of_equal_noise(noisy, residual)
    assert edge_error_and_residual(reference, clean)[1] == pytest.approx(residual, rel=0.02)
    assert edge < 0.5 * edge_error_and_residual(reference, clean)[0]


def test_anisotropic_diffusion_obeys_the_maximum_principle_and_smooths_without_edges():
    noisy = RNG.random((16, 16, 16)).astype(np.float32)
    out = anisotropic_diffusion(noisy, n_iter=20, kappa=100.0, rho=0)
    assert noisy.min() <= out.min() and out.max() <= noisy.max()
    assert out.std() < 0.3 * noisy.std()
    assert out.mean() == pytest.approx(noisy.mean(), rel=1e-4)  # no flux across the borders


@pytest.mark.parametrize("rho", [0, 1.0])
def test_anisotropic_diffusion_equals_the_explicit_scheme_written_in_numpy(rho):
    """Perona–Malik, zero-flux borders, step 1/7: every face flux g(Δe)·Δu once, from the old values
    (the conductances judged on the image itself for ρ = 0, on its Gaussian for ρ > 0); 40 planes so
    that the in-place update crosses several blocks."""
    u = (RNG.random((40, 20, 24)) > 0.5) * 0.4 + RNG.normal(0, 0.05, (40, 20, 24))
    kappa, expected = 0.1, u.copy()
    for _ in range(4):
        edges = expected if rho == 0 else ndimage.gaussian_filter(expected, rho, mode="reflect", truncate=4.0)
        update = np.zeros_like(expected)
        for axis in range(3):
            flux = np.diff(expected, axis=axis) * np.exp(-(np.diff(edges, axis=axis) / kappa) ** 2)
            update += np.pad(flux, [(0, 1) if a == axis else (0, 0) for a in range(3)])
            update -= np.pad(flux, [(1, 0) if a == axis else (0, 0) for a in range(3)])
        expected = expected + update / 7
    out = anisotropic_diffusion(u.astype(np.float32), n_iter=4, kappa=kappa, rho=rho)
    np.testing.assert_allclose(out, expected, atol=2e-5)


def test_anisotropic_diffusion_step_follows_spacing():
    """Linear diffusion (huge κ) of an impulse spreads as a Gaussian of variance 2t per axis."""
    impulse = np.zeros((31, 31, 31), np.float32)
    impulse[15, 15, 15] = 1
    coordinates = np.arange(31) - 15.0
    for spacing in ((1, 1, 1), (1, 0.5, 0.5)):
        out = anisotropic_diffusion(impulse, n_iter=40, kappa=1e6, rho=0, spacing=spacing)
        variances = [float((out.sum(axis=tuple(b for b in range(3) if b != a)) * (coordinates * s) ** 2).sum())
                     for a, s in enumerate(spacing)]
        step = min(spacing) ** 2 / (1 + 2 * sum((min(spacing) / s) ** 2 for s in spacing))
        np.testing.assert_allclose(variances, 2 * 40 * step, rtol=1e-3)


def test_bilateral_with_a_huge_range_is_a_truncated_gaussian():
    noisy = RNG.random((12, 12, 12)).astype(np.float32)
    out = bilateral(noisy, sigma_spatial=1.0, sigma_range=1e6, truncate=1.5)
    weights = np.zeros((3, 3, 3))
    for k, j, i in np.ndindex(3, 3, 3):
        r2 = (k - 1) ** 2 + (j - 1) ** 2 + (i - 1) ** 2
        weights[k, j, i] = np.exp(-0.5 * r2) if r2 <= 1.5**2 else 0
    from scipy import ndimage

    expected = ndimage.correlate(noisy.astype(np.float64), weights / weights.sum())
    np.testing.assert_allclose(out[1:-1, 1:-1, 1:-1], expected[1:-1, 1:-1, 1:-1], atol=1e-5)


def test_unsharp_mask_raises_the_contrast_of_a_blurred_edge():
    step = np.zeros((8, 8, 16), np.float32)
    step[..., 8:] = 1
    blurred = gaussian(step, 1.5)
    sharp = unsharp_mask(blurred, sigma=1.5, amount=1.0)
    np.testing.assert_allclose(sharp, 2 * blurred - gaussian(blurred, 1.5), atol=1e-6)
    assert sharp[0, 0, 8] - sharp[0, 0, 7] > blurred[0, 0, 8] - blurred[0, 0, 7]


@pytest.mark.parametrize("filter_", [nl_means, anisotropic_diffusion, bilateral])
def test_constant_volume_without_a_noise_level_is_refused(filter_):
    with pytest.raises(ParameterError, match="noise level"):
        filter_(np.full((8, 8, 8), 0.5, np.float32))


@pytest.mark.parametrize("call", [
    lambda x: nl_means(x, sigma=-1), lambda x: nl_means(x, sigma=np.nan), lambda x: nl_means(x, h=0),
    lambda x: nl_means(x, patch_radius=0), lambda x: nl_means(x, search_radius=(1, 1)),
    lambda x: anisotropic_diffusion(x, n_iter=0), lambda x: anisotropic_diffusion(x, n_iter=2.5),
    lambda x: anisotropic_diffusion(x, kappa=-1), lambda x: anisotropic_diffusion(x, conductance="linear"),
    lambda x: anisotropic_diffusion(x, rho=-1),
    lambda x: bilateral(x, sigma_spatial=0), lambda x: bilateral(x, sigma_range=0), lambda x: bilateral(x, truncate=0),
    lambda x: unsharp_mask(x, amount=0), lambda x: unsharp_mask(x, sigma=0),
])
def test_bad_parameters_are_refused(call):
    with pytest.raises(ParameterError):
        call(RNG.random((8, 8, 8)))


@pytest.mark.parametrize("filter_", [nl_means, anisotropic_diffusion, bilateral, unsharp_mask, estimate_noise])
def test_bad_volumes_are_refused(filter_):
    with pytest.raises(DimensionError):
        filter_(np.zeros((8, 8)))
    with pytest.raises(ParameterError, match="NaN"):
        filter_(np.full((8, 8, 8), np.nan))
