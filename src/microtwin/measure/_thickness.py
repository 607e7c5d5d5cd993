"""Local thickness (maximal inscribed balls) and the continuous pore size distribution (CPSD).

Convention (PoreSpy's): ``dt(c)`` is the distance from the centre of phase voxel ``c`` to the
centre of the nearest voxel outside the phase (voxels beyond the image are neither), and the ball
``B(c, r)`` is the set of voxel centres ``x`` with ``|x - c| < r``; so ``B(c, dt(c))`` is the
largest ball centred at ``c`` inside the phase. Ties ``|x - c| = r`` are decided with a relative
tolerance of 1e-6 (exact for integer squared distances).

Engine (``_max_ball_map``), for any field of squared ball radii (``dt²`` here, the squared access
radius in :mod:`._intrusion`): keep the balls contained in no larger neighbour's ball (an exact
lattice test read from a table: the "distance ridge"), then paint each kept ball from a table of
lattice offsets, skipping the orthants and the inner ball that larger-or-equal neighbours cover,
with a running maximum, in parallel over z-slabs of the output. Radii are exact, never rounded or binned.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from microtwin._validation import as_phase, as_spacing
from microtwin.errors import EmptyPhaseError, ParameterError
from microtwin.measure._distribution import Distribution

_GRID_LIMIT = 4096  # most radii in a default Distribution grid


def _weights(spacing) -> tuple[float, np.ndarray]:
    """``(unit, w)``: lengths are computed in units of the smallest spacing, ``w = (s / unit)²``."""
    return min(spacing), np.array([(s / min(spacing)) ** 2 for s in spacing], dtype=np.float64)


def _checked_phase(phase, spacing):
    """Validate the public arguments; return the phase, the unit length and the weights."""
    phase = np.ascontiguousarray(as_phase(phase))
    if not phase.any() or phase.all():
        raise EmptyPhaseError(f"phase must have both True and False voxels; it is all {bool(phase.flat[0])}")
    return (phase, *_weights(as_spacing(spacing)))


@njit(cache=True, inline="always")
def _shrunk(r2):
    """Squared radius minus a tie tolerance: a voxel at exactly ``r`` is outside the open ball."""
    return r2 - min(1e-6 * r2, 0.25)


@njit(cache=True)
def _lower_envelope(f, w, out, v, z):
    """``out[x] = min_q w (x - q)² + f[q]``: lower envelope of parabolas (Felzenszwalb & Huttenlocher)."""
    k, s = -1, -np.inf
    for q in range(f.size):
        if f[q] < np.inf:
            while k >= 0:
                s = ((f[q] + w * q * q) - (f[v[k]] + w * v[k] ** 2)) / (2.0 * w * (q - v[k]))
                if s > z[k]:
                    break
                k -= 1
            k += 1
            v[k], z[k], z[k + 1] = q, s if k > 0 else -np.inf, np.inf
    j = 0
    for x in range(f.size):
        while k >= 0 and z[j + 1] < x:
            j += 1
        out[x] = w * (x - v[j]) ** 2 + f[v[j]] if k >= 0 else np.inf


@njit(cache=True, parallel=True)
def _envelope_pass(d2, w):
    """In place, along axis 0 of ``d2`` (any strides): ``min_q w (x - q)² + d2[q]``."""
    n, m, l = d2.shape
    for j in prange(m):
        f, out, v, z = np.empty(n), np.empty(n), np.empty(n, np.int64), np.empty(n + 1)
        for i in range(l):
            f[:] = d2[:, j, i]
            _lower_envelope(f, w, out, v, z)
            d2[:, j, i] = out


@njit(cache=True, parallel=True)
def _row_distances(phase, w):
    """Squared distance along x (weight ``w``) to the nearest False voxel of the row (inf if none)."""
    d2 = np.empty(phase.shape, np.float32)
    for k in prange(phase.shape[0]):
        for j in range(phase.shape[1]):
            row, out, last = phase[k, j], d2[k, j], -np.inf
            for i in range(row.size):  # distance to the previous False voxel
                last = last if row[i] else i
                out[i] = i - last
            last = np.inf
            for i in range(row.size - 1, -1, -1):  # and to the next one
                last = last if row[i] else i
                out[i] = w * min(out[i], last - i) ** 2
    return d2


def _squared_edt(phase: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Exact squared Euclidean distance transform (float32, units of the smallest spacing), separable."""
    d2 = _row_distances(phase, weights[2])
    for axis in (1, 0):
        _envelope_pass(np.moveaxis(d2, axis, 0), weights[axis])
    return d2


