"""Random grains for Boolean models: balls, spheroids and ellipsoids with random sizes and orientations.

Each size parameter (a radius or a half-axis length, physical units) is either a fixed number
> 0 or a frozen continuous ``scipy.stats`` distribution on [0, ∞) such as
``scipy.stats.gamma(205, scale=1 / 1.971)``; the parameters of one grain are drawn independently.
Distributions are taken as scipy objects rather than arbitrary callables because a Boolean model
needs the quantile function (``ppf``) of the grain's circumradius to know how far outside the
window germs must be simulated. Spheroids and ellipsoids are turned by independent uniformly
random rotations (Haar measure, ``scipy.spatial.transform.Rotation.random``).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import brentq
from scipy.spatial.transform import Rotation

from microtwin.errors import ParameterError

_DISTRIBUTION_METHODS = ("rvs", "cdf", "ppf", "support")


def _size(value, name: str):
    """A size parameter: a finite float > 0, or a frozen scipy.stats distribution with support in [0, ∞)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not (np.isfinite(value) and value > 0):
            raise ParameterError(f"{name} must be > 0 and finite; got {value!r}")
        return float(value)
    if all(callable(getattr(value, method, None)) for method in _DISTRIBUTION_METHODS):
        lowest = value.support()[0]
        if not lowest >= 0:
            raise ParameterError(f"{name} must be a distribution of positive lengths; its support starts at {lowest}")
        return value
    raise ParameterError(f"{name} must be a number > 0 or a frozen scipy.stats distribution "
                         f"(e.g. scipy.stats.gamma(2.0, scale=3.0)); got {type(value).__name__}")


def _describe(size) -> str:
    """A size parameter for repr: the number, or e.g. ``gamma(205, scale=0.507)``."""
    if isinstance(size, float):
        return repr(size)
    dist = getattr(size, "dist", None)
    arguments = [repr(a) for a in getattr(size, "args", ())]
    arguments += [f"{k}={v!r}" for k, v in getattr(size, "kwds", {}).items()]
    return f"{getattr(dist, 'name', type(size).__name__)}({', '.join(arguments)})"


def _draw(size, n: int, rng) -> np.ndarray:
    if isinstance(size, float):
        return np.full(n, size)
    return np.asarray(size.rvs(size=n, random_state=rng), dtype=np.float64).reshape(n)


class Grain:
    """Base class of random grains: independent size parameters, random orientation.

    Subclasses set ``_sizes`` (the size parameters) and implement ``_half_axes``.
    """

    _sizes: tuple
    _rotates = True

    def _half_axes(self, draws: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def sample(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """``(half_axes (n, 3), rotations (n, 3, 3))`` of ``n`` independent grains.

        Column i of a rotation is the direction of half-axis i in the (z, y, x) frame.
        """
        draws = [_draw(size, n, rng) for size in self._sizes]
        rotations = (Rotation.random(n, rng=rng).as_matrix() if self._rotates and n > 0
                     else np.broadcast_to(np.eye(3), (n, 3, 3)))
        return self._half_axes(draws), rotations

    def circumradius_quantile(self, q: float) -> float:
        """The q-quantile of the circumradius (the largest half-axis), from the sizes' ``ppf``/``cdf``.

        The circumradius is the largest size parameter, so its distribution function is the
        product of theirs.
        """
        fixed = max((s for s in self._sizes if isinstance(s, float)), default=0.0)
        random = [s for s in self._sizes if not isinstance(s, float)]
        if not random:
            return fixed
        lower = max(float(s.ppf(q)) for s in random)
        upper = max(float(s.ppf(q ** (1 / len(random)))) for s in random)
        if not np.isfinite(upper):
            raise ParameterError(f"the grain size distribution has no finite {q} quantile")
        def excess(r):
            return np.prod([s.cdf(r) for s in random]) - q

        if upper > lower and excess(lower) < 0 < excess(upper):
            lower = brentq(excess, lower, upper)
        elif upper > lower and excess(lower) < 0:
            lower = upper  # rounding left no sign change: the bracket's top is a valid bound
        return max(fixed, lower)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(_describe, self._sizes))})"


class Ball(Grain):
    """A ball of (random) radius.

    Parameters
    ----------
    radius : float > 0 or frozen scipy.stats distribution

    Examples
    --------
    >>> Ball(2.0).sample(1, np.random.default_rng(0))[0]
    array([[2., 2., 2.]])
    """

    _rotates = False

    def __init__(self, radius):
        self._sizes = (_size(radius, "radius"),)

    def _half_axes(self, draws):
        return np.repeat(draws[0][:, None], 3, axis=1)


class Spheroid(Grain):
    """A spheroid with half-axes (a, a, c) and uniformly random orientation.

    Parameters
    ----------
    a, c : float > 0 or frozen scipy.stats distribution
        Equatorial (twice) and polar half-axis lengths, drawn independently.
    oblate : bool
        If True, the larger of the two drawn lengths is used twice and the smaller once, so the
        grain is always oblate, with half-axes (max(a, c), max(a, c), min(a, c)): the graphite
        particles of the CBD model (a, c ~ Gamma(α1, rate γ), Gamma(α2, rate γ)).

    Examples
    --------
    >>> axes, rotations = Spheroid(1.0, 3.0, oblate=True).sample(1, np.random.default_rng(0))
    >>> axes
    array([[3., 3., 1.]])
    """

    def __init__(self, a, c, oblate=False):
        self._sizes = (_size(a, "a"), _size(c, "c"))
        self.oblate = bool(oblate)

    def _half_axes(self, draws):
        a, c = draws
        if self.oblate:
            a, c = np.maximum(a, c), np.minimum(a, c)
        return np.stack([a, a, c], axis=1)

    def __repr__(self) -> str:
        return f"Spheroid({', '.join(map(_describe, self._sizes))}, oblate={self.oblate})"


class Ellipsoid(Grain):
    """An ellipsoid with independent half-axes (a, b, c) and uniformly random orientation.

    Parameters
    ----------
    a, b, c : float > 0 or frozen scipy.stats distribution

    Examples
    --------
    >>> axes, rotations = Ellipsoid(1.0, 2.0, 3.0).sample(2, np.random.default_rng(0))
    >>> axes.shape, bool(np.allclose(rotations[0] @ rotations[0].T, np.eye(3)))
    ((2, 3), True)
    """

    def __init__(self, a, b, c):
        self._sizes = (_size(a, "a"), _size(b, "b"), _size(c, "c"))

    def _half_axes(self, draws):
        return np.stack(draws, axis=1)
