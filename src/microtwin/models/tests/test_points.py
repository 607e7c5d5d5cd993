"""Point processes: counts against the Poisson law, uniformity (Kolmogorov–Smirnov), the Matérn
type-II intensity formula, the hard-core distance, the Matérn cluster mean and over-dispersion."""

import numpy as np
import pytest
from scipy import special, stats
from scipy.spatial import cKDTree
from scipy.spatial.distance import pdist

from microtwin.errors import ParameterError
from microtwin.models import hardcore, matern_cluster, poisson_points


def counts(sampler, n_windows):
    return np.array([len(sampler(seed)) for seed in range(n_windows)])


def test_poisson_counts_have_poisson_mean_and_variance():
    intensity, window = 0.02, (10.0, 20.0, 5.0)  # mean 20 points
    n = counts(lambda seed: poisson_points(intensity, window, seed), 2000)
    mean = intensity * np.prod(window)
    assert n.mean() == pytest.approx(mean, abs=3 * np.sqrt(mean / n.size))
    # dispersion index: (N − 1) s² / mean ~ χ²(N − 1) for Poisson counts
    statistic = (n.size - 1) * n.var(ddof=1) / mean
    assert 0.001 < stats.chi2.sf(statistic, n.size - 1) < 0.999


def test_poisson_points_are_uniform_in_a_window_given_by_corners():
    low, high = np.array([-5.0, 2.0]), np.array([5.0, 4.0])
    points = poisson_points(50.0, (low, high), seed=3)
    assert points.shape[1] == 2 and len(points) > 500
    for axis in range(2):
        assert stats.kstest(points[:, axis], stats.uniform(low[axis], high[axis] - low[axis]).cdf).pvalue > 0.001


def test_same_seed_same_points_and_generators_accepted():
    a = poisson_points(0.1, (5, 5, 5), seed=7)
    assert np.array_equal(a, poisson_points(0.1, (5, 5, 5), seed=np.random.default_rng(7)))
    assert not np.array_equal(a, poisson_points(0.1, (5, 5, 5), seed=8))


def test_hardcore_respects_distance_and_has_the_requested_intensity():
    r, window = 2.0, (30.0, 30.0, 30.0)
    intensity = 0.8 / (4 / 3 * np.pi * r**3)  # 80 % of the type-II maximum: heavy thinning
    samples = [hardcore(intensity, r, window, seed) for seed in range(60)]
    assert min(pdist(p).min() for p in samples) > r
    n = np.array([len(p) for p in samples])
    mean = intensity * np.prod(window)
    assert n.mean() == pytest.approx(mean, abs=4 * np.sqrt(mean / n.size))  # sub-Poisson: generous
    assert n.var() < mean  # a hard-core process is more regular than Poisson


def test_hardcore_has_no_edge_effect():
    # simulated on the dilated window and cropped, points within r/2 of the border are as frequent
    # as inside (cropping a process simulated in the window alone gives 0.326 instead of 0.271)
    r, window = 3.0, (30.0, 30.0, 30.0)
    points = np.concatenate([hardcore(0.9 / (4 / 3 * np.pi * r**3), r, window, s) for s in range(80)])
    near = np.any((points < r / 2) | (points > 30 - r / 2), axis=1).mean()
    assert near == pytest.approx(1 - ((30 - r) / 30) ** 3, abs=0.015)


def test_matern_cluster_mean_and_overdispersion():
    parents, children, radius, window = 2e-4, 10.0, 3.0, (40.0, 40.0, 40.0)
    samples = [matern_cluster(parents, children, radius, window, seed) for seed in range(300)]
    n = np.array([len(p) for p in samples])
    mean = parents * children * np.prod(window)
    assert n.mean() == pytest.approx(mean, rel=0.06)
    assert n.var() > 3 * mean  # clustering: counts vary far more than Poisson
    # nearest neighbours are much closer than for a Poisson process of the same intensity
    nearest = np.concatenate([cKDTree(p).query(p, k=2)[0][:, 1] for p in samples if len(p) > 1])
    poisson_mean = special.gamma(4 / 3) / (4 / 3 * np.pi * parents * children) ** (1 / 3)
    assert np.median(nearest) < 0.5 * poisson_mean


@pytest.mark.parametrize("call", [
    lambda: poisson_points(0.0, (1, 1, 1)),
    lambda: poisson_points(-1.0, (1, 1, 1)),
    lambda: poisson_points(np.nan, (1, 1, 1)),
    lambda: poisson_points(True, (1, 1, 1)),
    lambda: poisson_points(1.0, (1, 0, 1)),
    lambda: poisson_points(1.0, ((0, 0), (1, -1))),
    lambda: poisson_points(1.0, ((0, 0, 0), (1, 1, 1), (2, 2, 2))),
    lambda: poisson_points(1.0, "box"),
    lambda: poisson_points(1.0, (1, np.inf)),
    lambda: matern_cluster(1.0, 0.0, 1.0, (1, 1)),
    lambda: matern_cluster(1.0, 1.0, -1.0, (1, 1)),
    lambda: hardcore(1.0, 0.0, (1, 1, 1)),
    lambda: hardcore(1.0, 1.0, (5, 5, 5)),  # above the type-II maximum 3/(4π)
])
def test_bad_parameters_raise_parameter_error(call):
    with pytest.raises(ParameterError):
        call()


def test_hardcore_error_names_the_maximum_intensity():
    with pytest.raises(ParameterError, match="below 0.238"):
        hardcore(1.0, 1.0, (5, 5, 5))
