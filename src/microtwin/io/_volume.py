"""The :class:`Volume`: a 3D array with its voxel size, unit and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from microtwin._validation import as_spacing
from microtwin.errors import DimensionError
from microtwin.units import convert_length, normalize_unit


@dataclass(frozen=True, eq=False)
class Volume:
    """A 3D image with physical voxel size.

    Attributes
    ----------
    array : numpy.ndarray or dask.array.Array
        The voxels, axis order (z, y, x). A dask array when read with ``lazy=True``.
    spacing : tuple of 3 floats
        Voxel size (dz, dy, dx) in ``unit``.
    unit : str
        Length unit of ``spacing``: ``"nm"``, ``"µm"``, ``"mm"``, ``"m"``, or ``"voxel"`` when unknown.
    meta : dict
        Everything else the file said (source format, labels, provenance, ...).
    """

    array: Any
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    unit: str = "voxel"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        array = self.array
        if not hasattr(array, "ndim") or not hasattr(array, "dtype"):
            array = np.asarray(array)
            object.__setattr__(self, "array", array)
        if array.ndim != 3:
            raise DimensionError(f"a Volume must be 3D (z, y, x); got {array.ndim}D with shape {array.shape}")
        object.__setattr__(self, "spacing", as_spacing(self.spacing))
        object.__setattr__(self, "unit", normalize_unit(self.unit))
        object.__setattr__(self, "meta", dict(self.meta))

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.array.shape)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.array.dtype)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    @property
    def is_lazy(self) -> bool:
        """True when ``array`` is not a numpy array (for example a dask array)."""
        return not isinstance(self.array, np.ndarray)

    @property
    def extent(self) -> tuple[float, float, float]:
        """Physical size of the box along (z, y, x), in ``unit``."""
        return tuple(n * s for n, s in zip(self.shape, self.spacing))

    def to_unit(self, unit: str) -> Volume:
        """The same volume with ``spacing`` expressed in another length unit."""
        unit = normalize_unit(unit)
        return replace(self, spacing=convert_length(self.spacing, self.unit, unit), unit=unit)

    def compute(self) -> Volume:
        """A volume whose array is in memory (loads a lazy array; no copy otherwise)."""
        if not self.is_lazy:
            return self
        return replace(self, array=np.asarray(self.array.compute()))

    def __repr__(self) -> str:
        kind = "lazy " if self.is_lazy else ""
        spacing = "×".join(f"{s:g}" for s in self.spacing)
        return f"Volume({kind}{self.dtype} {self.shape}, spacing={spacing} {self.unit})"
