import json

import numba
import numpy as np
import pytest

from microtwin.data._generated import boolean_spheres
from microtwin.errors import (
    DimensionError,
    DTypeError,
    EmptyPhaseError,
    ParameterError,
    SpacingError,
)
from microtwin.transport._random_walk import _diffusivity, random_walk

# The relative standard error of τ from N walkers is about 2.5 / √N (measured over 40 seeds in free
# space); tolerances below are at least 3 of those.


def oblate_grains(n, normal, n_grains, seed, thickness=2.0, radius=8.0):
    """Pore space between identical oblate solid spheroids (semi-axes ``thickness`` along ``normal``,
    ``radius`` across) centred on uniformly random voxels, wrapped periodically in an n³ box."""
    normal = np.asarray(normal, float) / np.linalg.norm(normal)
    r = int(np.ceil(radius))
    offsets = np.stack(np.meshgrid(*[np.arange(-r, r + 1)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    along = offsets @ normal
    across = np.sum(offsets**2, axis=1) - along**2
    offsets = offsets[(along / thickness) ** 2 + across / radius**2 <= 1]
    centres = np.random.default_rng(seed).integers(0, n, (n_grains, 3))
    voxels = (centres[:, None, :] + offsets[None]) % n
    solid = np.zeros((n, n, n), bool)
    solid[voxels[..., 0], voxels[..., 1], voxels[..., 2]] = True
    return ~solid


@pytest.mark.parametrize("spacing", [1.0, (2.0, 1.0, 0.5)])
def test_free_space_has_unit_tortuosity_on_every_axis(spacing):
    result = random_walk(np.ones((20, 20, 20), bool), 300_000, 100, spacing=spacing, seed=1)
    np.testing.assert_allclose(result.tortuosity, 1, atol=0.02)
    np.testing.assert_allclose(result.principal_tortuosity, 1, atol=0.02)
    np.testing.assert_allclose(np.diag(result.diffusivity_tensor), result.free_diffusivity, rtol=0.02)
    s2 = np.asarray(spacing) ** 2 * np.ones(3)
    assert result.free_diffusivity == pytest.approx(1 / (2 * np.sum(1 / s2)))
    np.testing.assert_allclose(result.msd, result.msd_per_axis.sum(axis=1))
    assert result.time[0] == 0 and result.time[-1] == 100 and result.porosity == 1


@pytest.mark.parametrize("spacing", [1.0, (1.0, 2.0, 0.5)])
def test_straight_channels_have_unit_tortuosity_along_them_and_none_across(spacing):
    inside = np.isin(np.arange(32) % 8, [2, 3, 4, 5])
    channels = np.broadcast_to(inside[:, None, None] & inside[None, :, None], (32, 32, 32))  # 4×4 along x
    result = random_walk(channels, 150_000, 1000, spacing=spacing, seed=2)  # long enough to feel the walls
    assert result.tortuosity[2] == pytest.approx(1, abs=0.02)
    assert np.all(result.tortuosity[:2] > 20)  # confined across: the MSD plateaus
    assert abs(result.principal_axes[2, 0]) > 0.999
    assert result.porosity == pytest.approx(1 / 4)


def test_matches_pytrax_on_the_same_volume():
    pytrax = pytest.importorskip("pytrax", reason="pytrax (the anchor implementation) is not installed")
    porespy = pytest.importorskip("porespy", reason="porespy makes the test volume")
    x = porespy.generators.blobs([64] * 3, porosity=0.5, blobiness=1, seed=1).astype(bool)
    n_steps, n_samples = 500, 21
    stride = n_steps // (n_samples - 1)
    state = np.random.get_state()  # pytrax draws from numpy's global generator
    try:
        np.random.seed(0)
        walk = pytrax.RandomWalk(x.astype(np.uint8))
        walk.run(nt=n_steps + stride, nw=40_000, stride=stride)  # records every stride steps from step 1
    finally:
        np.random.set_state(state)
    times = np.arange(len(walk.real_coords)) * stride
    disp = (walk.real_coords - walk.real_coords[0]).astype(float)
    msd = np.einsum("twi,twj->tij", disp, disp) / disp.shape[1]
    ours = random_walk(x, 200_000, n_steps, seed=0, n_samples=n_samples)
    np.testing.assert_array_equal(ours.time, times)
    # our estimator (slope over the second half) on both walks: std of the difference ≈ 1.7 %
    theirs = (1 / 6) / np.diag(_diffusivity(times, msd))
    assert np.all(theirs > 1.5)
    np.testing.assert_allclose(ours.tortuosity, theirs, rtol=0.05)
    # pytrax's estimator (1 / slope of 3⟨Δx_i²⟩ through the origin over the whole walk, which keeps
    # the fast early times, so lower than τ) on both: std of the difference ≈ 0.8 %
    def through_origin(axial_msd):
        return 1 / (3 * (times @ axial_msd) / (times @ times))

    np.testing.assert_allclose(through_origin(ours.msd_per_axis), through_origin(np.einsum("tii->ti", msd)), rtol=0.025)

def test_oblate_grains_are_most_tortuous_across_and_the_principal_axis_is_their_normal():
    pore = oblate_grains(64, (1, 0, 0), 300, seed=3)
    result = random_walk(pore, 50_000, 4000, seed=3)
    tau = result.tortuosity
    assert tau[0] > 1.5 * max(tau[1], tau[2])
    assert abs(result.principal_axes[0, -1]) > 0.95
    assert result.principal_tortuosity[-1] == pytest.approx(tau[0], rel=0.05)
    assert np.all(np.diff(result.principal_tortuosity) >= 0)


def test_periodic_walk_finds_an_oblique_principal_axis_of_periodic_tilted_grains():
    normal = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)  # in the (z, y) plane, 45° from both
    pore = oblate_grains(64, normal, 300, seed=4)
    result = random_walk(pore, 50_000, 4000, seed=4, boundary="periodic")
    across = normal @ result.tortuosity_tensor @ normal
    assert abs(result.principal_axes[:, -1] @ normal) > 0.95
    assert result.principal_tortuosity[-1] > 1.5 * result.principal_tortuosity[1]
    assert across == pytest.approx(result.principal_tortuosity[-1], rel=0.05)
    # D = D_∥ (I − n nᵀ) + D_⊥ n nᵀ, so D_zy = (D_⊥ − D_∥) / 2 < 0
    assert result.diffusivity_tensor[0, 1] < -0.2 * result.diffusivity_tensor[2, 2]


def test_refining_the_grid_along_one_axis_keeps_the_tortuosity_of_the_structure():
    # Repeating every voxel twice along z with dz = 1/2 describes the same structure; the walk steps
    # along z with probability ∝ 1/dz², as a finite-volume discretisation would. What remains is
    # the resolution effect of the finer grid, ~3 % along z (refining all axes lowers τ by ~4 %).
    # Choosing the axis uniformly (pytrax's walk on the index grid) would change τ by 20–30 %.
    pore = boolean_spheres((48, 48, 48), radius=5, solid_fraction=0.5, seed=5).array == 0
    coarse = random_walk(pore, 100_000, 1000, seed=5)
    fine = random_walk(np.repeat(pore, 2, axis=0), 100_000, 2000, spacing=(0.5, 1, 1), seed=6)
    assert fine.free_diffusivity == pytest.approx(coarse.free_diffusivity / 2)
    np.testing.assert_allclose(fine.tortuosity, coarse.tortuosity, rtol=0.06)


def test_same_seed_gives_the_same_result_whatever_the_threads():
    pore = boolean_spheres((24, 24, 24), radius=3, solid_fraction=0.4, seed=7).array == 0
    first = random_walk(pore, 2000, 300, seed=8)
    again = random_walk(pore, 2000, 300, seed=np.random.default_rng(8))
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        single = random_walk(pore, 2000, 300, seed=8)
    finally:
        numba.set_num_threads(threads)
    other = random_walk(pore, 2000, 300, seed=9)
    for result in (again, single):
        np.testing.assert_array_equal(result.msd_tensor, first.msd_tensor)
        np.testing.assert_array_equal(result.tortuosity, first.tortuosity)
    assert not np.array_equal(other.msd_tensor, first.msd_tensor)
    json.dumps(first.to_dict())


def test_walkers_in_closed_pores_give_infinite_tortuosity_not_nan():
    pore = np.zeros((12, 12, 12), bool)
    pore[4:7, 4:7, 4:7] = True
    result = random_walk(pore, 500, 400, seed=0)
    assert not np.any(np.isnan(result.tortuosity_tensor)) and not np.any(np.isnan(result.tortuosity))
    assert np.all(result.tortuosity > 20)


@pytest.mark.parametrize("kwargs", [{"n_walkers": 0}, {"n_steps": 0}, {"n_walkers": 2.5}, {"n_steps": True},
                                    {"n_samples": 1}, {"boundary": "reflect"}])
def test_bad_parameters_raise_parameter_error(kwargs):
    args = {"phase": np.ones((4, 4, 4), bool), "n_walkers": 10, "n_steps": 10} | kwargs
    with pytest.raises(ParameterError, match=next(iter(kwargs))):
        random_walk(**args)


def test_bad_phase_and_spacing_raise_clear_errors():
    with pytest.raises(EmptyPhaseError):
        random_walk(np.zeros((4, 4, 4), bool), 10, 10)
    with pytest.raises(DTypeError):
        random_walk(np.ones((4, 4, 4), np.uint8), 10, 10)
    with pytest.raises(DimensionError):
        random_walk(np.ones((4, 4), bool), 10, 10)
    with pytest.raises(SpacingError):
        random_walk(np.ones((4, 4, 4), bool), 10, 10, spacing=(1, 0, 1))
