"""Tests of Potts-MRF smoothing: fixed points checked with NumPy, accuracy gain on a noisy volume, errors."""

import numpy as np
import pytest

from microtwin.data import noisy_grey
from microtwin.errors import ParameterError, SpacingError
from microtwin.segment import Segmentation, gmm, mrf, threshold
from microtwin.segment.tests.test_gmm import three_phase_truth


def neighbour_sum(field, weights):
    """Σ over the 6 face neighbours (inside the image) of w_axis · field, for a (K, Z, Y, X) field."""
    total = np.zeros_like(field, dtype=np.float64)
    for axis, w in enumerate(weights, start=1):
        lower = (slice(None),) * axis + (slice(None, -1),)
        upper = (slice(None),) * axis + (slice(1, None),)
        total[lower] += w * field[upper]
        total[upper] += w * field[lower]
    return total


def random_segmentation(shape=(10, 11, 12), n_classes=3, seed=0, classes=None):
    rng = np.random.default_rng(seed)
    p = rng.random((n_classes, *shape)) ** 3 + 0.05
    p = (p / p.sum(axis=0)).astype(np.float32)
    classes = tuple(range(n_classes)) if classes is None else classes
    return Segmentation(np.asarray(classes, np.uint8)[p.argmax(axis=0)], p, classes, {"method": "test"})


@pytest.fixture(scope="module")
def noisy():
    truth = three_phase_truth()
    return truth, gmm(noisy_grey(truth, [1.0, 2.0, 3.0], blur=0, photons=20, seed=1), 3)


@pytest.mark.parametrize("spacing", [1.0, (1.0, 2.0, 0.5)])
def test_mean_field_converges_to_its_fixed_point(spacing):
    seg = random_segmentation()
    beta = 0.7
    out = mrf(seg, beta, spacing=spacing, iterations=500, tol=1e-7)
    assert out.model["mrf"]["converged"]
    weights = np.min(spacing) / np.asarray(spacing, float) * np.ones(3)
    np.testing.assert_allclose(out.model["mrf"]["weights"], weights)
    expected = seg.probabilities * np.exp(beta * neighbour_sum(out.probabilities, weights))
    np.testing.assert_allclose(out.probabilities, expected / expected.sum(axis=0), atol=1e-5)
    np.testing.assert_array_equal(out.labels, out.probabilities.argmax(axis=0))


def test_icm_ends_at_a_local_optimum_and_returns_conditional_posteriors():
    seg = random_segmentation(seed=1)
    beta = 0.9
    out = mrf(seg, beta, method="icm", iterations=100)
    assert out.model["mrf"]["converged"]
    one_hot = (out.labels[None] == np.arange(3)[:, None, None, None]).astype(np.float64)
    conditional = seg.probabilities * np.exp(beta * neighbour_sum(one_hot, (1, 1, 1)))
    conditional /= conditional.sum(axis=0)
    np.testing.assert_allclose(out.probabilities, conditional, atol=1e-6)
    np.testing.assert_array_equal(out.labels, conditional.argmax(axis=0))


def test_beta_zero_leaves_the_posteriors_unchanged_and_the_input_untouched():
    seg = random_segmentation(seed=2)
    before = seg.probabilities.copy()
    for method in ("mean-field", "icm"):
        out = mrf(seg, 0.0, method=method)
        np.testing.assert_allclose(out.probabilities, seg.probabilities, atol=1e-6)
        np.testing.assert_array_equal(out.labels, seg.labels)
    np.testing.assert_array_equal(seg.probabilities, before)


def test_mrf_keeps_non_consecutive_classes_and_the_input_model():
    seg = random_segmentation(classes=(1, 4), n_classes=2, seed=3)
    out = mrf(seg, 1.0)
    assert out.classes == (1, 4) and set(np.unique(out.labels)) <= {1, 4}
    assert out.model["method"] == "test" and out.model["mrf"]["beta"] == 1.0


@pytest.mark.parametrize("method", ["mean-field", "icm"])
def test_mrf_raises_the_voxel_accuracy_of_a_noisy_gmm_segmentation(noisy, method):
    truth, seg = noisy
    before = (seg.labels == truth).mean()
    out = mrf(seg, 1.0, method=method)
    after = (out.labels == truth).mean()
    # measured: GMM 0.945, mean-field 0.991, ICM 0.990 (48³, photons 20, no blur, β = 1)
    assert before < 0.96 and after > before + 0.03, (before, after)


def test_a_strong_prior_removes_isolated_voxels():
    p = np.full((2, 5, 5, 5), 0.45, np.float32)
    p[1] = 0.55
    p[:, 2, 2, 2] = 0.9, 0.1
    seg = Segmentation(p.argmax(axis=0).astype(np.uint8), p, (0, 1))
    assert mrf(seg, 0.1).labels[2, 2, 2] == 0 and mrf(seg, 1.0).labels[2, 2, 2] == 1


def test_mrf_refuses_bad_input():
    seg = random_segmentation()
    with pytest.raises(ParameterError, match="posterior"):
        mrf(threshold(np.arange(27.0).reshape(3, 3, 3), 5), 1.0)
    with pytest.raises(ParameterError, match="Segmentation"):
        mrf(seg.probabilities, 1.0)
    for beta in (-0.1, np.nan, np.inf, True, "1"):
        with pytest.raises(ParameterError, match="beta"):
            mrf(seg, beta)
    for kwargs, match in [({"method": "gibbs"}, "method"), ({"iterations": 0}, "iterations"),
                          ({"tol": 0.0}, "tol")]:
        with pytest.raises(ParameterError, match=match):
            mrf(seg, 1.0, **kwargs)
    with pytest.raises(SpacingError):
        mrf(seg, 1.0, spacing=(1, 1))


def test_probabilities_that_do_not_sum_to_one_are_refused():
    seg = random_segmentation()
    with pytest.raises(ParameterError, match="sum to one"):
        Segmentation(seg.labels, seg.probabilities * 0.9, seg.classes)
