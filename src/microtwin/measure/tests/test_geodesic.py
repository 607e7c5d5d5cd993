import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse import csgraph

from microtwin.data._generated import boolean_spheres
from microtwin.errors import DTypeError, EmptyPhaseError, ParameterError, PercolationError
from microtwin.measure._geodesic import geodesic_distance, geodesic_tortuosity

METHODS = ("dijkstra", "fmm", "fmm1")


def pores(shape=(24, 24, 24), seed=0, radius=3.0, solid_fraction=0.35):
    """Pore phase of a Boolean model of balls: a connected, tortuous test phase."""
    return boolean_spheres(shape, radius=radius, solid_fraction=solid_fraction, seed=seed).array == 0


def channel(shape, axis, cross=(slice(2, 5), slice(1, 3))):
    """A straight channel through the window along ``axis``."""
    phase = np.zeros(shape, bool)
    index = list(cross)
    index.insert(axis, slice(None))
    phase[tuple(index)] = True
    return phase


def tilted_slab(length, slope, offset=2, half_width=2):
    """Phase {offset − h ≤ y − slope·z ≤ offset + h} in a (length + 1, ny, 3) window."""
    z = np.arange(length + 1)[:, None]
    y = np.arange(int(length * slope) + 2 * half_width + offset + 3)[None, :]
    band = np.abs(y - slope * z - offset) <= half_width + 1e-9
    return np.repeat(band[:, :, None], 3, axis=2)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("spacing", [1.0, (0.3, 0.7, 1.9), (2.5, 0.1, 0.1)])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_straight_channel_has_tortuosity_exactly_one(axis, spacing, method):
    result = geodesic_tortuosity(channel((17, 19, 21), axis), axis=axis, spacing=spacing, method=method)
    step = np.broadcast_to(spacing, 3)[axis]
    assert result.mean == 1.0
    assert result.std == 0.0
    assert result.percolating_fraction == 1.0
    assert result.thickness == pytest.approx((channel((17, 19, 21), axis).shape[axis] - 1) * step)
    np.testing.assert_allclose(result.lengths, result.thickness, rtol=1e-6)


def test_halving_spacing_along_axis_halves_lengths_and_keeps_tortuosity():
    phase = channel((20, 8, 8), 0)
    full = geodesic_tortuosity(phase, axis=0, spacing=(1.0, 1.0, 1.0))
    half = geodesic_tortuosity(phase, axis=0, spacing=(0.5, 1.0, 1.0))
    np.testing.assert_allclose(half.lengths, full.lengths / 2)
    assert half.mean == full.mean == 1.0


@pytest.mark.parametrize("spacing", [1.0, (1.0, 1.0, 3.0), (0.4, 2.0, 0.1)])
def test_zigzag_of_diagonal_steps_has_exact_lattice_length(spacing):
    """A one-voxel zig-zag at 45° in (z, x): every step is a face diagonal √(dz² + dx²)."""
    n = 41
    x = 5 - np.abs((np.arange(n) % 10) - 5)  # triangle wave 0..5..0 with slope ±1
    phase = np.zeros((n, 3, 7), bool)
    phase[np.arange(n), 1, x] = True
    dz, _, dx = np.broadcast_to(spacing, 3)
    result = geodesic_tortuosity(phase, axis=0, spacing=spacing)
    assert result.mean == pytest.approx(np.hypot(dz, dx) / dz, rel=1e-6)
    assert result.lengths == pytest.approx([(n - 1) * np.hypot(dz, dx)], rel=1e-6)


def test_zigzag_touching_only_by_edges_does_not_percolate_for_fast_marching():
    phase = np.zeros((9, 3, 3), bool)
    phase[np.arange(9), 1, np.arange(9) % 2] = True
    with pytest.raises(PercolationError):
        geodesic_tortuosity(phase, axis=0, method="fmm")


