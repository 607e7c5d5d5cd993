"""TIFF volumes: multipage files (ImageJ hyperstacks, OME-TIFF, tifffile) and folders of 2D slices.

Voxel size on reading, from the first source that gives one (``meta["spacing_source"]``):

1. ``"microtwin"``: the JSON description that tifffile and :func:`write` store, with
   ``"spacing": [dz, dy, dx]`` and ``"unit"``.
2. ``"imagej"``: the ImageJ description's ``unit`` with the XResolution/YResolution tags
   (pixels per unit) and ``spacing`` (z). A stack without ``spacing`` has dz = 1 unit, as in ImageJ.
3. ``"ome"``: OME-XML ``PhysicalSizeX/Y/Z`` and their units (µm when not stated).
4. ``"resolution tags"``: XResolution/YResolution with ResolutionUnit centimetre.

When a source gives x and y but not z (OME, resolution tags, single ImageJ slices, which ImageJ
writes without ``spacing``), dz = dx is assumed and ``meta["z_spacing_assumed"]`` is True.
Resolutions in inches are print settings (the 72-dpi placeholder of image editors), not voxel
sizes, and are ignored, as is an ImageJ resolution without ``unit``. With no voxel size the
spacing is (1, 1, 1) ``"voxel"``.

On writing, uint8, uint16, float32 and bool volumes become ImageJ hyperstacks that Fiji opens
with their voxel size (bool as uint8 0/1 with ``microtwin_dtype=bool`` in the description).
Other dtypes, volumes of one slice or one voxel in x (which tifffile's ImageJ writer mangles) and
files over 4 GB (BigTIFF) are written as tifffile "shaped" TIFFs whose JSON description holds
``shape``, ``axes``, ``spacing``, ``unit`` and, for bool, ``microtwin_dtype``.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import re
import struct
import warnings
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import tifffile
from tqdm.auto import tqdm

from microtwin.errors import (CorruptFileError, DimensionError, InputFileNotFoundError, MicrotwinError,
                              UnitError)
from microtwin.io._volume import Volume
from microtwin.units import VOXEL, convert_length, normalize_unit

_IMAGEJ_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))
_IMAGEJ_UNITS = {"µm": "micron", VOXEL: "pixel"}
_BIGTIFF_BYTES = 2**32 - 2**25  # tifffile's own threshold for classic TIFF
_CENTIMETER = 3
_DEPTH_AXES = "ZTIQ"  # axes that may hold the slices of a volume (I, Q: tifffile's page axes)
_READ_ERRORS = (ValueError, OSError, RuntimeError, EOFError, IndexError, KeyError, struct.error,
                ElementTree.ParseError)


def natural_key(text: str) -> tuple:
    """Sort key that orders embedded numbers by value (``slice2`` before ``slice10``).

    Examples
    --------
    >>> sorted(["s10.tif", "s2.tif", "s1.tif"], key=natural_key)
    ['s1.tif', 's2.tif', 's10.tif']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", str(text)) if part)


