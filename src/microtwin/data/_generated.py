"""Generated sample volumes: seeded Boolean models of balls, for quick tests and demos."""

from __future__ import annotations

import numpy as np
from numba import njit

from microtwin._validation import as_spacing
from microtwin.errors import ParameterError
from microtwin.io import Volume


@njit(cache=True)
def _paint_balls(out, centres, radii, spacing):
    """Set ``out`` to 1 inside every ball (centres and radii in physical units, voxel centres at (i+0.5)·s)."""
    nz, ny, nx = out.shape
    dz, dy, dx = spacing[0], spacing[1], spacing[2]
    for b in range(centres.shape[0]):
        cz, cy, cx, r = centres[b, 0], centres[b, 1], centres[b, 2], radii[b]
        z0, z1 = max(0, int(np.floor((cz - r) / dz))), min(nz, int(np.ceil((cz + r) / dz)) + 1)
        y0, y1 = max(0, int(np.floor((cy - r) / dy))), min(ny, int(np.ceil((cy + r) / dy)) + 1)
        x0, x1 = max(0, int(np.floor((cx - r) / dx))), min(nx, int(np.ceil((cx + r) / dx)) + 1)
        r2 = r * r
        for k in range(z0, z1):
            ez = ((k + 0.5) * dz - cz) ** 2
            for j in range(y0, y1):
                ey = ez + ((j + 0.5) * dy - cy) ** 2
                if ey > r2:
                    continue
                for i in range(x0, x1):
                    if ey + ((i + 0.5) * dx - cx) ** 2 <= r2:
                        out[k, j, i] = 1


def boolean_spheres(shape=(64, 64, 64), radius=4.0, solid_fraction=0.5, spacing=1.0, unit="voxel",
                    seed=0) -> Volume:
    """A Boolean model of balls of one radius: a two-phase test volume with known statistics.

    Germs form a homogeneous Poisson process of intensity
    ``λ = -ln(1 - solid_fraction) / (4/3 π r³)`` on the window dilated by ``r`` (no edge
    effects), so the expected solid volume fraction is exactly ``solid_fraction``
    (Miles' formula ``V_V = 1 - exp(-λ V̄)``).

    Parameters
    ----------
    shape : 3 ints
        Volume shape (z, y, x).
    radius : float
        Ball radius in the units of ``spacing``.
    solid_fraction : float in (0, 1)
        Expected volume fraction of the union of balls.
    spacing, unit
        Voxel size and its unit.
    seed : int or numpy.random.Generator

    Returns
    -------
    Volume
        uint8 labels, 0 = pore, 1 = solid; ``meta`` holds the model parameters.

    Examples
    --------
    >>> vol = boolean_spheres((32, 32, 32), radius=3, solid_fraction=0.4, seed=1)
    >>> vol.array.shape, vol.meta["phases"]
    ((32, 32, 32), {'pore': 0, 'solid': 1})
    """
    spacing = as_spacing(spacing)
    if len(shape) != 3 or min(shape) < 1:
        raise ParameterError(f"shape must be 3 positive ints; got {shape!r}")
    if not 0 < solid_fraction < 1:
        raise ParameterError(f"solid_fraction must be in (0, 1); got {solid_fraction}")
    if not radius > 0:
        raise ParameterError(f"radius must be > 0; got {radius}")
    rng = np.random.default_rng(seed)
    intensity = -np.log1p(-solid_fraction) / (4.0 / 3.0 * np.pi * radius**3)
    extent = np.array([n * s for n, s in zip(shape, spacing)])
    lower, size = -radius, extent + 2 * radius
    n_balls = rng.poisson(intensity * np.prod(size))
    centres = lower + rng.random((n_balls, 3)) * size
    radii = np.full(n_balls, float(radius))
    out = np.zeros(tuple(int(n) for n in shape), dtype=np.uint8)
    _paint_balls(out, centres, radii, np.asarray(spacing, dtype=np.float64))
    meta = {
        "name": "boolean_spheres",
        "phases": {"pore": 0, "solid": 1},
        "model": "Boolean model of balls (Poisson germs, constant radius)",
        "intensity": float(intensity),
        "radius": float(radius),
        "solid_fraction": float(solid_fraction),
        "seed": seed if isinstance(seed, int) else None,
    }
    return Volume(out, spacing=spacing, unit=unit, meta=meta)


def noisy_grey(labels, levels, blur=1.0, photons=1000.0, seed=0) -> np.ndarray:
    """A grey volume imaged from a label image: Gaussian blur, then Poisson (photon) noise.

    The noise-free image is ``levels[labels]`` blurred by a Gaussian point-spread function of
    standard deviation ``blur`` voxels; each voxel then records ``N ~ Poisson(photons · s)``
    counts and the returned grey value is ``N / photons``: its mean is the blurred level ``s``
    and its variance ``s / photons`` (the signal-to-noise ratio is ``√(photons · s)``). A
    stand-in for a scanner with known truth, used to test filters and segmentation.

    Parameters
    ----------
    labels : (Z, Y, X) integer ndarray
        Phase labels 0 … K−1.
    levels : sequence of K floats ≥ 0
        Mean grey value of each label.
    blur : float ≥ 0
        Standard deviation of the Gaussian point-spread function, in voxels (0: none).
    photons : float > 0
        Expected counts per unit grey value.
    seed : int or numpy.random.Generator

    Returns
    -------
    (Z, Y, X) float32 ndarray

    Examples
    --------
    >>> labels = np.zeros((4, 4, 4), np.uint8); labels[2:] = 1
    >>> grey = noisy_grey(labels, [0.2, 0.8], blur=0, photons=1e6, seed=0)
    >>> bool(abs(grey[3].mean() - 0.8) < 0.01)
    True
    """
    from scipy import ndimage

    labels = np.asarray(labels)
    levels = np.asarray(levels, dtype=np.float32)
    if labels.ndim != 3 or not np.issubdtype(labels.dtype, np.integer):
        raise ParameterError(f"labels must be a 3D integer array; got {labels.dtype} with shape {labels.shape}")
    if levels.ndim != 1 or labels.min() < 0 or labels.max() >= levels.size:
        raise ParameterError(f"levels must give one grey value per label 0…{labels.max()}; got {levels.size}")
    if not np.all(np.isfinite(levels)) or np.any(levels < 0):
        raise ParameterError(f"levels must be finite and ≥ 0; got {levels.tolist()}")
    if not blur >= 0 or not photons > 0:
        raise ParameterError(f"blur must be ≥ 0 and photons > 0; got blur={blur}, photons={photons}")
    signal = levels[labels]
    if blur > 0:
        signal = ndimage.gaussian_filter(signal, blur, mode="reflect")
    counts = np.random.default_rng(seed).poisson(np.maximum(signal, 0) * photons)
    return (counts / photons).astype(np.float32)
