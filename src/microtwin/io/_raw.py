"""Raw binary volumes: voxels only, no header, no voxel size.

The caller gives what the file cannot say: ``dtype``, ``shape`` (z, y, x), the byte order and
the header size (``offset``). The voxel size comes from ``read_volume(..., spacing=, unit=)``.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np

from microtwin.errors import ParameterError, RawSizeError
from microtwin.io._volume import Volume

_BYTE_ORDERS = {"little": "<", "<": "<", "big": ">", ">": ">", "native": "=", "=": "="}


def _byte_order(byte_order) -> str:
    if byte_order not in _BYTE_ORDERS:
        known = ", ".join(map(repr, _BYTE_ORDERS))
        raise ParameterError(f"byte_order must be one of {known}; got {byte_order!r}")
    return _BYTE_ORDERS[byte_order]


def _dtype(dtype, byte_order) -> np.dtype:
    """The file's dtype: ``dtype`` with ``byte_order`` applied."""
    if dtype is None:
        raise ParameterError("reading a raw file needs dtype= (for example 'uint8'); raw files lack it")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ParameterError(f"dtype {dtype!r} is not a numpy dtype; expected for example 'uint16'") from None
    if dtype.kind not in "biuf":
        raise ParameterError(f"raw volumes hold bool, integer or float voxels; got dtype {dtype}")
    return dtype.newbyteorder(_byte_order(byte_order))


def _shape(shape) -> tuple[int, int, int]:
    if shape is None:
        raise ParameterError("reading a raw file needs shape=(z, y, x); raw files lack it")
    try:
        values = tuple(shape)
    except TypeError:
        values = ()
    if len(values) != 3 or not all(isinstance(n, numbers.Integral) and n > 0 for n in values):
        raise ParameterError(f"shape must be 3 positive integers (z, y, x); got {shape!r}")
    return tuple(int(n) for n in values)


def read(path: Path, dtype=None, shape=None, byte_order: str = "little", offset: int = 0,
         mmap: bool = False) -> Volume:
    """Read a raw binary volume.

    Parameters
    ----------
    path : Path
        The file: ``offset`` header bytes, then the voxels in C order (x fastest).
    dtype : str or numpy.dtype
        Voxel type, for example ``"uint16"``. Required.
    shape : tuple of 3 ints
        (z, y, x). Required.
    byte_order : {"little", "big", "native", "<", ">"}
        Byte order of the file. The result is always in the machine's byte order.
    offset : int
        Bytes to skip at the start (a header).
    mmap : bool
        Return a read-only ``numpy.memmap`` instead of loading the file. Needs the file's byte
        order to be the machine's (or a one-byte dtype).

    Returns
    -------
    Volume
        Spacing (1, 1, 1) ``"voxel"``: raw files hold no voxel size.

    Raises
    ------
    ParameterError
        If ``dtype`` or ``shape`` is missing or malformed.
    RawSizeError
        If the file size is not ``offset + z*y*x*itemsize`` bytes.
    """
    file_dtype = _dtype(dtype, byte_order)
    shape = _shape(shape)
    if isinstance(offset, bool) or not isinstance(offset, numbers.Integral) or offset < 0:
        raise ParameterError(f"offset must be a non-negative integer (bytes); got {offset!r}")
    expected = offset + int(np.prod(shape, dtype=np.int64)) * file_dtype.itemsize
    found = Path(path).stat().st_size
    if found != expected:
        raise RawSizeError(
            f"raw file {str(path)!r} has {found} bytes; expected {expected} = shape {shape} × "
            f"{file_dtype.itemsize} bytes ({file_dtype.name}) + offset {offset}"
        )
    native = file_dtype.newbyteorder("=")
    if mmap:
        if file_dtype != native:
            raise ParameterError(
                f"mmap=True needs the machine's byte order; the file is "
                f"{'big' if file_dtype.byteorder == '>' else 'little'}-endian "
                f"{file_dtype.name} (read it with mmap=False)"
            )
        array = np.memmap(path, dtype=native, mode="r", offset=offset, shape=shape)
    else:
        array = np.fromfile(path, dtype=file_dtype, offset=offset).reshape(shape)
        if file_dtype != native:
            array = array.byteswap(inplace=True).view(native)
    return Volume(array, meta={"raw_dtype": file_dtype.str, "offset": offset})


def write(path: Path, volume: Volume, byte_order: str = "little") -> None:
    """Write the voxels of a volume as raw binary, C order, no header (the voxel size is dropped).

    Parameters
    ----------
    path : Path
        Output file.
    volume : Volume
        The volume.
    byte_order : {"little", "big", "native", "<", ">"}
        Byte order to write. Conversion is done one z-slice at a time, so memory stays low.
    """
    array = np.asarray(volume.compute().array)
    file_dtype = array.dtype.newbyteorder(_byte_order(byte_order))
    with open(path, "wb") as fh:
        for plane in array:
            plane.astype(file_dtype, copy=False).tofile(fh)