def _offset_tables(r2max: float, weights: np.ndarray, shape):
    """Lattice offsets ``o ≥ 0`` with ``|o|² ≤ r2max`` that fit in the image, by increasing ``|o|²``.

    ``bucket[b]`` = number shorter than ``b``; ``reach[n - 1, 4 vz + 2 vy + vx]`` = largest
    ``|o + v|²`` over the first ``n``: how far a ball reaches from a neighbour ``v ∈ {0, 1}³`` (mirror
    images of ``o`` reach no further). ``steps``: the offsets grouped by non-zero components (group
    ``4 [oz > 0] + 2 [oy > 0] + [ox > 0]``), ``gnorms``/``gbucket[g, b]`` the same per group.
    """
    extent = [min(int(np.sqrt(r2max / w)) + 1, n - 1) for w, n in zip(weights, shape)]
    grids = np.ogrid[:extent[0] + 1, :extent[1] + 1, :extent[2] + 1]
    norm = (weights[0] * grids[0] ** 2 + weights[1] * grids[1] ** 2 + weights[2] * grids[2] ** 2).ravel()
    order = np.flatnonzero(norm <= r2max)
    order = order[np.argsort(norm[order], kind="stable")]
    norms, axes = norm[order], np.unravel_index(order, [e + 1 for e in extent])
    levels = np.arange(int(r2max) + 2)
    reach = np.zeros((order.size, 8))
    for cls in range(1, 8):
        shift = (cls >> 2 & 1, cls >> 1 & 1, cls & 1)
        reach[:, cls] = np.maximum.accumulate(sum(w * (a + v) ** 2 for w, a, v in zip(weights, axes, shift)))
    group = 4 * (axes[0] > 0) + 2 * (axes[1] > 0) + (axes[2] > 0)
    by_group = np.argsort(group, kind="stable")
    gnorms, group = norms[by_group], group[by_group]
    gbucket = np.array([np.searchsorted(group, g) + np.searchsorted(gnorms[group == g], levels) for g in range(8)])
    steps = np.stack([a[by_group] for a in axes], axis=1).astype(np.int64)
    return norms, np.searchsorted(norms, levels), reach, steps, gnorms, gbucket


@njit(cache=True, inline="always")
def _count_below(x, norms, start, stop):
    """Index of the first of ``norms[start:stop]`` (sorted) that is ≥ ``x``."""
    if start < stop and norms[stop - 1] < x:  # the usual case: x above the whole bucket
        return stop
    while start < stop:
        mid = (start + stop) // 2
        if norms[mid] < x:
            start = mid + 1
        else:
            stop = mid
    return start


_NEIGHBOURS = np.array(sorted(((a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)
                               if a or b or c), key=lambda v: abs(v[0]) + abs(v[1]) + abs(v[2])))  # faces first


@njit(cache=True, inline="always")
def _inside_mask(k, j, i, shape):
    """Bit ``t`` set when neighbour ``t`` of voxel (k, j, i) lies in the image."""
    nz, ny, nx = shape
    if 0 < k < nz - 1 and 0 < j < ny - 1 and 0 < i < nx - 1:
        return (1 << 26) - 1
    mask = 0
    for t in range(26):
        if 0 <= k + _NEIGHBOURS[t, 0] < nz and 0 <= j + _NEIGHBOURS[t, 1] < ny and 0 <= i + _NEIGHBOURS[t, 2] < nx:
            mask |= 1 << t
    return mask


@njit(cache=True, parallel=True)
def _ridge(r2, classes, norms, bucket, reach):
    """Centres to paint: not those whose ball lies in a larger neighbour's, nor those whose 6 face
    neighbours have r2 ≥ theirs or lie outside (all but the centre is covered: :func:`_covered_parts`)."""
    nz, ny, nx = r2.shape
    flat = r2.reshape(-1)
    step = (_NEIGHBOURS[:, 0] * ny + _NEIGHBOURS[:, 1]) * nx + _NEIGHBOURS[:, 2]
    keep = np.zeros(r2.shape, np.bool_)
    for k in prange(nz):
        for j in range(ny):
            for i in range(nx):
                p = (k * ny + j) * nx + i
                rc = flat[p]
                if rc <= 0:
                    continue
                x, row, kept, mask = _shrunk(rc), -1, False, _inside_mask(k, j, i, r2.shape)
                for t in range(26):
                    if not mask >> t & 1 or flat[p + step[t]] <= rc:
                        kept |= t < 6 and mask >> t & 1 and flat[p + step[t]] < rc  # an uncovered face
                        continue  # only a larger ball can contain this one
                    if row < 0:
                        b = int(x)
                        row = _count_below(x, norms, bucket[b], bucket[b + 1]) - 1
                    if reach[row, classes[t]] < _shrunk(flat[p + step[t]]):
                        kept = False
                        break
                keep[k, j, i] = kept
    return keep


