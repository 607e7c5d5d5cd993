"""Simulated mercury intrusion porosimetry (MIP) from one face, for every radius in one pass.

For a radius ``r`` the intruded set is the union of the balls ``B(c, r)`` (``|x - c| < r``)
whose centres lie in a connected component of ``X ⊖ B_r = {dt ≥ r}`` that touches the inlet
face; centres are connected through shared faces (6-connectivity, as PoreSpy's porosimetry).
A centre ``c`` can be reached at radius ``r`` exactly when ``r ≤ a(c)``, its *access radius*:
the largest, over the 6-connected paths from the inlet face to ``c``, of the smallest ``dt``
along the path (a widest-path problem, solved with a bucket queue in one pass). The intrusion
radius of a voxel is then ``max { a(c) : |x - c| < a(c) }``: the local-thickness engine of
:mod:`._thickness` run on the access radii.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from microtwin._validation import as_axis
from microtwin.errors import ParameterError
from microtwin.measure._distribution import Distribution
from microtwin.measure._thickness import _checked_phase, _cumulative, _max_ball_map, _squared_edt

_INLETS = ("low", "high")


@njit(cache=True)
def _widest_paths(r2, seeds, integral, values, link):
    """Access field: max over paths from a seed of the min of ``r2`` along the path (0 = unreached).

    Voxels are taken from buckets of decreasing ``r2`` level; a voxel's access is final the first
    time it is reached, because every later path has a bottleneck no wider. ``values`` are the
    sorted distinct positive ``r2`` (unused when ``integral``: the level is then ``int(r2)``);
    ``link`` (one int per voxel) chains the voxels of each bucket.
    """
    nz, ny, nx = r2.shape
    flat = r2.reshape(-1)
    access = np.zeros(flat.size, np.float32)
    n_levels = int(flat.max()) + 1 if integral else values.size
    head = np.full(n_levels, -1, np.int64)
    for p in seeds:
        level = int(flat[p]) if integral else np.searchsorted(values, flat[p])
        access[p] = flat[p]
        link[p], head[level] = head[level], p
    for level in range(n_levels - 1, -1, -1):
        while head[level] >= 0:
            p = head[level]
            head[level] = link[p]
            k, j, i = p // (ny * nx), (p // nx) % ny, p % nx
            for t in range(6):
                axis, side = t >> 1, 2 * (t & 1) - 1
                coord, size, stride = (k, nz, ny * nx) if axis == 0 else (j, ny, nx) if axis == 1 else (i, nx, 1)
                if not 0 <= coord + side < size:
                    continue
                q = p + side * stride
                if flat[q] > 0 and access[q] == 0:
                    access[q] = min(access[p], flat[q])
                    to = int(access[q]) if integral else np.searchsorted(values, access[q])
                    link[q], head[to] = head[to], q
    return access.reshape(r2.shape)


def _face(shape, axis: int, side: str) -> np.ndarray:
    """Flat indices of the voxels of the low (index 0) or high (last index) face perpendicular to ``axis``."""
    ranges = [np.arange(n) for n in shape]
    ranges[axis] = np.array([0 if side == "low" else shape[axis] - 1])
    return np.ravel_multi_index([g.ravel() for g in np.meshgrid(*ranges, indexing="ij")], shape)


def _access_r2(r2: np.ndarray, weights: np.ndarray, axis: int, inlet: str) -> np.ndarray:
    """Squared access radius of every voxel from the inlet face (0 where no ball can reach)."""
    integral = bool(np.all(weights == np.round(weights)) and r2.max() < 2**24)  # r2 are exact integers
    values = np.empty(0, np.float32) if integral else np.unique(r2[r2 > 0])
    seeds = _face(r2.shape, axis, inlet)
    seeds = seeds[r2.reshape(-1)[seeds] > 0]
    link = np.empty(r2.size, np.int32 if r2.size < 2**31 else np.int64)
    return _widest_paths(r2, seeds, integral, values, link)


def _checked_inlet(inlet) -> str:
    if inlet not in _INLETS:
        raise ParameterError(f"inlet must be one of {_INLETS}; got {inlet!r}")
    return inlet


def _intrusion(phase, axis, spacing, inlet):
    """Validated phase, unit and squared intrusion radius (units of the smallest spacing)."""
    phase, unit, weights = _checked_phase(phase, spacing)
    axis, inlet = as_axis(axis), _checked_inlet(inlet)
    return phase, unit, _max_ball_map(_access_r2(_squared_edt(phase, weights), weights, axis, inlet), weights)


def intrusion_radius(phase, axis=0, spacing=1, inlet="low") -> np.ndarray:
    """Largest radius at which a non-wetting fluid entering from one face reaches each voxel.

    ``ir(x) = max { a(c) : |x - c| < a(c) }`` where the access radius ``a(c)`` is the largest
    ``r`` such that ``c`` lies in a 6-connected component of ``{dt ≥ r}`` touching the inlet
    face. So ``{ir ≥ r}`` is what a non-wetting fluid fills once its pressure reaches the
    Washburn value ``2γ|cos θ|/r``: the union of the balls ``B(c, r')``, ``r' ≥ r``, that enter from
    the inlet by moving through the phase. ``ir ≤`` :func:`local_thickness` everywhere.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
        The pore space (or any phase) to intrude.
    axis : int
        Axis perpendicular to the inlet face.
    spacing : float or 3 floats
        Voxel size ``(dz, dy, dx)``.
    inlet : {"low", "high"}
        The inlet is the face at index 0 (``"low"``) or at the last index (``"high"``) of ``axis``.

    Returns
    -------
    (Z, Y, X) float32 ndarray
        Intrusion radius in the units of ``spacing``; 0 outside the phase and in the voxels no
        ball reaches (e.g. a phase that does not touch the inlet face is 0 everywhere).

    Raises
    ------
    EmptyPhaseError
        If the phase is empty or fills the whole image.

    References
    ----------
    B. Münch, L. Holzer, J. Am. Ceram. Soc. 91 (2008) 4059–4067 (MIP simulation by
    morphological opening with inlet accessibility).

    Examples
    --------
    >>> import numpy as np
    >>> tube = np.zeros((8, 9, 9), bool); tube[:, 2:7, 2:7] = True   # 5×5 channel along z
    >>> float(intrusion_radius(tube, axis=0).max())
    3.0
    """
    _, unit, ir2 = _intrusion(phase, axis, spacing, inlet)
    np.sqrt(ir2, out=ir2)
    ir2 *= np.float32(unit)
    return ir2


def mip(phase, axis=0, spacing=1, radii=None, inlet="low") -> Distribution:
    """Simulated mercury intrusion: fraction of the phase intruded at radius ≥ r, from one face.

    ``MIP(r) = |{x ∈ X : ir(x) ≥ r}| / |X|`` with :func:`intrusion_radius` ``ir``: the volume
    fraction reached by balls of radius ≥ ``r`` entering through the inlet face (the cumulative
    intrusion curve, radius ``r`` ↔ Washburn pressure). ``mip(...).radius_at(0.5)`` is ``r_min``
    (Münch & Holzer 2008). ``MIP ≤ CPSD`` at every radius.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
    axis : int
        Axis perpendicular to the inlet face.
    spacing : float or 3 floats
        Voxel size ``(dz, dy, dx)``.
    radii : 1D array of increasing radii ≥ 0, optional
        Where to evaluate the curve, in the units of ``spacing``. Default: 0 and every distinct
        intrusion radius (so ``radius_at`` is exact), or 4096 even steps when there are more.
    inlet : {"low", "high"}
        Inlet face: index 0 (default) or the last index of ``axis``.

    Returns
    -------
    Distribution
        ``radii`` in the units of ``spacing``; ``fraction`` non-increasing in [0, 1]. A phase
        that does not touch the inlet face gives 0 everywhere.

    Examples
    --------
    >>> import numpy as np
    >>> tube = np.zeros((8, 9, 9), bool); tube[:, 2:7, 2:7] = True
    >>> mip(tube, axis=0).radius_at(0.5)
    3.0
    """
    phase, unit, ir2 = _intrusion(phase, axis, spacing, inlet)
    return _cumulative(ir2, phase, unit, radii)