def test_slab_at_45_degrees_has_lattice_lengths_and_euclidean_within_2_percent():
    """Inlet voxel e steps from the lower wall: the Euclidean geodesic goes straight to the nearest
    outlet voxel, √(L² + (L − e)²); the 26-lattice path takes e axial and L − e diagonal steps."""
    length, half_width = 63, 2
    result = geodesic_tortuosity(tilted_slab(length, 1.0, half_width=half_width), axis=0)
    e = np.repeat(np.arange(2 * half_width + 1), 3)
    np.testing.assert_allclose(result.lengths, e + (length - e) * np.sqrt(2), rtol=1e-6)
    euclidean = np.sqrt(length**2 + (length - e) ** 2).mean() / length
    assert result.mean == pytest.approx(euclidean, rel=0.02)
    assert geodesic_tortuosity(tilted_slab(length, 1.0), axis=0, method="fmm").mean == pytest.approx(
        euclidean, rel=0.02
    )


def test_fast_marching_is_euclidean_where_the_lattice_metric_is_not():
    """Slope 1/2: the lattice metric overestimates by ~8 %, second-order fast marching by < 2 %."""
    length, half_width = 63, 2
    phase = tilted_slab(length, 0.5, half_width=half_width)
    e = np.arange(2 * half_width + 1)
    euclidean = np.sqrt(length**2 + (length / 2 - e) ** 2).mean() / length
    assert geodesic_tortuosity(phase, axis=0, method="fmm").mean == pytest.approx(euclidean, rel=0.02)
    lattice = geodesic_tortuosity(phase, axis=0, method="dijkstra").mean
    assert 1.06 < lattice / euclidean < 1.1


def lattice_graph(phase, spacing):
    """The 26-neighbour graph of a phase as a scipy sparse matrix, built without our code."""
    index = np.arange(phase.size).reshape(phase.shape)
    rows, cols, weights = [], [], []
    for dz, dy, dx in np.ndindex(3, 3, 3):
        offset = np.array([dz, dy, dx]) - 1
        if (offset == 0).all():
            continue
        src = tuple(slice(max(0, -o), phase.shape[a] - max(0, o)) for a, o in enumerate(offset))
        dst = tuple(slice(max(0, o), phase.shape[a] - max(0, -o)) for a, o in enumerate(offset))
        both = phase[src] & phase[dst]
        rows.append(index[src][both])
        cols.append(index[dst][both])
        weights.append(np.full(both.sum(), np.linalg.norm(offset * np.asarray(spacing))))
    rows, cols, weights = map(np.concatenate, (rows, cols, weights))
    return sparse.csr_matrix((weights, (rows, cols)), shape=(phase.size, phase.size))


@pytest.mark.parametrize("source", ["inlet", "outlet"])
def test_dijkstra_matches_scipy_csgraph(source):
    phase, spacing, axis = pores((16, 18, 20), seed=3), (0.7, 1.0, 1.3), 1
    face = np.zeros(phase.shape, bool)
    np.moveaxis(face, axis, 0)[0 if source == "inlet" else -1] = True
    sources = np.flatnonzero(face & phase)
    expected = csgraph.dijkstra(lattice_graph(phase, spacing), indices=sources, min_only=True)
    expected[~phase.ravel()] = np.inf
    found = geodesic_distance(phase, axis=axis, spacing=spacing, source=source)
    np.testing.assert_allclose(found.ravel(), expected, rtol=1e-5)


@pytest.mark.parametrize(("method", "order"), [("fmm1", 1), ("fmm", 2)])
def test_fast_marching_matches_scikit_fmm(method, order):
    skfmm = pytest.importorskip("skfmm")
    phase, spacing = pores((20, 22, 24), seed=4), (1.0, 0.8, 1.2)
    level = np.ones(phase.shape)
    level[-1] = 0
    expected = np.ma.filled(skfmm.distance(np.ma.MaskedArray(level, ~phase), dx=spacing, order=order), np.inf)
    found = geodesic_distance(phase, axis=0, spacing=spacing, method=method)
    assert np.array_equal(np.isfinite(found), np.isfinite(expected))
    reached = np.isfinite(found)
    if order == 1:
        np.testing.assert_allclose(found[reached], expected[reached], rtol=1e-5)
    ours = geodesic_tortuosity(phase, axis=0, spacing=spacing, method=method).mean
    assert ours == pytest.approx(expected[0][reached[0]].mean() / (19 * spacing[0]), rel=2e-3)