# _ORTHANT_COVER[t]: bits of the neighbours v with v_i ∈ {0, s_i}, s = _NEIGHBOURS[t]
_ORTHANT_COVER = np.array([sum(1 << t for t, v in enumerate(_NEIGHBOURS) if all(vi in (0, si) for vi, si in zip(v, s)))
                           for s in _NEIGHBOURS])


@njit(cache=True, inline="always")
def _covered_parts(r2, kc, jc, ic, lengths):
    """Parts of the ball of ``c`` that other balls cover with values ≥ r2(c), so need no paint.

    (1) The radius of the largest ball centred at ``c`` inside the ball of a neighbour ``q`` with
    r2(q) > r2(c) (−1: none); (2) a bit mask of the neighbours ``q = c + v`` with r2(q) ≥ r2(c):
    an orthant ``sign(o) = s`` with ``v_i ∈ {0, s_i}`` lies in ``B(q)``, as ``|o - v|² < |o|²``.
    By induction on (r2, −distance to the centre) every voxel of a ball still gets ≥ its r2.
    """
    nz, ny, nx = r2.shape
    flat, centre = r2.reshape(-1), (kc * ny + jc) * nx + ic
    rc, inside = flat[centre], _inside_mask(kc, jc, ic, r2.shape)
    skip, inner = ~inside & ((1 << 26) - 1), -1.0  # orthants beyond the image need no paint
    for t in range(26):
        if inside >> t & 1:
            rq = flat[centre + (_NEIGHBOURS[t, 0] * ny + _NEIGHBOURS[t, 1]) * nx + _NEIGHBOURS[t, 2]]
            skip |= np.int64(rq >= rc) << t  # branch-free: the comparison is unpredictable
            if rq > rc:
                inner = max(inner, np.sqrt(_shrunk(rq)) - lengths[t])
    return inner * (1 - 1e-7), skip  # a hair inside, against rounding


@njit(cache=True, parallel=True)
def _paint(r2, centres, weights, lengths, steps, gnorms, gbucket, n_slabs):
    """``out[x] = max r2(c)`` over the centres ``c`` (sorted flat indices) whose ball holds ``x``.

    Balls are painted orthant by orthant from the offset table, less what other balls cover
    (:func:`_covered_parts`): mostly a thin shell facing smaller neighbours. In parallel over
    z-slabs of the output: each slab takes every ball that reaches it and paints only its own
    slices, so no voxel is written by two threads.
    """
    nz, ny, nx = r2.shape
    out = r2.copy()  # each centre lies in its own ball
    flat = out.reshape(-1)
    reach = int(np.sqrt(r2.max() / weights[0])) + 1
    for s in prange(n_slabs):
        z0, z1 = s * nz // n_slabs, (s + 1) * nz // n_slabs
        first = np.searchsorted(centres, max(z0 - reach, 0) * ny * nx)
        last = np.searchsorted(centres, min(z1 + reach, nz) * ny * nx)
        _paint_slab(r2, flat, centres[first:last], z0, z1, weights, lengths, steps, gnorms, gbucket)
    return out


