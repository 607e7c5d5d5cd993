"""Figures of descriptors: radius distributions, two-point curves, size histograms, phase slices.

Built with matplotlib's object-oriented API (no pyplot, no global state, any backend).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from microtwin.io._atomic import atomic_output


def _length_label(quantity: str, unit: str) -> str:
    return f"{quantity} [{unit}]" if unit and unit != "voxel" else f"{quantity} [voxels]"


def plot_radius_distributions(curves: dict, unit: str = "voxel") -> Figure:
    """CPSD and MIP of each phase: ``curves[phase] = {"CPSD": Distribution, "MIP": Distribution}``."""
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    styles = {"CPSD": "-", "MIP": "--"}
    for i, (phase, dists) in enumerate(curves.items()):
        for kind, dist in dists.items():
            ax.plot(dist.radii, dist.fraction, styles.get(kind, ":"), color=f"C{i}", label=f"{phase} {kind}")
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.set_xlabel(_length_label("radius r", unit))
    ax.set_ylabel("volume fraction of phase with radius ≥ r")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize="small")
    return fig


def plot_two_point(curves: dict, unit: str = "voxel") -> Figure:
    """Radially averaged two-point probability C(|h|) of each phase (``curves[phase] = TwoPoint``)."""
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for i, (phase, tp) in enumerate(curves.items()):
        ax.plot(tp.distance, tp.probability, color=f"C{i}", label=phase)
        ax.axhline(tp.volume_fraction**2, color=f"C{i}", lw=0.6, ls=":")
    ax.set_xlabel(_length_label("distance |h|", unit))
    ax.set_ylabel("C(h) = P(x ∈ X, x + h ∈ X)")
    ax.legend(fontsize="small")
    return fig


def plot_size_histogram(diameters: np.ndarray, volumes: np.ndarray, unit: str = "voxel", bins: int = 30) -> Figure:
    """Number- and volume-weighted histograms of particle equivalent diameters."""
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    diameters = np.asarray(diameters, float)
    if diameters.size:
        edges = np.histogram_bin_edges(diameters, bins=bins)
        ax.hist(diameters, bins=edges, weights=np.full(diameters.size, 1 / diameters.size), alpha=0.6,
                label="number-weighted")
        ax.hist(diameters, bins=edges, weights=np.asarray(volumes, float) / np.sum(volumes), histtype="step",
                lw=1.5, label="volume-weighted")
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no particles", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(_length_label("equivalent diameter", unit))
    ax.set_ylabel("fraction")
    return fig


def plot_phase_slices(labels: np.ndarray, phases: dict, axis: int = 0) -> Figure:
    """The middle slice (perpendicular to ``axis``) of each phase, one panel per phase."""
    mid = np.take(np.asarray(labels), labels.shape[axis] // 2, axis=axis)
    fig = Figure(figsize=(3.2 * len(phases), 3.4), layout="constrained")
    for i, (name, value) in enumerate(phases.items()):
        ax = fig.add_subplot(1, len(phases), i + 1)
        ax.imshow(mid == value, cmap="gray", interpolation="nearest")
        ax.set_title(f"{name} (label {value})", fontsize="small")
        ax.set_axis_off()
    return fig


def plot_potential_slices(potentials: dict, axis: int = 0) -> Figure:
    """The middle slice (parallel to ``axis``, so the potential drop is visible) of each potential field.

    ``potentials`` maps a title to a 3D potential (NaN where no current flows, drawn grey).
    """
    fig = Figure(figsize=(3.4 * len(potentials), 3.4), layout="constrained")
    for i, (title, potential) in enumerate(potentials.items()):
        cut = next(a for a in range(3) if a != axis)
        mid = np.take(potential, potential.shape[cut] // 2, axis=cut)  # a plane containing the axis
        ax = fig.add_subplot(1, len(potentials), i + 1)
        ax.set_facecolor("0.75")
        image = ax.imshow(np.ma.masked_invalid(mid), cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize="small")
        ax.set_axis_off()
        fig.colorbar(image, ax=ax, shrink=0.8, label="potential")
    return fig


def save_figure(fig: Figure, path, overwrite: bool = False, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG under a temporary name, then rename; returns the path."""
    path = Path(path)
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return path
