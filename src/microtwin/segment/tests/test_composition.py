"""Tests of the composition check against hand computation."""

from fractions import Fraction

import numpy as np
import pytest

from microtwin.errors import ParameterError
from microtwin.segment import composition_volume_fractions

NMC_RECIPE = {"NMC": 0.96, "carbon black": 0.02, "PVDF": 0.02}
NMC_DENSITIES = {"NMC": 4.7, "carbon black": 1.9, "PVDF": 1.78}


def test_nmc_cathode_recipe_reproduces_the_hand_computation():
    fractions = composition_volume_fractions(NMC_RECIPE, NMC_DENSITIES, 0.3)
    # by hand: specific volumes w/ρ, their sum, then (1 − P)·(w/ρ)/Σ, in the same order of operations
    nmc, carbon, pvdf = 0.96 / 4.7, 0.02 / 1.9, 0.02 / 1.78
    solid = nmc + carbon + pvdf
    assert fractions == {"NMC": (1 - 0.3) * nmc / solid, "carbon black": (1 - 0.3) * carbon / solid,
                         "PVDF": (1 - 0.3) * pvdf / solid}
    # and in exact rational arithmetic: 0.96/4.7 = 96/470 etc.; the floats agree to rounding
    exact_nmc, exact_carbon, exact_pvdf = Fraction(96, 470), Fraction(2, 190), Fraction(2, 178)
    exact_solid = exact_nmc + exact_carbon + exact_pvdf
    for name, exact in [("NMC", exact_nmc), ("carbon black", exact_carbon), ("PVDF", exact_pvdf)]:
        assert fractions[name] == pytest.approx(float(Fraction(7, 10) * exact / exact_solid), rel=1e-15)
    # by hand: 0.204255 + 0.010526 + 0.011236 = 0.226018 → 63.26 %, 3.26 %, 3.48 %, summing to 1 − P
    assert [round(100 * f, 2) for f in fractions.values()] == [63.26, 3.26, 3.48]
    assert sum(fractions.values()) == pytest.approx(0.7, rel=1e-15)


def test_a_recipe_with_exactly_representable_numbers_gives_exact_fractions():
    fractions = composition_volume_fractions({"A": 0.75, "B": 0.25, "C": 0.0}, {"A": 3.0, "B": 0.5, "C": 2.0}, 0.5)
    # w/ρ = 1/4 and 1/2, sum 3/4: φ_A = 0.5 · (1/4)/(3/4) = 1/6, φ_B = 1/3, φ_C = 0
    assert fractions == {"A": 0.5 * 0.25 / 0.75, "B": 0.5 * 0.5 / 0.75, "C": 0.0}
    assert fractions["A"] == pytest.approx(1 / 6, rel=1e-15) and fractions["B"] == pytest.approx(1 / 3, rel=1e-15)


def test_no_porosity_and_one_constituent():
    assert composition_volume_fractions({"Si": 1.0}, {"Si": 2.33}, 0) == {"Si": 1.0}


@pytest.mark.parametrize("mass, densities, porosity, match", [
    ({"A": 0.6, "B": 0.3}, {"A": 1.0, "B": 1.0}, 0.3, "sum to 1"),
    ({"A": 60, "B": 40}, {"A": 1.0, "B": 1.0}, 0.3, "mass fraction"),
    ({"A": -0.1, "B": 1.1}, {"A": 1.0, "B": 1.0}, 0.3, "mass fraction"),
    ({"A": np.nan, "B": 1.0}, {"A": 1.0, "B": 1.0}, 0.3, "mass fraction"),
    ({"A": 0.5, "B": 0.5}, {"A": 0.0, "B": 1.0}, 0.3, "density"),
    ({"A": 0.5, "B": 0.5}, {"A": np.inf, "B": 1.0}, 0.3, "density"),
    ({"A": 0.5, "B": 0.5}, {"A": 1.0}, 0.3, "same constituents"),
    ({"A": 0.5, "B": 0.5}, {"A": 1.0, "B": 1.0, "C": 2.0}, 0.3, "same constituents"),
    ({"A": 0.5, "B": 0.5}, {"A": 1.0, "B": 1.0}, 1.0, "porosity"),
    ({"A": 0.5, "B": 0.5}, {"A": 1.0, "B": 1.0}, -0.1, "porosity"),
    ({"A": 0.5, "B": 0.5}, {"A": 1.0, "B": 1.0}, np.nan, "porosity"),
    ({}, {}, 0.3, "non-empty"),
    ([0.5, 0.5], [1.0, 1.0], 0.3, "dicts"),
])
def test_composition_refuses_bad_recipes(mass, densities, porosity, match):
    with pytest.raises(ParameterError, match=match):
        composition_volume_fractions(mass, densities, porosity)
