"""``describe``: the standard set of descriptors for every phase of a label image."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from microtwin._results import Result
from microtwin._validation import as_3d, as_axis, as_spacing
from microtwin.errors import DTypeError, EmptyPhaseError, ParameterError, PercolationError
from microtwin.measure._chords import chord_lengths
from microtwin.measure._constrictivity import _size_curves
from microtwin.measure._connectivity import connectivity
from microtwin.measure._distribution import Distribution
from microtwin.measure._geodesic import geodesic_tortuosity
from microtwin.measure._interfaces import interface_densities, triple_phase_boundary_density
from microtwin.measure._minkowski import intrinsic_volumes
from microtwin.measure._particles import ParticleTable, particles
from microtwin.measure._two_point import TwoPoint, two_point


@dataclass(frozen=True, eq=False)
class PhaseDescription(Result):
    """Descriptors of one phase; lengths in the units of ``spacing`` (see :func:`describe`).

    Scalars: ``volume_fraction``; ``surface_density`` S_V [1/length], ``mean_curvature_density``
    M_V [1/length²], ``euler_density`` χ_V [1/length³]; ``r_max`` (CPSD), ``r_min`` (MIP) and
    ``beta`` = (r_min/r_max)²; ``geodesic_tortuosity`` (mean τ_geo, None when the phase does not
    percolate) with its ``geodesic_tortuosity_std`` and ``inlet_percolating_fraction``;
    connectivity fractions ``percolating``, ``dead_end``, ``isolated``; ``mean_chord_length``
    along the axis; ``correlation_length`` (C(h) − V_V² falls to 1/e of its value at 0).
    Curves: ``cpsd``, ``mip`` (:class:`Distribution`) and ``two_point`` (:class:`TwoPoint`).
    ``notes`` says why a value is missing.
    """

    name: str
    label: int
    volume_fraction: float
    surface_density: float | None = None
    mean_curvature_density: float | None = None
    euler_density: float | None = None
    r_max: float | None = None
    r_min: float | None = None
    beta: float | None = None
    geodesic_tortuosity: float | None = None
    geodesic_tortuosity_std: float | None = None
    inlet_percolating_fraction: float | None = None
    percolating: float | None = None
    dead_end: float | None = None
    isolated: float | None = None
    mean_chord_length: float | None = None
    correlation_length: float | None = None
    cpsd: Distribution | None = None
    mip: Distribution | None = None
    two_point: TwoPoint | None = None
    notes: tuple = ()

    CURVES = ("cpsd", "mip", "two_point")

    def scalars(self) -> dict:
        """The scalar descriptors (no name, curves or notes)."""
        skip = set(self.CURVES) | {"notes", "name"}
        return {k: v for k, v in self.to_dict().items() if k not in skip}


@dataclass(frozen=True, eq=False)
class Description(Result):
    """The result of :func:`describe`: one :class:`PhaseDescription` per phase, plus interfaces.

    ``interfaces`` maps ``"a|b"`` phase-name pairs to interface area per unit volume
    [1/length]; ``triple_phase_boundary_density`` is the TPB length per unit volume
    [1/length²] for three-phase images (None otherwise); ``particles`` is the particle table of
    ``particle_phase`` (None when not asked for).
    """

    phases: dict
    interfaces: dict
    triple_phase_boundary_density: float | None
    spacing: tuple
    unit: str
    axis: int
    shape: tuple
    particles: ParticleTable | None = None
    particle_phase: str | None = None
    notes: tuple = field(default=())

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["phases"] = {name: desc.to_dict() for name, desc in self.phases.items()}
        out["particles"] = None if self.particles is None else {
            "phase": self.particle_phase, "count": len(self.particles),
            "border_particles": int(np.sum(self.particles.touches_border)),
        }
        return out

    def to_frame(self):
        """A pandas DataFrame with one row per phase and one column per scalar descriptor."""
        import pandas as pd

        return pd.DataFrame({name: desc.scalars() for name, desc in self.phases.items()}).T


def _phase_map(labels: np.ndarray, phases) -> dict[str, int]:
    present = set(np.unique(labels).tolist())
    if phases is None:
        if labels.dtype == bool:
            return {"phase": True, "complement": False}
        return {str(v): v for v in sorted(present)}
    phases = dict(phases)
    missing = {name: value for name, value in phases.items() if value not in present}
    if missing:
        raise ParameterError(f"phase label(s) {missing} not present in the image; it holds {sorted(present)}")
    return phases


def _describe_phase(name, value, labels, spacing, axis) -> PhaseDescription:
    phase = labels == value
    fraction = float(phase.mean())
    if fraction in (0.0, 1.0):
        note = f"{name} {'is empty' if fraction == 0 else 'fills the image'}; only its volume fraction is defined"
        return PhaseDescription(name, value, fraction, notes=(note,))
    notes = []
    iv = intrinsic_volumes(phase, spacing)
    conn = connectivity(phase, axis)
    chords = chord_lengths(phase, axis, spacing)
    size_curve, intrusion, _ = _size_curves(phase, axis, spacing)
    tp = two_point(phase, spacing)
    r_max, r_min = size_curve.radius_at(0.5), intrusion.radius_at(0.5)
    beta = (r_min / r_max) ** 2 if r_max > 0 else None
    try:
        geo = geodesic_tortuosity(phase, axis, spacing)
        tau, tau_std, inlet = geo.mean, geo.std, geo.percolating_fraction
    except PercolationError as exc:
        tau = tau_std = None
        inlet = 0.0
        notes.append(str(exc))
    mean_chord = float(chords.mean) if np.isfinite(chords.mean) else None
    if mean_chord is None:
        notes.append(f"{name} has no boundary along axis {axis}: its mean chord length is unbounded")
    try:
        corr = tp.correlation_length()
    except EmptyPhaseError:
        corr = None
    return PhaseDescription(
        name, value, fraction,
        surface_density=iv.surface_density, mean_curvature_density=iv.mean_curvature_density,
        euler_density=iv.euler_density, r_max=r_max, r_min=r_min, beta=beta,
        geodesic_tortuosity=tau, geodesic_tortuosity_std=tau_std, inlet_percolating_fraction=inlet,
        percolating=conn.percolating, dead_end=conn.dead_end, isolated=conn.isolated,
        mean_chord_length=mean_chord, correlation_length=corr,
        cpsd=size_curve, mip=intrusion, two_point=tp, notes=tuple(notes),
    )


def describe(labels, spacing=1, phases=None, axis=0, unit: str = "voxel", particle_phase=None) -> Description:
    """The standard descriptors of every phase of a label image, along one transport axis.

    For each phase: volume fraction, intrinsic-volume densities (S_V, M_V, χ_V), CPSD and r_max,
    simulated intrusion (MIP) from the low face of ``axis`` and r_min, constrictivity
    β = (r_min/r_max)², mean geodesic tortuosity, percolating/dead-end/isolated fractions, mean
    chord length and the two-point probability; for the image: interface densities between every
    pair of phases and, with three phases, the triple-phase-boundary density. Optionally the
    particle table of one phase.

    Parameters
    ----------
    labels : (Z, Y, X) integer or bool ndarray
    spacing : float or 3 floats
        Voxel size (dz, dy, dx); every length is in its units (named by ``unit``).
    phases : dict name → label, optional
        Which labels to describe and their names; default every label present, named by value.
    axis : int
        Transport/measurement axis (inlet = index 0, outlet = last index).
    unit : str
        Name of the length unit of ``spacing``, carried into the result.
    particle_phase : str, optional
        Name of the phase to separate into particles (watershed) and tabulate.

    Returns
    -------
    Description
        ``to_dict()`` for JSON, ``to_frame()`` for a table (one row per phase).

    Examples
    --------
    >>> from microtwin.data import boolean_spheres
    >>> vol = boolean_spheres((24, 24, 24), radius=3, solid_fraction=0.5, seed=0)
    >>> d = describe(vol.array, phases={"pore": 0, "solid": 1})
    >>> round(d.phases["pore"].volume_fraction + d.phases["solid"].volume_fraction, 6)
    1.0
    """
    labels = as_3d(labels, "labels")
    if labels.dtype != bool and not np.issubdtype(labels.dtype, np.integer):
        raise DTypeError(f"labels must be an integer or bool image; got dtype {labels.dtype}")
    spacing, axis = as_spacing(spacing), as_axis(axis)
    phase_map = _phase_map(labels, phases)
    if particle_phase is not None and particle_phase not in phase_map:
        raise ParameterError(f"particle_phase {particle_phase!r} is not one of the phases {list(phase_map)}")
    described = {name: _describe_phase(name, value, labels, spacing, axis)
                 for name, value in phase_map.items()}
    by_value = {value: name for name, value in phase_map.items()}
    interfaces = {}
    if len(phase_map) >= 2:
        for (a, b), density in interface_densities(labels, spacing).items():
            if a in by_value and b in by_value:
                interfaces[f"{by_value[a]}|{by_value[b]}"] = density
    tpb = None
    if len(phase_map) == 3 and all(d.volume_fraction > 0 for d in described.values()):
        tpb = triple_phase_boundary_density(labels, tuple(phase_map.values()), spacing)
    table = None
    if particle_phase is not None:
        table = particles(labels == phase_map[particle_phase], spacing)
    return Description(described, interfaces, tpb, spacing, unit, axis, labels.shape, table, particle_phase)
