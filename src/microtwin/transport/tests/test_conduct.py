"""conduct / tortuosity_factor / effective_tensor against exact results, Maxwell, taufactor and invariances."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import (ConvergenceError, DimensionError, DTypeError, EmptyPhaseError, ParameterError,
                              PercolationError, SpacingError)
from microtwin.transport import conduct, effective_tensor, tortuosity_factor


def test_straight_channels_have_unit_tortuosity_factor_on_every_axis():
    phase = np.zeros((12, 10, 14), bool)
    phase[:, 2:5, 3:9] = True  # channel along z
    r = tortuosity_factor(phase, axis=0, spacing=(2.0, 0.5, 1.5))
    assert r.tortuosity_factor == pytest.approx(1.0, abs=1e-6)
    assert r.sigma_eff == pytest.approx(phase.mean(), rel=1e-6)
    assert r.m_factor == pytest.approx(r.volume_fraction, rel=1e-6)
    assert r.bruggeman_exponent == pytest.approx(1.0, abs=1e-6)
    for axis in (1, 2):  # the same channel turned along the other axes
        turned = np.moveaxis(phase, 0, axis)
        assert tortuosity_factor(turned, axis=axis).tortuosity_factor == pytest.approx(1.0, abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
       sigmas=st.lists(st.floats(1e-3, 1e3), min_size=5, max_size=5),
       axis=st.integers(0, 2), spacing=st.tuples(*[st.floats(0.2, 5.0)] * 3))
def test_layers_in_series_and_in_parallel_match_the_exact_formulas(widths, sigmas, axis, spacing):
    sigmas = sigmas[:len(widths)]
    labels = np.repeat(np.arange(len(widths), dtype=np.uint8), widths)  # layers along `axis`
    shape = [5, 4, 3]
    shape[axis] = labels.size
    labels = np.broadcast_to(np.expand_dims(labels, [a for a in range(3) if a != axis]), shape).copy()
    conductivity = dict(enumerate(sigmas))
    thickness = np.array(widths) * spacing[axis]
    fractions = thickness / thickness.sum()
    series = 1.0 / np.sum(fractions / np.array(sigmas))
    parallel = np.sum(fractions * np.array(sigmas))
    tensor = effective_tensor(labels, conductivity, spacing=spacing, rtol=1e-10)
    for a in range(3):
        expected = series if a == axis else parallel
        assert tensor.sigma[a, a] == pytest.approx(expected, rel=1e-6)
        assert tensor.results[a].tortuosity_factor == pytest.approx(parallel / tensor.sigma[a, a], rel=1e-6)


def test_contact_resistance_adds_in_series_between_two_blocks():
    labels = np.ones((10, 4, 4), np.uint8)
    particles = np.ones((10, 4, 4), np.int32)
    particles[4:] = 2  # blocks of 4 and 6 voxels, spacing 0.5: lengths 2 and 3
    r_c = 0.7
    r = conduct(labels, {1: 2.0}, axis=0, spacing=0.5, particles=particles, contact_resistance=r_c, rtol=1e-10)
    length = 10 * 0.5
    assert r.sigma_eff == pytest.approx(length / (2 / 2.0 + 3 / 2.0 + r_c), rel=1e-6)
    across = conduct(labels, {1: 2.0}, axis=1, spacing=0.5, particles=particles, contact_resistance=r_c)
    assert across.sigma_eff == pytest.approx(2.0, rel=1e-6)  # no particle contact along y


def _random_balls(shape, radius, fraction, seed):
    """Non-overlapping balls (random sequential addition) as a bool image; returns it and the centres."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape).reshape(3, -1).T + 0.5
    target = fraction * np.prod(shape) / (4 / 3 * np.pi * radius**3)
    centres = []
    while len(centres) < target:
        c = rng.random(3) * (np.array(shape) - 2 * radius - 2) + radius + 1  # away from the faces
        if all(np.sum((c - o) ** 2) > (2 * radius + 1) ** 2 for o in centres):
            centres.append(c)
    inside = np.zeros(grid.shape[0], bool)
    for c in centres:
        inside |= np.sum((grid - c) ** 2, axis=1) <= radius**2
    return inside.reshape(shape)


