"""Tests of label clean-up against skimage/scipy morphology, keep, spacing, and the particle wrapper."""

import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import ball, closing, opening, remove_small_holes, remove_small_objects

from microtwin.data import boolean_spheres
from microtwin.errors import DimensionError, DTypeError, EmptyPhaseError, ParameterError, SpacingError
from microtwin.measure import separate_particles
from microtwin.segment import clean, watershed_particles


@pytest.fixture(scope="module")
def speckled():
    """Two phases with salt-and-pepper specks of 1-4 voxels in both (balls of radius 5, 40³)."""
    labels = boolean_spheres((40, 40, 40), radius=5, solid_fraction=0.4, seed=3).array
    rng = np.random.default_rng(0)
    for size in (1, 2, 3, 4) * 20:
        z, y, x = rng.integers(2, 36, 3)
        labels[z, y, x:x + size] = 1 - labels[z, y, x]
    return labels


def test_small_components_of_a_two_phase_image_go_like_skimage(speckled):
    solid = speckled == 1
    expected = remove_small_holes(remove_small_objects(solid, max_size=4), max_size=4)
    cleaned = clean(speckled, min_size=5)
    np.testing.assert_array_equal(cleaned == 1, expected)
    assert cleaned.dtype == speckled.dtype and (cleaned != speckled).sum() > 40


def test_min_size_is_a_volume_in_spacing_units(speckled):
    # voxels of volume 2: components of 1 or 2 voxels (volume ≤ 4) go, 3 and more (≥ 6) stay
    np.testing.assert_array_equal(clean(speckled, min_size=5, spacing=(2, 1, 1)), clean(speckled, min_size=2.5))


def test_kept_labels_never_change(speckled):
    cleaned = clean(speckled, min_size=5, closing_radius=2, keep=[0])
    assert np.all(cleaned[speckled == 0] == 0)
    assert np.all(remove_small_objects(cleaned == 1, max_size=4) == (cleaned == 1))  # solid specks went


def test_islands_take_the_most_common_neighbour_and_nested_islands_the_enclosing_label():
    labels = np.zeros((20, 20, 20), np.uint8)
    labels[5:15, 5:15, 5:15] = 1
    labels[8:11, 8:11, 8:11] = 2  # island of 2 (27 voxels) inside 1
    labels[9, 9, 9] = 0  # a speck of 0 inside it
    labels[5:15, 5:15, 14] = 2  # a large slab of 2 on one face of the cube: the cube's 1 stays 1
    labels[1, 1, 1] = 2  # a speck of 2 in 0
    cleaned = clean(labels, min_size=30)
    assert cleaned[9, 9, 9] == 1 and np.all(cleaned[8:11, 8:11, 8:11] == 1) and cleaned[1, 1, 1] == 0
    np.testing.assert_array_equal(cleaned[5:15, 5:15, 14], 2)


def test_holes_are_filled_like_scipy(speckled):
    for label in (0, 1):
        expected = ndimage.binary_fill_holes(speckled == label)
        np.testing.assert_array_equal(clean(speckled, fill_holes=label) == label, expected)
    np.testing.assert_array_equal(clean(speckled, fill_holes=True), clean(speckled, fill_holes=[1]))
    # a kept label keeps its voxels inside the holes of another
    assert np.all(clean(speckled, fill_holes=1, keep=0)[speckled == 0] == 0)


@pytest.mark.parametrize("radius", [1, 2.5])
def test_closing_one_label_against_a_kept_one_is_the_binary_closing(speckled, radius):
    solid = speckled == 1
    footprint = ball(int(radius)) if radius == int(radius) else _ball(radius)
    np.testing.assert_array_equal(clean(speckled, closing_radius=radius, keep=1) == 1,
                                  closing(solid, footprint, mode="ignore"))
    np.testing.assert_array_equal(clean(speckled, closing_radius=radius, keep=0) == 1,
                                  opening(solid, footprint, mode="ignore"))


def _ball(radius):
    n = int(radius)
    z, y, x = np.mgrid[-n:n + 1, -n:n + 1, -n:n + 1]
    return z**2 + y**2 + x**2 <= radius**2


def test_closing_radius_is_in_spacing_units(speckled):
    # spacing 2 along z: a radius of 2 reaches one voxel along z and two along y and x
    footprint = np.zeros((3, 5, 5), bool)
    z, y, x = np.mgrid[-1:2, -2:3, -2:3]
    footprint[(2 * z) ** 2 + y**2 + x**2 <= 4] = True
    np.testing.assert_array_equal(clean(speckled, closing_radius=2, keep=1, spacing=(2, 1, 1)) == 1,
                                  closing(speckled == 1, footprint, mode="ignore"))


def test_closing_several_labels_fills_the_gaps_within_each_label_only():
    labels = np.zeros((12, 12, 32), np.uint8)
    labels[:, :, 2:10] = 1
    labels[:, :, 11:20] = 2
    labels[:, :, 5] = labels[:, :, 15] = 0  # a one-voxel slot across each block
    cleaned = clean(labels, closing_radius=1.5)
    np.testing.assert_array_equal(cleaned[:, :, 5], 1)
    np.testing.assert_array_equal(cleaned[:, :, 15], 2)
    # the slot between the two labels and the wide pore regions are nobody's thin gap
    np.testing.assert_array_equal(np.delete(cleaned, [5, 15], axis=2), np.delete(labels, [5, 15], axis=2))


def test_clean_refuses_bad_input(speckled):
    with pytest.raises(DTypeError, match="integer"):
        clean(speckled.astype(float))
    with pytest.raises(DTypeError, match="integer"):
        clean(speckled == 1)
    with pytest.raises(DimensionError):
        clean(speckled[0])
    with pytest.raises(SpacingError):
        clean(speckled, spacing=0)
    for kwargs, match in [({"min_size": -1}, "min_size"), ({"min_size": np.nan}, "min_size"),
                          ({"closing_radius": np.inf}, "closing_radius"), ({"keep": 0.5}, "keep"),
                          ({"keep": ["pore"]}, "keep"), ({"fill_holes": 1.5}, "fill_holes"),
                          ({"min_size": 1e9}, "every component")]:
        with pytest.raises(ParameterError, match=match):
            clean(speckled, **kwargs)


def test_watershed_particles_wraps_separate_particles():
    z, y, x = np.ogrid[:20, :20, :36]
    balls = ((z - 10) ** 2 + (y - 10) ** 2 + (x - 9) ** 2 <= 64) | ((z - 10) ** 2 + (y - 10) ** 2 + (x - 26) ** 2 <= 64)
    labels = watershed_particles(balls, spacing=(1, 1, 1), h=1)
    assert labels.max() == 2
    np.testing.assert_array_equal(labels, separate_particles(balls, h=1))
    with pytest.raises(EmptyPhaseError):
        watershed_particles(np.zeros((4, 4, 4), bool))
