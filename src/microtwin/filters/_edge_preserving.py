"""Edge-preserving smoothing and sharpening in 3D: Perona–Malik diffusion, bilateral filter, unsharp mask.

``nl_means`` lives in :mod:`._nl_means`. Kernels are Numba; memory is the output plus a few planes.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numba import njit, prange

from microtwin._validation import as_spacing
from microtwin.errors import ParameterError
from microtwin.filters._grey import as_grey, as_length, in_voxels, positive
from microtwin.filters._noise import noise_or_given
from microtwin.filters._smoothing import gaussian

CONDUCTANCES = ("exponential", "quadratic")


@njit(cache=True, inline="always")
def _flux(d, e, scale, inv_kappa2, quadratic):
    """``g(e·scale) · d`` with ``g(s) = exp(−s²/κ²)`` or ``1 / (1 + s²/κ²)``."""
    s2 = np.float32(e * e * scale * scale * inv_kappa2)
    return d / (np.float32(1.0) + s2) if quadratic else d * np.exp(-s2)


@njit(cache=True, parallel=True, fastmath=True)
def _diffusion_step(u, edges, scale, weight, inv_kappa2, step, quadratic, fz, fy, fx):
    """One explicit Perona–Malik step on ``u`` in place, block of planes by block of planes.

    For each block the fluxes through the +z, +y and +x faces of its voxels are computed once
    from the old values (``fz[0]`` carries the flux into the block's first plane from the
    previous block), then every voxel takes ``Σ_axes w (f₊ − f₋)``. Each face's conductance is
    evaluated once: three exponentials per voxel.
    """
    nz, ny, nx = u.shape
    block = fy.shape[0]
    fz[0] = 0.0  # no flux through the z = 0 face
    for z0 in range(0, nz, block):
        m = min(block, nz - z0)
        for row in prange(m * ny):
            kk, j = row // ny, row % ny
            k = z0 + kk
            for i in range(nx):
                c, e = u[k, j, i], edges[k, j, i]
                fz[kk + 1, j, i] = _flux(u[k + 1, j, i] - c, edges[k + 1, j, i] - e, scale[0], inv_kappa2,
                                         quadratic) if k < nz - 1 else 0.0
                fy[kk, j, i] = _flux(u[k, j + 1, i] - c, edges[k, j + 1, i] - e, scale[1], inv_kappa2,
                                     quadratic) if j < ny - 1 else 0.0
                fx[kk, j, i] = _flux(u[k, j, i + 1] - c, edges[k, j, i + 1] - e, scale[2], inv_kappa2,
                                     quadratic) if i < nx - 1 else 0.0
        for row in prange(m * ny):
            kk, j = row // ny, row % ny
            k = z0 + kk
            for i in range(nx):
                total = weight[0] * (fz[kk + 1, j, i] - fz[kk, j, i]) + weight[2] * fx[kk, j, i]
                total += weight[1] * (fy[kk, j, i] - fy[kk, j - 1, i]) if j > 0 else weight[1] * fy[kk, j, i]
                if i > 0:
                    total -= weight[2] * fx[kk, j, i - 1]
                u[k, j, i] += step * total
        fz[0] = fz[m]  # the flux into the next block, from the old values


def anisotropic_diffusion(volume, n_iter: int = 5, kappa=None, spacing=1.0, conductance: str = "exponential",
                          sigma=None, rho=None) -> np.ndarray:
    """Perona–Malik anisotropic diffusion: smooth within regions, not across their edges.

    Solves ``∂u/∂t = div(g(|∇(G_ρ * u)|) ∇u)`` with the explicit 6-neighbour scheme
    ``u ← u + λ Σ_a w_a Σ_± g(r_a |Δ^ρ_±|) Δ_±``, where ``Δ_±`` is the difference to the neighbour
    along axis ``a``, ``Δ^ρ_±`` the same difference of the image smoothed by a Gaussian of
    standard deviation ``ρ`` (Catté et al.'s regularisation: a noise spike no longer looks like
    an edge, so it is smoothed away instead of kept; ``rho=0`` gives the original scheme),
    ``r_a = s_min / s_a`` rescales differences to gradients over the finest voxel, ``w_a = r_a²``
    (the Laplacian on anisotropic voxels) and ``g(s) = exp(−(s/κ)²)`` ("exponential", favours
    high-contrast edges) or ``1 / (1 + (s/κ)²)`` ("quadratic", favours wide regions). The step
    ``λ = 1 / (1 + 2 Σ_a w_a)`` (1/7 on isotropic voxels) keeps every update a convex combination
    of neighbours, so the scheme is stable and obeys the maximum principle. Borders have no
    flux (Neumann). Memory: the output, 16 planes, plus the smoothed copy when ``ρ > 0``.

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values; any real dtype, converted to float32. NaN/inf are refused.
    n_iter : int ≥ 1
        Number of explicit steps (the diffusion time is ``n_iter · λ`` finest voxels²).
    kappa : float > 0, optional
        Edge threshold: a grey-value step (of the smoothed image) across one finest voxel.
        Steps well below ``κ`` are smoothed, steps well above it are kept. Default ``0.5 σ``
        with ``σ`` the noise level (``sigma``, or :func:`estimate_noise`; a noise-free or
        constant volume is an error then); with ``rho=0`` take ``κ`` of 1–2 σ instead.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    conductance : {"exponential", "quadratic"}
        Perona and Malik's two edge-stopping functions.
    sigma : float > 0, optional
        Noise level used for the default ``kappa``.
    rho : float or 3 floats ≥ 0, optional
        Standard deviation of the Gaussian the edges are judged on, in the units of
        ``spacing``; default one finest voxel, ``min(spacing)``.

    Returns
    -------
    (Z, Y, X) float32 ndarray

    References
    ----------
    P. Perona and J. Malik, "Scale-space and edge detection using anisotropic diffusion",
    IEEE Trans. PAMI 12 (1990) 629–639.
    F. Catté, P.-L. Lions, J.-M. Morel and T. Coll, "Image selective smoothing and edge detection
    by nonlinear diffusion", SIAM J. Numer. Anal. 29 (1992) 182–193.

    Examples
    --------
    >>> step = np.zeros((8, 8, 8), np.float32); step[..., 4:] = 1
    >>> out = anisotropic_diffusion(step, n_iter=20, kappa=0.1)
    >>> bool(np.allclose(out, step, atol=1e-3))
    True
    """
    arr = as_grey(volume)
    spacing = as_spacing(spacing)
    n_iter = positive(n_iter, "n_iter", integer=True)
    if conductance not in CONDUCTANCES:
        raise ParameterError(f"conductance must be one of {CONDUCTANCES}; got {conductance!r}")
    kappa = 0.5 * noise_or_given(arr, sigma, "anisotropic_diffusion") if kappa is None else positive(kappa, "kappa")
    scale = np.array([min(spacing) / s for s in spacing], np.float32)
    weight = scale**2
    step = 1.0 / (1.0 + 2.0 * weight.sum())
    out = arr.copy()
    block = min(16, arr.shape[0])
    fz = np.empty((block + 1, *arr.shape[1:]), np.float32)
    fy, fx = np.empty((block, *arr.shape[1:]), np.float32), np.empty((block, *arr.shape[1:]), np.float32)
    rho = min(spacing) if rho is None else rho
    rho = None if isinstance(rho, numbers.Real) and rho == 0 else as_length(rho, "rho", allow_zero=True)
    for _ in range(n_iter):
        edges = out if rho is None else gaussian(out, rho, spacing)
        _diffusion_step(out, edges, scale, weight, np.float32(1.0 / kappa**2), np.float32(step),
                        conductance == "quadratic", fz, fy, fx)
    return out


@njit(cache=True, parallel=True, fastmath=True)
def _bilateral_kernel(u, offsets, spatial, inv_2range2, out):
    """``out(x) = Σ_k G_s(k) G_r(u(x+k) − u(x)) u(x+k) / Σ_k G_s(k) G_r(…)`` over in-volume neighbours."""
    nz, ny, nx = u.shape
    for k in prange(nz):
        for j in range(ny):
            for i in range(nx):
                c = u[k, j, i]
                acc, total = 0.0, 0.0
                for o in range(offsets.shape[0]):
                    z, y, x = k + offsets[o, 0], j + offsets[o, 1], i + offsets[o, 2]
                    if 0 <= z < nz and 0 <= y < ny and 0 <= x < nx:
                        v = u[z, y, x]
                        w = spatial[o] * math.exp(-(v - c) * (v - c) * inv_2range2)
                        acc += w * v
                        total += w
                out[k, j, i] = acc / total


def bilateral(volume, sigma_spatial=1.0, sigma_range=None, spacing=1.0, truncate: float = 2.0,
              sigma=None) -> np.ndarray:
    """Bilateral filter in 3D: a Gaussian mean that leaves out neighbours of very different grey value.

    ``out(x) = Σ_k G_s(k) G_r(u(x+k) − u(x)) u(x+k) / Σ_k G_s(k) G_r(u(x+k) − u(x))`` with
    ``G_s(k) = exp(−Σ_a (k_a s_a)² / 2σ_s²)`` over the offsets within ``truncate · σ_s``
    (physical distance) and ``G_r(d) = exp(−d² / 2σ_r²)``; neighbours outside the volume are
    left out. (:func:`skimage.restoration.denoise_bilateral` is 2D only.)

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values; any real dtype, converted to float32. NaN/inf are refused.
    sigma_spatial : float or 3 floats > 0
        Standard deviation of the spatial Gaussian, in the units of ``spacing``.
    sigma_range : float > 0, optional
        Standard deviation of the range Gaussian in grey values. Default ``2 σ`` with ``σ``
        the noise level (``sigma``, or :func:`estimate_noise`).
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    truncate : float > 0
        Window radius in spatial standard deviations. Cost grows as ``truncate³``.
    sigma : float > 0, optional
        Noise level used for the default ``sigma_range``.

    Returns
    -------
    (Z, Y, X) float32 ndarray

    References
    ----------
    C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998.

    Examples
    --------
    >>> step = np.zeros((8, 8, 8), np.float32); step[..., 4:] = 1
    >>> bool(np.allclose(bilateral(step, sigma_range=0.1), step, atol=1e-3))
    True
    """
    arr = as_grey(volume)
    spacing = as_spacing(spacing)
    sigma_voxels = in_voxels(as_length(sigma_spatial, "sigma_spatial"), spacing)
    truncate = positive(truncate, "truncate")
    sigma_range = (2.0 * noise_or_given(arr, sigma, "bilateral") if sigma_range is None
                   else positive(sigma_range, "sigma_range"))
    half = [min(int(truncate * s), n - 1) for s, n in zip(sigma_voxels, arr.shape)]
    grids = np.meshgrid(*[np.arange(-h, h + 1) for h in half], indexing="ij")
    offsets = np.stack([g.ravel() for g in grids], axis=1)
    r2 = sum((offsets[:, a] / sigma_voxels[a]) ** 2 for a in range(3))
    keep = r2 <= truncate**2 + 1e-9
    out = np.empty_like(arr)
    _bilateral_kernel(np.ascontiguousarray(arr), np.ascontiguousarray(offsets[keep], dtype=np.int64),
                      np.exp(-0.5 * r2[keep]), 0.5 / sigma_range**2, out)
    return out


def unsharp_mask(volume, sigma=1.0, amount: float = 1.0, spacing=1.0) -> np.ndarray:
    """Sharpen: add back ``amount`` times the detail a Gaussian blur removes.

    ``out = u + amount · (u − G_σ * u)``; raises the contrast of features smaller than ``σ``
    (and the noise with it, so denoise first).

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values; any real dtype, converted to float32. NaN/inf are refused.
    sigma : float or 3 floats > 0
        Standard deviation of the blur, in the units of ``spacing``.
    amount : float > 0
        Gain of the detail.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    (Z, Y, X) float32 ndarray

    Examples
    --------
    >>> step = np.zeros((8, 8, 8), np.float32); step[..., 4:] = 1
    >>> sharp = unsharp_mask(step, sigma=1.0)
    >>> bool(sharp[0, 0, 4] > 1 and sharp[0, 0, 3] < 0)
    True
    """
    arr = as_grey(volume)
    amount = positive(amount, "amount")
    out = gaussian(arr, as_length(sigma, "sigma"), spacing)
    out -= arr
    out *= -amount
    out += arr
    return out