@pytest.mark.parametrize("fraction", [0.05, 0.1])
def test_dilute_insulating_spheres_follow_maxwell(fraction):
    spheres = _random_balls((96, 96, 96), 8.0, fraction, seed=1)  # r = 8 voxels: staircase error < 1.5 %
    phi = spheres.mean()
    maxwell = (1 - phi) / (1 + phi / 2)
    sigma = np.mean([conduct(spheres.view(np.uint8), {0: 1.0, 1: 0.0}, axis=a).sigma_eff for a in range(3)])
    assert sigma == pytest.approx(maxwell, rel=0.02)


@pytest.fixture(scope="module")
def blobs():
    ps = pytest.importorskip("porespy")
    return ps.generators.blobs(shape=[48, 48, 48], porosity=0.45, blobiness=1.5, seed=3)


def test_flipping_along_the_axis_and_permuting_axes(blobs):
    labels = blobs.view(np.uint8)
    base = effective_tensor(labels, {0: 0.0, 1: 1.0}, spacing=(1.0, 2.0, 0.5))
    flipped = conduct(labels[::-1], {0: 0.0, 1: 1.0}, axis=0, spacing=(1.0, 2.0, 0.5))
    assert flipped.sigma_eff == pytest.approx(base.sigma[0, 0], rel=1e-5)
    permuted = effective_tensor(np.transpose(labels, (2, 0, 1)), {0: 0.0, 1: 1.0}, spacing=(0.5, 1.0, 2.0))
    assert np.diag(permuted.sigma) == pytest.approx(np.diag(base.sigma)[[2, 0, 1]], rel=1e-5)
    assert base.anisotropy[0, 1] == pytest.approx(base.tortuosity_factor[0] / base.tortuosity_factor[1])


def test_tortuosity_factor_matches_taufactor(blobs):
    tf = pytest.importorskip("taufactor")
    pytest.importorskip("torch")
    solver = tf.Solver(blobs.astype(np.uint8), device="cpu")
    theirs = float(np.ravel(solver.solve(verbose=False, conv_crit=1e-4))[0])
    ours = tortuosity_factor(blobs, axis=0)
    assert ours.tortuosity_factor == pytest.approx(theirs, rel=0.01)
    assert ours.volume_fraction == pytest.approx(float(solver.VF[0]))


def test_multiphase_matches_taufactor_with_its_ghost_convention(blobs):
    tf = pytest.importorskip("taufactor")
    pytest.importorskip("torch")
    labels = blobs.astype(np.uint8) + 1  # 1 and 2 everywhere: two conducting phases
    labels[16:32, 16:32, 16:32] = 0
    conductivity = {1: 0.01, 2: 1.0}
    solver = tf.MultiPhaseSolver(labels, cond=conductivity, device="cpu")
    theirs = float(np.ravel(solver.solve(verbose=False, conv_crit=1e-4))[0])
    ours = conduct(labels, {0: 0.0, **conductivity}, axis=0, dirichlet="ghost")
    assert ours.tortuosity_factor == pytest.approx(theirs, rel=0.01)
    face = conduct(labels, {0: 0.0, **conductivity}, axis=0)
    assert face.tortuosity_factor != pytest.approx(ours.tortuosity_factor, rel=1e-3)  # the conventions differ


def test_oblate_grains_aligned_in_plane_make_through_plane_transport_harder():
    rng = np.random.default_rng(4)
    shape = (48, 64, 64)
    z, y, x = np.indices(shape)
    solid = np.zeros(shape, bool)
    for _ in range(70):  # flat grains: half-axes 2 (z) × 9 × 9 voxels
        cz, cy, cx = rng.random(3) * shape
        dy, dx = (y - cy + 32) % 64 - 32, (x - cx + 32) % 64 - 32
        solid |= ((z - cz) / 2.0) ** 2 + (dy / 9.0) ** 2 + (dx / 9.0) ** 2 <= 1
    pore = ~solid
    tensor = effective_tensor(pore.view(np.uint8), {0: 0.0, 1: 1.0})
    through, in_plane = tensor.tortuosity_factor[0], tensor.tortuosity_factor[1:]
    assert np.all(through > 1.3 * in_plane)


