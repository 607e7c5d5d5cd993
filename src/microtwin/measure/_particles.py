"""Particle table (volume, diameter, surface, sphericity, moments) and particle size distributions."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import ndimage
from skimage.measure import marching_cubes, mesh_surface_area

from microtwin._results import Result
from microtwin._validation import as_3d, as_spacing
from microtwin.errors import DTypeError, EmptyPhaseError, ParameterError
from microtwin.io._atomic import atomic_output
from microtwin.measure._minkowski import _weight_vectors
from microtwin.measure._watershed import separate_particles

# CSV / DataFrame column suffixes of the (n, 3) columns.
_SUFFIXES = {"centroid": "zyx", "bbox_min": "zyx", "bbox_max": "zyx", "semi_axes": "abc"}


@dataclass(frozen=True, eq=False)
class ParticleSizeDistribution(Result):
    """Histogram of volume-equivalent particle diameters.

    Attributes
    ----------
    edges : ndarray
        Bin edges of the diameter, in the units of ``spacing`` (one more than ``fraction``).
    centres : ndarray
        Bin centres.
    fraction : ndarray
        Fraction of the particles (``weight="number"``) or of their volume (``"volume"``) in
        each bin; sums to 1 when the bins cover every diameter (the default bins do).
    weight : str
        ``"number"`` or ``"volume"``.
    n_particles : int
        Particles counted.
    border_excluded : bool
        Whether particles touching the window border were left out (their size is truncated).
    n_border_excluded : int
        How many were left out (0 when ``border_excluded`` is False).
    """

    edges: np.ndarray
    centres: np.ndarray
    fraction: np.ndarray
    weight: str
    n_particles: int
    border_excluded: bool
    n_border_excluded: int


@dataclass(frozen=True, eq=False)
class ParticleTable(Result):
    """One row per particle; lengths in the units of ``spacing``, areas and volumes in its square and cube.

    Attributes
    ----------
    label : (n,) int64
        The particle's value in the label image.
    volume : (n,) float
        Voxel count × dz·dy·dx.
    equivalent_diameter : (n,) float
        Diameter of the ball of equal volume, ``(6 V / π)^(1/3)``.
    surface_area : (n,) float
        Area of the marching-cubes mesh (level 1/2) of the particle's zero-padded mask, or its
        Crofton estimate (see ``surface``).
    sphericity : (n,) float
        ``π^(1/3) (6 V)^(2/3) / A``: 1 for a ball, 0.806 for a cube. The marching-cubes area
        of a digitised surface is biased upward (by about 9 % for a ball), so digitised balls give
        about 0.92 (0.89 with 2:1 voxels); with the Crofton area, 1 within 1 % from radius 5 voxels.
    centroid : (n, 3) float
        Centre of mass (z, y, x), with voxel ``(k, j, i)`` centred at ``((k + ½) dz, (j + ½) dy, (i + ½) dx)``.
    bbox_min, bbox_max : (n, 3) int64
        Bounding box in voxel indices (z, y, x), ``bbox_max`` exclusive (as slices).
    semi_axes : (n, 3) float
        Semi-axes ``a ≥ b ≥ c`` of the solid ellipsoid with the particle's second moments,
        ``sqrt(5 λ)`` for the eigenvalues ``λ`` of the covariance of the particle's points.
    touches_border : (n,) bool
        Whether the particle has a voxel on a face of the image.
    spacing : tuple of 3 floats
        The voxel size used.
    surface : str
        ``"marching_cubes"`` or ``"crofton"``: how ``surface_area`` was estimated.
    exclude_border : bool
        Default of :meth:`size_distribution`: leave out particles touching the border.
    """

    label: np.ndarray
    volume: np.ndarray
    equivalent_diameter: np.ndarray
    surface_area: np.ndarray
    sphericity: np.ndarray
    centroid: np.ndarray
    bbox_min: np.ndarray
    bbox_max: np.ndarray
    semi_axes: np.ndarray
    touches_border: np.ndarray
    spacing: tuple
    surface: str = "marching_cubes"
    exclude_border: bool = True

    def __len__(self) -> int:
        return len(self.label)

    def __repr__(self) -> str:
        return (f"ParticleTable({len(self)} particles, {int(self.touches_border.sum())} touching the border, "
                f"spacing={self.spacing})")

    def columns(self) -> dict[str, np.ndarray]:
        """Flat columns: (n, 3) fields split into ``centroid_z``, …, ``semi_axes_a``, …"""
        out = {}
        for name in ("label", "volume", "equivalent_diameter", "surface_area", "sphericity", "centroid",
                     "bbox_min", "bbox_max", "semi_axes", "touches_border"):
            values = getattr(self, name)
            if values.ndim == 1:
                out[name] = values
            else:
                out.update({f"{name}_{s}": values[:, c] for c, s in enumerate(_SUFFIXES[name])})
        return out

    def to_frame(self):
        """The table as a ``pandas.DataFrame`` (one row per particle, flat columns)."""
        import pandas

        return pandas.DataFrame(self.columns())

    def to_csv(self, path, overwrite: bool = False):
        """Write the flat columns to a CSV file (atomically; an existing file needs ``overwrite``)."""
        columns = self.columns()
        with atomic_output(path, overwrite) as tmp, open(tmp, "w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(columns)
            writer.writerows(zip(*(c.tolist() for c in columns.values())))
        return path

    def size_distribution(self, weight: str = "number", bins="auto", include_border=None) -> ParticleSizeDistribution:
        """Number- or volume-weighted histogram of the equivalent diameters.

        Parameters
        ----------
        weight : {"number", "volume"}
            Count particles, or add up their volumes.
        bins : int, sequence or str
            Diameter bins, as for :func:`numpy.histogram_bin_edges` (computed from the
            unweighted diameters, so both weightings share edges).
        include_border : bool, optional
            Count particles touching the border (truncated by the window). Default: the
            opposite of the table's ``exclude_border``.

        Raises
        ------
        EmptyPhaseError
            If no particle is left to count.
        """
        if weight not in ("number", "volume"):
            raise ParameterError(f"weight must be 'number' or 'volume'; got {weight!r}")
        exclude = self.exclude_border if include_border is None else not include_border
        keep = ~self.touches_border if exclude else np.ones(len(self), bool)
        if not keep.any():
            raise EmptyPhaseError(f"no particle to count: all {len(self)} touch the border "
                                  "(pass include_border=True to count them)")
        diameter = self.equivalent_diameter[keep]
        edges = np.histogram_bin_edges(diameter, bins)
        counts, _ = np.histogram(diameter, edges, weights=self.volume[keep] if weight == "volume" else None)
        total = self.volume[keep].sum() if weight == "volume" else keep.sum()
        return ParticleSizeDistribution(edges, (edges[:-1] + edges[1:]) / 2, counts / total, weight,
                                        int(keep.sum()), bool(exclude), int((~keep).sum()))


@njit(cache=True)
def _moments(labels, n_rows):
    """One pass: voxel count, coordinate sums, second moments (exact integers) and bounding box per label."""
    count = np.zeros(n_rows, np.int64)
    first = np.zeros((n_rows, 3), np.int64)
    second = np.zeros((n_rows, 6), np.int64)  # zz, yy, xx, zy, zx, yx
    low = np.full((n_rows, 3), labels.size, np.int64)
    high = np.full((n_rows, 3), -1, np.int64)
    nz, ny, nx = labels.shape
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                row = labels[k, j, i]
                if row <= 0:
                    continue
                count[row] += 1
                first[row, 0] += k
                first[row, 1] += j
                first[row, 2] += i
                second[row, 0] += k * k
                second[row, 1] += j * j
                second[row, 2] += i * i
                second[row, 3] += k * j
                second[row, 4] += k * i
                second[row, 5] += j * i
                low[row, 0] = min(low[row, 0], k)
                low[row, 1] = min(low[row, 1], j)
                low[row, 2] = min(low[row, 2], i)
                high[row, 0] = max(high[row, 0], k)
                high[row, 1] = max(high[row, 1], j)
                high[row, 2] = max(high[row, 2], i)
    return count, first, second, low, high + 1


@njit(cache=True)
def _surface_areas(labels, n_rows, area_of_configuration):
    """Surface area of every label's zero-padded mask, summed cube by cube over the image.

    Each 2×2×2 cube of voxels (including the cubes that straddle the image border, where
    outside voxels count as 0) adds, for each label it holds, the area assigned to that label's
    configuration (bit ``4 dz + 2 dy + dx`` set where the corner holds the label): its
    marching-cubes mesh area, or its Crofton weight.
    """
    area = np.zeros(n_rows)
    nz, ny, nx = labels.shape
    corner = np.zeros(8, labels.dtype)
    for k in range(-1, nz):
        for j in range(-1, ny):
            for i in range(-1, nx):
                uniform = True
                for c in range(8):
                    kk, jj, ii = k + (c >> 2), j + ((c >> 1) & 1), i + (c & 1)
                    inside = 0 <= kk < nz and 0 <= jj < ny and 0 <= ii < nx
                    corner[c] = labels[kk, jj, ii] if inside else 0
                    uniform = uniform and corner[c] == corner[0]
                if uniform:
                    continue
                for c in range(8):
                    value = corner[c]
                    if value <= 0 or _any_before(corner, c, value):
                        continue
                    configuration = 0
                    for b in range(8):
                        if corner[b] == value:
                            configuration |= 1 << b
                    area[value] += area_of_configuration[configuration]
    return area


@njit(cache=True)
def _any_before(corner, c, value):
    """Whether ``value`` occurs among ``corner[:c]`` (so that each label of a cube counts once)."""
    for b in range(c):
        if corner[b] == value:
            return True
    return False


def _configuration_areas(spacing) -> np.ndarray:
    """Marching-cubes (level ½) mesh area inside one voxel cube for each of the 256 binary configurations."""
    areas = np.zeros(256)
    for configuration in range(1, 255):
        cube = np.array([(configuration >> b) & 1 for b in range(8)], np.float32).reshape(2, 2, 2)
        vertices, faces, _, _ = marching_cubes(cube, 0.5)  # float32 vertices, exact at unit spacing
        areas[configuration] = mesh_surface_area(vertices * np.asarray(spacing), faces)
    return areas


def _rows(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(image of row indices, label of each row, number of rows); row 0 is the background.

    Labels index the rows directly unless they are large and sparse (the per-row sums would
    outgrow the image), in which case they are renumbered first.
    """
    if labels.min(initial=0) < 0:
        raise ParameterError(f"labels must be >= 0 (0 = background); found {labels.min()}")
    largest = int(labels.max(initial=0))
    if largest == 0:
        raise EmptyPhaseError("label image has no particle (no label > 0)")
    if largest < 2**20 or largest <= labels.size // 64:
        return labels, np.arange(largest + 1), largest + 1
    values, inverse = np.unique(labels, return_inverse=True)
    if values[0] != 0:
        values, inverse = np.concatenate(([0], values)), inverse + 1
    return inverse.reshape(labels.shape), values, values.size


