"""Tests of interface area densities, per-particle contact areas and triple-phase boundaries."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi
from scipy.spatial import SphericalVoronoi

from microtwin.errors import DimensionError, DTypeError, ParameterError
from microtwin.measure._interfaces import contact_areas, interface_densities, triple_phase_boundary_density
from microtwin.measure._minkowski import intrinsic_volumes

#: the 13 lattice directions (z, y, x): 3 axes, 6 face diagonals, 4 space diagonals
DIRECTIONS = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 1, 1), (0, 1, -1), (1, 0, 1), (1, 0, -1),
              (1, 1, 0), (1, -1, 0), (1, 1, 1), (1, 1, -1), (1, -1, 1), (1, -1, -1)]
#: published Voronoi solid-angle weights of the 13 directions (Legland et al. 2007, imMinkowski):
#: axes, face diagonals, space diagonals; each covers ± the direction
LEGLAND = (2 * 0.04577789120476, 2 * 0.03698062787608, 2 * 0.03519563978232)


def plane_factor(normal):
    """2 Σ_k γ_k |n·u_k|: what the 13-direction Crofton estimator gives for a unit plane area."""
    weights = [LEGLAND[0]] * 3 + [LEGLAND[1]] * 6 + [LEGLAND[2]] * 4
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    return 2 * sum(w * abs(n @ d) / np.linalg.norm(d) for w, d in zip(weights, DIRECTIONS))


def three_phases(shape=(30, 32, 34), seed=0):
    """A smooth random 4-label image (labels 0, 1, 2, 5) from a thresholded Gaussian field."""
    field = ndi.gaussian_filter(np.random.default_rng(seed).standard_normal(shape), 2.0)
    return np.array([0, 1, 2, 5], np.uint8)[np.digitize(field, np.quantile(field, [0.3, 0.5, 0.8]))]


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_two_slabs_give_plane_area_times_crofton_factor(axis):
    shape = [12, 14, 16]
    labels = np.zeros(shape, np.uint8)
    labels[(slice(None),) * axis + (slice(shape[axis] // 2, None),)] = 7
    window = np.prod(np.array(shape) - 1.0)
    plane = window / (shape[axis] - 1)  # the interface inside the box of voxel centres
    normal = np.eye(3)[axis]
    assert plane_factor(normal) == pytest.approx(0.9266, abs=1e-4)
    assert interface_densities(labels) == {(0, 7): pytest.approx(plane * plane_factor(normal) / window)}


@pytest.mark.parametrize("spacing", [(1.0, 3.0, 0.5), (2.0, 1.0, 1.0)])
def test_two_slabs_in_anisotropic_voxels_use_the_crofton_weights_of_the_physical_directions(spacing):
    labels = np.zeros((10, 12, 14), np.uint8)
    labels[5:] = 1
    window = np.prod([(m - 1) * s for m, s in zip(labels.shape, spacing)])
    plane = window / (9 * spacing[0])
    directions = np.array(DIRECTIONS) * spacing
    units = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    areas = SphericalVoronoi(np.concatenate([units, -units])).calculate_areas()
    gamma = (areas[:13] + areas[13:]) / (4 * np.pi)
    factor = 2 * np.sum(gamma * np.abs(units[:, 0]))
    assert interface_densities(labels, spacing)[(0, 1)] == pytest.approx(plane * factor / window)


def test_interfaces_of_a_label_sum_to_its_surface_density():
    labels = three_phases()
    spacing = (1.0, 0.6, 1.7)
    interfaces = interface_densities(labels, spacing)
    assert set(interfaces) == {(0, 1), (0, 2), (0, 5), (1, 2), (1, 5), (2, 5)}
    for a in (0, 1, 2, 5):
        total = sum(value for pair, value in interfaces.items() if a in pair)
        assert total == pytest.approx(intrinsic_volumes(labels == a, spacing).surface_density, rel=1e-9)


def test_interface_is_half_of_the_surface_densities_minus_that_of_the_union():
    labels = three_phases(seed=1)
    s = {a: intrinsic_volumes(labels == a).surface_density for a in (0, 1)}
    union = intrinsic_volumes((labels == 0) | (labels == 1)).surface_density
    assert interface_densities(labels)[(0, 1)] == pytest.approx((s[0] + s[1] - union) / 2, rel=1e-9)


def test_bool_image_and_single_label_image():
    phase = three_phases() > 1
    surface = intrinsic_volumes(phase).surface_density
    assert interface_densities(phase) == {(False, True): pytest.approx(surface)}
    assert interface_densities(np.full((3, 3, 3), 4, np.int32)) == {}


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.tuples(*[st.integers(2, 7)] * 3),
       spacing=st.tuples(*[st.floats(0.2, 5.0)] * 3), perm=st.permutations([0, 1, 2]), flip=st.integers(0, 2))
def test_interface_densities_invariant_under_flips_and_axis_permutations(seed, shape, spacing, perm, flip):
    labels = np.random.default_rng(seed).integers(0, 3, shape).astype(np.int32)
    reference = interface_densities(labels, spacing)
    moved = interface_densities(np.flip(labels, flip).transpose(perm), tuple(spacing[p] for p in perm))
    assert moved == pytest.approx(reference, rel=1e-9)
    assert all(value >= 0 for value in moved.values())


def test_contact_area_of_an_isolated_ball_is_its_surface():
    z, y, x = np.ogrid[:40, :40, :40]
    particles = ((z - 19.7) ** 2 + (y - 20.2) ** 2 + (x - 19.9) ** 2 <= 15**2).astype(np.uint16) * 3
    areas = contact_areas(particles, particles == 0)
    assert areas.shape == (4,) and areas[[0, 1, 2]].tolist() == [0.0, 0.0, 0.0]
    assert areas[3] == pytest.approx(4 * np.pi * 15**2, rel=0.02)


def test_contact_areas_of_particles_add_up_to_the_interface_density():
    labels = three_phases(seed=2)
    spacing = (0.5, 1.0, 2.0)
    particles, n = ndi.label(labels == 1)
    areas = contact_areas(particles, labels == 2, spacing)
    window = np.prod([(m - 1) * s for m, s in zip(labels.shape, spacing)])
    assert areas.shape == (n + 1,) and areas[0] == 0.0
    assert areas.sum() / window == pytest.approx(interface_densities(labels, spacing)[(1, 2)], rel=1e-9)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_three_wedges_meeting_on_an_axis_line_give_its_length(axis):
    spacing = (0.5, 1.5, 2.0)
    shape = (9, 10, 11)
    other = [a for a in range(3) if a != axis]
    labels = np.zeros(shape, np.int16)
    grid = np.indices(shape)
    half = [shape[a] // 2 for a in other]
    labels[(grid[other[0]] >= half[0]) & (grid[other[1]] < half[1])] = 4
    labels[(grid[other[0]] >= half[0]) & (grid[other[1]] >= half[1])] = 9
    window = np.prod([(m - 1) * s for m, s in zip(shape, spacing)])
    length = (shape[axis] - 1) * spacing[axis]
    assert triple_phase_boundary_density(labels, (0, 4, 9), spacing) == pytest.approx(length / window)
    assert triple_phase_boundary_density(labels, (9, 0, 4), spacing) == pytest.approx(length / window)
    assert triple_phase_boundary_density(labels, (0, 4, 5), spacing) == 0.0


def test_tilted_triple_line_is_overestimated_by_the_staircase_factor():
    n = 40
    u = np.array([0.0, 1.0, 1.0]) / np.sqrt(2)
    p = np.stack(np.indices((n, n, n)), -1) + 0.5 - np.array([20.1, 20.23, 20.37])
    e1 = np.array([1.0, 0.0, 0.0])
    angle = np.arctan2(p @ np.cross(u, e1), p @ e1)
    labels = np.digitize(angle, [-np.pi / 3, np.pi / 3]).astype(np.uint8)
    t = np.linspace(-n, n, 400001)
    points = np.array([20.1, 20.23, 20.37]) + np.outer(t, u)
    length = np.all((points >= 0.5) & (points <= n - 0.5), axis=1).sum() * (t[1] - t[0])
    measured = triple_phase_boundary_density(labels, (0, 1, 2)) * (n - 1) ** 3
    assert measured / length == pytest.approx(np.abs(u).sum(), rel=0.03)


def test_bad_inputs_raise_clear_errors():
    labels = np.zeros((4, 4, 4), np.uint8)
    with pytest.raises(DTypeError, match="integer or bool"):
        interface_densities(labels.astype(float))
    with pytest.raises(DimensionError, match="at least 2 voxels"):
        interface_densities(labels[:, :1])
    with pytest.raises(ParameterError, match="at most 256"):
        interface_densities(np.arange(300, dtype=np.int32).reshape(3, 10, 10))
    with pytest.raises(ParameterError, match="overlap"):
        contact_areas(labels + 1, labels == 0)
    with pytest.raises(DimensionError, match="shape"):
        contact_areas(labels, np.ones((4, 4, 5), bool))
    with pytest.raises(ParameterError, match="2\\*\\*24"):
        contact_areas(labels.astype(np.int32) - 1, labels == 1)
    with pytest.raises(DTypeError, match="boolean"):
        contact_areas(labels, labels)
    with pytest.raises(ParameterError, match="three different"):
        triple_phase_boundary_density(labels, (0, 1, 1))
    with pytest.raises(ParameterError, match="three labels"):
        triple_phase_boundary_density(labels, (0, 1))