@njit(cache=True)
def _paint_slab(r2, flat, centres, z0, z1, weights, lengths, steps, gnorms, gbucket):
    """Paint the balls of ``centres`` into the slices ``z0 ≤ k < z1`` of ``flat`` (see :func:`_paint`)."""
    nz, ny, nx = r2.shape
    top = gbucket.shape[1] - 2
    span = np.empty(16, np.int64)  # per offset group: first and end index of the shell
    for c in centres:
        kc, jc, ic = c // (ny * nx), (c // nx) % ny, c % nx
        value = r2[kc, jc, ic]
        x = _shrunk(value)
        rz, ry, rx = int(np.sqrt(x / weights[0])), int(np.sqrt(x / weights[1])), int(np.sqrt(x / weights[2]))
        if kc + rz < z0 or kc - rz >= z1:
            continue
        inner, skip = _covered_parts(r2, kc, jc, ic, lengths)
        inner2 = inner * inner if inner > 0 else 0.0
        inside = z0 <= kc - rz and kc + rz < z1 and 0 <= jc - ry and jc + ry < ny and 0 <= ic - rx and ic + rx < nx
        span[:] = -1
        for t in range(26):  # the orthant of offsets o with sign(o) = _NEIGHBOURS[t]
            if skip & _ORTHANT_COVER[t]:
                continue
            sz, sy, sx = _NEIGHBOURS[t, 0], _NEIGHBOURS[t, 1], _NEIGHBOURS[t, 2]
            g = 4 * abs(sz) + 2 * abs(sy) + abs(sx)
            if span[2 * g] < 0:
                b, b_in = min(int(x), top), min(int(inner2), top)
                span[2 * g] = _count_below(inner2, gnorms, gbucket[g, b_in], gbucket[g, b_in + 1])
                span[2 * g + 1] = _count_below(x, gnorms, gbucket[g, b], gbucket[g, b + 1])
            for n in range(span[2 * g], span[2 * g + 1]):
                k, j, i = kc + sz * steps[n, 0], jc + sy * steps[n, 1], ic + sx * steps[n, 2]
                if inside or (z0 <= k < z1 and 0 <= j < ny and 0 <= i < nx):
                    flat[(k * ny + j) * nx + i] = max(flat[(k * ny + j) * nx + i], value)


