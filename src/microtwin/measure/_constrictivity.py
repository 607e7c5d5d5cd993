"""Constrictivity β = (r_min / r_max)²: how much the bottlenecks narrow the pores of a phase."""

from __future__ import annotations

from dataclasses import dataclass

from microtwin._results import Result
from microtwin._validation import as_axis
from microtwin.errors import PercolationError
from microtwin.measure._distribution import Distribution
from microtwin.measure._intrusion import _access_r2, _face
from microtwin.measure._thickness import _checked_phase, _cumulative, _max_ball_map, _squared_edt


@dataclass(frozen=True, eq=False)
class Constrictivity(Result):
    """Constrictivity of a phase along one axis.

    Attributes
    ----------
    r_min : float
        Bottleneck radius: ``sup { r : MIP(r) ≥ 1/2 }`` (simulated intrusion from the low face),
        in the units of ``spacing``.
    r_max : float
        Characteristic pore radius: ``sup { r : CPSD(r) ≥ 1/2 }``, in the units of ``spacing``.
    beta : float
        ``(r_min / r_max)²`` in [0, 1] (dimensionless); 1 = no constrictions.
    """

    r_min: float
    r_max: float
    beta: float


def constrictivity(phase, axis=0, spacing=1) -> Constrictivity:
    """Constrictivity β = (r_min / r_max)² of a phase (Münch & Holzer 2008; Neumann et al. 2020).

    ``r_max = cpsd(phase).radius_at(0.5)`` and ``r_min = mip(phase, axis).radius_at(0.5)``, with
    the intrusion entering through the face at index 0 of ``axis``; the distance transform is
    computed once for both. Since the intrusion radius never exceeds the local thickness,
    ``r_min ≤ r_max`` and β ∈ [0, 1]. β = 0 when less than half of the phase can be intruded
    (e.g. most of it in clusters cut off from the inlet).

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
    axis : int
        Transport axis; inlet = index 0, outlet = last index.
    spacing : float or 3 floats
        Voxel size ``(dz, dy, dx)``; β does not depend on it, the radii are in its units.

    Returns
    -------
    Constrictivity

    Raises
    ------
    EmptyPhaseError
        If the phase is empty or fills the whole image.
    PercolationError
        If no face-connected path of the phase joins the inlet face to the outlet face.

    References
    ----------
    B. Münch, L. Holzer, J. Am. Ceram. Soc. 91 (2008) 4059–4067;
    M. Neumann, O. Stenzel, F. Willot, L. Holzer, V. Schmidt, "Quantifying the influence of
    microstructure on effective conductivity and permeability: virtual materials testing",
    Int. J. Solids Struct. 184 (2020) 211–220.

    Examples
    --------
    >>> import numpy as np
    >>> tube = np.zeros((8, 9, 9), bool); tube[:, 2:7, 2:7] = True   # straight channel along z
    >>> constrictivity(tube, axis=0).beta
    1.0
    """
    cpsd, mip, percolates = _size_curves(phase, axis, spacing)
    if not percolates:
        raise PercolationError(f"phase does not connect the inlet face (index 0) to the outlet face along axis "
                               f"{as_axis(axis)} through voxels sharing a face")
    r_min, r_max = mip.radius_at(0.5), cpsd.radius_at(0.5)
    return Constrictivity(r_min=r_min, r_max=r_max, beta=(r_min / r_max) ** 2)


def _size_curves(phase, axis=0, spacing=1) -> tuple[Distribution, Distribution, bool]:
    """``(cpsd(phase, spacing), mip(phase, axis, spacing), percolates)`` from one distance transform.

    ``percolates``: a face-connected path of the phase joins the two faces perpendicular to ``axis``.
    """
    phase, unit, weights = _checked_phase(phase, spacing)
    axis = as_axis(axis)
    r2 = _squared_edt(phase, weights)
    access = _access_r2(r2, weights, axis, "low")
    percolates = bool(access.reshape(-1)[_face(phase.shape, axis, "high")].any())
    cpsd = _cumulative(_max_ball_map(r2, weights), phase, unit, None)
    del r2
    return cpsd, _cumulative(_max_ball_map(access, weights), phase, unit, None), percolates
