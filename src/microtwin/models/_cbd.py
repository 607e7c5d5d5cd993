"""The binder–conductive-additive (CBD) model of Gräfensteiner et al. (2025): three independent random sets.

Ξ1 graphite: Boolean model of isotropic random oblate spheroids, half axes max(A, C), max(A, C),
min(A, C) with A ~ Gamma(α1, rate γ), C ~ Gamma(α2, rate γ). Ξ2 carbon black + binder: the
excursion set {Z ≥ μ} of a unit Gaussian field with ρ(h) = 1/(1 + (ηh)²). Ξ3 large pores: balls
of Exponential(θ) radii at Poisson(λ_Y) centres. Labels: 2 on Ξ1, 1 on (Ξ2 ∖ Ξ3) ∖ Ξ1, 0 elsewhere.
Lengths in nm throughout (the published calibration's units).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from microtwin._results import Result
from microtwin._validation import as_spacing
from microtwin.errors import ParameterError
from microtwin.measure import IntrinsicVolumes
from microtwin.models._boolean import boolean_model
from microtwin.models._covariance import cauchy
from microtwin.models._gaussian_field import gaussian_field
from microtwin.models._grains import Ball, Spheroid
from microtwin.models._miles import miles_densities, spheroid_grain_means


@dataclass(frozen=True)
class CBDParameters(Result):
    """Parameters of the CBD model (lengths in nm).

    Attributes
    ----------
    lambda_x : float
        Intensity of the graphite germs, nm⁻³.
    alpha1, alpha2 : float
        Gamma shapes of the two half-axis lengths A and C.
    gamma : float
        Common Gamma rate, nm⁻¹ (mean half axes α1/γ and α2/γ).
    mu : float
        Excursion level of the Gaussian field (CBD fraction before pores 1 − Φ(μ)).
    eta : float
        Cauchy covariance parameter ρ(h) = 1/(1 + (ηh)²), nm⁻¹.
    theta : float
        Rate of the exponential large-pore radii, nm⁻¹ (mean radius 1/θ).
    lambda_y : float
        Intensity of the large-pore centres, nm⁻³.
    """

    lambda_x: float
    alpha1: float
    alpha2: float
    gamma: float
    mu: float
    eta: float
    theta: float
    lambda_y: float

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{f.name} must be a finite number; got {value!r}")
            if f.name != "mu" and value <= 0:
                raise ParameterError(f"{f.name} must be > 0; got {value}")

    @classmethod
    def published(cls) -> CBDParameters:
        """The published calibration (cathode CBD, 20 nm FIB-SEM; Gräfensteiner et al. 2025)."""
        return cls(lambda_x=6.355e-11, alpha1=205.0, alpha2=3944.0, gamma=1.971, mu=0.499, eta=0.0127,
                   theta=0.0105, lambda_y=9.340e-9)


class CBDModel:
    """The CBD model for given :class:`CBDParameters`: realisations and theoretical characteristics.

    Examples
    --------
    >>> model = CBDModel(CBDParameters.published())
    >>> round(model.theoretical_fractions()["V1"], 3)
    0.105
    """

    def __init__(self, params: CBDParameters):
        if not isinstance(params, CBDParameters):
            raise ParameterError(f"params must be CBDParameters; got {type(params).__name__}")
        self.params = params

    def graphite_grain(self) -> Spheroid:
        p = self.params
        return Spheroid(stats.gamma(p.alpha1, scale=1 / p.gamma), stats.gamma(p.alpha2, scale=1 / p.gamma),
                        oblate=True)

    def graphite_densities(self) -> IntrinsicVolumes:
        """Miles' V_V, S_V, M_V, χ_V of the graphite phase Ξ1 (nm units)."""
        p = self.params
        means = spheroid_grain_means(p.alpha1, p.alpha2, p.gamma)
        return miles_densities(p.lambda_x, means.mean_volume, means.mean_surface, means.mean_curvature)

    def theoretical_fractions(self) -> dict:
        """V1 (graphite), V2 = 1 − Φ(μ), V3 = 1 − exp(−8πλ_Y/θ³) (large pores) and the solid fraction
        V = V1 + V2 (1 − V1)(1 − V3); the CBD label's expected fraction is V − V1."""
        p = self.params
        v1 = self.graphite_densities().volume_fraction
        v2 = float(special.ndtr(-p.mu))
        v3 = float(-np.expm1(-p.lambda_y * 8 * np.pi / p.theta**3))
        return {"V1": v1, "V2": v2, "V3": v3, "V": v1 + v2 * (1 - v1) * (1 - v3)}

    def sample(self, shape, spacing, seed=0) -> np.ndarray:
        """A realisation as uint8 labels (0 pore, 1 CBD, 2 graphite); ``spacing`` in nm."""
        spacing = as_spacing(spacing)
        if len(shape) != 3 or any(int(n) != n or n < 1 for n in shape):
            raise ParameterError(f"shape must be 3 positive integers; got {shape!r}")
        shape = tuple(int(n) for n in shape)
        p = self.params
        field_rng, pore_rng, graphite_rng = np.random.default_rng(seed).spawn(3)
        labels = (gaussian_field(shape, spacing, cauchy(p.eta), field_rng) >= p.mu).view(np.uint8)
        large_pores = boolean_model(shape, spacing, p.lambda_y, Ball(stats.expon(scale=1 / p.theta)), pore_rng)
        labels[large_pores == 1] = 0
        labels[boolean_model(shape, spacing, p.lambda_x, self.graphite_grain(), graphite_rng) == 1] = 2
        return labels

    def __repr__(self) -> str:
        return f"CBDModel({self.params!r})"
