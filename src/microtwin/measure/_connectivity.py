"""Connected components of a phase and its percolating, dead-end and isolated parts along an axis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import ndimage

from microtwin._results import Result
from microtwin._validation import as_axis, as_phase
from microtwin.errors import EmptyPhaseError, ParameterError

# connectivity (number of neighbours) -> rank of scipy.ndimage.generate_binary_structure
_RANKS = {6: 1, 18: 2, 26: 3}

# classes of a component along the axis
_PERCOLATING, _DEAD_END, _ISOLATED = 1, 2, 3


@dataclass(frozen=True, eq=False)
class Connectivity(Result):
    """Volume fractions of a phase by how its components meet the inlet and outlet faces.

    Attributes
    ----------
    percolating : float
        Fraction of the phase volume in components touching both the inlet and the outlet face.
    dead_end : float
        Fraction in components touching exactly one of the two faces.
    isolated : float
        Fraction in components touching neither face. The three fractions are dimensionless,
        in [0, 1], and sum to 1.
    n_components : int
        Number of connected components of the phase.
    axis : int
        The axis perpendicular to the inlet (index 0) and outlet (index n - 1) faces.
    connectivity : int
        The neighbourhood used: 6, 18 or 26.
    """

    percolating: float
    dead_end: float
    isolated: float
    n_components: int
    axis: int
    connectivity: int


def _structure(connectivity) -> np.ndarray:
    if connectivity not in _RANKS:
        raise ParameterError(f"connectivity must be 6, 18 or 26; got {connectivity!r}")
    return ndimage.generate_binary_structure(3, _RANKS[connectivity])


def label_components(phase, connectivity=6) -> tuple[np.ndarray, int]:
    """Label the connected components of a phase.

    Two phase voxels are neighbours when they share a face (``connectivity=6``), a face or an edge
    (18), or a face, an edge or a corner (26). Thin wrapper over :func:`scipy.ndimage.label`.

    Parameters
    ----------
    phase : (nz, ny, nx) bool ndarray
        The phase.
    connectivity : {6, 18, 26}
        The neighbourhood.

    Returns
    -------
    labels : int32 ndarray, shape of ``phase``
        0 outside the phase, 1..n on the components (in raster order of their first voxel).
    n : int
        Number of components.

    Examples
    --------
    >>> import numpy as np
    >>> phase = np.zeros((3, 3, 3), bool); phase[0, 0, 0] = phase[1, 1, 1] = True
    >>> label_components(phase, 6)[1], label_components(phase, 26)[1]
    (2, 1)
    """
    phase = as_phase(phase)
    labels = np.empty(phase.shape, np.int32)
    n = ndimage.label(phase, structure=_structure(connectivity), output=labels)
    return labels, int(n)


def _face(array, axis, index):
    return np.take(array, index, axis=axis)


def _component_classes(labels, n, axis) -> np.ndarray:
    """Class (_PERCOLATING, _DEAD_END, _ISOLATED) of each label 0..n (index 0 unused)."""
    touches = np.zeros((2, n + 1), np.uint8)
    touches[0, _face(labels, axis, 0)] = 1
    touches[1, _face(labels, axis, -1)] = 1
    faces = touches[0] + touches[1]
    return np.select([faces == 2, faces == 1], [_PERCOLATING, _DEAD_END], _ISOLATED).astype(np.uint8)


@njit(cache=True)
def _class_volumes(labels, classes):
    """Number of voxels of each class (index = class) over the labelled image."""
    counts = np.zeros(4, np.int64)
    for label in labels.ravel():
        if label:
            counts[classes[label]] += 1
    return counts


def connectivity(phase, axis=0, connectivity=6) -> Connectivity:
    """Percolating, dead-end and isolated volume fractions of a phase along ``axis``.

    The phase is split into connected components (:func:`label_components`); a component is
    percolating if it touches both the inlet face (index 0 along ``axis``) and the outlet face
    (index n - 1), dead-end if it touches exactly one, isolated if it touches neither. Each
    fraction is the component volume of its class over the phase volume (voxel counts, so the
    spacing does not enter). A window one voxel thick along ``axis`` has inlet = outlet.

    Parameters
    ----------
    phase : (nz, ny, nx) bool ndarray
        The phase.
    axis : int
        Axis perpendicular to the inlet and outlet faces.
    connectivity : {6, 18, 26}
        Neighbourhood of the components (6: face contacts only; 26: also edges and corners).

    Returns
    -------
    Connectivity

    Raises
    ------
    EmptyPhaseError
        If the phase is empty (the fractions are undefined).

    References
    ----------
    L. Holzer et al., J. Power Sources 227 (2013) 225 (percolation analysis of SOFC electrodes).

    Examples
    --------
    >>> import numpy as np
    >>> phase = np.zeros((4, 4, 4), bool)
    >>> phase[:, 0, 0] = True    # through channel: 4 voxels
    >>> phase[:2, 2, 2] = True   # blind pore on the inlet: 2 voxels
    >>> phase[1:3, 3, 0] = True  # enclosed cavity: 2 voxels
    >>> c = connectivity(phase, axis=0)
    >>> c.percolating, c.dead_end, c.isolated
    (0.5, 0.25, 0.25)
    """
    phase = as_phase(phase)
    axis = as_axis(axis)
    labels, n = label_components(phase, connectivity)
    if n == 0:
        raise EmptyPhaseError("the phase has no voxels; connectivity fractions need a non-empty phase")
    counts = _class_volumes(labels, _component_classes(labels, n, axis))
    total = counts.sum()
    return Connectivity(
        percolating=float(counts[_PERCOLATING] / total),
        dead_end=float(counts[_DEAD_END] / total),
        isolated=float(counts[_ISOLATED] / total),
        n_components=n,
        axis=axis,
        connectivity=connectivity,
    )


def percolating_mask(phase, axis=0, connectivity=6) -> np.ndarray:
    """The voxels of a phase in components touching both faces perpendicular to ``axis``.

    Use it to drop the non-conducting (dead-end and isolated) clusters before a transport
    computation. An empty phase gives an all-False mask.

    Parameters
    ----------
    phase : (nz, ny, nx) bool ndarray
        The phase.
    axis : int
        Axis perpendicular to the inlet (index 0) and outlet (index n - 1) faces.
    connectivity : {6, 18, 26}
        Neighbourhood of the components.

    Returns
    -------
    bool ndarray, shape of ``phase``

    Examples
    --------
    >>> import numpy as np
    >>> phase = np.zeros((3, 2, 2), bool); phase[:, 0, 0] = True; phase[0, 1, 1] = True
    >>> int(percolating_mask(phase, axis=0).sum())
    3
    """
    phase = as_phase(phase)
    axis = as_axis(axis)
    labels, n = label_components(phase, connectivity)
    keep = _component_classes(labels, n, axis) == _PERCOLATING
    keep[0] = False
    return keep[labels]
