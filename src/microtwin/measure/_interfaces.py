"""Interfaces in label images: interface area densities, contact areas, triple-phase boundaries.

The estimators use the 2×2×2 cells of :mod:`microtwin.measure._minkowski` and the same inner
window: every cell lying entirely in the image is visited once, and densities are divided by the
inner-window volume Π (n_i − 1)·s_i. Interface areas use the same discrete Crofton weights as
the surface density S_V, so the interfaces of a label add up to its S_V exactly.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from microtwin._validation import as_phase, as_spacing
from microtwin.errors import DimensionError, ParameterError
from microtwin.measure._minkowski import CELL, PAIRS, as_labels, label_counts, pair_area_weights

#: at most this many distinct labels in interface_densities (the pair table is labels²)
MAX_LABELS = 256
#: vertices of the 6 faces of a cell and the axis each face is perpendicular to
_FACES = np.array([np.flatnonzero(CELL[:, axis] == side) for axis in range(3) for side in (0, 1)])
_FACE_AXIS = np.repeat(np.arange(3), 2)


@njit(parallel=True, cache=True)
def _pair_areas(first, first_ids, first_low, second, second_ids, second_low, n_first, n_second,
                pairs, weight, n_chunks):
    """areas[p, q]: summed ``weight`` of the cell pairs (u, v) with first-id p at u, second-id q at v.

    Only pairs whose two ends differ in ``first`` are counted. Ids are ``*_ids[value - *_low]``;
    the z-range is split into ``n_chunks`` blocks with one partial sum each (deterministic).
    """
    nz, ny, nx = first.shape
    step = (nz - 1 + n_chunks - 1) // n_chunks
    areas = np.zeros((n_chunks, n_first, n_second))
    for chunk in prange(n_chunks):
        a = np.empty(8, dtype=np.int64)
        b = np.empty(8, dtype=np.int64)
        for k in range(chunk * step, min(nz - 1, (chunk + 1) * step)):
            for j in range(ny - 1):
                for i in range(nx - 1):
                    ref, uniform = first[k, j, i], True
                    for v in range(1, 8):
                        uniform = uniform and first[k + (v >> 2), j + ((v >> 1) & 1), i + (v & 1)] == ref
                    if uniform:
                        continue
                    for v in range(8):
                        z, y, x = k + (v >> 2), j + ((v >> 1) & 1), i + (v & 1)
                        a[v] = first_ids[np.int64(first[z, y, x]) - first_low]
                        b[v] = second_ids[np.int64(second[z, y, x]) - second_low]
                    for p in range(pairs.shape[0]):
                        u, w = pairs[p, 0], pairs[p, 1]
                        if a[u] != a[w]:
                            areas[chunk, a[u], b[w]] += weight[p]
                            areas[chunk, a[w], b[u]] += weight[p]
    return areas.sum(axis=0)


@njit(parallel=True, cache=True)
def _triple_line_length(labels, a, b, c, faces, face_length):
    """Summed ``face_length`` (already halved: a face is shared by 2 cells) of the cell faces
    whose 4 voxels hold the three labels a, b and c."""
    nz, ny, nx = labels.shape
    totals = np.zeros(nz - 1)
    for k in prange(nz - 1):
        bits = np.empty(8, dtype=np.int64)
        for j in range(ny - 1):
            for i in range(nx - 1):
                present = 0
                for v in range(8):
                    value = labels[k + (v >> 2), j + ((v >> 1) & 1), i + (v & 1)]
                    bits[v] = 1 if value == a else (2 if value == b else (4 if value == c else 0))
                    present |= bits[v]
                if present != 7:
                    continue
                for f in range(6):
                    if bits[faces[f, 0]] | bits[faces[f, 1]] | bits[faces[f, 2]] | bits[faces[f, 3]] == 7:
                        totals[k] += face_length[f]
    return totals.sum()


def _cells_window(shape, spacing) -> float:
    """Inner-window volume Π (n_i − 1)·s_i, refusing images with fewer than 2 voxels on an axis."""
    if min(shape) < 2:
        raise DimensionError(f"labels need at least 2 voxels along every axis; got shape {shape}")
    return float(np.prod([(n - 1) * s for n, s in zip(shape, spacing)]))


def _ids(values: np.ndarray, lowest: int) -> np.ndarray:
    """Lookup table value − lowest → index of the value in ``values``."""
    table = np.zeros(int(values[-1]) - lowest + 1, dtype=np.int64)
    table[values - lowest] = np.arange(values.size)
    return table


def _integer_view(labels: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(labels.view(np.uint8) if labels.dtype == bool else labels)


def interface_densities(labels, spacing=1.0) -> dict:
    """Interface area per unit volume between every pair of labels present.

    Discrete Crofton estimator, as for S_V in :func:`intrinsic_volumes`: for each of the 13
    lattice directions d_k, the label pairs (a, b) met at the two ends of the cell pairs along
    d_k are counted, S_V(a, b) = 2 Σ_k γ_k P_L(a, b; d_k) with P_L the number of a–b changes
    per unit length and γ_k the Voronoi solid-angle weights. Hence Σ_b S_V(a, b) = S_V(a)
    exactly, and S_V(a, b) = (S_V(a) + S_V(b) − S_V(a ∪ b)) / 2. Only cells inside the image
    are counted (the image border is no interface), divided by the inner-window volume
    Π (n_i − 1)·s_i: unbiased for stationary isotropic structures. A single plane is measured
    with a factor 2 Σ_k γ_k |n·u_k| between 0.927 (normal along an axis) and 1.023, depending
    on its normal n (1 on average over orientations; wider for anisotropic voxels).

    Parameters
    ----------
    labels : (nz, ny, nx) integer or bool ndarray
        Label image, at most 256 distinct labels, at least 2 voxels along every axis.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    dict
        {(a, b): S_V(a, b)} for every pair a < b of labels present, in 1/length (units of
        ``spacing``); empty when only one label is present.

    References
    ----------
    J. Ohser, K. Schladitz, *3D Images of Materials Structures*, Wiley 2009, sec. 5.3.

    Examples
    --------
    >>> slabs = np.zeros((10, 10, 10), np.uint8); slabs[5:] = 1
    >>> {k: round(v, 4) for k, v in interface_densities(slabs).items()}  # 81 / 729 × 0.927
    {(0, 1): 0.103}
    """
    labels = as_labels(labels)
    spacing = as_spacing(spacing)
    window = _cells_window(labels.shape, spacing)
    values, _ = label_counts(labels)
    if values.size > MAX_LABELS:
        raise ParameterError(f"interface_densities takes at most {MAX_LABELS} labels; got {values.size} "
                             "(use contact_areas for particle labels)")
    if int(values[-1]) - int(values[0]) >= 1 << 24 or int(values[-1]) >= 1 << 63:
        raise ParameterError(f"label values must span less than 2**24; got {values[0]}..{values[-1]}")
    data, table, lowest = _integer_view(labels), _ids(values, int(values[0])), int(values[0])
    weight = pair_area_weights(spacing)
    areas = _pair_areas(data, table, lowest, data, table, lowest, values.size, values.size, PAIRS, weight,
                        numba.get_num_threads())
    cast = bool if labels.dtype == bool else int
    return {(cast(values[p]), cast(values[q])): float(areas[p, q]) / window
            for p in range(values.size) for q in range(p + 1, values.size)}


def contact_areas(particle_labels, other, spacing=1.0) -> np.ndarray:
    """Contact area of every labelled particle with another phase.

    The discrete Crofton estimator of :func:`interface_densities`, summed per particle instead
    of per unit volume: the area of the interface between particle p and ``other`` inside the
    box spanned by the voxel centres (the inner window of the densities), so a contact reaching
    the image border is cut there half a voxel inside.

    Parameters
    ----------
    particle_labels : (nz, ny, nx) integer ndarray
        0 = no particle, 1..N = particles (label values below 2**24).
    other : (nz, ny, nx) bool ndarray
        The other phase; must not overlap the particles.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    ndarray of float64, shape (max label + 1,)
        ``areas[p]`` is the contact area of particle p in length² (units of ``spacing``);
        ``areas[0]`` is 0, as for labels without a particle.

    References
    ----------
    J. Ohser, K. Schladitz, *3D Images of Materials Structures*, Wiley 2009, sec. 5.3.

    Examples
    --------
    >>> particles = np.zeros((9, 9, 9), np.int32); particles[:4] = 1; particles[5:] = 2
    >>> contact_areas(particles, particles == 0).round(1)  # two 8 × 8 planes, times 0.927
    array([ 0. , 59.3, 59.3])
    """
    particle_labels = as_labels(particle_labels, "particle_labels")
    other = as_phase(other, "other")
    spacing = as_spacing(spacing)
    if other.shape != particle_labels.shape:
        raise DimensionError(f"other must have the shape of particle_labels {particle_labels.shape}; "
                             f"got {other.shape}")
    _cells_window(particle_labels.shape, spacing)
    lowest, highest = int(particle_labels.min()), int(particle_labels.max())
    if lowest < 0 or highest >= 1 << 24:
        raise ParameterError(f"particle labels must lie in [0, 2**24); got {lowest}..{highest} "
                             "(relabel with skimage.segmentation.relabel_sequential)")
    if np.logical_and(other, particle_labels != 0).any():
        raise ParameterError("other must not overlap the particles; got voxels in both")
    weight = pair_area_weights(spacing)
    identity = np.arange(highest + 1, dtype=np.int64)
    areas = _pair_areas(_integer_view(particle_labels), identity, 0, _integer_view(other),
                        np.arange(2, dtype=np.int64), 0, highest + 1, 2, PAIRS, weight,
                        numba.get_num_threads())
    return areas[:, 1]


def triple_phase_boundary_density(labels, phases, spacing=1.0) -> float:
    """Length of triple-phase boundary (TPB) per unit volume.

    The TPB is taken as the voxel edges around which the four voxels hold all three labels of
    ``phases``; the length of an edge along axis i is s_i. The sum over the cells inside the
    image is divided by the inner-window volume Π (n_i − 1)·s_i. The digital edge path is a
    staircase: a straight TPB line along an axis is measured exactly, one along direction u is
    over-estimated by the factor |u_z| + |u_y| + |u_x| (up to √3), on average 3/2 for
    isotropically oriented lines; compare TPB densities at equal spacing.

    Parameters
    ----------
    labels : (nz, ny, nx) integer ndarray
    phases : 3 labels (a, b, c)
        Three different labels.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    float
        TPB length density in 1/length² (units of ``spacing``); 0 where the phases never meet.

    References
    ----------
    J. R. Wilson et al., "Three-dimensional reconstruction of a solid-oxide fuel-cell anode",
    Nature Materials 5, 541 (2006).

    Examples
    --------
    >>> labels = np.zeros((4, 6, 6), np.uint8); labels[:, 3:, :3] = 1; labels[:, 3:, 3:] = 2
    >>> triple_phase_boundary_density(labels, (0, 1, 2)) * 3 * 5 * 5  # a line of length 4 − 1
    3.0
    """
    labels = as_labels(labels)
    spacing = as_spacing(spacing)
    window = _cells_window(labels.shape, spacing)
    try:
        a, b, c = (int(p) for p in phases)
    except (TypeError, ValueError):
        raise ParameterError(f"phases must be three labels (a, b, c); got {phases!r}") from None
    if len({a, b, c}) != 3:
        raise ParameterError(f"phases must be three different labels; got {phases!r}")
    face_length = 0.5 * np.asarray(spacing)[_FACE_AXIS]
    return float(_triple_line_length(_integer_view(labels), a, b, c, _FACES, face_length)) / window
