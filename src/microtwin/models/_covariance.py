"""Isotropic correlation functions ρ(h) of stationary Gaussian random fields (ρ(0) = 1).

Each factory returns a small frozen callable: ``rho(h)`` takes distances ``h ≥ 0`` (any array
shape, in the physical units of the field's ``spacing``) and returns ρ(h) as float64. The repr is
the call that builds it, so a covariance prints (and logs) as what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from microtwin.errors import ParameterError

#: largest Matérn smoothness evaluated (closer to :func:`gaussian` than 3·10⁻³ at ν = 100)
MAX_NU = 100.0


def _positive(name: str, value) -> float:
    """``value`` as a finite float > 0, or :class:`ParameterError`."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number > 0; got {value!r}") from None
    if not (np.isfinite(number) and number > 0):
        raise ParameterError(f"{name} must be finite and > 0; got {value!r}")
    return number


def _distances(h) -> np.ndarray:
    return np.abs(np.asarray(h, dtype=np.float64))


@dataclass(frozen=True)
class Cauchy:
    """ρ(h) = 1 / (1 + (ηh)²); build with :func:`cauchy`."""

    eta: float

    def __call__(self, h) -> np.ndarray:
        return 1.0 / (1.0 + (self.eta * _distances(h)) ** 2)

    def __repr__(self) -> str:
        return f"cauchy(eta={self.eta!r})"


@dataclass(frozen=True)
class Exponential:
    """ρ(h) = exp(−h / ℓ); build with :func:`exponential`."""

    scale: float

    def __call__(self, h) -> np.ndarray:
        return np.exp(-_distances(h) / self.scale)

    def __repr__(self) -> str:
        return f"exponential(scale={self.scale!r})"


@dataclass(frozen=True)
class Gaussian:
    """ρ(h) = exp(−h² / (2ℓ²)); build with :func:`gaussian`."""

    scale: float

    def __call__(self, h) -> np.ndarray:
        return np.exp(-0.5 * (_distances(h) / self.scale) ** 2)

    def __repr__(self) -> str:
        return f"gaussian(scale={self.scale!r})"


@dataclass(frozen=True)
class Matern:
    """ρ(h) = 2^{1−ν}/Γ(ν) · x^ν K_ν(x), x = √(2ν)·h/ℓ; build with :func:`matern`."""

    nu: float
    scale: float

    def __call__(self, h) -> np.ndarray:
        x = np.sqrt(2.0 * self.nu) * _distances(h) / self.scale
        positive = x > 0
        xp = x[positive]
        # in logarithms with the scaled Bessel function kve = K·eˣ: no overflow of Γ(ν) or x^ν,
        # no underflow of K_ν for large x
        log_rho = ((1.0 - self.nu) * np.log(2.0) - special.gammaln(self.nu) + self.nu * np.log(xp)
                   + np.log(special.kve(self.nu, xp)) - xp)
        rho = np.ones_like(x)
        rho[positive] = np.exp(log_rho)
        # K_ν(x) overflows for small x: for ν ≤ 2 only below x ~ 1e-150, where ρ = 1 in doubles;
        # for large ν sooner (x ≲ 0.06 at ν = 100), where
        # ρ = 1 − x²/(4(ν−1)) + x⁴/(32(ν−1)(ν−2)) + O(x⁶/ν³)
        overflow = ~np.isfinite(rho)
        if overflow.any() and self.nu > 2:
            x2 = x[overflow] ** 2
            rho[overflow] = 1.0 - x2 / (4.0 * (self.nu - 1.0)) + x2**2 / (32.0 * (self.nu - 1.0) * (self.nu - 2.0))
        elif overflow.any():
            rho[overflow] = 1.0
        return rho

    def __repr__(self) -> str:
        return f"matern(nu={self.nu!r}, scale={self.scale!r})"


def cauchy(eta) -> Cauchy:
    """The Cauchy correlation function ρ(h) = 1 / (1 + (ηh)²).

    Heavy-tailed (ρ ∝ h⁻² at large h): the covariance of the carbon-black–binder field in the
    CBD model (Gräfensteiner et al. 2025), where η = 0.0127 nm⁻¹ for the published calibration.
    Its spectral density in 3D is ∝ exp(−|k|/η)/|k|, positive, so ρ is valid in every dimension.

    Parameters
    ----------
    eta : float > 0
        Inverse length, in the inverse units of the field's ``spacing``.

    References
    ----------
    Gneiting, T. & Schlather, M. (2004). Stochastic models that separate fractal dimension and the
    Hurst effect. SIAM Review 46, 269–282 (the generalised Cauchy family).

    Examples
    --------
    >>> rho = cauchy(0.5)
    >>> rho, float(rho(2.0))
    (cauchy(eta=0.5), 0.5)
    """
    return Cauchy(_positive("eta", eta))


def exponential(scale) -> Exponential:
    """The exponential correlation function ρ(h) = exp(−h/ℓ) (Matérn with ν = 1/2).

    Parameters
    ----------
    scale : float > 0
        ℓ, in the units of the field's ``spacing``.

    Examples
    --------
    >>> exponential(2.0), round(float(exponential(2.0)(2.0)), 6)
    (exponential(scale=2.0), 0.367879)
    """
    return Exponential(_positive("scale", scale))


def gaussian(scale) -> Gaussian:
    """The Gaussian (squared-exponential) correlation function ρ(h) = exp(−h²/(2ℓ²)).

    The convention of scikit-learn's RBF kernel and of :func:`microtwin.segment.gaussian_field`;
    the limit ν → ∞ of :func:`matern` with the same ℓ. Fields are infinitely smooth.

    Parameters
    ----------
    scale : float > 0
        ℓ, in the units of the field's ``spacing``.

    Examples
    --------
    >>> gaussian(1.0), round(float(gaussian(1.0)(1.0)), 6)
    (gaussian(scale=1.0), 0.606531)
    """
    return Gaussian(_positive("scale", scale))


def matern(nu, scale) -> Matern:
    """The Matérn correlation function ρ(h) = 2^{1−ν}/Γ(ν) · x^ν K_ν(x), x = √(2ν)·h/ℓ.

    ν sets the smoothness (fields are ⌈ν⌉ − 1 times mean-square differentiable): ν = 1/2 is
    :func:`exponential`, ν → ∞ tends to :func:`gaussian` with the same ℓ. Evaluated in
    logarithms with the exponentially scaled Bessel function ``scipy.special.kve``.

    Parameters
    ----------
    nu : float in (0, 100]
        Smoothness ν (beyond 100 use :func:`gaussian`).
    scale : float > 0
        ℓ, in the units of the field's ``spacing``.

    References
    ----------
    Stein, M. L. (1999). Interpolation of Spatial Data: Some Theory for Kriging. Springer, §2.7.
    Rasmussen, C. E. & Williams, C. K. I. (2006). Gaussian Processes for Machine Learning, eq. 4.14.

    Examples
    --------
    >>> rho = matern(0.5, 2.0)
    >>> rho, round(float(rho(2.0)), 6)
    (matern(nu=0.5, scale=2.0), 0.367879)
    """
    nu = _positive("nu", nu)
    if nu > MAX_NU:
        raise ParameterError(f"nu must be ≤ {MAX_NU:g} (K_ν overflows beyond); got {nu!r}: "
                             "use gaussian(scale), the limit ν → ∞")
    return Matern(nu, _positive("scale", scale))
