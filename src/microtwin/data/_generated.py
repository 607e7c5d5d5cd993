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
