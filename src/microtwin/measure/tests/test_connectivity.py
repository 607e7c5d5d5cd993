import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from skimage.measure import label as skimage_label

from microtwin.data._generated import boolean_spheres
from microtwin.errors import DimensionError, DTypeError, EmptyPhaseError, ParameterError
from microtwin.measure._connectivity import connectivity, label_components, percolating_mask


def hand_built():
    """Along axis 0 of a 10×12×12 window: a through channel (2·2·10 = 40 voxels), a blind pore
    on the inlet (3·3·4 = 36), one on the outlet (1·2·2 = 4) and an enclosed cavity (2·2·2 = 8)."""
    phase = np.zeros((10, 12, 12), bool)
    phase[:, 0:2, 0:2] = True
    phase[:4, 5:8, 5:8] = True
    phase[-2:, 10, 10:12] = True
    phase[4:6, 9:11, 0:2] = True
    return phase


def pores(seed, shape=(24, 24, 24), solid_fraction=0.6):
    """Pore phase of a Boolean model near its percolation threshold: all three classes occur."""
    return boolean_spheres(shape, radius=2.5, solid_fraction=solid_fraction, seed=seed).array == 0


def test_hand_built_volume_fractions_are_exact():
    result = connectivity(hand_built(), axis=0)
    total = 40 + 36 + 4 + 8
    assert result.percolating == pytest.approx(40 / total)
    assert result.dead_end == pytest.approx(40 / total)
    assert result.isolated == pytest.approx(8 / total)
    assert result.n_components == 4


def test_hand_built_volume_along_other_axis_has_no_percolating_part():
    result = connectivity(hand_built(), axis=2)  # the outlet blind pore spans x = 10..11
    assert result.percolating == 0.0
    assert result.dead_end == pytest.approx((40 + 4 + 8) / 88)  # channel and cavity touch x = 0


def test_percolating_mask_is_the_through_channel():
    phase = hand_built()
    expected = np.zeros_like(phase)
    expected[:, 0:2, 0:2] = True
    np.testing.assert_array_equal(percolating_mask(phase, axis=0), expected)


@pytest.mark.parametrize(
    ("second_bar", "percolating_for"),
    [
        ((slice(5, 10), 2, 2), {26}),  # touches the first bar only at a corner
        ((slice(5, 10), 2, 1), {18, 26}),  # touches it along an edge
        ((slice(5, 10), 1, 1), {6, 18, 26}),  # shares a face
    ],
)
def test_neighbourhood_decides_diagonal_contacts(second_bar, percolating_for):
    phase = np.zeros((10, 4, 4), bool)
    phase[:5, 1, 1] = True
    phase[second_bar] = True
    for neighbours in (6, 18, 26):
        result = connectivity(phase, axis=0, connectivity=neighbours)
        if neighbours in percolating_for:
            assert (result.percolating, result.dead_end) == (1.0, 0.0)
        else:
            assert (result.percolating, result.dead_end) == (0.0, 1.0)


@pytest.mark.parametrize(("neighbours", "skimage_connectivity"), [(6, 1), (18, 2), (26, 3)])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_fractions_match_skimage_labelling(neighbours, skimage_connectivity, axis):
    phase = pores(seed=7)
    labels = skimage_label(phase, connectivity=skimage_connectivity)
    faces = np.moveaxis(labels, axis, 0)
    on_inlet = np.isin(labels, np.setdiff1d(faces[0], 0))
    on_outlet = np.isin(labels, np.setdiff1d(faces[-1], 0))
    both = on_inlet & on_outlet
    result = connectivity(phase, axis=axis, connectivity=neighbours)
    assert result.percolating == pytest.approx(both.sum() / phase.sum())
    assert result.dead_end == pytest.approx((on_inlet ^ on_outlet).sum() / phase.sum())
    assert result.isolated == pytest.approx((phase & ~on_inlet & ~on_outlet).sum() / phase.sum())
    assert result.n_components == labels.max()
    np.testing.assert_array_equal(percolating_mask(phase, axis, neighbours), both)


def test_label_components_agrees_with_scipy_and_uses_int32():
    phase = pores(seed=2)
    labels, n = label_components(phase, 26)
    expected, m = ndimage.label(phase, structure=np.ones((3, 3, 3)))
    assert labels.dtype == np.int32 and n == m
    np.testing.assert_array_equal(labels, expected)


def test_one_voxel_thick_window_has_inlet_equal_to_outlet():
    phase = np.zeros((1, 5, 5), bool)
    phase[0, 1:3, 1:3] = True
    assert connectivity(phase, axis=0).percolating == 1.0


def test_empty_phase_raises_but_its_percolating_mask_is_empty():
    empty = np.zeros((6, 6, 6), bool)
    with pytest.raises(EmptyPhaseError):
        connectivity(empty)
    assert not percolating_mask(empty).any()


@pytest.mark.parametrize(
    ("phase", "kwargs", "error"),
    [
        (np.ones((4, 4, 4), bool), {"connectivity": 8}, ParameterError),
        (np.ones((4, 4, 4), bool), {"axis": 3}, ParameterError),
        (np.ones((4, 4, 4), np.uint8), {}, DTypeError),
        (np.ones((4, 4), bool), {}, DimensionError),
    ],
)
def test_bad_input_raises_clear_errors(phase, kwargs, error):
    with pytest.raises(error):
        connectivity(phase, **kwargs)


def test_result_to_dict_is_plain_python():
    d = connectivity(hand_built()).to_dict()
    assert d["connectivity"] == 6 and isinstance(d["percolating"], float)


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    solid_fraction=st.floats(0.4, 0.75),
    neighbours=st.sampled_from([6, 18, 26]),
    permutation=st.permutations([0, 1, 2]),
)
def test_fractions_sum_to_one_and_are_invariant_under_flips_and_permutations(
    seed, solid_fraction, neighbours, permutation
):
    phase = pores(seed, shape=(20, 20, 20), solid_fraction=solid_fraction)
    result = connectivity(phase, axis=0, connectivity=neighbours)
    values = np.array([result.percolating, result.dead_end, result.isolated])
    assert ((values >= 0) & (values <= 1)).all()
    assert values.sum() == pytest.approx(1.0)
    flipped = connectivity(phase[::-1, ::-1, :], axis=0, connectivity=neighbours)
    permuted = connectivity(np.transpose(phase, permutation), permutation.index(0), neighbours)
    for other in (flipped, permuted):
        np.testing.assert_allclose([other.percolating, other.dead_end, other.isolated], values, atol=1e-12)
