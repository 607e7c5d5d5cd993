"""Zarr volumes: microtwin's own array stores, other groups, and OME-NGFF (OME-Zarr) images.

microtwin writes a plain Zarr array (not a group) whose attributes hold ``spacing``
(dz, dy, dx), ``unit`` and ``meta``; ``zarr.open(path)`` gives the array. Written with the
installed zarr: format 3 with zarr 3.x, format 2 with zarr 2.16+.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import zarr

from microtwin._validation import as_spacing
from microtwin.errors import CorruptFileError, DimensionError, ParameterError, SpacingError, UnitError
from microtwin.io._meta import meta_to_json
from microtwin.io._volume import Volume
from microtwin.units import VOXEL, convert_length, normalize_unit

_OPEN_ERRORS = (OSError, ValueError, KeyError, TypeError)


def read(path: Path, dataset: str | None = None, lazy: bool = False, chunks="auto") -> Volume:
    """Read a 3D Zarr array, or one array of a Zarr group, with its voxel size.

    Parameters
    ----------
    path : Path
        A Zarr array store, or a group store.
    dataset : str, optional
        Path of the array inside a group (``"0"``, ``"labels/phases"``). Without it: for an
        OME-NGFF image, its full-resolution level (``multiscales[0].datasets[0]``); for other
        groups, the group's only 3D array.
    lazy : bool
        Return a chunked dask array (:func:`dask.array.from_zarr`) that reads on demand,
        for volumes larger than memory.
    chunks : "auto" or tuple of int
        Dask chunk shape when ``lazy``; ``"auto"`` picks blocks of about 128 MiB made of
        whole Zarr chunks.

    Returns
    -------
    Volume
        Spacing from microtwin's attributes, else from the OME-NGFF ``scale`` transform and
        axis units; leading non-spatial OME axes of length 1 (t, c) are dropped.
    """
    try:
        node = zarr.open(str(path), mode="r")
    except _OPEN_ERRORS as exc:
        raise CorruptFileError(f"cannot open {path.name!r} as a Zarr store: {exc}") from None
    if isinstance(node, zarr.Group):
        array, name, ome = _select(node, dataset, path)
    elif dataset is not None:
        raise ParameterError(f"{path.name!r} is a single Zarr array; dataset={dataset!r} applies to groups")
    else:
        array, name, ome = node, "", None
    try:
        index, ome_spacing = _ome_axes(ome, name, array.ndim)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise CorruptFileError(f"{path.name!r}: malformed OME-NGFF multiscales metadata ({exc!r})") from None
    where = f"{path.name}/{name}".rstrip("/")
    spatial = [isinstance(i, slice) for i in index]
    if sum(spatial) != 3 or any(n != 1 for n, s in zip(array.shape, spatial) if not s):
        raise DimensionError(
            f"Zarr array {where!r} has shape {array.shape}; expected 3D (z, y, x), other axes of length 1"
        )
    spacing, unit, meta = _attributes(dict(array.attrs), ome_spacing, where)
    if lazy:
        import dask.array as da

        data = da.from_zarr(array, chunks=chunks)[index]
    else:
        try:
            data = np.asarray(array[index])
        except (RuntimeError, ValueError, OSError) as exc:  # codecs raise RuntimeError on damaged chunks
            raise CorruptFileError(f"cannot read Zarr array {where!r}: {exc}") from None
    return Volume(data, spacing=spacing, unit=unit, meta=meta)


def _select(group, dataset: str | None, path: Path):
    """Return (array, its path in the group, the OME multiscales entry or None)."""
    attrs = dict(group.attrs)
    try:
        multiscales = attrs.get("ome", attrs).get("multiscales")  # OME-NGFF 0.5 nests under "ome"
        ome = multiscales[0] if multiscales else None
        if dataset is None and ome is not None:
            dataset = ome["datasets"][0]["path"]
    except (AttributeError, KeyError, IndexError, TypeError) as exc:
        raise CorruptFileError(f"{path.name!r}: malformed OME-NGFF multiscales metadata ({exc!r})") from None
    if dataset is not None:
        dataset = dataset.strip("/")
        try:
            node = group[dataset]
        except KeyError:
            node = None
        if not isinstance(node, zarr.Array):
            names = ", ".join(name for name, _ in _arrays(group)) or "none"
            raise ParameterError(f"{path.name!r} has no array {dataset!r}; its arrays: {names}")
        return node, dataset, ome
    found = list(_arrays(group))
    volumes = [(name, array) for name, array in found if array.ndim == 3]
    if len(volumes) == 1:
        return volumes[0][1], volumes[0][0], None
    if volumes:
        names = ", ".join(name for name, _ in volumes)
        raise ParameterError(f"{path.name!r} holds several 3D arrays ({names}); pass dataset=...")
    shapes = ", ".join(f"{name} {array.shape}" for name, array in found) or "no arrays"
    raise DimensionError(f"Zarr group {path.name!r} holds no 3D array; expected one (z, y, x), found {shapes}")


def _arrays(group, prefix: str = ""):
    """Yield (path, array) for every array in a group and its subgroups."""
    for name, array in group.arrays():
        yield prefix + name, array
    for name, sub in group.groups():
        yield from _arrays(sub, f"{prefix}{name}/")


def _ome_axes(ome: dict | None, name: str, ndim: int):
    """Return (index that drops non-spatial axes, (scale, units) of spatial axes or None)."""
    entry = None if ome is None else next((d for d in ome["datasets"] if d["path"].strip("/") == name), None)
    if entry is None:
        return (slice(None),) * ndim, None
    axes = [{"name": a} if isinstance(a, str) else a for a in ome.get("axes", [])] or [{"type": "space"}] * ndim
    spatial = [a.get("type", "space" if a.get("name") in ("z", "y", "x") else None) == "space" for a in axes]
    scale = np.ones(ndim)
    for transform in [*entry.get("coordinateTransformations", []), *ome.get("coordinateTransformations", [])]:
        if transform["type"] == "scale":
            scale = scale * np.asarray(transform["scale"], dtype=float)
    if len(axes) != ndim or scale.shape != (ndim,):
        raise ValueError(f"{len(axes)} axes and {scale.size} scales for a {ndim}D array")
    index = tuple(slice(None) if s else 0 for s in spatial)
    units = [a.get("unit") for a, s in zip(axes, spatial) if s]
    return index, (scale[np.asarray(spatial)].tolist(), units)


def _attributes(attrs: dict, ome_spacing, where: str):
    """Spacing, unit and meta from microtwin's attributes, else from OME-NGFF scale and units."""
    try:
        if "spacing" in attrs:
            spacing, unit = as_spacing(attrs["spacing"]), normalize_unit(attrs.get("unit"))
        elif ome_spacing is not None:
            spacing, unit = _ome_spacing(*ome_spacing)
        else:
            spacing, unit = (1.0, 1.0, 1.0), VOXEL
    except (SpacingError, UnitError) as exc:
        raise CorruptFileError(f"bad voxel size in {where!r}: {exc}") from None
    meta = attrs.get("meta", {})
    if not isinstance(meta, dict):
        raise CorruptFileError(f"{where!r}: attribute 'meta' must be a JSON object; found {type(meta).__name__}")
    return spacing, unit, meta


