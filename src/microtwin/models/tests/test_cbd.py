"""The CBD model: published parameters, theoretical fractions and realisations."""

import numpy as np
import pytest
from scipy.stats import norm

from microtwin.errors import ParameterError
from microtwin.models._cbd import CBDModel, CBDParameters


def test_published_parameters_are_the_spec_table():
    p = CBDParameters.published()
    assert (p.lambda_x, p.alpha1, p.alpha2, p.gamma, p.mu, p.eta, p.theta, p.lambda_y) == (
        6.355e-11, 205.0, 3944.0, 1.971, 0.499, 0.0127, 0.0105, 9.340e-9)


def test_theoretical_fractions_follow_the_spec_formulas():
    p = CBDParameters.published()
    f = CBDModel(p).theoretical_fractions()
    assert f["V2"] == pytest.approx(1 - norm.cdf(0.499), rel=1e-12)
    assert f["V3"] == pytest.approx(1 - np.exp(-9.340e-9 * 8 * np.pi / 0.0105**3), rel=1e-12)
    assert f["V"] == pytest.approx(f["V1"] + f["V2"] * (1 - f["V1"]) * (1 - f["V3"]), rel=1e-12)
    assert f["V1"] == pytest.approx(0.1050, abs=5e-4)  # 1 − exp(−λ_X V̄), V̄ over the Gamma half axes


def test_sampled_fractions_agree_with_theory_within_three_standard_errors():
    model = CBDModel(CBDParameters.published())
    expected = model.theoretical_fractions()
    samples = np.array([[(labels == k).mean() for k in (1, 2)]
                        for labels in (model.sample((64, 64, 64), 80.0, seed=s) for s in range(6))])
    mean, se = samples.mean(axis=0), samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    assert abs(mean[0] - (expected["V"] - expected["V1"])) <= 3 * se[0] + 1e-3  # CBD
    assert abs(mean[1] - expected["V1"]) <= 3 * se[1] + 1e-3  # graphite


def test_sample_is_seeded_and_labelled_0_1_2():
    model = CBDModel(CBDParameters.published())
    a, b = model.sample((32, 32, 32), (80, 80, 80), seed=3), model.sample((32, 32, 32), 80.0, seed=3)
    assert a.dtype == np.uint8 and np.array_equal(a, b) and set(np.unique(a)) <= {0, 1, 2}
    assert not np.array_equal(a, model.sample((32, 32, 32), 80.0, seed=4))


@pytest.mark.parametrize("change", [{"lambda_x": 0.0}, {"gamma": -1.0}, {"eta": float("nan")}, {"theta": "x"}])
def test_bad_parameters_are_refused(change):
    values = {**CBDParameters.published().to_dict(), **change}
    with pytest.raises(ParameterError):
        CBDParameters(**values)


def test_bad_shape_and_model_input_are_refused():
    with pytest.raises(ParameterError):
        CBDModel(CBDParameters.published()).sample((32, 32), 80.0)
    with pytest.raises(ParameterError):
        CBDModel({"lambda_x": 1.0})
