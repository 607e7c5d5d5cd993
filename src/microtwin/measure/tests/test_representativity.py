import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import DTypeError, ParameterError
from microtwin.measure._representativity import Representativity, representativity


def white_noise(shape=(96, 96, 96), fraction=0.5, seed=0):
    return np.random.default_rng(seed).random(shape) < fraction


def test_relative_std_of_volume_fraction_decays_like_size_to_minus_three_halves_for_white_noise():
    p = 0.5
    rep = representativity(white_noise(fraction=p), "volume_fraction", sizes=[4, 6, 8, 12, 16, 24, 32],
                           positions=32, seed=1)
    assert rep.exponent() == pytest.approx(-1.5, abs=0.2)
    # independent voxels: var(V_V) = p(1 − p)/w³ exactly; σ of a 32-sample std estimate is ≈ 13 %
    expected = np.sqrt((1 - p) / (p * rep.sizes**3))
    np.testing.assert_allclose(rep.relative_std, expected, rtol=0.4)
    np.testing.assert_allclose(rep.mean, p, atol=0.05)
    assert np.all(np.diff(rep.relative_std) < 0)


def test_descriptor_is_called_with_read_only_windows_of_the_requested_physical_size():
    x = white_noise((30, 24, 40), seed=2)
    spacing = (2.0, 1.0, 0.5)
    calls = []

    def record(sub, sp):
        calls.append((sub.copy(), sp, sub.flags.writeable))
        return 1.0

    corners = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    rep = representativity(x, record, sizes=[10, 4], positions=corners, spacing=spacing)
    np.testing.assert_array_equal(rep.sizes, [4, 10])
    np.testing.assert_array_equal(rep.shapes, [[2, 4, 8], [5, 10, 20]])
    assert len(calls) == 4 and all(sp == spacing and not writeable for _, sp, writeable in calls)
    (first, *_), (last, *_), (big, *_) = calls[0], calls[1], calls[2]
    np.testing.assert_array_equal(first, x[:2, :4, :8])
    np.testing.assert_array_equal(last, x[-2:, -4:, -8:])
    np.testing.assert_array_equal(big, x[:5, :10, :20])
    assert rep.values.shape == (2, 2) and np.all(rep.relative_std == 0)


def test_same_seed_gives_same_windows_and_another_seed_different_ones():
    x = white_noise((32, 32, 32), seed=3)
    a, b, c = (representativity(x, "volume_fraction", sizes=[8, 12], seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    gen = representativity(x, "volume_fraction", sizes=[8, 12], seed=np.random.default_rng(7))
    np.testing.assert_array_equal(gen.values, a.values)


def test_random_windows_reach_every_corner_including_the_last():
    x = np.zeros((6, 6, 6), bool)
    x[-1, -1, -1] = True
    rep = representativity(x, "volume_fraction", sizes=[1], positions=2000, seed=0)
    assert rep.values.max() == 1.0  # the window at the far corner is drawn
    assert rep.mean[0] == pytest.approx(1 / 216, rel=0.5)


def test_window_of_the_whole_image_has_zero_spread():
    x = white_noise((20, 20, 20), seed=4)
    rep = representativity(x, "volume_fraction", sizes=[20], seed=0)
    assert rep.std[0] == 0 and rep.relative_std[0] == 0
    assert rep.mean[0] == pytest.approx(x.mean())


def test_relative_std_is_infinite_when_values_differ_around_a_zero_mean():
    x = np.zeros((8, 8, 16), bool)
    x[:, :, :8] = True
    corners = np.array([[0, 0, 0], [0, 0, 1.0]])
    rep = representativity(x, lambda sub, sp: sub.mean() - 0.5, sizes=[8], positions=corners)
    assert rep.mean[0] == 0 and np.isinf(rep.relative_std[0])


def test_rve_size_interpolates_log_log_and_is_none_when_not_reached():
    def result(relative):
        relative = np.asarray(relative, float)
        return Representativity(sizes=np.array([10.0, 20.0, 40.0]), shapes=np.zeros((3, 3), int),
                                mean=np.ones(3), std=relative, relative_std=relative,
                                values=np.zeros((3, 2)))

    rep = result([0.2, 0.1, 0.025])
    assert rep.rve_size(0.05) == pytest.approx(20 * 2**0.5)  # halfway in log between 0.1 and 0.025
    assert rep.rve_size(0.1) == pytest.approx(20.0)
    assert rep.rve_size(0.5) == 10.0
    assert rep.rve_size(0.01) is None
    assert result([0.2, 0.01, 0.03]).rve_size(0.05) == pytest.approx(10 * 2 ** (np.log(4) / np.log(20)))
    assert rep.exponent() == pytest.approx(np.polyfit(np.log([10, 20, 40]), np.log([0.2, 0.1, 0.025]), 1)[0])
    with pytest.raises(ParameterError):
        rep.rve_size(0)


def test_rve_size_of_white_noise_volume_fraction_matches_the_analytic_size():
    rep = representativity(white_noise(), "volume_fraction", sizes=[4, 6, 8, 10, 12, 16], positions=64,
                           seed=5)
    # p = 0.5: relative std = w^(−3/2) = 0.05 at w = 0.05^(−2/3) ≈ 7.4 voxels
    assert rep.rve_size(0.05) == pytest.approx(0.05 ** (-2 / 3), rel=0.2)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(sizes=[40]), ParameterError),
        (dict(sizes=[0, 4]), ParameterError),
        (dict(sizes=[-3]), ParameterError),
        (dict(sizes=[0.2]), ParameterError),  # rounds to 0 voxels
        (dict(sizes=[]), ParameterError),
        (dict(sizes=[np.nan]), ParameterError),
        (dict(sizes=[20], spacing=(1, 1, 0.5)), ParameterError),  # 40 voxels along x
        (dict(positions=1), ParameterError),
        (dict(positions=np.array([[0, 0, 2.0], [0, 0, 0]])), ParameterError),
        (dict(positions=np.zeros((4, 2))), ParameterError),
        (dict(descriptor="surface"), ParameterError),
        (dict(descriptor=3), ParameterError),
        (dict(descriptor=lambda sub, sp: np.nan), ParameterError),
        (dict(phase=np.zeros((32, 32, 32), np.uint8)), DTypeError),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, error):
    arguments = dict(phase=white_noise((32, 32, 32)), descriptor="volume_fraction", sizes=[8]) | kwargs
    with pytest.raises(error):
        representativity(**arguments)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**16), st.floats(0.05, 0.95), st.lists(st.integers(1, 16), min_size=1, max_size=4))
def test_volume_fractions_lie_in_0_1_and_mean_within_the_values(seed, fraction, sizes):
    rep = representativity(white_noise((16, 16, 16), fraction, seed), "volume_fraction", sizes=sizes,
                           positions=5, seed=seed)
    assert np.all((rep.values >= 0) & (rep.values <= 1))
    assert np.all((rep.mean >= rep.values.min(axis=1) - 1e-12) & (rep.mean <= rep.values.max(axis=1) + 1e-12))
    assert np.all(rep.relative_std >= 0) and np.all(np.diff(rep.sizes) > 0)
