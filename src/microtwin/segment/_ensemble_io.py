"""Ensembles of label images on disk: a folder of member volumes and a small JSON manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from microtwin.errors import (
    CorruptFileError,
    DimensionError,
    DTypeError,
    InputFileNotFoundError,
    ParameterError,
)
from microtwin.io import read_volume, write_volume
from microtwin.io._atomic import atomic_output

MANIFEST = "ensemble.json"
_SUFFIX = {"zarr": ".zarr", "tiff": ".tif"}


@dataclass(frozen=True, eq=False)
class Ensemble:
    """An ensemble stored on disk, read one member at a time.

    Iterating (or indexing) reads a member as a (Z, Y, X) uint8 array, so
    :func:`propagate` over a stored ensemble holds one member in memory;
    ``np.asarray(ensemble)`` loads them all as (n, Z, Y, X).

    Attributes
    ----------
    paths : tuple of Path
        The member volumes, in order.
    shape : tuple of 3 ints
    spacing : tuple of 3 floats
        Voxel size (dz, dy, dx) in ``unit``.
    unit : str
    meta : dict
        What the writer recorded (e.g. the correlation length and seed).
    """

    paths: tuple
    shape: tuple
    spacing: tuple
    unit: str
    meta: dict

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        array = np.asarray(read_volume(self.paths[index]).array)
        if array.shape != self.shape:
            raise CorruptFileError(f"ensemble member {self.paths[index].name!r} has shape {array.shape}; "
                                   f"the manifest says {self.shape}")
        return array

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        return np.stack(list(self)).astype(dtype or np.uint8, copy=False)


def save_ensemble(path, ensemble, spacing=1.0, unit="voxel", format="zarr", overwrite=False, meta=None) -> Path:
    """Write an ensemble of label images as a folder: one volume per member and ``ensemble.json``.

    Members are written with :func:`microtwin.io.write_volume` (so they keep the voxel size and
    open in any tool that reads Zarr or TIFF) as ``member_0000.zarr`` (or ``.tif``) …; the
    manifest lists them with the shape, spacing, unit and ``meta``. The folder is written under
    a temporary name and renamed when complete.

    Parameters
    ----------
    path : str or Path
        The folder to create.
    ensemble : (n, Z, Y, X) integer ndarray or sequence of (Z, Y, X) label images
    spacing : float or 3 floats
    unit : str
    format : {"zarr", "tiff"}
    overwrite : bool
        Replace an existing folder.
    meta : dict, optional
        JSON-friendly provenance stored in the manifest.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> members = np.zeros((2, 4, 4, 4), np.uint8); members[1, 2:] = 1
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "ens"
    >>> _ = save_ensemble(folder, members, spacing=0.5, unit="µm")
    >>> loaded = load_ensemble(folder)
    >>> len(loaded), loaded.spacing, bool((np.asarray(loaded) == members).all())
    (2, (0.5, 0.5, 0.5), True)
    """
    if format not in _SUFFIX:
        raise ParameterError(f"format must be one of {sorted(_SUFFIX)}; got {format!r}")
    n = len(ensemble)
    if n < 1:
        raise ParameterError("the ensemble has no members")
    path = Path(path)
    names, shape, written_spacing, written_unit = [], None, None, None
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.mkdir()
        for index in range(n):
            member = np.asarray(ensemble[index])
            if member.ndim != 3:
                raise DimensionError(f"ensemble members must be 3D; member {index} has shape {member.shape}")
            if not np.issubdtype(member.dtype, np.integer) or (member.size and (member.min() < 0 or member.max() > 255)):
                raise DTypeError(f"ensemble members must be label images with values in 0…255; member {index} "
                                 f"has dtype {member.dtype}")
            if shape is not None and member.shape != shape:
                raise DimensionError(f"ensemble members must share one shape; member {index} has {member.shape}, "
                                     f"member 0 {shape}")
            shape = member.shape
            name = f"member_{index:04d}{_SUFFIX[format]}"
            write_volume(tmp / name, member.astype(np.uint8, copy=False), spacing=spacing, unit=unit)
            if written_spacing is None:
                volume = read_volume(tmp / name)
                written_spacing, written_unit = volume.spacing, volume.unit
            names.append(name)
        manifest = {"kind": "microtwin ensemble", "version": 1, "members": names, "shape": list(shape),
                    "spacing": list(written_spacing), "unit": written_unit, "meta": meta or {}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return path


def load_ensemble(path) -> Ensemble:
    """Open an ensemble folder written by :func:`save_ensemble` (members are read on demand).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Ensemble
        Iterable over the members; ``spacing`` and ``unit`` from the manifest.
    """
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        if not path.exists():
            raise InputFileNotFoundError(f"no such ensemble folder: {str(path)!r}")
        raise CorruptFileError(f"{str(path)!r} is not an ensemble folder: it has no {MANIFEST}")
    try:
        manifest = json.loads(manifest_path.read_text())
        names, shape = manifest["members"], tuple(int(s) for s in manifest["shape"])
        spacing, unit, meta = tuple(float(s) for s in manifest["spacing"]), str(manifest["unit"]), manifest["meta"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptFileError(f"{str(manifest_path)!r} is not a valid ensemble manifest ({exc!r})") from None
    paths = tuple(path / name for name in names)
    missing = [p.name for p in paths if not p.exists()]
    if missing or not paths:
        raise CorruptFileError(f"ensemble {str(path)!r} is incomplete: missing members {missing or 'all'}")
    return Ensemble(paths, shape, spacing, unit, dict(meta))
