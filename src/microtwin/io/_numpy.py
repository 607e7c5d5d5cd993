"""NumPy ``.npy`` (array only) and ``.npz`` (array, spacing, unit and metadata) files."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from microtwin.errors import CorruptFileError, DimensionError, ParameterError, SpacingError
from microtwin.io._meta import meta_from_json, meta_to_json
from microtwin.io._volume import Volume

#: npz members that hold metadata rather than voxels
_NPZ_META = ("spacing", "unit", "meta")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def read(path: Path, mmap_mode: str | None = None, key: str | None = None) -> Volume:
    """Read a ``.npy`` or ``.npz`` file (told apart by content, not by name).

    Parameters
    ----------
    path : Path
        The file.
    mmap_mode : {None, "r", "r+", "c"}
        ``.npy`` only: memory-map the array instead of loading it (see :func:`numpy.load`).
    key : str, optional
        ``.npz`` only: the member holding the volume. Without it, the one member that is not
        ``spacing``/``unit``/``meta`` is used.

    Returns
    -------
    Volume
        ``.npy`` files have no spacing (1 voxel); ``.npz`` files written by microtwin keep
        spacing, unit and metadata. Pickled (object) data is never loaded.
    """
    with open(path, "rb") as file:
        if file.read(4) in _ZIP_MAGIC:
            if mmap_mode is not None:
                raise ParameterError(f"mmap_mode applies to .npy files; {path.name!r} is an .npz archive")
            file.seek(0)
            try:
                npz = np.load(file, allow_pickle=False)
            except _READ_ERRORS as exc:
                raise CorruptFileError(f"cannot read {path.name!r} as a NumPy .npz archive: {exc}") from None
            with npz:
                return _read_npz(path, npz, key)
    if key is not None:
        raise ParameterError(f"key={key!r} applies to .npz files; {path.name!r} is a .npy file")
    try:
        array = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except _READ_ERRORS as exc:
        raise CorruptFileError(f"cannot read {path.name!r} as a NumPy .npy file: {exc}") from None
    return Volume(_check_3d(array, path))


def _read_npz(path: Path, npz, key: str | None) -> Volume:
    members = list(npz.files)
    candidates = [name for name in members if name not in _NPZ_META]
    if key is None and len(candidates) != 1:
        raise ParameterError(
            f"{path.name!r} holds arrays {', '.join(candidates) or 'none'}; expected one, or pass key=..."
        )
    key = candidates[0] if key is None else key
    if key not in members:
        raise ParameterError(f"{path.name!r} has no array {key!r}; it holds {', '.join(members)}")
    try:
        array = npz[key]
        spacing = npz["spacing"] if "spacing" in members else 1.0
        unit = str(npz["unit"][()]) if "unit" in members else "voxel"
        meta = str(npz["meta"][()]) if "meta" in members else "{}"
    except _READ_ERRORS as exc:
        raise CorruptFileError(f"cannot read member {key!r} of {path.name!r}: {exc}") from None
    try:
        return Volume(_check_3d(array, path), spacing=spacing, unit=unit, meta=meta_from_json(meta, path.name))
    except SpacingError as exc:
        raise CorruptFileError(f"{path.name!r}: bad 'spacing' member: {exc}") from None


def _check_3d(array: np.ndarray, path: Path) -> np.ndarray:
    if array.ndim != 3:
        raise DimensionError(
            f"{path.name!r} holds a {array.ndim}D array of shape {array.shape}; expected 3D (z, y, x)"
        )
    return array


def write_npz(path: Path, volume: Volume, compress: bool = True) -> None:
    """Write ``volume`` as ``.npz``: members ``array``, ``spacing``, ``unit`` and ``meta`` (JSON).

    Parameters
    ----------
    path : Path
        The output file.
    volume : Volume
        A lazy (dask) volume is loaded: a zip archive needs its members in memory.
    compress : bool
        Zip-deflate the members (:func:`numpy.savez_compressed`).
    """
    members = {
        "array": np.asarray(volume.array),
        "spacing": np.asarray(volume.spacing, dtype=np.float64),
        "unit": np.asarray(volume.unit),
        "meta": np.asarray(meta_to_json(volume.meta)),
    }
    with open(path, "wb") as file:
        (np.savez_compressed if compress else np.savez)(file, **members)


def write_npy(path: Path, volume: Volume) -> None:
    """Write the voxels of ``volume`` as ``.npy`` (no spacing); a lazy volume goes block by block."""
    if not volume.is_lazy:
        with open(path, "wb") as file:
            np.save(file, volume.array, allow_pickle=False)
        return
    import dask.array as da

    out = np.lib.format.open_memmap(path, mode="w+", dtype=volume.dtype, shape=volume.shape)
    da.store(da.asarray(volume.array), out, lock=False)
    out.flush()
