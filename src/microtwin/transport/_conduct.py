"""Steady conduction through a labelled image: effective conductivity, tortuosity factor, M-factor."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from microtwin._results import Result
from microtwin._validation import as_3d, as_axis, as_phase, as_spacing
from microtwin.errors import DTypeError, EmptyPhaseError, ParameterError, PercolationError
from microtwin.transport._conductance import face_conductances, percolating
from microtwin.transport._solver import solve

_DIRICHLET = ("face", "ghost")


@dataclass(frozen=True, eq=False)
class TransportResult(Result):
    """Effective transport along one axis (potential 1 at the inlet face, 0 at the outlet face).

    Attributes
    ----------
    sigma_eff : float
        Effective conductivity ``I L / (A Δφ)``, in the units of the given conductivities.
    volume_fraction : float
        ε, the volume fraction of all conducting phases (σ > 0), percolating or not.
    tortuosity_factor : float
        ``τ = Σ_p ε_p σ_p / σ_eff`` (TauFactor's τ; ``ε D / D_eff`` for one phase); ``inf`` when
        nothing percolates (``allow_zero=True``).
    tortuosity : float
        ``√τ`` (Epstein's tortuosity).
    m_factor : float
        ``M = σ_eff / σ̄`` with σ̄ = Σ_p ε_p σ_p / ε, the mean intrinsic conductivity; ``M = ε/τ``.
    macmullin : float
        ``1 / M`` (``inf`` when nothing percolates).
    bruggeman_exponent : float or None
        α in ``M = ε^α``; None when ε = 1 or M = 0 (undefined).
    percolating_fraction : float
        Fraction of the conducting volume in clusters joining inlet and outlet (only they carry current).
    percolating : bool
        False only with ``allow_zero=True`` when no cluster joins the two faces.
    iterations, residual, flux_imbalance
        Solver statistics: CG iterations, final relative residual, ``|I_in − I_out| / I``.
    axis : int
        The transport axis.
    potential : ndarray or None
        float32 potential (0…1) per voxel with ``return_fields=True``; NaN outside the percolating cells.
    flux : ndarray or None
        float32 ``(3, nz, ny, nx)`` current density (per unit area, along z, y, x; the mean of the
        two face currents of each cell) with ``return_fields=True``.
    """

    sigma_eff: float
    volume_fraction: float
    tortuosity_factor: float
    tortuosity: float
    m_factor: float
    macmullin: float
    bruggeman_exponent: float | None
    percolating_fraction: float
    percolating: bool
    iterations: int
    residual: float
    flux_imbalance: float
    axis: int
    potential: np.ndarray | None = None
    flux: np.ndarray | None = None

    def to_dict(self) -> dict:
        """Plain Python of every scalar field (the fields ``potential`` and ``flux`` are left out)."""
        out = super().to_dict()
        out.pop("potential"), out.pop("flux")
        return out


def _conductivity_field(labels, conductivity) -> tuple[np.ndarray, dict]:
    """float32 σ per voxel and the volume fraction of each conducting label."""
    if not isinstance(conductivity, dict) or not conductivity:
        raise ParameterError(f"conductivity must be a non-empty dict {{label: σ}}; got {conductivity!r}")
    values = {}
    for label, sigma in conductivity.items():
        try:
            sigma = float(sigma)
        except (TypeError, ValueError):
            raise ParameterError(f"conductivity of label {label!r} must be a number; got {sigma!r}") from None
        if not math.isfinite(sigma) or sigma < 0:
            raise ParameterError(f"conductivity of label {label!r} must be finite and ≥ 0; got {sigma}")
        values[int(label)] = sigma
    present, counts = np.unique(labels, return_counts=True)
    missing = sorted(set(present.tolist()) - set(values))
    if missing:
        raise ParameterError(f"labels {missing} are in the image but not in the conductivity map {values}")
    offset = min(0, int(present.min()))  # negative labels shift the lookup table
    lookup = np.zeros(int(present.max()) + 1 - offset, np.float32)
    for label in present.tolist():
        lookup[label - offset] = values[label]
    sigma = lookup[labels.astype(np.int64) - offset] if offset else lookup[labels]
    fractions = {label: count / labels.size for label, count in zip(present.tolist(), counts.tolist())
                 if values[label] > 0}
    return sigma, {label: (fractions[label], values[label]) for label in fractions}


def _checked_labels(labels) -> np.ndarray:
    labels = as_3d(labels, "labels")
    if labels.dtype == bool:
        return labels.view(np.uint8)
    if not np.issubdtype(labels.dtype, np.integer):
        raise DTypeError(f"labels must be an integer (or bool) image; got dtype {labels.dtype}")
    return labels


def conduct(labels, conductivity, axis=0, spacing=1, periodic=False, particles=None, contact_resistance=0.0,
            rtol=1e-6, flux_tol=1e-3, return_fields=False, allow_zero=False, dirichlet="face", maxiter=500,
            progress=None) -> TransportResult:
    """Effective conductivity of a labelled image along ``axis`` by finite volumes.

    Solves ``∇·(σ∇φ) = 0`` on the voxel grid (7-point cell-centred finite volumes, face
    conductance ``A/(h/(2σ_a) + h/(2σ_b))``), φ = 1 on the inlet face (index 0 along ``axis``),
    φ = 0 on the outlet face, no flux (or periodic, ``periodic=True``) through the side faces.
    Clusters not joining inlet and outlet carry no current and are removed first. The linear
    system is solved by flexible CG preconditioned with a matrix-free aggregation multigrid
    (K-cycle) until the relative residual ≤ ``rtol`` AND ``|I_in − I_out|/I ≤ flux_tol``. Then
    ``σ_eff = I L / (A Δφ)``, ``τ = Σ_p ε_p σ_p / σ_eff``, ``M = σ_eff/σ̄``.

    Parameters
    ----------
    labels : (nz, ny, nx) integer or bool ndarray
    conductivity : dict {label: σ ≥ 0}
        Every label of the image must be in it; σ = 0 is insulating.
    axis : int
        Transport direction.
    spacing : float or 3 floats
        Voxel size (z, y, x); lengths enter σ_eff only through ratios, so σ_eff has the units of σ.
    periodic : bool
        Periodic side faces instead of insulating ones.
    particles : integer ndarray, optional
        Particle labels (0 = none); with ``contact_resistance`` R_c > 0 (resistance × area, in
        units of spacing/σ) a resistance ``R_c/A`` is added in series across every face between
        two different particles.
    rtol, flux_tol : float
        Stopping rule (both must hold).
    return_fields : bool
        Also return the potential and the current density.
    allow_zero : bool
        When no cluster percolates, return σ_eff = 0 and ``percolating=False`` instead of raising.
    dirichlet : {"face", "ghost"}
        Where φ is imposed: on the outer faces of the first/last layers, half a voxel from their
        centres, with L = n voxels (default; also TauFactor's two-phase ``Solver``), or at the centre
        of a ghost layer copying the boundary layer, with L = n + 1 voxels (TauFactor's
        ``MultiPhaseSolver``).
    maxiter : int
        Iteration limit (:class:`~microtwin.errors.ConvergenceError` beyond it).
    progress : callable, optional
        ``progress(iteration, residual)`` after every iteration.

    Returns
    -------
    TransportResult

    Raises
    ------
    ParameterError
        Negative or non-finite conductivity, labels missing from the map, bad options.
    EmptyPhaseError
        No voxel has σ > 0.
    PercolationError
        No conducting cluster joins the inlet and outlet faces (unless ``allow_zero``).

    References
    ----------
    S. J. Cooper et al., "TauFactor: An open-source application for calculating tortuosity
    factors from tomographic data", SoftwareX 5 (2016) 203–210. Y. Notay, P. S. Vassilevski,
    Numer. Linear Algebra Appl. 15 (2008) 473–487 (K-cycle).

    Examples
    --------
    >>> import numpy as np
    >>> layers = np.zeros((4, 3, 3), np.uint8); layers[2:] = 1          # two layers in series
    >>> r = conduct(layers, {0: 1.0, 1: 0.25}, axis=0)
    >>> round(r.sigma_eff, 6)                                             # 1 / (0.5/1 + 0.5/0.25)
    0.4
    """
    labels = _checked_labels(labels)
    axis = as_axis(axis)
    spacing = as_spacing(spacing)
    if dirichlet not in _DIRICHLET:
        raise ParameterError(f"dirichlet must be one of {_DIRICHLET}; got {dirichlet!r}")
    if contact_resistance < 0 or not math.isfinite(contact_resistance):
        raise ParameterError(f"contact_resistance must be finite and ≥ 0; got {contact_resistance}")
    sigma, phases = _conductivity_field(labels, conductivity)
    if not phases:
        raise EmptyPhaseError(f"no voxel conducts: the labels present all have σ = 0 in {conductivity}")
    order = (axis, *[a for a in range(3) if a != axis])
    sigma = np.ascontiguousarray(np.transpose(sigma, order))
    spacing_t = tuple(spacing[a] for a in order)
    if particles is not None:
        particles = as_3d(particles, "particles")
        if particles.shape != labels.shape:
            raise ParameterError(f"particles must have the shape of labels {labels.shape}; got {particles.shape}")
        particles = np.ascontiguousarray(np.transpose(particles, order)).astype(np.int64, copy=False)

    conducting = sigma > 0
    through = percolating(conducting, periodic)
    volume_fraction = sum(f for f, _ in phases.values())
    mean_sigma = sum(f * s for f, s in phases.values()) / volume_fraction
    n_through = int(through.sum())
    if n_through == 0:
        names = ", ".join(str(label) for label in phases)
        if not allow_zero:
            raise PercolationError(f"no cluster of the conducting labels {{{names}}} joins the two faces "
                                   f"perpendicular to axis {axis}")
        return _result(0.0, volume_fraction, mean_sigma, 0.0, False, 0, 0.0, 0.0, axis)
    sigma[~through] = 0
    gz, gy, gx = face_conductances(sigma, spacing_t, particles, contact_resistance, periodic, dirichlet)
    solution = solve(gz, gy, gx, rtol=rtol, flux_tol=flux_tol, maxiter=maxiter, progress=progress)

    n0, n1, n2 = sigma.shape
    length = (n0 + (dirichlet == "ghost")) * spacing_t[0]
    area = n1 * spacing_t[1] * n2 * spacing_t[2]
    current = 0.5 * (solution.current_in + solution.current_out)
    potential = flux = None
    if return_fields:
        potential, flux = _fields(solution.potential, through, gz, gy, gx, spacing_t, order)
    return _result(current * length / area, volume_fraction, mean_sigma, n_through / conducting.sum(), True,
                   solution.iterations, solution.residual, solution.flux_imbalance, axis, potential, flux)


def _result(sigma_eff, volume_fraction, mean_sigma, percolating_fraction, percolates, iterations, residual,
            imbalance, axis, potential=None, flux=None) -> TransportResult:
    m = sigma_eff / mean_sigma
    tau = volume_fraction / m if m > 0 else math.inf
    defined = m > 0 and volume_fraction < 1
    return TransportResult(
        sigma_eff=float(sigma_eff), volume_fraction=float(volume_fraction), tortuosity_factor=float(tau),
        tortuosity=math.sqrt(tau), m_factor=float(m), macmullin=1.0 / m if m > 0 else math.inf,
        bruggeman_exponent=math.log(m) / math.log(volume_fraction) if defined else None,
        percolating_fraction=float(percolating_fraction), percolating=percolates, iterations=int(iterations),
        residual=float(residual), flux_imbalance=float(imbalance), axis=axis, potential=potential, flux=flux)


def _fields(x, through, gz, gy, gx, spacing, order):
    """Potential (NaN off the percolating cells) and cell current densities, in the input's axis order."""
    inverse = np.argsort(order)
    potential = np.where(through, x, np.nan).astype(np.float32)
    h0, h1, h2 = spacing
    padded = np.pad(x, ((1, 1), (0, 0), (0, 0)))
    padded[0] = 1.0  # the Dirichlet values, reached through gz[0] and gz[n]
    face_z = gz * (padded[:-1] - padded[1:])
    face_y = gy * (np.roll(x, 1, axis=1) - x)
    face_x = gx * (np.roll(x, 1, axis=2) - x)
    densities = [0.5 * (face_z[:-1] + face_z[1:]) / (h1 * h2),
                 0.5 * (face_y + np.roll(face_y, -1, axis=1)) / (h0 * h2),
                 0.5 * (face_x + np.roll(face_x, -1, axis=2)) / (h0 * h1)]
    flux = np.stack([np.transpose(densities[a], inverse) for a in inverse]).astype(np.float32)
    return np.transpose(potential, inverse), flux


def tortuosity_factor(phase, axis=0, spacing=1, **options) -> TransportResult:
    """Single-phase shortcut of :func:`conduct`: σ = 1 on the phase, 0 elsewhere.

    Then ``σ_eff = D_eff/D_0`` and ``tortuosity_factor = ε / σ_eff`` (TauFactor's τ, ε·D_0/D_eff),
    ``m_factor = σ_eff``.

    Parameters
    ----------
    phase : (nz, ny, nx) bool ndarray
    axis, spacing, **options
        As for :func:`conduct`.

    Returns
    -------
    TransportResult

    Examples
    --------
    >>> import numpy as np
    >>> channel = np.zeros((8, 5, 5), bool); channel[:, 1:3, 1:4] = True
    >>> r = tortuosity_factor(channel, axis=0)
    >>> round(r.tortuosity_factor, 6), round(r.volume_fraction, 2)
    (1.0, 0.24)
    """
    phase = as_phase(phase)
    return conduct(phase.view(np.uint8), {0: 0.0, 1: 1.0}, axis=axis, spacing=spacing, **options)
