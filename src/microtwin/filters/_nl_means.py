"""Non-local means denoising in 3D (Numba), with the noise level estimated from the data.

Algorithm (the "fast" blockwise form of Darbon et al., as scikit-image's ``fast_mode``): for
every offset ``o`` of the search window, the squared differences ``(u(x) − u(x + o))²`` are summed
over the patch around each ``x`` with three running sums (one per axis), so a patch distance
costs O(1) per voxel and offset. The volume is cut into z-slabs processed in parallel, each
with its own buffers, so memory is the output plus about half the input, whatever the window.
Borders are mirrored (``u(−i) = u(i)``).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from microtwin._validation import as_spacing
from microtwin.filters._grey import as_grey, as_length, half_widths, positive
from microtwin.filters._noise import noise_or_given


@njit(cache=True)
def _mirrored(start, n, length):
    """Indices ``start … start + length − 1`` mirrored into ``[0, n)`` (``−i → i``, ``n − 1 + i → n − 1 − i``)."""
    idx = np.empty(length, np.int64)
    period = max(2 * n - 2, 1)
    for t in range(length):
        i = abs(start + t) % period
        idx[t] = period - i if i >= n else i
    return idx


@njit(cache=True)
def _box_sum_rows(d, px, ext):
    """In place: each row of every plane of ``d`` replaced by its sum over ``[i − px, i + px]`` (mirrored)."""
    mz, ny, nx = d.shape
    buf = np.empty(ext.size, np.float32)
    for k in range(mz):
        for j in range(ny):
            row = d[k, j]
            for t in range(ext.size):
                buf[t] = row[ext[t]]
            row[:] = 0.0
            for t in range(2 * px + 1):
                for i in range(nx):
                    row[i] += buf[i + t]


@njit(cache=True, inline="always")
def _inside(o, n):
    """The range of ``i`` for which ``i + o`` stays in ``[0, n)``."""
    return max(0, -o), min(n, n - o)


@njit(cache=True)
def _box_sum_columns(d, py, ext):
    """In place: each plane of ``d`` replaced by its sum along y over ``[j − py, j + py]`` (mirrored)."""
    mz, ny, nx = d.shape
    plane = np.empty((ny, nx), np.float32)
    s = np.empty(nx, np.float32)
    for k in range(mz):
        plane[:] = d[k]
        s[:] = 0.0
        for t in range(2 * py):
            rt = plane[ext[t]]
            for i in range(nx):
                s[i] += rt[i]
        for j in range(ny):
            add, drop, target = plane[ext[j + 2 * py]], plane[ext[j]], d[k, j]
            for i in range(nx):
                s[i] += add[i]
                target[i] = s[i]
                s[i] -= drop[i]


@njit(cache=True, parallel=True, fastmath=True)
def _nl_means_kernel(u, offsets, pz, py, px, inv_h2, var2, slab, out):
    """``out = Σ_o w_o(x) u(x + o) / Σ_o w_o(x)``, ``w = exp(−max(d²/|P| − 2σ², 0) / h²)``."""
    nz, ny, nx = u.shape
    inv_patch = np.float32(1.0 / ((2 * pz + 1) * (2 * py + 1) * (2 * px + 1)))
    var2, inv_h2 = np.float32(var2), np.float32(inv_h2)
    ext_x, ext_y = _mirrored(-px, nx, nx + 2 * px), _mirrored(-py, ny, ny + 2 * py)
    for b in prange((nz + slab - 1) // slab):
        z0 = b * slab
        m = min(nz, z0 + slab) - z0
        d = np.empty((m + 2 * pz, ny, nx), np.float32)
        wsum = np.zeros((m, ny, nx), np.float32)
        zsum = np.empty((ny, nx), np.float32)
        out[z0:z0 + m] = 0.0
        za = _mirrored(z0 - pz, nz, m + 2 * pz)
        for o in range(offsets.shape[0]):
            oz, oy, ox = offsets[o, 0], offsets[o, 1], offsets[o, 2]
            zb, jb, ib = _mirrored(z0 - pz + oz, nz, m + 2 * pz), _mirrored(oy, ny, ny), _mirrored(ox, nx, nx)
            i0, i1 = _inside(ox, nx)
            for k in range(m + 2 * pz):
                for j in range(ny):
                    a, other, target = u[za[k], j], u[zb[k], jb[j]], d[k, j]
                    for i in range(i0):
                        target[i] = (a[i] - other[ib[i]]) ** 2
                    for i in range(i0, i1):
                        target[i] = (a[i] - other[i + ox]) ** 2
                    for i in range(i1, nx):
                        target[i] = (a[i] - other[ib[i]]) ** 2
            _box_sum_rows(d, px, ext_x)
            _box_sum_columns(d, py, ext_y)
            zsum[:] = 0.0
            for t in range(2 * pz):
                zsum += d[t]
            for k in range(m):
                zsum += d[k + 2 * pz]
                for j in range(ny):
                    other, dist, acc, ws = u[zb[k + pz], jb[j]], zsum[j], out[z0 + k, j], wsum[k, j]
                    for i in range(nx):
                        excess = dist[i] * inv_patch - var2
                        w = np.float32(1.0) if excess <= 0 else np.exp(-excess * inv_h2)
                        acc[i] += w * other[ib[i]]
                        ws[i] += w
                zsum -= d[k]
        for k in range(m):
            out[z0 + k] /= wsum[k]


def nl_means(volume, sigma=None, h=None, patch_radius=None, search_radius=None, spacing=1.0) -> np.ndarray:
    """Non-local means: each voxel becomes a weighted mean of the voxels whose patches look like its own.

    ``out(x) = Σ_o w(x, o) u(x + o) / Σ_o w(x, o)`` over the offsets ``o`` of the search window,
    with ``w = exp(−max(‖P(x) − P(x + o)‖² / |P| − 2σ², 0) / h²)``: ``‖·‖²/|P|`` is the mean
    squared difference between the two (box) patches, ``2σ²`` its expected value between two
    patches of the same noise-free content, so patches that differ by noise only weigh about
    1 and patches across an interface weigh ``exp(−Δ²/h²)``. This is the blockwise fast form of
    :func:`skimage.restoration.denoise_nl_means` (``fast_mode=True``), in 3D, in parallel.

    Parameters
    ----------
    volume : (Z, Y, X) array
        Grey values; any real dtype, converted to float32. NaN/inf are refused.
    sigma : float > 0, optional
        Standard deviation of the noise in grey values. Default: :func:`estimate_noise`
        (a :class:`~microtwin.errors.ParameterError` if that is 0, e.g. a constant volume).
    h : float > 0, optional
        Filtering strength in grey values; default ``0.6 σ`` (scikit-image's advice for the fast form).
    patch_radius : float or 3 floats, optional
        Half-size of the (box) patches in the units of ``spacing``; default one voxel along the
        finest axis (``min(spacing)``): 3×3×3 patches on isotropic voxels.
    search_radius : float or 3 floats, optional
        Half-size of the search window in the units of ``spacing``; default 3 voxels along the
        finest axis (7×7×7 offsets). Cost grows with the number of offsets. Along an axis too
        short for it, the window is cut to fit.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    (Z, Y, X) float32 ndarray

    References
    ----------
    A. Buades, B. Coll and J.-M. Morel, "A non-local algorithm for image denoising", CVPR 2005.
    J. Darbon et al., "Fast nonlocal filtering applied to electron cryomicroscopy", ISBI 2008.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = np.zeros((16, 16, 16), np.float32); clean[:, :, 8:] = 1
    >>> noisy = clean + rng.normal(0, 0.2, clean.shape).astype(np.float32)
    >>> bool(np.abs(nl_means(noisy) - clean).mean() < 0.5 * np.abs(noisy - clean).mean())
    True
    """
    arr = as_grey(volume)
    spacing = as_spacing(spacing)
    sigma = noise_or_given(arr, sigma, "nl_means")
    h = 0.6 * sigma if h is None else positive(h, "h")
    finest = min(spacing)
    patch = half_widths(as_length(finest if patch_radius is None else patch_radius, "patch_radius"), spacing)
    search = half_widths(as_length(3 * finest if search_radius is None else search_radius, "search_radius"),
                         spacing)
    patch = tuple(min(p, (n - 1) // 2) for p, n in zip(patch, arr.shape))
    search = tuple(min(s, n - 1 - p) for s, p, n in zip(search, patch, arr.shape))
    offsets = np.array(np.meshgrid(*[np.arange(-s, s + 1) for s in search], indexing="ij")).reshape(3, -1).T
    threads = numba.get_num_threads()
    slab = int(np.clip(math.ceil(arr.shape[0] / (4 * threads)), 4, 32))
    out = np.empty_like(arr)
    _nl_means_kernel(np.ascontiguousarray(arr), np.ascontiguousarray(offsets, dtype=np.int64), *patch,
                     1.0 / h**2, 2.0 * sigma**2, slab, out)
    return out