def _max_ball_map(r2: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``max r2(c)`` over the centres whose ball ``|x - c|² < r2(c)`` holds ``x`` (float32 field of
    squared radii in units of the smallest spacing, 0 = no ball; balls must avoid voxels to keep 0)."""
    r2max = float(r2.max())
    if r2max <= 0:
        return np.zeros_like(r2)
    norms, bucket, reach, steps, gnorms, gbucket = _offset_tables(r2max, weights, r2.shape)
    lengths, classes = np.sqrt((_NEIGHBOURS**2 * weights).sum(1)), (np.abs(_NEIGHBOURS) * [4, 2, 1]).sum(1)
    centres = np.flatnonzero(_ridge(r2, classes, norms, bucket, reach))
    n_slabs = min(r2.shape[0], numba.get_num_threads())
    return _paint(r2, centres, weights, lengths, steps, gnorms, gbucket, n_slabs)


def _cumulative(r2map: np.ndarray, phase: np.ndarray, unit: float, radii) -> Distribution:
    """Fraction of the phase voxels whose radius ``unit·√r2map`` is > 0 and ≥ each radius."""
    values = r2map[phase]
    if values.max() < 2**24 and np.all(values == np.floor(values)):  # a histogram instead of a sort
        counts = np.bincount(values.astype(np.int64))
        levels = np.flatnonzero(counts[1:]) + 1
        counts = counts[levels]
    else:
        levels, counts = np.unique(values, return_counts=True)
        counts, levels = counts[levels > 0], levels[levels > 0]
    radius = unit * np.sqrt(levels.astype(np.float64))
    at_least = np.cumsum(counts[::-1])[::-1] / values.size  # fraction ≥ each distinct radius
    if radii is None:
        grid = radius
        if radius.size > _GRID_LIMIT:  # even steps, plus the exact radius_at(0.5)
            grid = np.append(np.linspace(0.0, radius[-1], _GRID_LIMIT), radius[at_least >= 0.5][-1:])
        radii = np.union1d([0.0], grid)
    else:
        radii = np.asarray(radii, dtype=np.float64)
        if radii.ndim != 1 or radii.size == 0 or not np.all(np.isfinite(radii)) or np.any(radii < 0):
            raise ParameterError(f"radii must be a 1D array of finite values ≥ 0; got {radii!r}")
        if np.any(np.diff(radii) <= 0):
            raise ParameterError("radii must be strictly increasing")
    index = np.searchsorted(radius, radii, side="left")  # first distinct radius ≥ r
    return Distribution(radii=radii, fraction=np.append(at_least, 0.0)[index])


def _thickness_r2(phase, spacing, integer_radii=False):
    """Validated phase, unit and the squared local thickness in units of the smallest spacing."""
    phase, unit, weights = _checked_phase(phase, spacing)
    r2 = _squared_edt(phase, weights)
    if integer_radii:  # PoreSpy's convention: ball radii floored to whole units
        r2 = np.floor(np.sqrt(r2)) ** 2
    return phase, unit, _max_ball_map(r2, weights)


def local_thickness(phase, spacing=1, integer_radii=False) -> np.ndarray:
    """Radius of the largest ball inside the phase that covers each voxel (0 outside the phase).

    ``lt(x) = max { dt(c) : |x - c| < dt(c) }`` over the phase voxels ``c``, where ``dt`` is the
    Euclidean distance transform (centre of ``c`` to the centre of the nearest voxel outside the
    phase). Equivalently ``lt(x) = sup { r : x ∈ (X ⊖ B_r) ⊕ B_r }`` with the open ball ``B_r``
    and all real ``r`` (Hildebrand & Rüegsegger 1997): the definition of
    ``porespy.filters.local_thickness``, without its rounding of radii to integers. The balls are
    physical balls, so with anisotropic spacing they are ellipsoids in voxels.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
        The phase to measure (True).
    spacing : float or 3 floats
        Voxel size ``(dz, dy, dx)``.
    integer_radii : bool
        Floor every ball radius to whole units of the smallest voxel size before painting:
        PoreSpy's ``local_thickness`` convention, reproduced voxel for voxel. The exact radii
        (default) are never smaller; they differ by more than one voxel on ~7 % of the voxels of
        porous blobs, where a ball of exact radius dt covers voxels at distance in [⌊dt⌋, dt)
        that PoreSpy leaves to a smaller ball.

    Returns
    -------
    (Z, Y, X) float32 ndarray
        Local radius in the units of ``spacing`` (a thickness is twice it).

    Raises
    ------
    EmptyPhaseError
        If the phase is empty or fills the whole image.

    Notes
    -----
    Exact algorithm, in parallel (module docstring): squared distance transform (Felzenszwalb &
    Huttenlocher, Theory Comput. 8 (2012) 415–428), then the distance ridge's balls painted.

    References
    ----------
    T. Hildebrand, P. Rüegsegger, "A new method for the model-independent assessment of
    thickness in three-dimensional images", J. Microscopy 185 (1997) 67–75.

    Examples
    --------
    >>> import numpy as np
    >>> slab = np.zeros((9, 4, 4), bool); slab[2:7] = True   # 5 voxels thick along z
    >>> float(local_thickness(slab).max())
    3.0
    """
    _, unit, lt2 = _thickness_r2(phase, spacing, integer_radii)
    np.sqrt(lt2, out=lt2)
    lt2 *= np.float32(unit)
    return lt2


def cpsd(phase, spacing=1, radii=None, integer_radii=False) -> Distribution:
    """Continuous pore size distribution: fraction of the phase with local thickness ≥ r.

    ``CPSD(r) = |{x ∈ X : lt(x) ≥ r}| / |X|`` with :func:`local_thickness` ``lt``, i.e. the
    volume fraction of ``X`` covered by balls of radius ≥ ``r`` that lie in ``X`` (the
    granulometry of Münch & Holzer 2008). ``cpsd(...).radius_at(0.5)`` is ``r_max``.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
    spacing : float or 3 floats
        Voxel size ``(dz, dy, dx)``.
    radii : 1D array of increasing radii ≥ 0, optional
        Where to evaluate the curve, in the units of ``spacing``. Default: 0 and every distinct
        local radius (so ``radius_at`` is exact), or 4096 even steps when there are more.
    integer_radii : bool
        PoreSpy's integer ball radii (see :func:`local_thickness`).

    Returns
    -------
    Distribution
        ``radii`` in the units of ``spacing``; ``fraction`` non-increasing in [0, 1].

    References
    ----------
    B. Münch, L. Holzer, "Contradicting geometrical concepts in pore size analysis attained
    with electron microscopy and mercury intrusion", J. Am. Ceram. Soc. 91 (2008) 4059–4067.

    Examples
    --------
    >>> import numpy as np
    >>> slab = np.zeros((9, 4, 4), bool); slab[2:7] = True
    >>> cpsd(slab).radius_at(0.5)
    3.0
    """
    phase, unit, lt2 = _thickness_r2(phase, spacing, integer_radii)
    return _cumulative(lt2, phase, unit, radii)
