"""Representative volume: a scalar descriptor on sub-windows of growing size, at several positions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microtwin._results import Result
from microtwin._validation import as_phase, as_spacing
from microtwin.errors import ParameterError


def _volume_fraction(sub: np.ndarray, spacing) -> float:
    return np.count_nonzero(sub) / sub.size


_SHORTCUTS = {"volume_fraction": _volume_fraction}


@dataclass(frozen=True, eq=False)
class Representativity(Result):
    """A descriptor's spread over sub-windows, against the window size.

    Attributes
    ----------
    sizes : ndarray
        Increasing window edge lengths, in the units of ``spacing``.
    shapes : ndarray of int, shape (n_sizes, 3)
        The window shape in voxels (z, y, x) used for each size.
    mean, std : ndarray
        Mean and sample standard deviation (ddof = 1) of the descriptor over the windows of
        each size, in the descriptor's units.
    relative_std : ndarray
        ``std / |mean|`` (dimensionless); 0 where every window gives 0, ``inf`` where the mean is
        0 but the values differ.
    values : ndarray, shape (n_sizes, n_positions)
        The descriptor on every window.
    """

    sizes: np.ndarray
    shapes: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    relative_std: np.ndarray
    values: np.ndarray

    def rve_size(self, threshold: float = 0.05) -> float | None:
        """Smallest size from which ``relative_std`` stays ≤ ``threshold`` (units of spacing).

        Interpolated log–log between the last size above the threshold and the next one;
        ``None`` when the largest size is still above it (no representative volume found).
        """
        if not threshold > 0:
            raise ParameterError(f"threshold must be > 0; got {threshold}")
        above = np.flatnonzero(self.relative_std > threshold)
        if above.size == 0:
            return float(self.sizes[0])
        i = above[-1]
        if i == self.sizes.size - 1:
            return None
        r0, r1 = self.relative_std[i], self.relative_std[i + 1]
        if r1 == 0:
            return float(self.sizes[i + 1])
        t = np.log(r0 / threshold) / np.log(r0 / r1)
        return float(np.exp(np.log(self.sizes[i]) + t * np.log(self.sizes[i + 1] / self.sizes[i])))

    def exponent(self) -> float:
        """Least-squares slope of log(relative_std) against log(size), over sizes with 0 < relative_std < ∞.

        For the volume fraction of a homogeneous structure it tends to −3/2 once the windows
        are much larger than the correlation length (variance ∝ integral range / window volume).
        """
        ok = np.isfinite(self.relative_std) & (self.relative_std > 0)
        if np.count_nonzero(ok) < 2:
            raise ParameterError("exponent needs at least 2 sizes with a finite, non-zero relative_std")
        return float(np.polyfit(np.log(self.sizes[ok]), np.log(self.relative_std[ok]), 1)[0])


def representativity(phase, descriptor, sizes, positions=16, seed=None, spacing=1) -> Representativity:
    """Mean and relative standard deviation of a scalar descriptor on cubic sub-windows of growing size.

    For every size a, windows of a × a × a (physical units; round(a / s_i) voxels along axis i)
    are placed at ``positions`` places inside the image and the descriptor is evaluated on each.
    The volume is representative for the descriptor from the size where the relative standard
    deviation std/|mean| drops below a tolerance (Kanit et al. 2003); see
    :meth:`Representativity.rve_size`.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
        The phase.
    descriptor : callable or str
        ``descriptor(sub_phase, spacing) -> float`` called on read-only views of the windows
        (``spacing`` as a tuple of 3 floats), or a shortcut: ``"volume_fraction"``.
    sizes : sequence of float
        Window edge lengths in the units of ``spacing``; each must give ≥ 1 voxel and fit in
        the image along every axis. Sorted and de-duplicated.
    positions : int or (m, 3) array
        An int ≥ 2: that many windows per size, corners drawn uniformly (seeded) among all
        corners where the window fits. An array: window corners as fractions in [0, 1] of the
        free range ``n_i − w_i`` along each axis (e.g. a regular grid), the same for every size.
    seed : int or numpy.random.Generator, optional
        Randomness of the window positions.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    Representativity
        Sizes (units of spacing), window shapes, mean, std, relative_std and all values.

    References
    ----------
    T. Kanit, S. Forest, I. Galliet, V. Mounoury, D. Jeulin, "Determination of the size of the
    representative volume element for random composites", Int. J. Solids Struct. 40 (2003) 3647.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((32, 32, 32)) < 0.3
    >>> rep = representativity(x, "volume_fraction", sizes=[4, 8, 16], seed=0)
    >>> bool(rep.relative_std[0] > rep.relative_std[-1])
    True
    """
    phase = as_phase(phase)
    spacing = as_spacing(spacing)
    function = _descriptor(descriptor)
    sizes, shapes = _windows(sizes, phase.shape, spacing)
    corners = _corners(positions, seed, np.asarray(phase.shape) - shapes)
    view = phase.view()
    view.flags.writeable = False
    values = np.empty(corners.shape[:2])
    for i, (shape, starts) in enumerate(zip(shapes, corners)):
        for j, start in enumerate(starts):
            window = view[tuple(slice(s, s + w) for s, w in zip(start, shape))]
            values[i, j] = value = float(function(window, spacing))
            if not np.isfinite(value):
                raise ParameterError(f"descriptor returned {value} on the window of size {sizes[i]:g} "
                                     f"at voxel {tuple(int(s) for s in start)}")
    mean = values.mean(axis=1)
    std = values.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(std == 0, 0.0, std / np.abs(mean))
    return Representativity(sizes=sizes, shapes=shapes, mean=mean, std=std, relative_std=relative,
                            values=values)


def _descriptor(descriptor):
    """The descriptor callable, from a callable or a shortcut name."""
    if isinstance(descriptor, str):
        if descriptor not in _SHORTCUTS:
            raise ParameterError(f"unknown descriptor {descriptor!r}; expected a callable or one of "
                                 f"{sorted(_SHORTCUTS)}")
        return _SHORTCUTS[descriptor]
    if not callable(descriptor):
        raise ParameterError(f"descriptor must be a callable (sub_phase, spacing) -> float or a name; "
                             f"got {type(descriptor).__name__}")
    return descriptor


def _windows(sizes, shape, spacing) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique sizes and their window shapes in voxels, checked against the image."""
    try:
        sizes = np.unique(np.asarray(sizes, dtype=np.float64).ravel())
    except (TypeError, ValueError):
        raise ParameterError(f"sizes must be numbers; got {sizes!r}") from None
    if sizes.size == 0 or not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ParameterError(f"sizes must be one or more finite lengths > 0; got {sizes.tolist()}")
    shapes = np.rint(sizes[:, None] / np.asarray(spacing)).astype(np.int64)
    for size, window in zip(sizes, shapes):
        if np.any(window < 1) or np.any(window > shape):
            raise ParameterError(f"window size {size:g} is {tuple(window.tolist())} voxels; it must be "
                                 f"≥ 1 and fit in the image {shape}")
    return sizes, shapes


def _corners(positions, seed, free: np.ndarray) -> np.ndarray:
    """Window corners in voxels, shape (n_sizes, m, 3), given the free range ``free`` (n_sizes, 3)."""
    if isinstance(positions, (int, np.integer)) and not isinstance(positions, bool):
        if positions < 2:
            raise ParameterError(f"positions must be ≥ 2 to estimate a spread; got {positions}")
        draws = np.random.default_rng(seed).random((free.shape[0], int(positions), 3))
        return np.minimum(np.floor(draws * (free[:, None, :] + 1)), free[:, None, :]).astype(np.int64)
    fractions = np.asarray(positions, dtype=np.float64)
    if fractions.ndim != 2 or fractions.shape[1] != 3 or fractions.shape[0] < 2:
        raise ParameterError(f"positions must be an int ≥ 2 or an (m ≥ 2, 3) array; "
                             f"got shape {fractions.shape}")
    if not np.all((fractions >= 0) & (fractions <= 1)):
        raise ParameterError("positions given as an array must be fractions in [0, 1]")
    return np.rint(fractions[None, :, :] * free[:, None, :]).astype(np.int64)