class _ErrorLog(logging.Handler):
    """Collects the errors tifffile logs (it logs, rather than raises, on many damaged files)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _reading(path):
    """Turn tifffile's exceptions and logged errors while reading ``path`` into CorruptFileError.

    tifffile logs, rather than raises, on many damaged files and then returns fewer pages, so
    any error it logs makes the file corrupt, whatever happened next.
    """
    log = _ErrorLog()
    logger = logging.getLogger("tifffile")
    logger.addHandler(log)
    try:
        yield
    except (PermissionError, FileNotFoundError, IsADirectoryError):
        raise
    except Exception as exc:
        if not log.messages and (isinstance(exc, MicrotwinError) or not isinstance(exc, _READ_ERRORS)):
            raise
        raise _corrupt(path, log.messages[0] if log.messages else (str(exc) or type(exc).__name__)) from exc
    finally:
        logger.removeHandler(log)
    if log.messages:
        raise _corrupt(path, log.messages[0])


def _corrupt(path, reason: str) -> CorruptFileError:
    return CorruptFileError(f"TIFF {str(path)!r} is damaged or truncated: {reason.splitlines()[0]}")


def _planes(series, path) -> tuple[int, int, int]:
    """(slices, rows, columns) of a series; raises DimensionError for colour or 4D+ images."""
    shape, axes = series.get_shape(False), series.get_axes(False)
    if "Y" not in axes or "X" not in axes:
        raise DimensionError(f"TIFF {str(path)!r} has axes {axes} with shape {shape}; expected Y and X axes")
    extra = [(a, n) for a, n in zip(axes, shape) if a not in "YX" and n > 1]
    if any(a not in _DEPTH_AXES for a, _ in extra) or len(extra) > 1:
        raise DimensionError(
            f"TIFF {str(path)!r} has shape {tuple(shape)} (axes {axes}); expected a single-channel "
            "3D volume (z, y, x) with other dimensions of size 1"
        )
    depth = extra[0][1] if extra else 1
    return depth, shape[axes.index("Y")], shape[axes.index("X")]


def _unit(text, path) -> str | None:
    """Canonical unit of ``text``; None (with a warning for unknown units) when not a length."""
    try:
        return normalize_unit(text)
    except UnitError:
        if str(text).strip().lower() not in ("inch", "inches", "in"):
            warnings.warn(f"TIFF {str(path)!r}: unknown length unit {text!r}; voxel size ignored "
                          "(pass spacing= and unit=)", stacklevel=2)
        return None


def _pixel_size(page, tag: str) -> float:
    """Pixel size from a resolution tag (pixels per unit); 1 when absent or zero."""
    value = page.tags.valueof(tag)
    if not value or not value[0]:
        return 1.0
    return float(f"{value[1] / value[0]:.12g}")


def _from_json(tif, page, stack, path):
    meta = tif.shaped_metadata[0] if tif.is_shaped else {}
    spacing = meta.get("spacing")
    if not (isinstance(spacing, list) and len(spacing) == 3 and "unit" in meta):
        return None
    unit = _unit(meta["unit"], path)
    return (*(float(s) for s in spacing), unit) if unit else None


def _from_imagej(tif, page, stack, path):
    meta = tif.imagej_metadata or {}
    unit = _unit(meta["unit"], path) if "unit" in meta else None
    if unit is None:
        return None
    dz = meta.get("spacing", 1.0 if stack else None)
    dy, dx = _pixel_size(page, "YResolution"), _pixel_size(page, "XResolution")
    return (None if dz is None else float(dz)), dy, dx, unit


def _from_ome(tif, page, stack, path):
    if not tif.is_ome:
        return None
    root = ElementTree.fromstring(tif.ome_metadata)
    pixels = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if pixels is None or "PhysicalSizeX" not in pixels.attrib:
        return None
    unit = _unit(pixels.get("PhysicalSizeXUnit", "µm"), path)
    if unit is None:
        return None
    sizes = []
    for axis in "ZYX":
        value = pixels.get(f"PhysicalSize{axis}")
        axis_unit = _unit(pixels.get(f"PhysicalSize{axis}Unit", "µm"), path) if value else None
        sizes.append(convert_length(float(value), axis_unit, unit) if axis_unit else None)
    dz, dy, dx = sizes
    return dz, (dx if dy is None else dy), dx, unit


def _from_tags(tif, page, stack, path):
    if page.tags.valueof("ResolutionUnit") != _CENTIMETER:
        return None
    dy, dx = (convert_length(_pixel_size(page, tag), "cm", "µm") for tag in ("YResolution", "XResolution"))
    return None, dy, dx, "µm"


_SOURCES = (("microtwin", _from_json), ("imagej", _from_imagej), ("ome", _from_ome),
            ("resolution tags", _from_tags))


def _voxel_size(tif, stack: bool, path) -> tuple[tuple[float, float, float], str, dict]:
    """(spacing, unit, meta) from the first source that gives a voxel size."""
    page = tif.pages.first
    for source, find in _SOURCES:
        found = find(tif, page, stack, path)
        if found is not None:
            dz, dy, dx, unit = found
            meta = {"spacing_source": source}
            if dz is None:
                dz, meta["z_spacing_assumed"] = dx, True
            return (dz, dy, dx), unit, meta
    return (1.0, 1.0, 1.0), VOXEL, {"spacing_source": "none"}


def _stored_bool(tif) -> bool:
    """True when the file marks its uint8 data as a bool volume."""
    meta = tif.shaped_metadata[0] if tif.is_shaped else (tif.imagej_metadata or {})
    return meta.get("microtwin_dtype") == "bool"


def _as_bool(array: np.ndarray, path) -> np.ndarray:
    """View stored uint8 0/1 data as bool, in place (no second copy)."""
    if array.dtype != np.uint8:
        raise CorruptFileError(f"TIFF {str(path)!r} is marked bool but holds {array.dtype}; expected uint8")
    np.not_equal(array, 0, out=array.view(bool))
    return array.view(bool)


def read(path: Path) -> Volume:
    """Read a multipage TIFF (ImageJ hyperstack, OME-TIFF, tifffile, plain) as a volume.

    Parameters
    ----------
    path : Path
        The TIFF file. Its first image series is read; dimensions of size 1 (time, channel)
        are dropped.

    Returns
    -------
    Volume
        With the voxel size the file states (see the module docstring for the sources).

    Raises
    ------
    DimensionError
        If the image is 2D (one plane) or has several channels or dimensions beyond 3.
    CorruptFileError
        If the file is truncated or damaged.
    """
    with _reading(path), tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        depth, rows, cols = _planes(series, path)
        declared_3d = series.kind == "shaped" and len(series.get_shape(False)) == 3
        if depth == 1 and not declared_3d:
            raise DimensionError(
                f"expected a 3D volume (z, y, x) in TIFF {str(path)!r}, found 2D with shape {(rows, cols)}; "
                "read a folder or glob of 2D slices instead"
            )
        array = series.asarray().reshape(depth, rows, cols)
        spacing, unit, meta = _voxel_size(tif, depth > 1, path)
        if _stored_bool(tif):
            array = _as_bool(array, path)
        meta.update(tiff_kind=series.kind, tiff_axes=series.get_axes(False))
    return Volume(array, spacing=spacing, unit=unit, meta=meta)


def _slice_files(path_or_glob: str) -> list[str]:
    """TIFF files of a folder, or the files a glob matches, in natural order."""
    if set("*?[") & set(path_or_glob):
        files = glob.glob(path_or_glob)
    else:
        folder = Path(path_or_glob)
        files = [str(p) for p in folder.iterdir()
                 if p.suffix.lower() in (".tif", ".tiff") and not p.name.startswith(".")]
    if not files:
        raise InputFileNotFoundError(f"no TIFF slices in {path_or_glob!r}")
    return sorted(files, key=natural_key)


def _open_slice(path: str):
    """(TiffFile, its series, (rows, cols)) of a file that must hold one 2D image."""
    tif = tifffile.TiffFile(path)
    try:
        series = tif.series[0]
        depth, rows, cols = _planes(series, path)
        if depth != 1:
            raise DimensionError(
                f"slice {path!r} holds {depth} images of shape {(rows, cols)}; expected one 2D image")
    except BaseException:
        tif.close()
        raise
    return tif, series, (rows, cols)


def read_folder(path_or_glob: str, progress: bool = False) -> Volume:
    """Read a folder, or a glob, of 2D TIFF slices as one volume (slice i is z = i).

    Files are sorted naturally (``slice2`` before ``slice10``). The output is allocated once
    and each slice is read straight into it, so memory stays at the size of the volume.

    Parameters
    ----------
    path_or_glob : str
        A folder (its ``.tif``/``.tiff`` files) or a glob such as ``"scan/slice_*.tif"``.
    progress : bool
        Show a progress bar over the slices.

    Returns
    -------
    Volume
        Voxel size from the first slice's metadata; dz from ImageJ ``spacing``, else dz = dx.

    Raises
    ------
    CorruptFileError
        If a slice is damaged, or differs in shape or dtype from the first one.
    """
    files = _slice_files(path_or_glob)
    with _reading(files[0]):
        tif, _, plane = _open_slice(files[0])
        with tif:
            dtype = tif.series[0].dtype
            spacing, unit, meta = _voxel_size(tif, False, files[0])
            is_bool = _stored_bool(tif)
    volume = np.empty((len(files), *plane), dtype=dtype)
    for z, name in enumerate(tqdm(files, desc="reading slices", unit="slice", disable=not progress)):
        with _reading(name):
            tif, series, found = _open_slice(name)
            with tif:
                if found != plane or series.dtype != dtype:
                    raise CorruptFileError(
                        f"slice {name!r} has shape {found} and dtype {series.dtype}; expected {plane} "
                        f"and {dtype} like {files[0]!r}"
                    )
                series.asarray(out=volume[z].reshape(series.shape))
    if is_bool:
        volume = _as_bool(volume, path_or_glob)
    meta.update(slices=len(files), first_slice=files[0])
    return Volume(volume, spacing=spacing, unit=unit, meta=meta)


def _storable(volume: Volume) -> tuple[np.ndarray, bool]:
    """The numpy array to store (bool as a uint8 view) and whether it was bool."""
    array = np.asarray(volume.compute().array)
    if array.dtype == bool:
        return array.view(np.uint8), True
    return array, False


def _imwrite_options(array: np.ndarray, volume: Volume, is_bool: bool) -> dict:
    """tifffile.imwrite keywords that store the voxel size (ImageJ or JSON description)."""
    dz, dy, dx = volume.spacing
    extra = {"microtwin_dtype": "bool"} if is_bool else {}
    if _imagej_ok(array):
        axes = {"axes": "ZYX"} if array.ndim == 3 else {}
        metadata = {"spacing": dz, "unit": _IMAGEJ_UNITS.get(volume.unit, volume.unit), **axes, **extra}
        return {"imagej": True, "resolution": (1 / dx, 1 / dy), "metadata": metadata}
    return {"metadata": {"axes": "ZYX"[-array.ndim:], "spacing": [dz, dy, dx], "unit": volume.unit, **extra}}


def _imagej_ok(array: np.ndarray) -> bool:
    """ImageJ holds uint8, uint16, float32 up to 4 GB; tifffile mangles stacks of one slice or x = 1."""
    return (array.dtype in _IMAGEJ_DTYPES and array.nbytes <= _BIGTIFF_BYTES
            and (array.ndim == 2 or (array.shape[0] > 1 and array.shape[2] > 1)))


def write(path: Path, volume: Volume, compression=None) -> None:
    """Write a volume as one multipage TIFF with its voxel size.

    Parameters
    ----------
    path : Path
        Output file.
    volume : Volume
        The volume; uint8, uint16, float32 and bool become ImageJ hyperstacks, other dtypes
        JSON-described TIFFs (see the module docstring). BigTIFF is used above 4 GB.
    compression : str, optional
        A tifffile compression, for example ``"zlib"`` or ``"lzw"``; None stores raw pixels.
    """
    array, is_bool = _storable(volume)
    options = _imwrite_options(array, volume, is_bool)
    tifffile.imwrite(path, array, photometric="minisblack", compression=compression,
                     bigtiff=array.nbytes > _BIGTIFF_BYTES, **options)


def write_folder(path: Path, volume: Volume, compression=None, progress: bool = False) -> None:
    """Write a volume as a folder of 2D TIFF slices ``slice_00000.tif``, ``slice_00001.tif``, ….

    Each slice carries the full voxel size (ImageJ metadata with ``spacing`` for z, or the JSON
    description for dtypes ImageJ cannot hold), so :func:`read_folder` gets it back.

    Parameters
    ----------
    path : Path
        Output folder (created).
    volume : Volume
        The volume; slice i is ``volume.array[i]``.
    compression : str, optional
        A tifffile compression such as ``"zlib"``.
    progress : bool
        Show a progress bar over the slices.
    """
    array, is_bool = _storable(volume)
    options = _imwrite_options(array[0], volume, is_bool)
    Path(path).mkdir(parents=True)
    width = max(5, len(str(len(array) - 1)))
    for z in tqdm(range(len(array)), desc="writing slices", unit="slice", disable=not progress):
        tifffile.imwrite(Path(path) / f"slice_{z:0{width}d}.tif", array[z], photometric="minisblack",
                         compression=compression, **options)
