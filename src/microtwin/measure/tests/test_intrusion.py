import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from microtwin.data._generated import boolean_spheres
from microtwin.errors import EmptyPhaseError, ParameterError
from microtwin.measure._intrusion import intrusion_radius, mip
from microtwin.measure._thickness import cpsd, local_thickness


def pores(seed, shape=(24, 26, 28), solid_fraction=0.55, radius=3.0):
    """Pore phase of a seeded Boolean model of balls."""
    return boolean_spheres(shape, radius=radius, solid_fraction=solid_fraction, seed=seed).array == 0


def simulated_intrusion(phase, spacing, axis):
    """Independent definition, one radius at a time: label {dt ≥ r} (6-connected), keep the
    components on the face at index 0 of ``axis``, dilate them by the open ball of radius r."""
    dt = ndimage.distance_transform_edt(phase, sampling=spacing)
    out = np.zeros(phase.shape)
    for r in np.unique(dt[phase])[::-1]:
        labels, _ = ndimage.label(dt >= r)
        inlet = np.unique(np.take(labels, 0, axis=axis))
        centres = np.isin(labels, inlet[inlet > 0])
        if centres.any():
            reached = ndimage.distance_transform_edt(~centres, sampling=spacing) < r * (1 - 1e-9)
            out[(out == 0) & reached] = r
    return out


def ink_bottle():
    """Along axis 0: a 5×5 channel from the inlet (z = 0) into a 19×19 chamber that reaches the far face."""
    phase = np.zeros((40, 23, 23), bool)
    phase[:20, 9:14, 9:14] = True
    chamber = np.zeros_like(phase)
    chamber[20:, 2:21, 2:21] = True
    return phase | chamber, chamber


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.5, 1.0, 1.0), (1.3, 0.7, 1.1)])
@pytest.mark.parametrize("axis", [0, 2])
def test_intrusion_radius_equals_the_per_radius_simulation(axis, spacing):
    phase = pores(7)
    np.testing.assert_allclose(intrusion_radius(phase, axis, spacing), simulated_intrusion(phase, spacing, axis),
                               atol=1e-5)


def test_ink_bottle_chamber_fills_only_at_the_neck_radius():
    phase, chamber = ink_bottle()
    ir, lt = intrusion_radius(phase, axis=0), local_thickness(phase)
    neck_radius = 3.0  # the channel axis is 3 voxels from the wall
    assert ir[chamber].max() == neck_radius
    assert np.mean(ir[chamber] == neck_radius) > 0.95  # all but a few corner voxels near the neck
    assert np.median(lt[chamber]) == 10.0
    assert mip(phase, 0, radii=[neck_radius + 0.01]).fraction[0] == 0.0


def test_ink_bottle_entered_from_the_chamber_side_fills_at_the_chamber_radius():
    phase, chamber = ink_bottle()
    ir = intrusion_radius(phase, axis=0, inlet="high")
    np.testing.assert_array_equal(ir, intrusion_radius(phase[::-1], axis=0, inlet="low")[::-1])
    assert np.median(ir[chamber]) == 10.0
    assert ir[:10][phase[:10]].max() == 3.0  # far from the chamber, the channel only takes its own radius


def test_phase_away_from_the_inlet_is_never_intruded():
    phase = np.zeros((12, 10, 10), bool)
    phase[3:9, 2:8, 2:8] = True
    curve = mip(phase, axis=0)
    assert np.all(curve.fraction == 0) and curve.radius_at(0.5) == 0.0
    assert np.all(intrusion_radius(phase, axis=0) == 0)
    assert mip(phase, axis=1).radius_at(0.5) == 0.0


def test_straight_channel_intrudes_at_its_radius():
    phase = np.zeros((30, 15, 15), bool)
    phase[:, 3:12, 3:12] = True
    assert mip(phase, axis=0).radius_at(0.5) == cpsd(phase).radius_at(0.5) == 5.0


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), axis=st.integers(0, 2), spacing=st.sampled_from([1.0, (0.5, 1.0, 2.0)]))
def test_mip_never_exceeds_cpsd_and_fractions_lie_in_unit_interval(seed, axis, spacing):
    phase = pores(seed, shape=(16, 17, 18), radius=2.0)
    ir, lt = intrusion_radius(phase, axis, spacing), local_thickness(phase, spacing)
    assert np.all(ir <= lt)
    radii = np.linspace(0, lt.max() + 1, 25)
    intrusion, sizes = mip(phase, axis, spacing, radii=radii), cpsd(phase, spacing, radii=radii)
    assert np.all(intrusion.fraction <= sizes.fraction)
    assert np.all((intrusion.fraction >= 0) & (intrusion.fraction <= 1))
    assert np.all(np.diff(intrusion.fraction) <= 0)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), order=st.permutations([0, 1, 2]), flip=st.booleans())
def test_intrusion_follows_axis_permutations_and_flips_across_the_axis(seed, order, flip):
    phase = pores(seed, shape=(14, 15, 16), radius=2.0)
    spacing = (1.0, 0.5, 2.0)
    ir = intrusion_radius(phase, axis=0, spacing=spacing)
    moved, expected = np.transpose(phase, order), np.transpose(ir, order)
    if flip:  # flip an axis parallel to the inlet face
        other = order.index(1)
        moved, expected = np.flip(moved, other), np.flip(expected, other)
    result = intrusion_radius(moved, axis=order.index(0), spacing=tuple(spacing[a] for a in order))
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_mip_curve_matches_porespy_porosimetry_at_integer_radii():
    """At an integer radius PoreSpy's centres {⌊dt⌋ ≥ r} are {dt ≥ r}, as here; in between it floors dt,
    which drops the fractional radii, so only the integer radii are compared (a few % apart)."""
    ps = pytest.importorskip("porespy")
    phase = ps.generators.blobs(shape=[48] * 3, porosity=0.4, blobiness=1, seed=0)
    inlets = np.zeros(phase.shape, bool)
    inlets[0] = True
    theirs = ps.filters.porosimetry(phase, inlets=inlets)[phase]
    radii = np.arange(1.0, theirs.max() + 1)
    expected = [(theirs >= r).mean() for r in radii]
    ours = mip(phase, axis=0, radii=radii).fraction
    assert np.all(ours >= np.array(expected) - 1e-12)  # exact radii reach at least as far
    assert np.max(ours - expected) < 0.1


def test_bad_arguments_raise():
    with pytest.raises(ParameterError):
        mip(pores(1), inlet="top")
    with pytest.raises(ParameterError):
        mip(pores(1), axis=3)
    with pytest.raises(EmptyPhaseError):
        intrusion_radius(np.zeros((5, 5, 5), bool))