def test_inlet_source_is_outlet_source_of_flipped_volume():
    phase = pores(seed=5)
    from_inlet = geodesic_distance(phase, axis=2, source="inlet")
    from_outlet_flipped = geodesic_distance(phase[:, :, ::-1], axis=2, source="outlet")[:, :, ::-1]
    np.testing.assert_array_equal(from_inlet, from_outlet_flipped)


def test_percolating_fraction_counts_inlet_voxels_reaching_outlet():
    phase = channel((12, 10, 10), 0, cross=(slice(0, 2), slice(0, 3)))  # 6 inlet voxels through
    phase[:4, 6:8, 6:8] = True  # a blind pore: 4 inlet voxels that do not reach the outlet
    result = geodesic_tortuosity(phase, axis=0)
    assert result.percolating_fraction == pytest.approx(6 / 10)
    assert result.lengths.size == 6


def test_distance_is_infinite_outside_phase_and_on_disconnected_voxels():
    phase = channel((12, 10, 10), 0)
    phase[3:6, 8, 8] = True  # enclosed cavity
    dist = geodesic_distance(phase, axis=0)
    assert np.isinf(dist[~phase]).all() and np.isinf(dist[3:6, 8, 8]).all()
    assert dist.dtype == np.float32


def test_non_percolating_phase_raises_percolation_error_naming_axis():
    phase = channel((12, 10, 10), 0)
    with pytest.raises(PercolationError, match="axis 1"):
        geodesic_tortuosity(phase, axis=1)


@pytest.mark.parametrize(
    ("phase", "kwargs", "error"),
    [
        (np.zeros((8, 8, 8), bool), {}, EmptyPhaseError),
        (np.ones((1, 8, 8), bool), {}, ParameterError),
        (np.ones((8, 8, 8), bool), {"method": "astar"}, ParameterError),
        (np.ones((8, 8, 8), bool), {"axis": 3}, ParameterError),
        (np.ones((8, 8, 8), np.uint8), {}, DTypeError),
    ],
)
def test_bad_input_raises_clear_errors(phase, kwargs, error):
    with pytest.raises(error):
        geodesic_tortuosity(phase, **kwargs)


def test_unknown_source_raises_parameter_error():
    with pytest.raises(ParameterError, match="source"):
        geodesic_distance(np.ones((4, 4, 4), bool), source="top")


def test_result_to_dict_is_plain_python():
    d = geodesic_tortuosity(channel((6, 8, 8), 0)).to_dict()
    assert d["mean"] == 1.0 and d["method"] == "dijkstra" and isinstance(d["lengths"], list)


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    spacing=st.tuples(*[st.sampled_from([0.5, 1.0, 1.5]) for _ in range(3)]),
    permutation=st.permutations([0, 1, 2]),
    method=st.sampled_from(METHODS),
)
def test_invariant_under_perpendicular_flips_and_axis_permutations(seed, spacing, permutation, method):
    phase = pores((20, 20, 20), seed=seed)
    reference = geodesic_tortuosity(phase, axis=0, spacing=spacing, method=method)
    flipped = geodesic_tortuosity(phase[:, ::-1, ::-1], axis=0, spacing=spacing, method=method)
    moved = np.transpose(phase, permutation)
    permuted = geodesic_tortuosity(
        moved, axis=permutation.index(0), spacing=tuple(spacing[p] for p in permutation), method=method
    )
    for other in (flipped, permuted):
        assert other.mean == pytest.approx(reference.mean, rel=1e-5)
        assert other.percolating_fraction == reference.percolating_fraction
    if method == "dijkstra":
        assert reference.mean >= 1.0


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.25, 3.0]))
def test_uniform_spacing_scales_lengths_and_keeps_tortuosity(seed, scale):
    phase = pores((20, 20, 20), seed=seed)
    unit = geodesic_tortuosity(phase, axis=2)
    scaled = geodesic_tortuosity(phase, axis=2, spacing=scale)
    np.testing.assert_allclose(scaled.lengths, scale * unit.lengths, rtol=1e-6)
    assert scaled.mean == pytest.approx(unit.mean, rel=1e-12)