def particles(phase_or_labels, spacing=1.0, separate=True, exclude_border=True, min_separation=None,
              h=None, surface="marching_cubes") -> ParticleTable:
    """Measure every particle of a phase or a label image.

    Per particle, in one pass over the image (plus one pass over its 2×2×2 cubes for the
    areas): volume ``V``, volume-equivalent diameter ``d = (6V/π)^(1/3)``, surface area ``A``
    (the area of the marching-cubes mesh at level ½ of the particle's zero-padded mask, as
    ``skimage.measure.marching_cubes`` + ``mesh_surface_area`` give it, summed from a
    per-configuration area table instead of one mesh per particle), sphericity
    ``ψ = π^(1/3) (6V)^(2/3) / A``, centroid, bounding box, the semi-axes of the ellipsoid of
    equal second moments (for a solid ellipsoid of semi-axes ``a`` the coordinate variance
    along that axis is ``a²/5``; each voxel counts as its full box, adding ``s²/12`` to the
    variance along each grid axis), and whether the particle touches the image border.

    Parameters
    ----------
    phase_or_labels : (Z, Y, X) bool or integer ndarray
        A phase (its particles are labelled here) or a label image used as it is (0 =
        background; labels need not be consecutive; a label may be several pieces).
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).
    separate : bool
        For a phase: split touching particles with :func:`separate_particles` (default), or
        take its 6-connected components.
    exclude_border : bool
        Default of :meth:`ParticleTable.size_distribution`: leave out the particles that touch
        the border. The table itself always lists them, flagged in ``touches_border``.
    min_separation, h : float, optional
        Passed to :func:`separate_particles`.
    surface : {"marching_cubes", "crofton"}
        Surface area estimator. ``"marching_cubes"`` (default): the area of the mesh at level ½
        (biased upward on digitised curved surfaces, by about 9 % for balls). ``"crofton"``: the
        unbiased discrete Crofton estimate of the 2×2×2-configuration method (Ohser &
        Schladitz 2009) that :func:`~microtwin.measure.intrinsic_volumes` sums over the image,
        here summed per particle: within 1 % for balls of radius ≥ 5 voxels, but 9 % low on
        flat axis-aligned faces.

    Returns
    -------
    ParticleTable
        Rows in increasing label order.

    Raises
    ------
    EmptyPhaseError
        If there is no particle (an empty phase, or no label > 0).
    DTypeError
        If the image is neither boolean nor integer.

    References
    ----------
    Lorensen, W. E. & Cline, H. E. (1987). Marching cubes. SIGGRAPH 87. Wadell, H. (1935).
    Volume, shape, and roundness of quartz particles. J. Geol. 43, 250-280. Ohser, J. &
    Schladitz, K. (2009). 3D Images of Materials Structures. Wiley-VCH.

    Examples
    --------
    >>> cube = np.zeros((12, 12, 12), bool); cube[2:10, 2:10, 2:10] = True
    >>> table = particles(cube, spacing=0.5)
    >>> len(table), float(table.volume[0]), table.centroid[0].tolist()
    (1, 64.0, [3.0, 3.0, 3.0])
    """
    spacing = as_spacing(spacing)
    image = as_3d(phase_or_labels, "phase_or_labels")
    if image.dtype == bool:
        if not image.any():
            raise EmptyPhaseError("phase has no voxel; no particle to measure")
        labels = separate_particles(image, spacing, min_separation, h) if separate else ndimage.label(image)[0]
    elif np.issubdtype(image.dtype, np.integer):
        labels = image
    else:
        raise DTypeError(f"phase_or_labels must be a boolean phase or an integer label image; got dtype {image.dtype}")
    if surface not in ("marching_cubes", "crofton"):
        raise ParameterError(f"surface must be 'marching_cubes' or 'crofton'; got {surface!r}")
    rows, label_of_row, n_rows = _rows(labels)
    count, first, second, low, high = _moments(rows, n_rows)
    table = _configuration_areas(spacing) if surface == "marching_cubes" else _weight_vectors(spacing, 6)["S"]
    area = _surface_areas(rows, n_rows, table)
    present = np.flatnonzero(count)
    count, first, second = count[present].astype(float), first[present], second[present]
    low, high, area = low[present], high[present], area[present]
    s = np.asarray(spacing)
    volume = count * np.prod(s)
    mean = first / count[:, None]
    covariance = np.empty((len(present), 3, 3))
    for index, (a, b) in enumerate(((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))):
        covariance[:, a, b] = covariance[:, b, a] = (second[:, index] / count - mean[:, a] * mean[:, b]) * s[a] * s[b]
    covariance[:, range(3), range(3)] += s**2 / 12
    eigenvalues = np.clip(np.linalg.eigvalsh(covariance)[:, ::-1], 0, None)
    return ParticleTable(
        label=label_of_row[present].astype(np.int64),
        volume=volume,
        equivalent_diameter=np.cbrt(6 * volume / np.pi),
        surface_area=area,
        sphericity=np.cbrt(np.pi) * np.cbrt(6 * volume) ** 2 / area,
        centroid=(mean + 0.5) * s,
        bbox_min=low,
        bbox_max=high,
        semi_axes=np.sqrt(5 * eigenvalues),
        touches_border=(low == 0).any(axis=1) | (high == labels.shape).any(axis=1),
        spacing=spacing,
        surface=surface,
        exclude_border=bool(exclude_border),
    )
