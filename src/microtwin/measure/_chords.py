"""Chord lengths of a phase along an axis: their distribution, stereological mean, lineal-path function."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from microtwin._results import Result
from microtwin._validation import as_axis, as_phase, as_spacing
from microtwin.errors import EmptyPhaseError, ParameterError


@dataclass(frozen=True, eq=False)
class ChordLengths(Result):
    """Chords of a phase along one axis: the maximal runs of phase voxels on lines parallel to it.

    Attributes
    ----------
    lengths : ndarray
        float64 lengths of the interior chords (those not touching the two window faces
        perpendicular to ``axis``), sorted ascending, in the units of ``spacing``; a run of m
        voxels is m·spacing[axis] long.
    mean : float
        Stereological mean chord length ℓ̄ = 2·L_L / P_L from all runs (see :func:`chord_lengths`),
        in the units of ``spacing``; ``inf`` when no phase boundary crosses the lines.
    n_cut : int
        Number of chords cut by the window faces, left out of ``lengths``.
    segment_lengths : ndarray
        z = k·spacing[axis], k = 0 … n − 1 (units of ``spacing``).
    lineal_path : ndarray
        L(z) ∈ [0, 1]: probability that a segment of length z along ``axis`` lies in the phase
        (dimensionless; L(0) is the volume fraction).
    axis : int
        The measurement axis.
    """

    lengths: np.ndarray
    mean: float
    n_cut: int
    segment_lengths: np.ndarray
    lineal_path: np.ndarray
    axis: int


@njit(cache=True)
def _run_histograms(lines):
    """Histograms (by voxel count) of all runs and of interior runs along the last axis of
    ``lines``, and the number of phase/non-phase transitions between neighbours along it."""
    n_a, n_b, n = lines.shape
    all_runs = np.zeros(n + 1, np.int64)
    interior = np.zeros(n + 1, np.int64)
    transitions = 0
    for a in range(n_a):
        for b in range(n_b):
            run = 0
            for r in range(n + 1):
                if r < n and lines[a, b, r]:
                    run += 1
                    continue
                if run:
                    cut = (run == r) + (r == n)  # touches the first face, the last face
                    all_runs[run] += 1
                    interior[run] += cut == 0
                    transitions += 2 - cut
                    run = 0
    return all_runs, interior, transitions


def _lineal_path(all_runs, n_lines):
    """L(k) = Σ_r h[r]·max(r − k, 0) / (n_lines·(n − k)), k = 0 … n − 1 (minus-sampling estimator)."""
    n = all_runs.size - 1
    r = np.arange(n + 1)
    longer = np.cumsum(all_runs[::-1])[::-1]  # Σ_{r ≥ k} h[r]
    longer_length = np.cumsum((r * all_runs)[::-1])[::-1]  # Σ_{r ≥ k} r·h[r]
    k = r[:n]
    fitting = longer_length[1:] - k * longer[1:]  # Σ_{r > k} (r − k)·h[r]
    return fitting / (n_lines * (n - k))


def chord_lengths(phase, axis=0, spacing=1.0) -> ChordLengths:
    """Chord length distribution, mean chord length and lineal-path function along ``axis``.

    A chord is a maximal run of phase voxels on a line of voxels parallel to ``axis``; a run of m
    voxels has length m·s, s = spacing[axis]. Chords touching the faces of the window
    perpendicular to ``axis`` are cut short by it: they are left out of ``lengths`` (whose mean is
    therefore biased low for chords not much shorter than the window) but counted in ``n_cut``.

    The mean chord length uses all runs, with the stereological relation ℓ̄ = L_L / N_L = 2·L_L / P_L
    (L_L: phase length per unit line length, P_L: phase boundary crossings per unit line length):

        ℓ̄ = 2·s·(N − N_face / 2) / T,

    where N is the number of phase voxels, N_face those on the two end faces (counted half, so
    that L_L and P_L refer to the same segments between the first and last voxel centres) and T
    the number of neighbour pairs along ``axis`` with one voxel in the phase and one outside. It
    is exact for chords inside the window and ratio-unbiased for stationary structures. For an
    isotropic structure ℓ̄ = 4·V_V / S_V.

    The lineal-path function L(z), z = k·s, is the fraction of the placements of a segment of
    k + 1 voxels inside the window that lie entirely in the phase (minus-sampling estimator:
    a run of r voxels holds max(r − k, 0) of them, a line of n voxels n − k).

    Parameters
    ----------
    phase : (nz, ny, nx) bool ndarray
        The phase, with at least 2 voxels along ``axis``.
    axis : int
        Direction of the chords.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    ChordLengths

    Raises
    ------
    EmptyPhaseError
        If the phase is empty.

    References
    ----------
    S. Torquato, "Random Heterogeneous Materials", Springer 2002, §2.4–2.5 (chord-length density,
    lineal-path function); J. Ohser & F. Mücklich, "Statistical Analysis of Microstructures in
    Materials Science", Wiley 2000 (ℓ̄ = 4 V_V / S_V).

    Examples
    --------
    >>> import numpy as np
    >>> phase = np.zeros((10, 2, 2), bool); phase[2:5] = True  # a slab 3 voxels thick
    >>> c = chord_lengths(phase, axis=0, spacing=0.5)
    >>> c.lengths, c.mean, c.n_cut
    (array([1.5, 1.5, 1.5, 1.5]), 1.5, 0)
    >>> c.lineal_path[:4]
    array([0.3       , 0.22222222, 0.125     , 0.        ])
    """
    phase = as_phase(phase)
    axis = as_axis(axis)
    step = as_spacing(spacing)[axis]
    n = phase.shape[axis]
    if n < 2:
        raise ParameterError(f"chords need at least 2 voxels along axis {axis}; got shape {phase.shape}")
    lines = np.moveaxis(phase, axis, -1)
    all_runs, interior, transitions = _run_histograms(lines)
    voxels = int(np.dot(np.arange(n + 1), all_runs))
    if voxels == 0:
        raise EmptyPhaseError("the phase has no voxels; chord lengths need a non-empty phase")
    on_faces = int(np.count_nonzero(lines[..., 0]) + np.count_nonzero(lines[..., -1]))
    mean = 2.0 * step * (voxels - on_faces / 2) / transitions if transitions else np.inf
    return ChordLengths(
        lengths=np.repeat(np.arange(n + 1) * step, interior),
        mean=float(mean),
        n_cut=int(all_runs.sum() - interior.sum()),
        segment_lengths=np.arange(n) * step,
        lineal_path=_lineal_path(all_runs, lines.shape[0] * lines.shape[1]),
        axis=axis,
    )
