import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from microtwin.data._generated import boolean_spheres
from microtwin.errors import EmptyPhaseError, PercolationError
from microtwin.measure._constrictivity import Constrictivity, constrictivity
from microtwin.measure._intrusion import mip
from microtwin.measure._thickness import cpsd


def channel(length=40, radius=8.0, neck=None, neck_at=(4, 8), spacing=(1.0, 1.0, 1.0)):
    """A circular channel along axis 0 (radius in physical units), optionally with a narrower neck."""
    width = int(np.ceil(2 * radius / min(spacing[1:]))) + 5
    z, y, x = np.meshgrid(*[np.arange(n) * s for n, s in zip((length, width, width), spacing)], indexing="ij")
    r2 = (y - y.max() / 2) ** 2 + (x - x.max() / 2) ** 2
    phase = r2 <= radius**2
    if neck is not None:
        section = (z >= neck_at[0] * spacing[0]) & (z < neck_at[1] * spacing[0])
        phase &= ~section | (r2 <= neck**2)
    return phase


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.5, 1.0, 1.0), (1.0, 0.8, 0.8)])
def test_straight_circular_channel_has_no_constriction(spacing):
    result = constrictivity(channel(spacing=spacing), axis=0, spacing=spacing)
    assert result.beta == 1.0 and result.r_min == result.r_max
    assert abs(result.r_max - 8.0) <= max(spacing)  # the channel radius, within one voxel


def test_straight_square_channel_has_no_constriction():
    phase = np.zeros((30, 15, 15), bool)
    phase[:, 3:12, 3:12] = True
    result = constrictivity(phase, axis=0)
    assert isinstance(result, Constrictivity)
    assert result.to_dict() == {"r_min": 5.0, "r_max": 5.0, "beta": 1.0}


def test_constricted_channel_gives_the_analytic_radii():
    phase = channel(radius=8.0, neck=3.0)
    dt = ndimage.distance_transform_edt(phase)
    centre = phase.shape[1] // 2
    wide, narrow = dt[20, centre, centre], dt[6, centre, centre]  # exact digital radii on the axis
    assert 8 < wide <= 9 and 3 < narrow <= 4
    result = constrictivity(phase, axis=0)
    assert result.r_max == pytest.approx(wide) and result.r_min == pytest.approx(narrow)
    assert result.beta == pytest.approx((narrow / wide) ** 2)
    assert (3 / 9) ** 2 < result.beta < (4 / 8) ** 2


def test_constrictivity_uses_the_mip_and_cpsd_radii():
    phase = channel(radius=6.0, neck=2.5, neck_at=(3, 6))
    spacing = (0.7, 0.7, 0.7)
    result = constrictivity(phase, 0, spacing)
    assert result.r_min == mip(phase, 0, spacing).radius_at(0.5)
    assert result.r_max == cpsd(phase, spacing).radius_at(0.5)
    assert result.to_dict()["beta"] == pytest.approx((result.r_min / result.r_max) ** 2)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), axis=st.integers(0, 2), scale=st.sampled_from([0.3, 1.0, 2.5]))
def test_bottleneck_radius_never_exceeds_pore_radius(seed, axis, scale):
    pores = boolean_spheres((16, 17, 18), radius=2.0, solid_fraction=0.4, seed=seed).array == 0
    result = constrictivity(pores, axis, scale)
    assert 0 <= result.r_min <= result.r_max
    assert 0 <= result.beta <= 1
    assert result.beta == pytest.approx(constrictivity(pores, axis, 1.0).beta)


def test_non_percolating_phase_raises():
    phase = np.zeros((20, 10, 10), bool)
    phase[:9, :, 2:8] = True
    phase[11:, :, 2:8] = True  # blind pores on both z faces, no path between them
    with pytest.raises(PercolationError):
        constrictivity(phase, axis=0)
    assert constrictivity(phase, axis=1).beta == 1.0  # along y it is a straight channel


def test_empty_phase_raises():
    with pytest.raises(EmptyPhaseError):
        constrictivity(np.zeros((6, 6, 6), bool))
