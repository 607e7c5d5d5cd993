"""Random-walk tortuosity tensor: mean-squared displacement of lattice walkers confined to a phase."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange

from microtwin._results import Result
from microtwin._validation import as_phase, as_spacing
from microtwin.errors import EmptyPhaseError, ParameterError

_BOUNDARIES = ("mirror", "periodic")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64 constants (Steele, Lea & Flood 2014)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PAIRS = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))  # order of the summed products Δx_i Δx_j


@dataclass(frozen=True, eq=False)
class RandomWalkResult(Result):
    """Mean-squared displacement of random walkers in a phase and the diffusivity it implies.

    Lengths are in the units of ``spacing``, times in walker steps.

    Attributes
    ----------
    time : (T,) int ndarray
        Steps at which the displacements were sampled (``time[0] = 0``).
    msd : (T,) ndarray
        ⟨|Δr|²⟩(t), mean over walkers of the squared displacement (units²).
    msd_per_axis : (T, 3) ndarray
        ⟨Δx_i²⟩(t) along z, y, x.
    msd_tensor : (T, 3, 3) ndarray
        ⟨Δx_i Δx_j⟩(t).
    diffusivity_tensor : (3, 3) ndarray
        D_ij = slope / 2 of ⟨Δx_i Δx_j⟩ against t over the second half of the walk (units²/step).
    free_diffusivity : float
        D0, the diffusivity of the same walk without obstacles (units²/step), isotropic.
    tortuosity : (3,) ndarray
        τ_i = D0 / D_ii along z, y, x (inf where D_ii ≤ 0: no long-range diffusion); 1 in free
        space for any spacing.
    tortuosity_tensor : (3, 3) ndarray
        τ = D0 · D⁻¹; its diagonal equals ``tortuosity`` only when D is diagonal (all inf when D
        is not positive definite).
    principal_tortuosity : (3,) ndarray
        Eigenvalues D0 / λ_k of the tortuosity tensor, ascending (inf where λ_k ≤ 0).
    principal_axes : (3, 3) ndarray
        Unit eigenvectors of D in (z, y, x) components, as columns in the order of
        ``principal_tortuosity``: the last column is the most tortuous direction.
    porosity : float
        Volume fraction of the phase in the window.
    """

    time: np.ndarray
    msd: np.ndarray
    msd_per_axis: np.ndarray
    msd_tensor: np.ndarray
    diffusivity_tensor: np.ndarray
    free_diffusivity: float
    tortuosity: np.ndarray
    tortuosity_tensor: np.ndarray
    principal_tortuosity: np.ndarray
    principal_axes: np.ndarray
    porosity: float


@njit(cache=True)
def _splitmix64(state):
    """Next state and 64 random bits of a splitmix64 stream."""
    state = state + _GOLDEN
    z = (state ^ (state >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return state, z ^ (z >> np.uint64(31))


@njit(cache=True)
def _nth_phase_voxels(flat, ranks):
    """Flat indices of the phase voxels of (sorted) rank ``ranks`` in C order."""
    out = np.empty(ranks.size, np.int64)
    j = count = 0
    for i in range(flat.size):
        if flat[i]:
            while j < ranks.size and ranks[j] == count:
                out[j] = i
                j += 1
            if j == ranks.size:
                break
            count += 1
    return out


@njit(cache=True)
def _walk_one(flat, shape, start, state, cutoffs, times, periodic, out):
    """Walk one walker from voxel ``start``; add its Δx_i Δx_j (in voxels) at ``times`` to ``out``."""
    strides = np.array([shape[1] * shape[2], shape[2], 1])
    pos = np.array([start // strides[0], start // shape[2] % shape[1], start % shape[2]])
    sign = np.ones(3, np.int64)  # orientation of the mirrored copy of the window the walker is in
    disp = np.zeros(3, np.int64)  # unwrapped displacement
    index, k = start, 1
    for t in range(1, times[-1] + 1):
        state, bits = _splitmix64(state)
        u = (bits >> np.uint64(11)) * 2.0**-53
        a = (u >= cutoffs[0]) + (u >= cutoffs[1])
        step = 2 * np.int64(bits & np.uint64(1)) - 1
        target = pos[a] + step * sign[a]
        if target < 0 or target >= shape[a]:
            if periodic:
                target %= shape[a]
            else:  # into the mirrored copy, onto the image of the walker's own voxel
                sign[a] = -sign[a]
                target = pos[a]
        moved = index + (target - pos[a]) * strides[a]
        ok = np.int64(flat[moved])  # 0: rejected, the walker stays, time advances
        index += ok * (moved - index)
        pos[a] += ok * (target - pos[a])
        disp[a] += ok * step
        if t == times[k]:
            for p in range(6):
                out[k, p] += disp[_PAIRS[p][0]] * disp[_PAIRS[p][1]]
            k += 1


@njit(cache=True, parallel=True)
def _walk(flat, shape, starts, seeds, cutoffs, times, periodic, n_chunks):
    """Σ over walkers of Δx_i Δx_j (voxels²) at ``times``: exact integer sums, whatever the threads."""
    partial = np.zeros((n_chunks, times.size, 6), np.int64)
    n = starts.size
    for c in prange(n_chunks):
        for w in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            _walk_one(flat, shape, starts[w], seeds[w], cutoffs, times, periodic, partial[c])
    return partial.sum(axis=0)


def _count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ParameterError(f"{name} must be an integer ≥ {minimum}; got {value!r}")
    return int(value)


def _diffusivity(times, msd_tensor):
    """D_ij: half the least-squares slope of ⟨Δx_i Δx_j⟩(t) over the second half of the samples."""
    fit = slice((times.size - 1) // 2, None)
    slope = np.polyfit(times[fit].astype(float), msd_tensor[fit].reshape(-1, 9), 1)[0]
    d = slope.reshape(3, 3) / 2
    return (d + d.T) / 2


def _principal(d, d0):
    """Tortuosities D0/λ ascending and the matching unit eigenvectors of D (columns)."""
    lam, vec = np.linalg.eigh(d)
    lam, vec = lam[::-1], vec[:, ::-1]
    vec = vec * np.sign(vec[np.argmax(np.abs(vec), axis=0), range(3)])  # largest component > 0
    with np.errstate(divide="ignore"):
        return np.where(lam > 0, d0 / lam, np.inf), vec


def random_walk(phase, n_walkers, n_steps, spacing=1, seed=None, boundary="mirror", n_samples=64) -> RandomWalkResult:
    """Tortuosity tensor of a phase from the mean-squared displacement of lattice random walkers.

    Walkers start on phase voxels drawn uniformly at random. At each step a walker moves to a
    face neighbour, along axis i with probability p_i = s_i⁻² / Σ_k s_k⁻² and in either
    direction with probability 1/2; a move into a voxel outside the phase is rejected (the walker
    stays, time advances), as in pytrax. Outside the window the volume is mirrored (``"mirror"``,
    pytrax's rule: crossing the face puts the walker on the mirror image of its voxel) or
    repeated (``"periodic"``), and the unwrapped displacement Δx (in the units of ``spacing``)
    is tracked. The mean ⟨Δx_i Δx_j⟩(t) over walkers grows as 2 D_ij t at long times; D is half
    its least-squares slope over t ∈ [T/2, T]. Without obstacles the walk has the isotropic
    diffusivity D0 = 1 / (2 Σ_k s_k⁻²) (s²/6 for cubic voxels), so

        τ_i = D0 / D_ii,   τ = D0 · D⁻¹,

    τ = 1 in free space for any spacing. With p_i ∝ s_i⁻² the walk is the stochastic twin of
    the finite-volume discretisation of isotropic diffusion on the anisotropic grid, and at long
    times τ is the tortuosity factor ε·D0/D_eff of the physical structure, D_eff = ε·D being the
    effective diffusivity of the medium (pytrax chooses the axis uniformly: the same walk for
    cubic voxels). Walkers on clusters that do not percolate count: they lower D, as the total
    porosity ε does in ε·D0/D_eff. The mirrored volume is symmetric about every face, so D becomes diagonal in
    (z, y, x) once walkers cross the window; use ``"periodic"`` to see oblique principal axes.

    Each walker draws its steps from its own splitmix64 stream seeded from ``seed``, and the
    products Δx_i Δx_j are summed exactly in integers, so the result does not depend on the
    number of threads. Memory: a few arrays of ``n_walkers`` plus ``n_samples`` × 6 per thread.

    Parameters
    ----------
    phase : (Z, Y, X) bool ndarray
        The phase the walkers move in.
    n_walkers, n_steps : int
        Number of walkers (≥ 1) and of steps each walks (≥ 1).
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    seed : int or numpy.random.Generator, optional
        Seed of the start voxels and the walks.
    boundary : {"mirror", "periodic"}
        How the window is continued beyond its faces.
    n_samples : int
        Number of times, evenly spaced in [0, n_steps], at which ⟨Δx_i Δx_j⟩ is recorded (≥ 2).

    Returns
    -------
    RandomWalkResult
        MSD curves, diffusivity and tortuosity tensors, principal axes and porosity.

    References
    ----------
    T. G. Tranter, M. D. R. Kok, M. Lam, J. T. Gostick, "pytrax: A simple and efficient random
    walk implementation for calculating the directional tortuosity of images", SoftwareX 10
    (2019) 100277. M. B. Clennell, "Tortuosity: a guide through the maze", Geol. Soc. Spec.
    Publ. 122 (1997) 299–344. G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom
    number generators", OOPSLA 2014 (splitmix64).

    Examples
    --------
    >>> free = np.ones((16, 16, 16), bool)
    >>> np.round(random_walk(free, 20000, 200, seed=0).tortuosity, 1).tolist()
    [1.0, 1.0, 1.0]
    """
    x = np.ascontiguousarray(as_phase(phase))
    s = np.asarray(as_spacing(spacing))
    n_walkers = _count(n_walkers, "n_walkers", 1)
    n_steps = _count(n_steps, "n_steps", 1)
    n_samples = _count(n_samples, "n_samples", 2)
    if boundary not in _BOUNDARIES:
        raise ParameterError(f"boundary must be one of {_BOUNDARIES}; got {boundary!r}")
    flat = x.reshape(-1)
    count = int(np.count_nonzero(flat))
    if count == 0:
        raise EmptyPhaseError("phase has no voxels: the walkers have nowhere to start")
    rng = np.random.default_rng(seed)
    starts = _nth_phase_voxels(flat, np.sort(rng.integers(0, count, n_walkers)))
    seeds = rng.integers(0, 2**64, n_walkers, dtype=np.uint64)
    rates = s**-2.0
    times = np.unique(np.rint(np.linspace(0, n_steps, n_samples)).astype(np.int64))
    sums = _walk(flat, np.asarray(x.shape, np.int64), starts, seeds, np.cumsum(rates / rates.sum()), times,
                 boundary == "periodic", numba.get_num_threads())
    msd = np.empty((times.size, 3, 3))
    for p, (i, j) in enumerate(_PAIRS):
        msd[:, i, j] = msd[:, j, i] = sums[:, p] * (s[i] * s[j] / n_walkers)
    d = _diffusivity(times, msd)
    d0 = 1 / (2 * rates.sum())
    principal, axes = _principal(d, d0)
    with np.errstate(divide="ignore"):
        per_axis = np.where(np.diag(d) > 0, d0 / np.diag(d), np.inf)
    tensor = d0 * np.linalg.inv(d) if np.all(np.isfinite(principal)) else np.full((3, 3), np.inf)
    per_axis_msd = np.diagonal(msd, axis1=1, axis2=2).copy()
    return RandomWalkResult(time=times, msd=per_axis_msd.sum(axis=1), msd_per_axis=per_axis_msd, msd_tensor=msd,
                            diffusivity_tensor=d, free_diffusivity=float(d0), tortuosity=per_axis,
                            tortuosity_tensor=tensor, principal_tortuosity=principal, principal_axes=axes,
                            porosity=count / flat.size)
