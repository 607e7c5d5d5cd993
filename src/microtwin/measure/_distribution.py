"""Cumulative size distributions (CPSD, MIP) and their characteristic radii."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microtwin._results import Result


@dataclass(frozen=True, eq=False)
class Distribution(Result):
    """A cumulative radius distribution: ``fraction[i]`` of the phase has radius ≥ ``radii[i]``.

    Attributes
    ----------
    radii : ndarray
        Increasing radii, in the units of ``spacing``.
    fraction : ndarray
        Non-increasing fractions in [0, 1] of the phase volume at or above each radius.
    """

    radii: np.ndarray
    fraction: np.ndarray

    def radius_at(self, level: float = 0.5) -> float:
        """sup{ r : fraction(r) ≥ level } (0 when no radius reaches ``level``)."""
        reached = np.flatnonzero(np.asarray(self.fraction) >= level)
        return float(self.radii[reached[-1]]) if reached.size else 0.0

    def density(self) -> tuple[np.ndarray, np.ndarray]:
        """(radii, volume fraction per unit radius): minus the derivative of ``fraction``."""
        return self.radii, -np.gradient(np.asarray(self.fraction, float), self.radii)
