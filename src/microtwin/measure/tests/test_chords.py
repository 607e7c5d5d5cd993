import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.data._generated import boolean_spheres
from microtwin.errors import DTypeError, EmptyPhaseError, ParameterError
from microtwin.measure._chords import chord_lengths


def pores(seed, shape=(24, 26, 28)):
    return boolean_spheres(shape, radius=3.0, solid_fraction=0.5, seed=seed).array == 0


def runs_by_diff(phase, axis):
    """Interior run lengths (voxels) along ``axis`` from the ±1 steps of the padded lines."""
    lines = np.moveaxis(phase, axis, -1).reshape(-1, phase.shape[axis]).astype(np.int8)
    steps = np.diff(np.pad(lines, ((0, 0), (1, 1))), axis=1)
    _, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    interior = (starts > 0) & (ends < phase.shape[axis])
    return np.sort((ends - starts)[interior])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_slab_across_axis_gives_chords_of_its_thickness(axis):
    phase = np.zeros((20, 20, 20), bool)
    np.moveaxis(phase, axis, 0)[5:12] = True
    result = chord_lengths(phase, axis=axis, spacing=0.25)
    np.testing.assert_array_equal(result.lengths, np.full(400, 7 * 0.25))
    assert result.mean == 7 * 0.25 and result.n_cut == 0


def test_slab_along_axis_has_only_cut_chords_and_infinite_mean():
    phase = np.zeros((20, 20, 20), bool)
    phase[:, 5:12] = True
    result = chord_lengths(phase, axis=0)
    assert result.lengths.size == 0 and result.n_cut == 7 * 20
    assert result.mean == np.inf
    np.testing.assert_allclose(result.lineal_path, 7 / 20)


def test_lineal_path_of_slab_across_axis():
    """A slab t voxels thick across a window of n: L(k·s) = (t − k)⁺ / (n − k)."""
    n, t = 30, 8
    phase = np.zeros((n, 6, 6), bool)
    phase[10 : 10 + t] = True
    result = chord_lengths(phase, axis=0, spacing=0.5)
    k = np.arange(n)
    np.testing.assert_allclose(result.lineal_path, np.maximum(t - k, 0) / (n - k))
    np.testing.assert_allclose(result.segment_lengths, 0.5 * k)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_ball_mean_chord_is_four_thirds_of_radius(axis):
    """Lines parallel to an axis hitting a ball of radius r: mean chord = 4r/3."""
    n, r, spacing = 72, 30, 0.5
    centred = np.arange(n) - (n - 1) / 2
    ball = centred[:, None, None] ** 2 + centred[None, :, None] ** 2 + centred[None, None, :] ** 2 <= r * r
    result = chord_lengths(ball, axis=axis, spacing=spacing)
    assert result.mean == pytest.approx(4 * r * spacing / 3, rel=2e-3)
    assert result.lengths.mean() == pytest.approx(result.mean, rel=1e-12)  # no chord is cut
    assert result.n_cut == 0


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_lengths_match_independent_run_detection(axis):
    phase = pores(seed=11)
    result = chord_lengths(phase, axis=axis, spacing=(0.5, 2.0, 3.0))
    expected = runs_by_diff(phase, axis) * (0.5, 2.0, 3.0)[axis]
    np.testing.assert_allclose(result.lengths, expected)


def test_lineal_path_matches_brute_force_segment_count():
    phase = pores(seed=12)
    result = chord_lengths(phase, axis=1)
    n = phase.shape[1]
    for k in range(0, n, 3):
        inside = np.ones_like(phase[:, : n - k])
        for shift in range(k + 1):
            inside &= phase[:, shift : n - k + shift]
        assert result.lineal_path[k] == pytest.approx(inside.mean())


def test_lineal_path_starts_at_volume_fraction_and_never_increases():
    phase = pores(seed=13)
    result = chord_lengths(phase, axis=2)
    assert result.lineal_path[0] == pytest.approx(phase.mean())
    assert (np.diff(result.lineal_path) <= 1e-15).all()
    assert ((result.lineal_path >= 0) & (result.lineal_path <= 1)).all()


def test_spacing_along_axis_scales_lengths_and_others_do_not_matter():
    phase = pores(seed=14)
    unit = chord_lengths(phase, axis=1)
    scaled = chord_lengths(phase, axis=1, spacing=(7.0, 0.5, 3.0))
    np.testing.assert_allclose(scaled.lengths, 0.5 * unit.lengths)
    assert scaled.mean == pytest.approx(0.5 * unit.mean)
    np.testing.assert_array_equal(scaled.lineal_path, unit.lineal_path)


def test_empty_phase_raises():
    with pytest.raises(EmptyPhaseError):
        chord_lengths(np.zeros((5, 5, 5), bool))


@pytest.mark.parametrize(
    ("phase", "kwargs", "error"),
    [
        (np.ones((1, 5, 5), bool), {"axis": 0}, ParameterError),
        (np.ones((5, 5, 5), bool), {"axis": -4}, ParameterError),
        (np.ones((5, 5, 5), float), {}, DTypeError),
    ],
)
def test_bad_input_raises_clear_errors(phase, kwargs, error):
    with pytest.raises(error):
        chord_lengths(phase, **kwargs)


def test_result_to_dict_is_plain_python():
    d = chord_lengths(pores(seed=1), axis=0).to_dict()
    assert isinstance(d["lengths"], list) and isinstance(d["mean"], float)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), axis=st.integers(0, 2), permutation=st.permutations([0, 1, 2]))
def test_invariant_under_flips_and_axis_permutations(seed, axis, permutation):
    phase = pores(seed, shape=(16, 18, 20))
    spacing = (0.5, 1.0, 2.0)
    reference = chord_lengths(phase, axis=axis, spacing=spacing)
    flipped = chord_lengths(phase[::-1, ::-1, ::-1], axis=axis, spacing=spacing)
    permuted = chord_lengths(
        np.transpose(phase, permutation), axis=permutation.index(axis), spacing=[spacing[p] for p in permutation]
    )
    for other in (flipped, permuted):
        np.testing.assert_array_equal(other.lengths, reference.lengths)
        assert other.mean == pytest.approx(reference.mean, rel=1e-12)
        assert other.n_cut == reference.n_cut
        np.testing.assert_allclose(other.lineal_path, reference.lineal_path, rtol=1e-12)
