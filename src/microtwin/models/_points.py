"""Point processes in a box window: Poisson, Matérn cluster, Matérn hard-core (type II).

A window is a box in physical units, given either by its extents ``(L_1, …, L_d)`` (the box
``[0, L_1] × … × [0, L_d]``) or by its corners ``((low_1, …, low_d), (high_1, …, high_d))``. Points
come back as an ``(n, d)`` float64 array in the window's axis order ((z, y, x) for a volume).
The cluster and hard-core processes are simulated on the window dilated by their interaction
range and then cropped, so they have no edge effects (they are the stationary processes seen
through the window).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import gamma as gamma_function

from microtwin.errors import ParameterError


def as_window(window) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` float arrays of a box window given by extents or by ``(low, high)`` corners."""
    try:
        box = np.asarray(window, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"window must be d extents or (low, high) corners; got {window!r}") from None
    if box.ndim == 1 and box.size >= 1:
        low, high = np.zeros_like(box), box
    elif box.ndim == 2 and box.shape[0] == 2 and box.shape[1] >= 1:
        low, high = box
    else:
        raise ParameterError(f"window must be d extents or a (2, d) pair of corners; got shape {box.shape}")
    if not (np.all(np.isfinite(box)) and np.all(high > low)):
        raise ParameterError(f"window must be a box of finite, positive extents; got low={low}, high={high}")
    return low, high


def positive(value, name: str) -> float:
    """``value`` as a finite float > 0, or ParameterError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (np.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def _ball_volume(radius: float, d: int) -> float:
    """Volume of the d-dimensional ball of ``radius``: π^(d/2) r^d / Γ(d/2 + 1)."""
    return float(np.pi ** (d / 2) * radius**d / gamma_function(d / 2 + 1))


def _uniform(rng, n: int, low, high) -> np.ndarray:
    return low + rng.random((n, low.size)) * (high - low)


def _inside(points, low, high) -> np.ndarray:
    return np.all((points >= low) & (points <= high), axis=1)


def poisson_points(intensity, window, seed=None) -> np.ndarray:
    """Homogeneous Poisson point process of the given intensity in a box window.

    The number of points is Poisson(λ |W|); given their number, the points are independent and
    uniform in W.

    Parameters
    ----------
    intensity : float > 0
        Expected number of points per unit volume (length^-d).
    window : d floats, or ((low…), (high…))
        Box extents (the box starts at 0) or its two corners, in physical units.
    seed : int or numpy.random.Generator

    Returns
    -------
    (n, d) float64 ndarray

    References
    ----------
    S. N. Chiu, D. Stoyan, W. S. Kendall, J. Mecke, *Stochastic Geometry and its Applications*,
    3rd ed., Wiley 2013, sec. 2.4.

    Examples
    --------
    >>> points = poisson_points(0.01, (10.0, 20.0, 30.0), seed=0)
    >>> points.shape[1], bool(np.all(points <= (10, 20, 30)))
    (3, True)
    """
    intensity = positive(intensity, "intensity")
    low, high = as_window(window)
    rng = np.random.default_rng(seed)
    return _uniform(rng, rng.poisson(intensity * np.prod(high - low)), low, high)


def matern_cluster(parent_intensity, mean_children, radius, window, seed=None) -> np.ndarray:
    """Matérn cluster process: Poisson parents, each with Poisson(c) children uniform in a ball.

    Parents form a Poisson process of intensity λ_p on the window dilated by ``radius``; each
    has a Poisson(``mean_children``) number of children placed independently and uniformly in
    the ball of ``radius`` around it; the children inside the window are returned (the parents
    are not). The process is stationary with intensity λ_p · c.

    Parameters
    ----------
    parent_intensity : float > 0
        Intensity of the parent process (length^-d).
    mean_children : float > 0
        Mean number of children per parent.
    radius : float > 0
        Cluster radius (physical units).
    window : d floats, or ((low…), (high…))
    seed : int or numpy.random.Generator

    Returns
    -------
    (n, d) float64 ndarray

    References
    ----------
    B. Matérn, *Spatial Variation*, 2nd ed., Springer 1986; Chiu et al. (2013), sec. 5.3.

    Examples
    --------
    >>> points = matern_cluster(1e-3, 20, 2.0, (30.0, 30.0, 30.0), seed=1)
    >>> points.shape[1]
    3
    """
    parent_intensity = positive(parent_intensity, "parent_intensity")
    mean_children = positive(mean_children, "mean_children")
    radius = positive(radius, "radius")
    low, high = as_window(window)
    rng = np.random.default_rng(seed)
    parents = _uniform(rng, rng.poisson(parent_intensity * np.prod(high - low + 2 * radius)),
                       low - radius, high + radius)
    counts = rng.poisson(mean_children, len(parents))
    directions = rng.standard_normal((counts.sum(), low.size))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    lengths = radius * rng.random(counts.sum()) ** (1.0 / low.size)  # uniform in the ball
    children = np.repeat(parents, counts, axis=0) + directions * lengths[:, None]
    return children[_inside(children, low, high)]


def hardcore(intensity, min_distance, window, seed=None) -> np.ndarray:
    """Matérn hard-core process of type II: no two points closer than ``min_distance``.

    A primary Poisson process of intensity λ₀ on the window dilated by r = ``min_distance``
    gets independent uniform marks; a point is deleted when another primary point lies within
    distance ≤ r and has a smaller mark; the survivors inside the window are returned. Their
    intensity is λ = (1 − exp(−λ₀ κ_d r^d)) / (κ_d r^d) (κ_d r^d the volume of the ball of radius
    r), so λ₀ is chosen to give the requested ``intensity``, which must be below the type-II
    maximum 1 / (κ_d r^d) (in 3D a volume fraction of hard balls of diameter r below 1/8).
    This is a thinning (not sequential inhibition): the result is stationary and its intensity
    is known exactly.

    Parameters
    ----------
    intensity : float in (0, 1 / (κ_d r^d))
        Intensity of the returned process (length^-d).
    min_distance : float > 0
        Hard-core distance r: every pair of returned points is farther apart than r.
    window : d floats, or ((low…), (high…))
    seed : int or numpy.random.Generator

    Returns
    -------
    (n, d) float64 ndarray

    References
    ----------
    B. Matérn, *Spatial Variation*, 2nd ed., Springer 1986; Chiu et al. (2013), sec. 5.4.

    Examples
    --------
    >>> from scipy.spatial.distance import pdist
    >>> points = hardcore(1e-3, 5.0, (40.0, 40.0, 40.0), seed=2)
    >>> bool(pdist(points).min() > 5.0)
    True
    """
    intensity = positive(intensity, "intensity")
    r = positive(min_distance, "min_distance")
    low, high = as_window(window)
    exclusion = _ball_volume(r, low.size)
    if intensity * exclusion >= 1:
        raise ParameterError(f"a Matérn type-II hard-core process with min_distance {r} has intensity below "
                             f"{1 / exclusion:.6g}; got {intensity}")
    primary = -np.log1p(-intensity * exclusion) / exclusion
    rng = np.random.default_rng(seed)
    points = _uniform(rng, rng.poisson(primary * np.prod(high - low + 2 * r)), low - r, high + r)
    marks = rng.random(len(points))
    pairs = cKDTree(points).query_pairs(r, output_type="ndarray")
    keep = np.ones(len(points), dtype=bool)
    keep[np.where(marks[pairs[:, 0]] > marks[pairs[:, 1]], pairs[:, 0], pairs[:, 1])] = False
    points = points[keep]
    return points[_inside(points, low, high)]