def test_periodic_side_faces_let_a_helical_channel_percolate():
    channel = np.zeros((12, 6, 6), bool)
    for k in range(12):
        channel[k, k % 6, 2] = True
        channel[k, (k + 1) % 6, 2] = True  # each layer overlaps the next, wrapping around y
    with pytest.raises(PercolationError):
        tortuosity_factor(channel, axis=0)
    r = tortuosity_factor(channel, axis=0, periodic=True)
    assert r.percolating and r.tortuosity_factor > 1 and r.flux_imbalance <= 1e-3


def test_fields_conserve_the_current_and_stay_between_the_boundary_values(blobs):
    r = tortuosity_factor(blobs, axis=1, return_fields=True, rtol=1e-9)
    inside = ~np.isnan(r.potential)
    assert 0 <= r.potential[inside].min() and r.potential[inside].max() <= 1
    layer_current = r.flux[1].sum(axis=(0, 2))  # current through each layer across y (unit spacing)
    assert layer_current == pytest.approx(r.sigma_eff * 48 * 48 / 48, rel=1e-5)  # I = σ_eff A / L
    assert r.percolating_fraction == pytest.approx(inside.sum() / blobs.sum())
    assert set(r.to_dict()) >= {"sigma_eff", "tortuosity_factor", "m_factor", "macmullin", "iterations"}
    assert "potential" not in r.to_dict()


def test_nothing_percolating_raises_or_gives_zero():
    labels = np.zeros((6, 5, 5), np.uint8)
    labels[:3] = 2  # only the inlet half conducts
    with pytest.raises(PercolationError, match=r"\{2\}.*axis 0"):
        conduct(labels, {0: 0.0, 2: 1.0}, axis=0)
    r = conduct(labels, {0: 0.0, 2: 1.0}, axis=0, allow_zero=True)
    assert not r.percolating and r.sigma_eff == 0 and r.tortuosity_factor == np.inf
    assert r.bruggeman_exponent is None


@pytest.mark.parametrize("conductivity, error", [
    ({0: -1.0, 1: 1.0}, ParameterError),
    ({0: float("nan"), 1: 1.0}, ParameterError),
    ({1: 1.0}, ParameterError),  # label 0 missing from the map
    ({0: 0.0, 1: 0.0}, EmptyPhaseError),
    ([1.0], ParameterError),
])
def test_bad_conductivity_maps_are_refused(conductivity, error):
    labels = np.zeros((4, 4, 4), np.uint8)
    labels[:, :2] = 1
    with pytest.raises(error):
        conduct(labels, conductivity)


def test_bad_inputs_are_refused():
    labels = np.ones((4, 4, 4), np.uint8)
    with pytest.raises(DimensionError):
        conduct(labels[0], {1: 1.0})
    with pytest.raises(DTypeError):
        conduct(labels.astype(float), {1: 1.0})
    with pytest.raises(DTypeError):
        tortuosity_factor(labels)
    with pytest.raises(SpacingError):
        conduct(labels, {1: 1.0}, spacing=(1, 0, 1))
    with pytest.raises(ParameterError):
        conduct(labels, {1: 1.0}, axis=3)
    with pytest.raises(ParameterError):
        conduct(labels, {1: 1.0}, dirichlet="middle")
    with pytest.raises(ParameterError):
        conduct(labels, {1: 1.0}, particles=np.ones((4, 4, 3), int), contact_resistance=1.0)
    with pytest.raises(EmptyPhaseError):
        tortuosity_factor(np.zeros((4, 4, 4), bool))


def test_the_iteration_limit_raises(blobs):
    with pytest.raises(ConvergenceError, match="iterations"):
        tortuosity_factor(blobs, rtol=1e-14, maxiter=1)
