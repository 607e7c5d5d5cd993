"""Watershed separation of touching particles of a segmented phase."""

from __future__ import annotations

import numpy as np

from microtwin.measure._watershed import separate_particles


def watershed_particles(phase, spacing=1.0, min_separation=None, h=None) -> np.ndarray:
    """Label the particles of a phase, splitting touching ones at their necks.

    The marker-controlled watershed of the Euclidean distance map of
    :func:`microtwin.measure.separate_particles` (markers: maxima of dynamic > ``h``, optionally
    ``min_separation`` apart); see there for the algorithm, parameters and references.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
        The particle phase, e.g. ``segmentation.labels == 2``.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    min_separation, h : float, optional
        In the units of ``spacing``; defaults: no separation condition, ``h`` = one voxel.

    Returns
    -------
    (Z, Y, X) int32 ndarray
        0 outside the phase, particles 1…K (largest inscribed ball first).

    Examples
    --------
    >>> z, y, x = np.ogrid[:20, :20, :36]
    >>> balls = ((z - 10)**2 + (y - 10)**2 + (x - 9)**2 <= 64) | ((z - 10)**2 + (y - 10)**2 + (x - 26)**2 <= 64)
    >>> int(watershed_particles(balls).max())
    2
    """
    return separate_particles(phase, spacing=spacing, min_separation=min_separation, h=h)
