"""Composition check: the volume fraction of each solid constituent expected from a recipe."""

from __future__ import annotations

import numbers

import numpy as np

from microtwin.errors import ParameterError

#: tolerance on Σ_k w_k = 1
MASS_TOLERANCE = 1e-6


def composition_volume_fractions(mass_fractions: dict, densities: dict, porosity) -> dict:
    """Expected volume fraction of each solid constituent, from its mass fraction, density and the porosity.

    A constituent of mass fraction ``w_k`` and density ``ρ_k`` occupies the volume ``w_k / ρ_k``
    per unit mass of solid, so its share of the solid volume is ``(w_k/ρ_k) / Σ_j (w_j/ρ_j)`` and
    its volume fraction of the whole region (porosity ``P``) is

        φ_k = (1 − P) · (w_k / ρ_k) / Σ_j (w_j / ρ_j),

    so that ``Σ_k φ_k = 1 − P``. Compare with the segmented fractions of each solid phase.

    The mass fractions must sum to one (within 1e-6): they are not normalised silently, since a
    recipe that does not sum to one usually misses a constituent. For a sub-region holding only
    some constituents (e.g. the carbon-binder domain), pass their fractions divided by their sum.

    Parameters
    ----------
    mass_fractions : dict name → float ≥ 0
        Mass fraction of each solid constituent, summing to 1.
    densities : dict name → float > 0
        Density of each constituent (any one unit; only ratios matter), same names.
    porosity : float in [0, 1)
        Volume fraction of pore in the region.

    Returns
    -------
    dict name → float
        Volume fraction of each constituent in the region, in the order of ``mass_fractions``.

    Examples
    --------
    >>> fractions = composition_volume_fractions({"NMC": 0.5, "C": 0.5}, {"NMC": 4.0, "C": 2.0}, 0.25)
    >>> fractions == {"NMC": 0.25, "C": 0.5}
    True
    """
    if not isinstance(mass_fractions, dict) or not isinstance(densities, dict) or not mass_fractions:
        raise ParameterError("mass_fractions and densities must be non-empty dicts keyed by constituent name; "
                             f"got {type(mass_fractions).__name__} and {type(densities).__name__}")
    if set(densities) != set(mass_fractions):
        raise ParameterError(f"densities must name the same constituents as mass_fractions; missing "
                             f"{sorted(map(str, set(mass_fractions) - set(densities)))}, extra "
                             f"{sorted(map(str, set(densities) - set(mass_fractions)))}")
    for name, w in mass_fractions.items():
        if not _real(w) or not 0 <= w <= 1:
            raise ParameterError(f"mass fraction of {name!r} must be a number in [0, 1]; got {w!r}")
    for name, rho in densities.items():
        if not _real(rho) or not 0 < rho < np.inf:
            raise ParameterError(f"density of {name!r} must be a finite number > 0; got {rho!r}")
    total = sum(float(w) for w in mass_fractions.values())
    if abs(total - 1) > MASS_TOLERANCE:
        raise ParameterError(f"mass fractions must sum to 1 (within {MASS_TOLERANCE}); they sum to {total!r} "
                             f"(divide them by their sum for a sub-region)")
    if not _real(porosity) or not 0 <= porosity < 1:
        raise ParameterError(f"porosity must be a number in [0, 1); got {porosity!r}")
    specific = {name: float(w) / float(densities[name]) for name, w in mass_fractions.items()}
    solid_volume = sum(specific.values())
    return {name: (1 - float(porosity)) * v / solid_volume for name, v in specific.items()}


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))
