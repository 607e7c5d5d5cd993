"""Tests of the Gaussian mixture segmentation: parameters against sklearn, posteriors, calibration, errors."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.mixture import GaussianMixture

from microtwin.data import boolean_spheres, noisy_grey
from microtwin.errors import DimensionError, DTypeError, EmptyPhaseError, ParameterError
from microtwin.segment import gmm

TWO = ([0.3, 0.7], [0.05, 0.08], [0.4, 0.6])
THREE = ([0.3, 0.5, 0.8], [0.04, 0.05, 0.06], [0.3, 0.3, 0.4])


def mixture(means, stds, weights, shape=(64, 64, 64), seed=0):
    """Grey values drawn i.i.d. from a Gaussian mixture (a 'clean' mixture: no blur, no other noise)."""
    rng = np.random.default_rng(seed)
    component = rng.choice(len(means), size=shape, p=weights)
    return rng.normal(np.asarray(means)[component], np.asarray(stds)[component]).astype(np.float32)


def three_phase_truth(shape=(48, 48, 48), seed=0):
    """Known-truth labels: 0 pore, 1 small balls (r 3), 2 large balls (r 6) on top."""
    large = boolean_spheres(shape, radius=6, solid_fraction=0.35, seed=seed).array
    small = boolean_spheres(shape, radius=3, solid_fraction=0.25, seed=seed + 1).array
    truth = small.copy()
    truth[large == 1] = 2
    return truth


def sklearn_fit(values, n, means):
    return GaussianMixture(n, tol=1e-8, max_iter=1000, means_init=np.reshape(means, (-1, 1)),
                           random_state=0).fit(values.reshape(-1, 1))


@pytest.mark.filterwarnings("ignore:gmm. EM stopped at max_iter")
@pytest.mark.parametrize("params", [TWO, THREE], ids=["two", "three"])
def test_gmm_recovers_the_components_of_a_clean_mixture(params):
    means, stds, weights = params
    volume = mixture(means, stds, weights)
    with_pv = gmm(volume, len(means), max_iter=200).model  # the mixel weights decay slowly towards 0
    assert max(with_pv["pv_weights"]) < 0.03
    np.testing.assert_allclose(with_pv["means"], means, rtol=0.01)
    np.testing.assert_allclose(with_pv["stds"], stds, rtol=0.05)
    model = gmm(volume, len(means), partial_volume=False).model
    assert model["converged"] and not model["partial_volume"]
    np.testing.assert_allclose(model["means"], means, rtol=0.01)
    np.testing.assert_allclose(model["stds"], stds, rtol=0.03)
    np.testing.assert_allclose(model["weights"], weights, atol=0.01)
    # sklearn's EM on a 20 000-voxel subsample: an independent implementation, within its sampling error
    reference = sklearn_fit(volume.ravel()[:: volume.size // 20000], len(means), means)
    order = np.argsort(reference.means_.ravel())
    np.testing.assert_allclose(model["means"], reference.means_.ravel()[order], rtol=0.01)
    np.testing.assert_allclose(model["stds"], np.sqrt(reference.covariances_.ravel()[order]), rtol=0.05)
    np.testing.assert_allclose(model["weights"], reference.weights_[order], atol=0.02)


def test_histogram_em_matches_exact_em_on_the_raw_values():
    # the binning (2**14 bins, Sheppard's correction) changes the fit by < 1e-4 (measured 1e-6 on the means,
    # 2e-4 on the stds: EM's stopping rule); 16 bins would miss the stds by 12 %
    volume = mixture(*TWO, shape=(40, 50, 50), seed=3)
    model = gmm(volume, 2, partial_volume=False).model
    reference = sklearn_fit(volume.ravel().astype(np.float64), 2, TWO[0])
    np.testing.assert_allclose(model["means"], reference.means_.ravel(), rtol=1e-4)
    np.testing.assert_allclose(model["stds"], np.sqrt(reference.covariances_.ravel()), rtol=5e-4)
    np.testing.assert_allclose(model["weights"], reference.weights_, atol=1e-4)


def test_integer_volumes_are_fitted_exactly_on_one_bin_per_value():
    volume = np.round(mixture(*THREE, shape=(40, 40, 40), seed=4) * 1000).astype(np.uint16)
    model = gmm(volume, 3, partial_volume=False).model
    assert model["bin_width"] == 1.0
    reference = sklearn_fit(volume.ravel().astype(np.float64), 3, np.array(THREE[0]) * 1000)
    np.testing.assert_allclose(model["means"], reference.means_.ravel(), rtol=1e-4)
    np.testing.assert_allclose(model["stds"], np.sqrt(reference.covariances_.ravel()), rtol=1e-3)


def test_posteriors_equal_sklearn_predict_proba_with_the_fitted_parameters():
    volume = mixture(*THREE, shape=(16, 20, 24), seed=5)
    seg = gmm(volume, 3, partial_volume=False)
    reference = GaussianMixture(3)
    reference.weights_ = np.array(seg.model["weights"])
    reference.means_ = np.array(seg.model["means"])[:, None]
    reference.covariances_ = np.array(seg.model["stds"])[:, None, None] ** 2
    reference.precisions_cholesky_ = 1 / np.array(seg.model["stds"])[:, None, None]
    expected = reference.predict_proba(volume.reshape(-1, 1).astype(np.float64)).T.reshape(seg.probabilities.shape)
    assert seg.probabilities.dtype == np.float32
    np.testing.assert_allclose(seg.probabilities, expected, atol=2e-6)
    np.testing.assert_array_equal(seg.labels, expected.argmax(axis=0))
    assert seg.labels.dtype == np.uint8 and seg.classes == (0, 1, 2)


def test_subsample_fit_is_seeded_and_close_to_the_full_fit():
    volume = mixture(*THREE, shape=(48, 48, 48), seed=6)
    full = gmm(volume, 3, partial_volume=False).model
    first, again, other = (gmm(volume, 3, sample=40000, seed=s, partial_volume=False).model for s in (1, 1, 2))
    assert first == again and first["means"] != other["means"]
    np.testing.assert_allclose(first["means"], full["means"], rtol=0.01)
    assert first["sample"] == 40000


@pytest.mark.parametrize("init", ["multi_otsu", "quantiles", [0.2, 0.6, 0.9]])
def test_every_init_reaches_the_same_fit(init):
    volume = mixture(*THREE, shape=(32, 32, 32), seed=7)
    np.testing.assert_allclose(gmm(volume, 3, init=init, partial_volume=False).model["means"],
                               gmm(volume, 3, partial_volume=False).model["means"], rtol=1e-4)


def test_posteriors_on_a_noisy_three_phase_volume_are_calibrated():
    truth = three_phase_truth()
    # no blur: the grey values are a Poisson mixture, close to the Gaussian model; probabilities, not fractions
    seg = gmm(noisy_grey(truth, [1.0, 2.0, 3.0], blur=0, photons=20, seed=1), 3, partial_volume=False)
    confidence, right = seg.probabilities.max(axis=0), seg.labels == truth
    accuracy = right.mean()
    assert 0.93 < accuracy < 0.96  # measured 0.945; voxels with p in (0.65, 0.75): mean p 0.691, right 0.694
    bins = np.digitize(confidence, np.linspace(0.4, 1.0, 13))
    for b in np.unique(bins):
        if (bins == b).sum() > 2000:
            assert abs(right[bins == b].mean() - confidence[bins == b].mean()) < 0.06
    around = (confidence > 0.65) & (confidence < 0.75)
    assert around.sum() > 2000 and 0.62 < right[around].mean() < 0.78


def test_gmm_warns_when_em_stops_at_max_iter():
    volume = mixture(*THREE, shape=(16, 16, 16), seed=8)
    with pytest.warns(RuntimeWarning, match="max_iter"):
        model = gmm(volume, 3, max_iter=1).model
    assert not model["converged"] and model["iterations"] == 1


@pytest.mark.parametrize("n_phases", [1, 0, -2, 2.5, True, 256, "3"])
def test_gmm_refuses_bad_phase_counts(n_phases):
    with pytest.raises(ParameterError, match="n_phases"):
        gmm(mixture(*TWO, shape=(8, 8, 8)), n_phases)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gmm_refuses_non_finite_values(bad):
    volume = mixture(*TWO, shape=(8, 8, 8))
    volume[3, 4, 5] = bad
    with pytest.raises(ParameterError, match="finite"):
        gmm(volume, 2)


def test_gmm_refuses_bad_volumes():
    with pytest.raises(ParameterError, match="constant"):
        gmm(np.full((8, 8, 8), 0.5, np.float32), 2)
    with pytest.raises(DimensionError, match="3D"):
        gmm(np.random.default_rng(0).random((8, 8)), 2)
    with pytest.raises(DTypeError, match="grey"):
        gmm(np.random.default_rng(0).random((8, 8, 8)) > 0.5, 2)
    with pytest.raises(DTypeError, match="grey"):
        gmm(np.ones((8, 8, 8), complex), 2)
    with pytest.raises(ParameterError, match="distinct"):
        gmm((np.arange(512).reshape(8, 8, 8) % 2).astype(np.float32), 3)


def test_gmm_refuses_bad_parameters():
    volume = mixture(*TWO, shape=(8, 8, 8))
    for kwargs, match in [({"max_iter": 0}, "max_iter"), ({"tol": 0}, "tol"), ({"tol": np.nan}, "tol"),
                          ({"sample": 1}, "sample"), ({"bins": 1}, "bins"), ({"init": "kmeans"}, "init"),
                          ({"init": [0.1, 0.2, 0.3]}, "init"), ({"init": [0.1, np.nan]}, "init"),
                          ({"partial_volume": "yes"}, "partial_volume"), ({"partial_volume": 1}, "partial_volume")]:
        with pytest.raises(ParameterError, match=match):
            gmm(volume, 2, **kwargs)


def test_a_component_that_loses_every_voxel_is_an_error():
    with pytest.raises(EmptyPhaseError, match="component"):
        gmm(mixture(*TWO, shape=(8, 8, 8)), 3, init=[0.3, 0.7, 100.0], partial_volume=False)
    with pytest.raises(EmptyPhaseError, match="phase 2 lost all its pure voxels"):
        gmm(mixture(*TWO, shape=(8, 8, 8)), 3, init=[0.3, 0.7, 100.0])


# -- partial volumes -----------------------------------------------------------------------------------

def coated_truth(shape=(48, 48, 48), seed=0):
    """Known-truth labels where only grey-adjacent phases touch: 0 pore, 1 a 4-voxel binder coat, 2 balls (r 8)."""
    balls = boolean_spheres(shape, radius=8, solid_fraction=0.3, seed=seed).array.astype(bool)
    truth = np.where(ndimage.distance_transform_edt(~balls) <= 4, 1, 0).astype(np.uint8)
    truth[balls] = 2
    return truth


def pv_sample(means, stds, pure, mixed, size, seed=0):
    """Grey values drawn from the partial-volume model itself: pure phases and uniform mixels of neighbours."""
    rng = np.random.default_rng(seed)
    k = len(means)
    which = rng.choice(2 * k - 1, size=size, p=np.concatenate([pure, mixed]))
    low = np.where(which < k, which, which - k)
    a = np.where(which < k, 0.0, rng.random(size))
    m, v = np.asarray(means), np.asarray(stds) ** 2
    high = np.minimum(low + 1, k - 1)
    return rng.normal((1 - a) * m[low] + a * m[high], np.sqrt((1 - a) * v[low] + a * v[high])).astype(np.float32)


def test_partial_volume_em_recovers_the_parameters_it_was_drawn_from():
    means, stds, pure, mixed = [0.2, 0.5, 0.8], [0.03, 0.04, 0.05], [0.3, 0.2, 0.2], [0.18, 0.12]
    volume = pv_sample(means, stds, pure, mixed, (64, 64, 64))
    model = gmm(volume, 3, max_iter=3000).model
    np.testing.assert_allclose(model["means"], means, rtol=0.005)
    np.testing.assert_allclose(model["stds"], stds, rtol=0.03)
    np.testing.assert_allclose(model["weights"], pure, atol=0.01)
    np.testing.assert_allclose(model["pv_weights"], mixed, atol=0.01)
    assert model["pv_levels"] == 32 and model["partial_volume"]


# (truth, levels, blur, photons): 2 phases (Boolean balls of radius 8), 3 phases (coated balls)
BLURRED = [("balls", [0.3, 0.7], 0.7, 300), ("balls", [0.3, 0.7], 1.0, 300), ("balls", [0.3, 0.7], 1.0, 1000),
           ("coated", [0.2, 0.5, 0.8], 0.7, 300), ("coated", [0.2, 0.5, 0.8], 1.0, 1000)]


@pytest.mark.parametrize("name, levels, blur, photons", BLURRED)
def test_partial_volume_fractions_of_blurred_volumes_are_unbiased(name, levels, blur, photons):
    # measured (PV / plain): 2 phases |Δfraction| ≤ 0.002 / 0.02-0.11, 3 phases ≤ 0.01 / 0.05-0.17;
    # means within 1.7 % of the contrast (PV) against up to 5 % (plain)
    truth = boolean_spheres((48, 48, 48), 8, 0.4, seed=2).array if name == "balls" else coated_truth()
    grey = noisy_grey(truth, levels, blur=blur, photons=photons, seed=3)
    true = np.bincount(truth.ravel(), minlength=len(levels)) / truth.size
    seg, plain = gmm(grey, len(levels), max_iter=3000), gmm(grey, len(levels), partial_volume=False)
    fractions = seg.probabilities.mean(axis=(1, 2, 3), dtype=np.float64)
    plain_fractions = plain.probabilities.mean(axis=(1, 2, 3), dtype=np.float64)
    contrast = levels[-1] - levels[0]
    print(f"{name} blur {blur} photons {photons}: means PV {np.round(seg.model['means'], 4)} plain "
          f"{np.round(plain.model['means'], 4)}; fraction error PV {np.round(fractions - true, 4)} "
          f"plain {np.round(plain_fractions - true, 4)}")
    assert np.abs(fractions - true).max() <= 0.01
    assert np.abs(plain_fractions - true).max() > 0.02  # the test can tell a blur-biased estimate
    assert np.abs(np.array(seg.model["means"]) - levels).max() <= 0.02 * contrast
    np.testing.assert_allclose(seg.probabilities.sum(axis=0), 1, atol=1e-5)
    np.testing.assert_array_equal(seg.labels, seg.probabilities.argmax(axis=0))


def test_partial_volume_puts_a_blurred_interface_at_its_midpoint():
    truth = np.zeros((8, 8, 64), np.uint8)
    truth[..., 32:] = 1
    grey = noisy_grey(truth, [0.3, 0.7], blur=2.0, photons=2000, seed=4)
    seg = gmm(grey, 2)
    p1 = seg.probabilities[1].mean(axis=(0, 1), dtype=np.float64)
    # the expected fraction follows the blurred step Φ(d / 2) (the noise-free fraction of the solid)
    assert np.abs(p1 - ndimage.gaussian_filter1d(truth[0, 0].astype(float), 2.0)).max() < 0.08
    assert (seg.labels[..., :32] == 0).mean() > 0.97 and (seg.labels[..., 32:] == 1).mean() > 0.97
