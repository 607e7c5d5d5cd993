"""HDF5 volumes (h5py), with the voxel size in dataset attributes.

Spacing is read from microtwin's own ``spacing`` + ``unit`` attributes, else from
``element_size_um`` (the (z, y, x) voxel size in µm written by Fiji and ilastik).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from microtwin._validation import as_spacing
from microtwin.errors import CorruptFileError, DimensionError, ParameterError, SpacingError, UnitError
from microtwin.io._meta import meta_from_json, meta_to_json
from microtwin.io._volume import Volume
from microtwin.units import VOXEL, convert_length, normalize_unit


def read(path: Path, dataset: str | None = None, lazy: bool = False, chunks="auto") -> Volume:
    """Read a 3D dataset of an HDF5 file with its voxel size.

    Parameters
    ----------
    path : Path
        The HDF5 file.
    dataset : str, optional
        Path of the dataset inside the file (``"/exchange/data"``). Without it, the file's
        only 3D dataset is used.
    lazy : bool
        Return a dask array over the dataset instead of loading it. The file then stays open
        (read-only) for as long as the array is referenced, and is closed when it is
        garbage-collected.
    chunks : "auto" or tuple of int
        Dask chunk shape when ``lazy``; ``"auto"`` picks blocks of about 128 MiB made of
        whole storage chunks.

    Returns
    -------
    Volume
        ``meta`` holds the metadata written by :func:`write`.
    """
    try:
        file = h5py.File(path, "r")
    except OSError as exc:
        raise CorruptFileError(f"cannot open {path.name!r} as HDF5: {exc}") from None
    try:
        ds = _select(file, dataset, path)
        spacing, unit = _spacing(ds, path)
        meta = meta_from_json(ds.attrs["meta"], f"{path.name}:{ds.name}") if "meta" in ds.attrs else {}
        if lazy:
            import dask.array as da

            return Volume(da.from_array(ds, chunks=chunks), spacing=spacing, unit=unit, meta=meta)
    except BaseException:
        file.close()
        raise
    with file:
        try:
            array = ds[()]
        except OSError as exc:
            raise CorruptFileError(f"cannot read dataset {ds.name!r} of {path.name!r}: {exc}") from None
    return Volume(array, spacing=spacing, unit=unit, meta=meta)


def _select(file: h5py.File, dataset: str | None, path: Path) -> h5py.Dataset:
    found = {}

    def collect(name, obj):
        if isinstance(obj, h5py.Dataset):
            found["/" + name] = obj

    file.visititems(collect)
    volumes = [name for name, ds in found.items() if ds.ndim == 3]
    if dataset is not None:
        name = "/" + dataset.lstrip("/")
        if name not in found:
            raise ParameterError(
                f"{path.name!r} has no dataset {dataset!r}; 3D datasets: {', '.join(volumes) or 'none'}"
            )
        ds = found[name]
        if ds.ndim != 3:
            raise DimensionError(
                f"dataset {name!r} of {path.name!r} is {ds.ndim}D {ds.shape}; expected 3D (z, y, x)"
            )
        return ds
    if len(volumes) == 1:
        return found[volumes[0]]
    if volumes:
        raise ParameterError(f"{path.name!r} holds several 3D datasets ({', '.join(volumes)}); pass dataset=...")
    if found:
        shapes = ", ".join(f"{name} {ds.shape}" for name, ds in found.items())
        raise DimensionError(f"{path.name!r} holds no 3D dataset; expected one (z, y, x), found {shapes}")
    raise CorruptFileError(f"{path.name!r} holds no dataset; expected a 3D dataset")


def _spacing(ds: h5py.Dataset, path: Path) -> tuple[tuple[float, float, float], str]:
    attrs = ds.attrs
    try:
        if "spacing" in attrs:
            unit = attrs.get("unit", VOXEL)
            unit = unit.decode("utf-8") if isinstance(unit, bytes) else str(unit)
            return as_spacing(_floats(attrs["spacing"])), normalize_unit(unit)
        if "element_size_um" in attrs:
            return as_spacing(_floats(attrs["element_size_um"])), "µm"
    except (SpacingError, UnitError) as exc:
        raise CorruptFileError(f"bad voxel size in {path.name!r}:{ds.name}: {exc}") from None
    return (1.0, 1.0, 1.0), VOXEL


def _floats(values) -> list[float]:
    """Attribute values as floats; float32 ones (Fiji) by their shortest repr, 0.65 not 0.6499999762."""
    values = np.atleast_1d(np.asarray(values))
    if values.dtype == np.float32:
        return [float(str(v)) for v in values]
    return values.astype(np.float64).tolist()


def write(path: Path, volume: Volume, dataset: str = "volume", compression: str | None = "gzip",
          chunks=True) -> None:
    """Write ``volume`` to one dataset of a new HDF5 file, voxel size in its attributes.

    Parameters
    ----------
    path : Path
        The output file.
    volume : Volume
        A lazy (dask) volume is written block by block, never loaded whole.
    dataset : str
        Path of the dataset inside the file.
    compression : str or None
        h5py filter (``"gzip"``, ``"lzf"``, or None for none).
    chunks : True, None or tuple of int
        Storage chunk shape; True lets h5py choose; a tuple is clipped to the volume shape.

    Notes
    -----
    Attributes written: ``spacing`` (dz, dy, dx), ``unit``, ``meta`` (JSON) and, when the
    unit is physical, ``element_size_um`` for Fiji and ilastik.
    """
    if isinstance(chunks, tuple):
        chunks = tuple(min(int(c), n) for c, n in zip(chunks, volume.shape))
    with h5py.File(path, "w") as file:
        ds = file.create_dataset(dataset, shape=volume.shape, dtype=volume.dtype,
                                 compression=compression, chunks=chunks)
        if volume.is_lazy:
            import dask.array as da

            da.store(da.asarray(volume.array), ds, lock=True)
        else:
            ds[...] = volume.array
        ds.attrs["spacing"] = np.asarray(volume.spacing, dtype=np.float64)
        ds.attrs["unit"] = volume.unit
        ds.attrs["meta"] = meta_to_json(volume.meta)
        if volume.unit != VOXEL:
            ds.attrs["element_size_um"] = np.asarray(convert_length(volume.spacing, volume.unit, "µm"))
