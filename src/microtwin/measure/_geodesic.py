"""Geodesic distance through a phase from a face of the window, and the mean geodesic tortuosity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from microtwin._results import Result
from microtwin._validation import as_axis, as_phase, as_spacing
from microtwin.errors import EmptyPhaseError, ParameterError, PercolationError

# The 26 neighbour offsets (dz, dy, dx) of the cubic lattice.
_OFFSETS = np.array([o for o in np.ndindex(3, 3, 3) if o != (1, 1, 1)], dtype=np.int64) - 1


@dataclass(frozen=True, eq=False)
class GeodesicTortuosity(Result):
    """Mean geodesic tortuosity of a phase along one axis.

    Attributes
    ----------
    mean : float
        τ_geo = mean(lengths) / thickness (dimensionless; ≥ 1 for the 26-neighbour metric).
    std : float
        Standard deviation (ddof=0) of lengths / thickness.
    lengths : ndarray
        float64 geodesic length from each percolating inlet-plane voxel of the phase to the outlet
        plane, in the units of ``spacing``, in the raster order of the inlet plane.
    percolating_fraction : float
        Fraction in (0, 1] of the phase voxels of the inlet plane connected to the outlet plane
        (26-connectivity for ``method="dijkstra"``, 6-connectivity for fast marching).
    thickness : float
        Distance between the centres of the inlet and outlet planes, ``(n - 1) * spacing[axis]``,
        in the units of ``spacing``.
    axis : int
        The measurement axis.
    method : str
        The metric used (see :func:`geodesic_distance`).
    """

    mean: float
    std: float
    lengths: np.ndarray
    percolating_fraction: float
    thickness: float
    axis: int
    method: str


# Heap entries pack a voxel's float32 distance (its bit pattern, monotonic for non-negative
# floats) above its flat index, so one uint64 comparison orders them. _SIGN: float32 sign bit.
_SHIFT, _INDEX, _SIGN = np.uint64(32), np.uint64(0xFFFFFFFF), np.uint32(0x80000000)


@njit(cache=True)
def _push(heap, size, entry):
    """Insert ``entry`` into the binary min-heap of ``size`` entries; return the heap (grown if full)."""
    if size == heap.shape[0]:
        grown = np.empty(2 * size, np.uint64)
        grown[:size] = heap
        heap = grown
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if heap[parent] <= entry:
            break
        heap[pos] = heap[parent]
        pos = parent
    heap[pos] = entry
    return heap


@njit(cache=True)
def _pop(heap, size):
    """Remove the smallest entry of the heap; return (entry, new size)."""
    top = heap[0]
    size -= 1
    last = heap[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if heap[child] >= last:
            break
        heap[pos] = heap[child]
        pos = child
    heap[pos] = last
    return top, size


@njit(cache=True)
def _source_heap(sources):
    """A heap holding the source voxels (flat indices) at distance 0: their entries are their indices."""
    heap = np.empty(max(1024, 2 * sources.size), np.uint64)
    heap[: sources.size] = sources
    return heap, sources.size


@njit(cache=True)
def _dijkstra(dist, sources, offsets, weights):
    """Multi-source Dijkstra on the 26-neighbourhood, in place on ``dist``.

    ``dist`` holds 0 at the ``sources`` (flat indices), +inf on the other phase voxels and -inf
    outside the phase (never relaxed). The heap is lazy (an improved voxel is pushed again and
    its stale entries are skipped when popped), so the only per-voxel memory is ``dist``.
    """
    nz, ny, nx = dist.shape
    plane = ny * nx
    flat = dist.ravel()
    bits = flat.view(np.uint32)
    steps = offsets[:, 0] * plane + offsets[:, 1] * nx + offsets[:, 2]
    heap, size = _source_heap(sources)
    while size > 0:
        top, size = _pop(heap, size)
        v = np.int64(top & _INDEX)
        if (top >> _SHIFT) > bits[v]:
            continue
        key = flat[v]
        k = v // plane
        j = (v - k * plane) // nx
        i = v - k * plane - j * nx
        border = k == 0 or k == nz - 1 or j == 0 or j == ny - 1 or i == 0 or i == nx - 1
        for o in range(steps.shape[0]):
            if border:
                kk, jj, ii = k + offsets[o, 0], j + offsets[o, 1], i + offsets[o, 2]
                if kk < 0 or kk >= nz or jj < 0 or jj >= ny or ii < 0 or ii >= nx:
                    continue
            u = v + steps[o]
            if key + weights[o] < flat[u]:
                flat[u] = key + weights[o]
                heap = _push(heap, size, (np.uint64(bits[u]) << _SHIFT) | np.uint64(u))
                size += 1


@njit(cache=True)
def _upwind(flat, bits, u, coord, n, stride, inv_h2, second_order):
    """(m, c) of one axis for the eikonal update at ``u``: the smaller known neighbour value m with
    c = 1/h², or the second-order extrapolation (4·t₁ − t₂)/3 with c = 9/(4h²) when the next voxel on
    that side is known and not larger (Sethian 1999); (inf, 0) when no neighbour is known. Ties
    between the two sides prefer second order, then the smaller m, so the result is flip-invariant.
    Known voxels hold minus their distance (sign bit set), voxels outside the phase -inf."""
    m, c, nearest = np.inf, 0.0, np.inf
    for side in (-1, 1):
        w = u + side * stride
        if not 0 <= coord + side < n or bits[w] < _SIGN or flat[w] == -np.inf or -flat[w] > nearest:
            continue
        m_side, c_side = -np.float64(flat[w]), inv_h2
        w2 = w + side * stride
        if second_order and 0 <= coord + 2 * side < n and bits[w2] >= _SIGN and flat[w2] >= flat[w]:
            m_side, c_side = (-4.0 * flat[w] + flat[w2]) / 3.0, 2.25 * inv_h2
        if -flat[w] < nearest or c_side > c or (c_side == c and m_side < m):
            nearest, m, c = -flat[w], m_side, c_side
    return m, c


@njit(cache=True)
def _eikonal(m0, c0, m1, c1, m2, c2):
    """Largest root t of Σ c_a (t − m_a)² = 1 over the smallest terms with m_a < t (upwind rule)."""
    if m1 < m0:
        m0, c0, m1, c1 = m1, c1, m0, c0
    if m2 < m1:
        m1, c1, m2, c2 = m2, c2, m1, c1
        if m1 < m0:
            m0, c0, m1, c1 = m1, c1, m0, c0
    t = m0 + 1.0 / np.sqrt(c0)
    sum_c, sum_cm, sum_cm2 = c0, c0 * m0, c0 * m0 * m0
    for m, c in ((m1, c1), (m2, c2)):
        if m >= t:
            break
        sum_c, sum_cm, sum_cm2 = sum_c + c, sum_cm + c * m, sum_cm2 + c * m * m
        disc = sum_cm * sum_cm - sum_c * (sum_cm2 - 1.0)
        if disc < 0:  # inconsistent second-order terms: keep the lower-dimensional update
            break
        t = (sum_cm + np.sqrt(disc)) / sum_c
    return t


@njit(cache=True)
def _fast_marching(dist, sources, h, second_order):
    """Fast marching (6-neighbour upwind eikonal |∇t| = 1), in place on ``dist``.

    ``dist`` is initialised as for :func:`_dijkstra`. An accepted ("known") voxel stores minus its
    distance, so that the sign bit is the known flag and outside voxels (-inf) count as known but
    unusable; the caller takes the absolute value.
    """
    nz, ny, nx = dist.shape
    plane = ny * nx
    flat = dist.ravel()
    bits = flat.view(np.uint32)
    inv_h2 = 1.0 / h**2
    heap, size = _source_heap(sources)
    while size > 0:
        top, size = _pop(heap, size)
        v = np.int64(top & _INDEX)
        if bits[v] >= _SIGN or (top >> _SHIFT) > bits[v]:
            continue
        flat[v] = -flat[v]
        k = v // plane
        j = (v - k * plane) // nx
        i = v - k * plane - j * nx
        # the face neighbours, and (second order) the voxels two steps away behind a known one
        # at the same distance, for which v has just become the second stencil point (with ties
        # the order of acceptance would otherwise decide, and flips would change the result)
        for a in range(12 if second_order else 6):
            shift = (1 if a % 2 else -1) * (1 + (a >= 6))
            axis = (a % 6) // 2
            ku, ju, iu = k + shift * (axis == 0), j + shift * (axis == 1), i + shift * (axis == 2)
            if not (0 <= ku < nz and 0 <= ju < ny and 0 <= iu < nx):
                continue
            u = (ku * ny + ju) * nx + iu
            if bits[u] >= _SIGN or (a >= 6 and bits[(u + v) // 2] != bits[v]):
                continue
            mz, cz = _upwind(flat, bits, u, ku, nz, plane, inv_h2[0], second_order)
            my, cy = _upwind(flat, bits, u, ju, ny, nx, inv_h2[1], second_order)
            mx, cx = _upwind(flat, bits, u, iu, nx, 1, inv_h2[2], second_order)
            t = np.float32(_eikonal(mz, cz, my, cy, mx, cx))
            if t < flat[u]:
                flat[u] = t
                heap = _push(heap, size, (np.uint64(bits[u]) << _SHIFT) | np.uint64(u))
                size += 1


_METHODS = ("dijkstra", "fmm", "fmm1")


def _distance_in_axis_units(phase, axis, spacing, source, method):
    """Geodesic distance field (float32, +inf off the reachable phase) in units of ``spacing[axis]``."""
    if source not in ("inlet", "outlet"):
        raise ParameterError(f"source must be 'inlet' or 'outlet'; got {source!r}")
    if method not in _METHODS:
        raise ParameterError(f"method must be one of {_METHODS}; got {method!r}")
    if phase.shape[axis] < 2:
        raise ParameterError(f"the phase needs at least 2 voxels along axis {axis}; got shape {phase.shape}")
    if phase.size >= 2**32:
        raise ParameterError(f"geodesic distances support fewer than 2**32 voxels; got shape {phase.shape}")
    if not phase.any():
        raise EmptyPhaseError("the phase has no voxels; geodesic distances need a non-empty phase")
    face = 0 if source == "inlet" else phase.shape[axis] - 1
    where = list(np.nonzero(np.take(phase, face, axis=axis)))
    where.insert(axis, np.full(where[0].size, face))
    sources = np.ravel_multi_index(tuple(where), phase.shape)
    dist = np.full(phase.shape, -np.inf, np.float32)  # C order: the kernels work on its flat view
    dist[phase] = np.inf
    dist.ravel()[sources] = 0.0
    relative = np.asarray(spacing) / spacing[axis]
    if method == "dijkstra":
        weights = np.sqrt(((_OFFSETS * relative) ** 2).sum(axis=1)).astype(np.float32)
        _dijkstra(dist, sources, _OFFSETS, weights)
    else:
        _fast_marching(dist, sources, relative, method == "fmm")
    return np.abs(dist, out=dist)


def geodesic_distance(phase, axis=0, spacing=1.0, source="outlet", method="dijkstra") -> np.ndarray:
    """Geodesic distance through a phase from one face of the window, for every voxel.

    The source face is the plane of index 0 along ``axis`` (``"inlet"``) or ``n - 1``
    (``"outlet"``); its phase voxels have distance 0. Two metrics:

    - ``"dijkstra"`` (default): length of the shortest path of 26-neighbour steps inside the
      phase, a step (a, b, c) ∈ {-1, 0, 1}³ being √((a·dz)² + (b·dy)² + (c·dx)²) long;
      multi-source Dijkstra with a binary heap, O(N log N). Paths may pass through edge and
      corner contacts (26-connectivity). The lattice metric is exact along the 13 lattice
      directions and longer than the Euclidean one in between: for cubic voxels by at most
      8.2 % (√(4 − 2√2) − 1) within a lattice plane and 12.8 % (√(1 + (√2−1)² + (√3−√2)²) − 1)
      in 3D. On the pore space of blobs (porosity 0.4, 200³) τ_geo comes out 5 % above the fast
      marching value.
    - ``"fmm"`` / ``"fmm1"``: fast marching solution of the eikonal equation |∇t| = 1 in the
      phase (6-connectivity; the non-phase is an obstacle) with second-order upwind stencils where
      known voxels allow them (``"fmm"``) or first order (``"fmm1"``), like ``skfmm.distance`` with
      ``order=2`` / ``1``: the Euclidean geodesic distance up to discretisation error.

    Against the exact Euclidean geodesic in straight channels 5–13 voxels wide tilted by 14°–45°,
    τ_geo is off by 0.3–1.5 % with ``"fmm"``, 1–10 % with ``"fmm1"`` and 0.7–8.4 % with
    ``"dijkstra"`` (exact at 45°).

    Parameters
    ----------
    phase : (nz, ny, nx) bool ndarray
        The phase the paths run through.
    axis : int
        Axis perpendicular to the source face.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    source : {"outlet", "inlet"}
        The face the distance is measured from.
    method : {"dijkstra", "fmm", "fmm1"}
        The metric, see above.

    Returns
    -------
    ndarray of float32, shape of ``phase``
        Distances between voxel centres, in the units of ``spacing``; ``inf`` outside the phase
        and on phase voxels not connected to the source face.

    Raises
    ------
    EmptyPhaseError
        If the phase is empty.

    References
    ----------
    E. W. Dijkstra, Numer. Math. 1 (1959) 269; J. A. Sethian, "Level Set Methods and Fast
    Marching Methods", Cambridge University Press, 1999.

    Examples
    --------
    >>> import numpy as np
    >>> channel = np.zeros((4, 3, 3), bool); channel[:, 1, 1] = True
    >>> geodesic_distance(channel, axis=0, spacing=0.5)[:, 1, 1]
    array([1.5, 1. , 0.5, 0. ], dtype=float32)
    """
    phase, axis, spacing = as_phase(phase), as_axis(axis), as_spacing(spacing)
    dist = _distance_in_axis_units(phase, axis, spacing, source, method)
    dist *= np.float32(spacing[axis])
    return dist


def geodesic_tortuosity(phase, axis=0, spacing=1.0, method="dijkstra") -> GeodesicTortuosity:
    """Mean geodesic tortuosity τ_geo of a phase along ``axis``.

    For every phase voxel of the inlet plane (index 0 along ``axis``) connected through the phase
    to the outlet plane (index ``n - 1``), ``length`` is its geodesic distance to the outlet plane
    (:func:`geodesic_distance`, computed once from the outlet plane, default metric: shortest
    26-neighbour paths) and

        τ_geo = mean(length) / thickness,   thickness = (n − 1)·spacing[axis],

    the distance between the centres of the two planes. A straight channel gives τ_geo = 1
    exactly: distances are accumulated in units of ``spacing[axis]``, where axial steps are 1.

    τ_geo is invariant under flips perpendicular to ``axis`` and under axis permutations with
    ``spacing`` permuted; a flip along ``axis`` swaps inlet and outlet, which changes τ_geo
    unless the structure is symmetric.

    Parameters
    ----------
    phase : (nz, ny, nx) bool ndarray
        The phase, with at least 2 voxels along ``axis``.
    axis : int
        Transport axis.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    method : {"dijkstra", "fmm", "fmm1"}
        Metric of :func:`geodesic_distance`: 26-neighbour paths (the usual definition,
        Stenzel et al. 2016), or the Euclidean geodesic by fast marching (6-connectivity).

    Returns
    -------
    GeodesicTortuosity

    Raises
    ------
    EmptyPhaseError
        If the phase is empty.
    PercolationError
        If no inlet voxel of the phase is connected to the outlet plane.

    References
    ----------
    O. Stenzel et al., AIChE J. 62 (2016) 1834; M. Neumann et al., "On a quantitative
    characterization of the 3D morphology of electrode microstructures", 2020.

    Examples
    --------
    >>> import numpy as np
    >>> zigzag = np.zeros((5, 3, 3), bool)
    >>> zigzag[[0, 1, 2, 3, 4], 1, [0, 1, 2, 1, 0]] = True
    >>> round(geodesic_tortuosity(zigzag, axis=0).mean, 6)  # four 45° steps: √2
    1.414214
    """
    phase, axis, spacing = as_phase(phase), as_axis(axis), as_spacing(spacing)
    dist = _distance_in_axis_units(phase, axis, spacing, "outlet", method)
    inlet = np.take(dist, 0, axis=axis)
    inlet_phase = int(np.count_nonzero(np.take(phase, 0, axis=axis)))
    reached = inlet[np.isfinite(inlet)].astype(np.float64)
    if reached.size == 0:
        raise PercolationError(
            f"the phase does not connect the inlet and outlet faces along axis {axis} "
            f"({inlet_phase} phase voxels on the inlet face, none reaches the outlet)"
        )
    steps = phase.shape[axis] - 1
    return GeodesicTortuosity(
        mean=float(reached.mean() / steps),
        std=float(reached.std() / steps),
        lengths=reached * spacing[axis],
        percolating_fraction=reached.size / inlet_phase,
        thickness=steps * spacing[axis],
        axis=axis,
        method=method,
    )