def _ome_spacing(scale: list[float], units: list[str | None]):
    """OME scales and per-axis units as one spacing in the first axis' unit."""
    if len(scale) != 3:
        raise SpacingError(f"expected 3 spatial OME-NGFF axes (z, y, x); found {len(scale)}")
    units = [normalize_unit(u) for u in units]
    spacing = tuple(convert_length(s, u, units[0]) for s, u in zip(scale, units))
    return as_spacing(spacing), units[0]


def write(path: Path, volume: Volume, chunks=(64, 64, 64), compressor="auto") -> None:
    """Write ``volume`` as a Zarr array store with spacing, unit and metadata attributes.

    Parameters
    ----------
    path : Path
        The store folder to create.
    volume : Volume
        A lazy (dask) volume is written block by block (blocks aligned with the Zarr chunks,
        so no two tasks write the same chunk), never loaded whole.
    chunks : tuple of int or "auto"
        Zarr chunk shape, clipped to the volume shape; ``"auto"`` lets zarr choose.
    compressor : "auto", None, or a codec
        ``"auto"``: zarr's default compressor; None: no compression; otherwise a zarr 3
        bytes-to-bytes codec (or a numcodecs compressor with zarr 2).
    """
    if chunks != "auto":
        chunks = tuple(min(int(c), n) for c, n in zip(chunks, volume.shape))
    attributes = {
        "spacing": list(volume.spacing),
        "unit": volume.unit,
        "meta": json.loads(meta_to_json(volume.meta)),
    }
    if hasattr(zarr, "create_array"):  # zarr 3
        z = zarr.create_array(str(path), shape=volume.shape, dtype=volume.dtype, chunks=chunks,
                              compressors=compressor, attributes=attributes)
    else:  # zarr 2
        z = zarr.open_array(str(path), mode="w", shape=volume.shape, dtype=volume.dtype,
                            chunks=True if chunks == "auto" else chunks,
                            compressor="default" if compressor == "auto" else compressor)
        z.attrs.update(attributes)
    if not volume.is_lazy:
        z[...] = volume.array
        return
    import dask.array as da

    blocks = da.core.normalize_chunks("auto", volume.shape, dtype=volume.dtype, previous_chunks=z.chunks)
    da.store(da.asarray(volume.array).rechunk(blocks), z, lock=False)
