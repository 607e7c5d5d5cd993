"""Tests of particle separation, the particle table and particle size distributions."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import ndimage
from skimage.measure import marching_cubes, mesh_surface_area

from microtwin.errors import (DimensionError, DTypeError, EmptyPhaseError, OutputExistsError, ParameterError,
                              SpacingError)
from microtwin.measure._particles import ParticleTable, particles
from microtwin.measure._watershed import separate_particles

SHAPE = (96, 96, 96)


def paint(shape, centres, radii, spacing=(1.0, 1.0, 1.0), semi_axes=None):
    """Label image of balls (or axis-aligned ellipsoids), label i+1 for ball i; voxel k centred at (k+½)·s."""
    labels = np.zeros(shape, np.int32)
    axes = np.repeat(np.asarray(radii, float)[:, None], 3, 1) if semi_axes is None else np.asarray(semi_axes, float)
    grids = [(np.arange(n) + 0.5) * s for n, s in zip(shape, spacing)]
    for index, (centre, axis) in enumerate(zip(np.asarray(centres, float), axes)):
        window = [slice(max(0, int((c - a) / s) - 1), int((c + a) / s) + 2) for c, a, s in zip(centre, axis, spacing)]
        z, y, x = (g[w] for g, w in zip(grids, window))
        inside = (((z[:, None, None] - centre[0]) / axis[0]) ** 2 + ((y[None, :, None] - centre[1]) / axis[1]) ** 2
                  + ((x[None, None, :] - centre[2]) / axis[2]) ** 2) <= 1
        labels[tuple(window)][inside] = index + 1
    return labels


def packing(seed=0, n_balls=30):
    """Random non-overlapping balls of radii 4-10 in 96³: about half placed in contact with an
    earlier ball (gap 0-0.3 voxel), several crossing the border. Returns (centres, radii)."""
    rng = np.random.default_rng(seed)
    centres, radii = [], []
    while len(radii) < n_balls:
        r = rng.uniform(4, 10)
        if radii and rng.random() < 0.5:  # in contact with a ball already placed
            other = rng.integers(len(radii))
            direction = rng.normal(size=3)
            c = centres[other] + direction / np.linalg.norm(direction) * (radii[other] + r + rng.uniform(0, 0.3))
        else:
            c = rng.uniform(2, 94, 3)
        if not (0 <= c).all() or not (c < 96).all():
            continue
        if all(np.linalg.norm(c - c2) >= r + r2 for c2, r2 in zip(centres, radii)):
            centres.append(c)
            radii.append(r)
    return np.array(centres), np.array(radii)


@pytest.fixture(scope="module")
def packed():
    centres, radii = packing()
    truth = paint(SHAPE, centres, radii)
    return centres, radii, truth, separate_particles(truth > 0)


def match(truth, labels):
    """For each true label, the separated label covering most of it (0 if none)."""
    best = np.zeros(truth.max() + 1, int)
    pairs, counts = np.unique(np.stack([truth.ravel(), labels.ravel()]), axis=1, return_counts=True)
    for (true_label, label), _ in sorted(zip(pairs.T.tolist(), counts), key=lambda item: item[1]):
        best[true_label] = label  # the largest overlap comes last
    return best[1:]


def test_packing_has_touching_pairs_and_border_balls(packed):
    centres, radii, truth, _ = packed
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2) - radii[:, None] - radii[None]
    np.fill_diagonal(gaps, np.inf)
    assert (gaps < 0.3).sum() // 2 >= 8
    n_components = ndimage.label(truth > 0)[1]
    assert n_components <= len(radii) - 8  # touching balls are connected in the phase
    assert ((centres - radii[:, None] < 0) | (centres + radii[:, None] > 96)).any(axis=1).sum() >= 3


def test_separation_counts_every_ball_once_and_splits_touching_pairs(packed):
    centres, radii, truth, labels = packed
    assert labels.max() == len(radii)
    best = match(truth, labels)
    assert len(set(best.tolist())) == len(radii)  # one-to-one: no pair merged, no ball split
    assert np.mean(best[truth[truth > 0] - 1] == labels[truth > 0]) > 0.99


def test_separation_agrees_with_skimage_h_maxima_watershed(packed):
    from skimage.morphology import h_maxima
    from skimage.segmentation import watershed

    _, radii, truth, labels = packed
    distance = ndimage.distance_transform_edt(truth > 0)
    markers = ndimage.label(h_maxima(distance, 1.0), np.ones((3, 3, 3)))[0]
    reference = watershed(-distance, markers, mask=truth > 0)
    assert reference.max() == labels.max() == len(radii)
    best = match(reference, labels)
    assert np.mean(best[reference[truth > 0] - 1] == labels[truth > 0]) > 0.99


def test_table_diameters_of_packing_within_one_voxel_of_truth(packed):
    centres, radii, truth, labels = packed
    table = particles(truth > 0)
    assert len(table) == len(radii)
    nearest = np.argmin(np.linalg.norm(table.centroid[:, None] - centres[None], axis=2), axis=1)
    assert len(set(nearest.tolist())) == len(radii)
    true_volume = np.bincount(truth.ravel())[1:][nearest]
    np.testing.assert_allclose(table.volume, true_volume, rtol=0.03)
    interior = ~table.touches_border
    error = np.abs(table.equivalent_diameter[interior] - 2 * radii[nearest][interior])
    assert np.mean(error <= 1.0) >= 0.95
    crosses = ((centres - radii[:, None] < 0.5) | (centres + radii[:, None] > 95.5)).any(axis=1)
    np.testing.assert_array_equal(table.touches_border, crosses[nearest])


@pytest.mark.parametrize("spacing", [1.0, (0.5, 1.0, 1.0), (1.0, 0.7, 1.3)])
def test_single_balls_and_ellipsoids_are_not_oversegmented(spacing):
    rng = np.random.default_rng(3)
    for _ in range(6):
        semi = rng.uniform(3, 12, 3) if rng.random() < 0.5 else np.full(3, rng.uniform(3, 12))
        shape = tuple(int((2 * semi.max() + 8) / s) for s in np.broadcast_to(spacing, 3))
        centre = np.array(shape) * spacing / 2 + rng.uniform(-0.5, 0.5, 3)
        labels = separate_particles(paint(shape, [centre], [0], np.broadcast_to(spacing, 3), [semi]) > 0, spacing)
        assert labels.max() == 1


def significant_maxima(phase, h):
    """Brute-force count of the maxima of the distance map with dynamic > h (equal peaks joined above
    their height - h count once): a maximum of height p is kept when the 6-connected component of
    {D >= p - h} in the phase holding it reaches no higher voxel."""
    distance = ndimage.distance_transform_edt(phase).astype(np.float32)
    cross = ndimage.generate_binary_structure(3, 1)
    maxima = ndimage.label((ndimage.maximum_filter(distance, footprint=cross) == distance) & phase)[0]
    peaks = ndimage.maximum(distance, maxima, np.arange(1, maxima.max() + 1))
    where = ndimage.find_objects(maxima)
    kept = set()
    for p in np.unique(peaks):
        components = ndimage.label((distance >= p - h) & phase)[0]
        top = ndimage.maximum(distance, components, np.arange(components.max() + 1))
        for m in np.flatnonzero(peaks == p):
            component = components[where[m]][maxima[where[m]] == m + 1][0]
            if top[component] == p:
                kept.add(component + 1j * p)
    return len(kept)


@pytest.mark.parametrize("h", [0.5, 1.0, 2.5])
def test_separation_keeps_exactly_the_maxima_of_dynamic_above_h(h):
    phase = ndimage.gaussian_filter(np.random.default_rng(2).random((40, 40, 40)), 2) > 0.5
    assert separate_particles(phase, h=h).max() == significant_maxima(phase, h)


@settings(deadline=None, max_examples=8)
@given(st.permutations([0, 1, 2]), st.lists(st.booleans(), min_size=3, max_size=3),
       st.tuples(*[st.sampled_from([0.5, 1.0, 1.5])] * 3), st.floats(0.3, 3.0), st.integers(0, 2**16))
def test_particle_count_is_invariant_under_flips_and_axis_permutations(order, flips, spacing, h, seed):
    phase = ndimage.gaussian_filter(np.random.default_rng(seed).random((24, 20, 16)), 1.5) > 0.5
    assume(phase.any())
    moved = np.transpose(phase[tuple(slice(None, None, -1) if f else slice(None) for f in flips)], order)
    count = separate_particles(phase, spacing, h=h).max()
    assert separate_particles(moved, tuple(spacing[a] for a in order), h=h).max() == count


def test_phase_filling_the_image_is_one_particle_and_components_are_never_dropped():
    np.testing.assert_array_equal(separate_particles(np.ones((5, 6, 7), bool)), 1)
    phase = np.zeros((9, 9, 9), bool)
    phase[0, 0, 0] = phase[4, 4, 4] = phase[8, 8, 8] = True  # single voxels, diagonal neighbours
    labels = separate_particles(phase, h=5)
    assert sorted(labels[phase].tolist()) == [1, 2, 3]


def test_min_separation_merges_peaks_closer_than_it():
    phase = paint((30, 30, 48), [(15.5, 15.5, 15.5), (15.5, 15.5, 31.5)], [8, 8]) > 0  # one voxel in common
    assert ndimage.label(phase)[1] == 1
    assert separate_particles(phase).max() == 2
    assert separate_particles(phase, min_separation=12).max() == 2
    assert separate_particles(phase, min_separation=20).max() == 1
    assert separate_particles(phase, h=9).max() == 1


def test_surface_area_equals_skimage_marching_cubes_of_each_padded_particle():
    rng = np.random.default_rng(5)
    labels = ndimage.label(ndimage.gaussian_filter(rng.random((40, 40, 40)), 2) > 0.5)[0]
    spacing = (0.8, 1.0, 1.3)
    table = particles(labels, spacing)
    for row, window in enumerate(ndimage.find_objects(labels)):
        mask = np.pad(labels[window] == row + 1, 1).astype(np.float32)
        vertices, faces, _, _ = marching_cubes(mask, 0.5, spacing=spacing)
        assert table.surface_area[row] == pytest.approx(mesh_surface_area(vertices, faces), rel=1e-6)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.5, 1.0, 2.0)])
def test_box_area_is_the_exact_marching_cubes_area_and_cube_sphericity(spacing):
    sides = np.array([30, 20, 12]) if spacing[0] == 0.5 else np.array([60, 60, 60])
    box = np.zeros(tuple(sides + 4), bool)
    box[2:-2, 2:-2, 2:-2] = True
    table = particles(box, spacing)
    s, e = np.array(spacing), sides - 1  # faces between voxel centres, chamfered edges, cut corners
    faces = 2 * (e[1] * e[2] * s[1] * s[2] + e[0] * e[2] * s[0] * s[2] + e[0] * e[1] * s[0] * s[1])
    edges = sum(4 * e[a] * s[a] * np.hypot(s[b], s[c]) / 2 for a, b, c in ((0, 1, 2), (1, 0, 2), (2, 0, 1)))
    corners = 8 * np.sqrt((s[1] * s[2]) ** 2 + (s[0] * s[2]) ** 2 + (s[0] * s[1]) ** 2) / 8
    assert table.surface_area[0] == pytest.approx(faces + edges + corners, rel=1e-9)
    if spacing[0] == 1.0:  # 0.806 for the continuous cube; the chamfered 60³ cube is 1.7 % rounder
        assert table.sphericity[0] == pytest.approx(0.806, rel=0.02)


def test_ball_sphericity_is_close_to_one_within_the_marching_cubes_bias():
    table = particles(paint((48, 48, 48), [(24.3, 23.8, 24.1)], [20]) > 0)
    assert 0.9 < table.sphericity[0] < 1.0  # marching cubes over-estimates a digitised sphere's area by ~6 %
    assert table.equivalent_diameter[0] == pytest.approx(40, abs=0.1)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.5, 1.0, 1.0)])
def test_crofton_sphericity_of_a_ball_is_one_within_one_percent(spacing):
    shape = tuple(int(48 / s) for s in spacing)
    labels = paint(shape, [np.array(shape) * spacing / 2 + 0.3], [20], spacing)
    table = particles(labels, spacing, surface="crofton")
    assert table.sphericity[0] == pytest.approx(1.0, abs=0.01)
    assert table.surface == "crofton"


def test_crofton_areas_add_up_to_the_intrinsic_volumes_surface():
    from microtwin.measure._minkowski import intrinsic_volumes

    labels = paint((48, 50, 44), [(12, 12, 12), (30, 26, 30), (14, 28, 32)], [8, 9, 6], (1.0, 0.8, 1.2))
    assert not particles(labels).touches_border.any()
    table = particles(labels, (1.0, 0.8, 1.2), surface="crofton")
    total = intrinsic_volumes(labels > 0, (1.0, 0.8, 1.2))
    assert table.surface_area.sum() == pytest.approx(total.surface_density * total.window_volume, rel=1e-9)


@pytest.mark.parametrize("semi", [(12.0, 8.0, 5.0), (6.0, 14.0, 9.0)])
def test_ellipsoid_semi_axes_are_recovered_within_a_voxel(semi):
    labels = paint((40, 40, 40), [(20.2, 19.7, 20.4)], [0], semi_axes=[semi])
    table = particles(labels)
    np.testing.assert_allclose(table.semi_axes[0], sorted(semi, reverse=True), atol=0.5)
    np.testing.assert_allclose(table.centroid[0], (20.2, 19.7, 20.4), atol=0.1)


def test_rotated_ellipsoid_semi_axes_do_not_depend_on_orientation():
    z, y, x = np.mgrid[:48, :48, :48] + 0.5 - 24
    u, v = (y + x) / np.sqrt(2), (y - x) / np.sqrt(2)
    ellipsoid = (z / 6) ** 2 + (u / 16) ** 2 + (v / 9) ** 2 <= 1
    np.testing.assert_allclose(particles(ellipsoid).semi_axes[0], (16, 9, 6), atol=0.5)


def test_anisotropic_spacing_gives_the_physical_volume_of_a_ball():
    spacing = (0.5, 1.0, 1.0)
    labels = paint((48, 24, 24), [(12.1, 11.8, 12.2)], [10], spacing)
    assert labels.sum() > 0 and (labels.sum(axis=(1, 2)) > 0).sum() > 2 * (labels.sum(axis=(0, 2)) > 0).sum() - 2
    table = particles(labels > 0, spacing)
    assert len(table) == 1
    assert table.volume[0] == pytest.approx(4 / 3 * np.pi * 1000, rel=0.01)
    assert table.equivalent_diameter[0] == pytest.approx(20, abs=0.1)
    np.testing.assert_allclose(table.semi_axes[0], 10, atol=0.3)
    np.testing.assert_allclose(table.centroid[0], (12.1, 11.8, 12.2), atol=0.05)


def test_label_image_is_used_as_is():
    labels = np.zeros((20, 20, 20), np.uint16)
    labels[2:8, 2:8, 2:8] = 7
    labels[2:8, 8:14, 2:8] = 3  # touching 7: kept apart
    labels[12:14, 12:14, 12:14] = 3  # a second piece of label 3
    labels[15:18, 15:18, 15:18] = 9
    labels[15:18, 15:18, 15:16] = 0
    table = particles(labels, separate=True)
    np.testing.assert_array_equal(table.label, [3, 7, 9])
    np.testing.assert_array_equal(table.volume, [216 + 8, 216, 18])
    np.testing.assert_array_equal(table.bbox_min[0], [2, 8, 2])
    np.testing.assert_array_equal(table.bbox_max[0], [14, 14, 14])


def test_sparse_huge_labels_keep_their_values():
    labels = np.zeros((10, 10, 10), np.int64)
    labels[1:3, 1:3, 1:3], labels[5:9, 5:9, 5:9] = 10**12, 5
    table = particles(labels)
    np.testing.assert_array_equal(table.label, [5, 10**12])
    np.testing.assert_array_equal(table.volume, [64, 8])


def test_connected_components_when_not_separating(packed):
    _, _, truth, _ = packed
    assert len(particles(truth > 0, separate=False)) == ndimage.label(truth > 0)[1]


def test_border_flag_marks_particles_with_a_voxel_on_a_face():
    labels = np.zeros((10, 12, 14), np.int32)
    labels[0:2, 3:5, 3:5] = 1  # on the z = 0 face
    labels[4:6, 4:6, 12:14] = 2  # on the last x face
    labels[4:6, 4:6, 4:6] = 3  # inside
    labels[8:10, 9:11, 1:3] = 4  # on the last z face
    np.testing.assert_array_equal(particles(labels).touches_border, [True, True, False, True])


def test_volume_and_centroid_agree_with_porespy_regionprops(packed):
    ps = pytest.importorskip("porespy")
    _, _, truth, _ = packed
    table = particles(truth)
    props = ps.metrics.regionprops_3D(truth)
    np.testing.assert_array_equal(table.volume, [p.volume for p in props])
    np.testing.assert_allclose(table.centroid - 0.5, [p.centroid for p in props], atol=1e-9)
    np.testing.assert_allclose(table.equivalent_diameter, [p.equivalent_diameter_area for p in props])


@settings(deadline=None, max_examples=8)
@given(st.permutations([0, 1, 2]), st.lists(st.booleans(), min_size=3, max_size=3),
       st.tuples(*[st.sampled_from([0.5, 1.0, 1.5])] * 3), st.integers(0, 2**16))
def test_table_is_invariant_under_flips_and_axis_permutations(order, flips, spacing, seed):
    rng = np.random.default_rng(seed)
    labels = ndimage.label(ndimage.gaussian_filter(rng.random((24, 20, 16)), 1.5) > 0.52)[0]
    assume(labels.max() > 0)
    moved = np.transpose(labels[tuple(slice(None, None, -1) if f else slice(None) for f in flips)], order)
    moved_spacing = tuple(spacing[a] for a in order)
    a, b = particles(labels, spacing), particles(moved, moved_spacing)
    for name in ("label", "volume", "semi_axes", "touches_border"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.surface_area, b.surface_area, rtol=0.01)
    extent = np.array(labels.shape) * spacing
    centroid = np.where(flips, extent - a.centroid, a.centroid)[:, order]
    np.testing.assert_allclose(centroid, b.centroid, atol=1e-9)


@settings(deadline=None, max_examples=6)
@given(st.floats(0.1, 10.0))
def test_lengths_areas_volumes_scale_with_isotropic_spacing(scale):
    labels = paint((30, 30, 30), [(15.2, 14.6, 15.1), (8, 8, 8)], [7, 4])
    a, b = particles(labels), particles(labels, scale)
    np.testing.assert_allclose(b.volume, a.volume * scale**3, rtol=1e-12)
    np.testing.assert_allclose(b.surface_area, a.surface_area * scale**2, rtol=1e-9)
    np.testing.assert_allclose(b.semi_axes, a.semi_axes * scale, rtol=1e-9)
    np.testing.assert_allclose(b.sphericity, a.sphericity, rtol=1e-9)


def test_size_distributions_sum_to_one_and_say_what_was_excluded(packed):
    _, _, truth, _ = packed
    table = particles(truth)
    n_border = int(table.touches_border.sum())
    for weight in ("number", "volume"):
        dist = table.size_distribution(weight, bins=8)
        assert dist.fraction.sum() == pytest.approx(1.0)
        assert ((dist.fraction >= 0) & (dist.fraction <= 1)).all()
        assert dist.border_excluded and dist.n_border_excluded == n_border > 0
        assert dist.n_particles == len(table) - n_border
        assert len(dist.edges) == 9 and len(dist.centres) == 8
    everything = table.size_distribution(include_border=True)
    assert not everything.border_excluded and everything.n_particles == len(table)
    assert not particles(truth, exclude_border=False).size_distribution().border_excluded


def test_volume_weighted_distribution_weights_by_volume():
    labels = paint((40, 40, 40), [(10, 10, 10), (28, 28, 28)], [4, 8])
    table = particles(labels)
    dist = table.size_distribution("volume", bins=[0, 12, 20])
    np.testing.assert_allclose(dist.fraction, table.volume / table.volume.sum())
    np.testing.assert_allclose(table.size_distribution("number", bins=[0, 12, 20]).fraction, [0.5, 0.5])


def test_exports_have_one_row_per_particle(tmp_path, packed):
    _, radii, truth, _ = packed
    table = particles(truth)
    frame = table.to_frame()
    assert len(frame) == len(table) == len(radii)
    assert {"centroid_z", "bbox_max_x", "semi_axes_c", "sphericity"} <= set(frame.columns)
    path = table.to_csv(tmp_path / "particles.csv")
    lines = path.read_text().splitlines()
    assert len(lines) == len(table) + 1 and lines[0].split(",") == list(frame.columns)
    with pytest.raises(OutputExistsError):
        table.to_csv(path)
    assert len(table.to_dict()["volume"]) == len(table)
    assert "particles" in repr(table) and isinstance(table, ParticleTable)


def test_empty_phase_raises():
    with pytest.raises(EmptyPhaseError):
        particles(np.zeros((8, 8, 8), bool))
    with pytest.raises(EmptyPhaseError):
        particles(np.zeros((8, 8, 8), bool), separate=False)
    with pytest.raises(EmptyPhaseError):
        particles(np.zeros((8, 8, 8), np.int32))
    with pytest.raises(EmptyPhaseError):
        separate_particles(np.zeros((8, 8, 8), bool))


def test_bad_input_is_refused():
    phase = np.ones((6, 6, 6), bool)
    with pytest.raises(DTypeError):
        particles(phase.astype(float))
    with pytest.raises(DTypeError):
        separate_particles(phase.astype(np.uint8))
    with pytest.raises(DimensionError):
        particles(phase[0])
    with pytest.raises(SpacingError):
        particles(phase, spacing=(1, 1))
    with pytest.raises(ParameterError):
        particles(-phase.astype(np.int8))
    with pytest.raises(ParameterError):
        separate_particles(phase, h=-1)
    with pytest.raises(ParameterError):
        separate_particles(phase, min_separation="far")
    table = particles(phase)
    with pytest.raises(ParameterError):
        particles(phase, surface="mesh")
    with pytest.raises(ParameterError):
        table.size_distribution("mass")
    with pytest.raises(EmptyPhaseError):
        table.size_distribution()  # its only particle touches the border
