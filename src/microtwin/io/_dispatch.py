"""``read_volume`` / ``write_volume``: pick the format from the path and hand over."""

from __future__ import annotations

import glob
import importlib
import inspect
from dataclasses import replace
from pathlib import Path

import numpy as np

from microtwin.errors import InputFileNotFoundError, ParameterError, UnknownFormatError
from microtwin.io._atomic import atomic_output, check_writable
from microtwin.io._volume import Volume

#: format name -> (module, file extensions, reader, writer)
FORMATS = {
    "tiff": ("_tiff", (".tif", ".tiff"), "read", "write"),
    "tiff-folder": ("_tiff", (), "read_folder", "write_folder"),
    "raw": ("_raw", (".raw", ".bin", ".vol", ".dat"), "read", "write"),
    "npy": ("_numpy", (".npy",), "read", "write_npy"),
    "npz": ("_numpy", (".npz",), "read", "write_npz"),
    "hdf5": ("_hdf5", (".h5", ".hdf5", ".hdf", ".he5"), "read", "write"),
    "zarr": ("_zarr", (".zarr",), "read", "write"),
    "vti": ("_vti", (".vti",), "read", "write"),
}
_GLOB_CHARS = set("*?[")


def _function(fmt: str, role: str):
    """The reader (role "read") or writer (role "write") of a format."""
    module, _, reader, writer = FORMATS[fmt]
    return getattr(importlib.import_module(f"microtwin.io.{module}"), reader if role == "read" else writer)


def _format_from_suffix(path: Path) -> str | None:
    suffix = path.suffix.lower()
    for fmt, (_, extensions, _, _) in FORMATS.items():
        if suffix in extensions:
            return fmt
    return None


def _call_with_options(func, fmt: str, path, volume=None, options=None):
    """Call a format's reader/writer with the options it takes; refuse options it does not take.

    ``progress`` is a general option, silently dropped for formats that have no progress bar.
    """
    params = inspect.signature(func).parameters
    options = dict(options or {})
    if "progress" in options and "progress" not in params:
        del options["progress"]
    fixed = {"path", "volume"}
    accepted = [name for name in params if name not in fixed]
    unknown = sorted(set(options) - set(accepted))
    if unknown and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        raise ParameterError(
            f"option(s) {', '.join(unknown)} do not apply to {fmt} files; "
            f"{fmt} takes {', '.join(accepted) or 'no options'}"
        )
    return func(path, **options) if volume is None else func(path, volume, **options)


def detect_format(path, for_writing: bool = False) -> str:
    """Name the format of ``path`` from its extension, or from a folder's content when reading."""
    path = Path(path)
    text = str(path)
    if not for_writing and _GLOB_CHARS & set(text):
        return "tiff-folder"
    fmt = _format_from_suffix(path)
    if fmt is not None:
        return fmt
    if not for_writing and path.is_dir():
        if any((path / marker).exists() for marker in ("zarr.json", ".zarray", ".zgroup")):
            return "zarr"
        if any(p.suffix.lower() in (".tif", ".tiff") and not p.name.startswith(".") for p in path.iterdir()):
            return "tiff-folder"
        raise UnknownFormatError(f"folder {text!r} holds no TIFF slices and is not a Zarr store")
    known = sorted({e for _, exts, _, _ in FORMATS.values() for e in exts})
    raise UnknownFormatError(
        f"cannot tell the format of {text!r} from its extension {path.suffix!r}; expected one of "
        f"{', '.join(known)}, a folder of TIFF slices, or format=..."
    )


def read_volume(path, format: str | None = None, spacing=None, unit: str | None = None, **options) -> Volume:
    """Read a 3D volume with its voxel size from a file, a folder of slices, or a glob.

    Parameters
    ----------
    path : str or Path
        A file (``.tif``, ``.raw``, ``.npy``, ``.npz``, ``.h5``, ``.zarr``, ``.vti``), a folder of
        2D TIFF slices (naturally sorted), or a glob such as ``"scan/slice_*.tif"``.
    format : str, optional
        Force a format (one of ``FORMATS``) instead of guessing from the name.
    spacing, unit : optional
        Override the voxel size found in the file (needed for raw and npy files).
    **options
        Format options (an option a format does not take is an error):
        raw ``dtype``, ``shape``, ``byte_order``, ``offset``, ``mmap``; npy ``mmap_mode``;
        npz ``key``; HDF5/Zarr ``dataset``, ``lazy=True`` (a dask array, out-of-core) and
        ``chunks``; slice folders ``progress``. A lazily read HDF5 file stays open while
        the array is in use.

    Returns
    -------
    Volume
    """
    text = str(path)
    path = Path(path)
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise UnknownFormatError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "tiff-folder" and _GLOB_CHARS & set(text):
        if not glob.glob(text):
            raise InputFileNotFoundError(f"no file matches {text!r}")
    elif not path.exists():
        raise InputFileNotFoundError(f"no such file or folder: {text!r}")
    reader = _function(fmt, "read")
    volume = _call_with_options(reader, fmt, text if fmt == "tiff-folder" else path, options=options)
    meta = {**volume.meta, "format": fmt, "source": text}
    if spacing is not None or unit is not None:
        volume = replace(
            volume,
            spacing=volume.spacing if spacing is None else spacing,
            unit=volume.unit if unit is None else unit,
        )
    return replace(volume, meta=meta)


def write_volume(path, volume, spacing=None, unit: str | None = None, overwrite: bool = False,
                 format: str | None = None, **options) -> Path:
    """Write a volume (or a bare 3D array) with its voxel size; returns the path written.

    The output is written under a temporary name and renamed when complete, so a failed
    write leaves nothing behind. An existing output is only replaced with ``overwrite=True``.
    ``spacing``/``unit`` override those of a :class:`Volume` (or give them to a bare array).
    Formats that cannot hold spacing (``.npy``, ``.raw``) drop it; ``.tif``, ``.npz``, ``.h5``,
    ``.zarr`` and ``.vti`` keep it. Write options: TIFF ``compression``; npz/vti ``compress``;
    raw ``byte_order``; HDF5 ``dataset``, ``compression``, ``chunks``; Zarr ``chunks``,
    ``compressor``; vti ``name``; slice folders (``format="tiff-folder"``) ``progress``.
    A lazy (dask) volume is written block by block to Zarr, HDF5 and npy.
    """
    path = Path(path)
    if not isinstance(volume, Volume):
        volume = Volume(volume if hasattr(volume, "ndim") else np.asarray(volume))
    if spacing is not None or unit is not None:
        volume = replace(
            volume,
            spacing=volume.spacing if spacing is None else spacing,
            unit=volume.unit if unit is None else unit,
        )
    fmt = format or detect_format(path, for_writing=True)
    if fmt not in FORMATS:
        raise UnknownFormatError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    check_writable(path, overwrite)
    writer = _function(fmt, "write")
    with atomic_output(path, overwrite=overwrite) as tmp:
        _call_with_options(writer, fmt, tmp, volume, options)
    return path
