"""VTK XML ImageData (``.vti``) export for ParaView, and a reader for the files it writes.

Voxels are VTK *cells*: an (nz, ny, nx) volume is an image of ``WholeExtent="0 nx 0 ny 0 nz"``
points whose ``CellData`` holds the values, so each voxel is drawn as a box of size
``Spacing="dx dy dz"`` with its corner at the origin (0, 0, 0). VTK orders data x-fastest,
which is numpy's C order of a (z, y, x) array, so the bytes are written as they are.

The values follow the XML header as appended raw binary data (``header_type="UInt64"``),
zlib-compressed in 1 MiB blocks by default (VTK's ``vtkZLibDataCompressor`` layout: a
header of [number of blocks, block size, size of the last partial block, compressed size
of each block], then the blocks). The unit and the metadata (JSON) are ``FieldData``
string arrays named ``unit`` and ``meta``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from microtwin.errors import CorruptFileError, DTypeError, ParameterError, UnknownFormatError
from microtwin.io._meta import meta_from_json, meta_to_json
from microtwin.io._volume import Volume
from microtwin.units import VOXEL

#: numpy dtype code (without byte order) -> VTK type name
_VTK_TYPES = {
    "i1": "Int8", "u1": "UInt8", "i2": "Int16", "u2": "UInt16", "i4": "Int32", "u4": "UInt32",
    "i8": "Int64", "u8": "UInt64", "f4": "Float32", "f8": "Float64",
}
_NUMPY_TYPES = {vtk: code for code, vtk in _VTK_TYPES.items()}
_HEADER_TYPES = {"UInt32": "u4", "UInt64": "u8"}
_BYTE_ORDERS = {"LittleEndian": "<", "BigEndian": ">"}
_ZLIB = "vtkZLibDataCompressor"
_BLOCK = 1 << 20
_APPENDED = re.compile(rb"<AppendedData\s+encoding=\"(\w+)\"\s*>\s*_")


def write(path: Path, volume: Volume, compress: bool = True, name: str = "values") -> None:
    """Write ``volume`` as a VTK XML ImageData file that ParaView opens directly.

    Parameters
    ----------
    path : Path
        The output ``.vti`` file.
    volume : Volume
        Voxels of a numeric dtype (bool is written as UInt8 0/1). A lazy volume is loaded.
    compress : bool
        zlib-compress the data (``compressor="vtkZLibDataCompressor"``).
    name : str
        Name of the cell-data array in ParaView.

    Notes
    -----
    Voxels are cells (``WholeExtent="0 nx 0 ny 0 nz"``, ``CellData``); see the module docstring.
    """
    array = np.asarray(volume.array)
    code = "u1" if array.dtype == bool else array.dtype.str[1:]
    if code not in _VTK_TYPES:
        known = ", ".join(["bool", *(str(np.dtype(c)) for c in _VTK_TYPES)])
        raise DTypeError(f"cannot write dtype {array.dtype} to .vti; expected one of {known}")
    raw = np.ascontiguousarray(array, dtype=np.dtype("<" + code)).reshape(-1).view(np.uint8)
    nz, ny, nx = volume.shape
    dz, dy, dx = volume.spacing
    extent = f"0 {nx} 0 {ny} 0 {nz}"
    meta = meta_to_json(volume.meta)
    fields = _string_array("unit", volume.unit) + (_string_array("meta", meta) if meta != "{}" else "")
    head = (
        '<?xml version="1.0"?>\n'
        '<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" header_type="UInt64"'
        f'{f" compressor={quoteattr(_ZLIB)}" if compress else ""}>\n'
        f'  <ImageData WholeExtent="{extent}" Origin="0 0 0" Spacing="{dx!r} {dy!r} {dz!r}">\n'
        f"    <FieldData>\n{fields}    </FieldData>\n"
        f'    <Piece Extent="{extent}">\n'
        f"      <CellData Scalars={quoteattr(name)}>\n"
        f'        <DataArray type="{_VTK_TYPES[code]}" Name={quoteattr(name)} format="appended" offset="0"/>\n'
        "      </CellData>\n    </Piece>\n  </ImageData>\n"
        '  <AppendedData encoding="raw">\n   _'
    )
    with open(path, "wb") as file:
        file.write(head.encode("utf-8"))
        if compress:
            blocks = [zlib.compress(raw[i:i + _BLOCK]) for i in range(0, raw.size, _BLOCK)]
            sizes = [len(blocks), _BLOCK, raw.size % _BLOCK, *(len(b) for b in blocks)]
            file.write(np.asarray(sizes, dtype="<u8").tobytes())
            file.writelines(blocks)
        else:
            file.write(np.asarray([raw.size], dtype="<u8").tobytes())
            file.write(raw.data)
        file.write(b"\n  </AppendedData>\n</VTKFile>\n")


def _string_array(name: str, text: str) -> str:
    """A one-string VTK ``String`` array in ASCII form: UTF-8 byte values, NUL-terminated."""
    codes = " ".join(str(b) for b in text.encode("utf-8") + b"\0")
    return f'      <Array type="String" Name="{name}" NumberOfTuples="1" format="ascii">{codes}</Array>\n'


def read(path: Path, name: str | None = None) -> Volume:
    """Read a single-piece VTK ImageData file with appended raw data (as :func:`write` makes).

    Parameters
    ----------
    path : Path
        The ``.vti`` file.
    name : str, optional
        The cell- or point-data array to read; without it, the file's only array.

    Returns
    -------
    Volume
        Spacing from ``Spacing`` (reordered to dz, dy, dx); unit and metadata from the
        ``unit``/``meta`` field data when present. Files written from bool come back as uint8.

    Raises
    ------
    UnknownFormatError
        For valid VTK files this reader does not handle: ASCII or base64 data, several
        pieces, multi-component arrays, compressors other than zlib.
    CorruptFileError
        For damaged or truncated files.
    """
    with open(path, "rb") as file:
        root, data_start = _read_header(file, path)
        image = root.find("ImageData")
        pieces = [] if image is None else image.findall("Piece")
        if root.get("type") != "ImageData" or len(pieces) != 1:
            raise UnknownFormatError(
                f"{path.name!r} is VTK {root.get('type')} with {len(pieces)} piece(s); expected one ImageData piece"
            )
        element, shape = _select_array(pieces[0], name, path)
        try:
            order = _BYTE_ORDERS[root.get("byte_order", "LittleEndian")]
            header = np.dtype(order + _HEADER_TYPES[root.get("header_type", "UInt32")])
            dtype = np.dtype(order + _NUMPY_TYPES[element.get("type")])
        except KeyError as exc:
            raise UnknownFormatError(
                f"{path.name!r}: unsupported VTK setting {exc}; expected numeric scalars, UInt32/UInt64 headers"
            ) from None
        if root.get("compressor") not in (None, _ZLIB):
            raise UnknownFormatError(f"{path.name!r} uses {root.get('compressor')}; expected {_ZLIB} or none")
        file.seek(data_start + _numbers(element.get("offset", "0"), int, 1, "DataArray offset", path)[0])
        count = int(np.prod(shape))
        if root.get("compressor"):
            data = _read_compressed(file, header, dtype, count, path)
        else:
            data = _read_raw(file, header, dtype, count, path)
    spacing = _numbers(image.get("Spacing", "1 1 1"), float, 3, "Spacing", path)[::-1]
    fields = {
        a.get("Name"): _parse_string(a, path)
        for a in image.findall("FieldData/Array")
        if a.get("Name") in ("unit", "meta")
    }
    meta = meta_from_json(fields["meta"], path.name) if "meta" in fields else {}
    array = data.reshape(shape).astype(dtype.newbyteorder("="), copy=False)
    return Volume(array, spacing=spacing, unit=fields.get("unit", VOXEL), meta=meta)


def _read_header(file, path: Path):
    """Parse the XML before ``<AppendedData>``; return (root element, offset of the data)."""
    head = b""
    while (match := _APPENDED.search(head)) is None:
        chunk = file.read(1 << 16)
        if not chunk:
            if b"<VTKFile" in head:
                raise UnknownFormatError(
                    f"{path.name!r} has no raw <AppendedData>; expected appended raw binary data"
                )
            raise CorruptFileError(f"{path.name!r} is not a VTK XML file; expected <VTKFile ...>")
        head += chunk
    if match[1] != b"raw":
        raise UnknownFormatError(f"{path.name!r} has {match[1].decode()} appended data; expected raw")
    try:
        root = ET.fromstring(head[:match.start()] + b"</VTKFile>")
    except ET.ParseError as exc:
        raise CorruptFileError(f"{path.name!r}: malformed VTK XML header ({exc})") from None
    if root.tag != "VTKFile":
        raise CorruptFileError(f"{path.name!r}: root element is <{root.tag}>; expected <VTKFile>")
    return root, match.end()


def _select_array(piece: ET.Element, name: str | None, path: Path):
    """The chosen data array of a piece and the (z, y, x) shape of its values."""
    extent = _numbers(piece.get("Extent"), int, 6, "Piece Extent", path)
    edges = [extent[5] - extent[4], extent[3] - extent[2], extent[1] - extent[0]]
    shapes = {"CellData": tuple(max(n, 1) for n in edges), "PointData": tuple(n + 1 for n in edges)}
    found = [(a, shapes[kind]) for kind in shapes for a in piece.findall(f"{kind}/DataArray")]
    names = [a.get("Name") for a, _ in found]
    chosen = [(a, s) for a, s in found if name in (None, a.get("Name"))]
    if len(chosen) != 1:
        wanted = "one array, or pass name=..." if name is None else f"array {name!r}"
        raise ParameterError(f"{path.name!r} holds arrays {names}; expected {wanted}")
    element, shape = chosen[0]
    if element.get("format") != "appended" or element.get("NumberOfComponents", "1") != "1":
        raise UnknownFormatError(
            f"{path.name!r}: array {element.get('Name')!r} is {element.get('format')} with "
            f"{element.get('NumberOfComponents', 1)} components; expected appended scalars"
        )
    return element, shape


def _numbers(text: str | None, convert, count: int, what: str, path: Path) -> list:
    """``count`` numbers from a space-separated XML attribute, or :class:`CorruptFileError`."""
    try:
        values = [convert(t) for t in (text or "").split()]
    except ValueError:
        values = []
    if len(values) != count:
        raise CorruptFileError(f"{path.name!r}: {what} is {text!r}; expected {count} numbers")
    return values


def _read_raw(file, header: np.dtype, dtype: np.dtype, count: int, path: Path) -> np.ndarray:
    nbytes = np.fromfile(file, dtype=header, count=1)
    data = np.fromfile(file, dtype=dtype, count=count)
    if nbytes.size != 1 or int(nbytes[0]) != count * dtype.itemsize or data.size != count:
        raise CorruptFileError(
            f"{path.name!r}: expected {count * dtype.itemsize} bytes of data; the file is truncated"
        )
    return data


def _read_compressed(file, header: np.dtype, dtype: np.dtype, count: int, path: Path) -> np.ndarray:
    nbytes = count * dtype.itemsize
    sizes = np.fromfile(file, dtype=header, count=3)
    nblocks, block, last = (int(s) for s in sizes) if sizes.size == 3 else (0, 0, 0)
    if not 0 < nblocks <= nbytes:
        raise CorruptFileError(f"{path.name!r}: zlib header says {nblocks} blocks; expected 1 to {nbytes}")
    compressed = np.fromfile(file, dtype=header, count=nblocks)
    expected = [block] * (nblocks - 1) + [last or block]
    if compressed.size != nblocks or sum(expected) != nbytes:
        raise CorruptFileError(f"{path.name!r}: zlib header describes {sum(expected)} bytes; expected {nbytes}")
    data = np.empty(count, dtype=dtype)
    out = data.view(np.uint8)
    start = 0
    for size, length in zip(compressed, expected):
        try:
            out[start:start + length] = np.frombuffer(zlib.decompress(file.read(int(size))), np.uint8)
        except (zlib.error, ValueError) as exc:
            raise CorruptFileError(
                f"{path.name!r}: damaged zlib block at byte {start} of the data ({exc})"
            ) from None
        start += length
    return data


def _parse_string(array: ET.Element, path: Path) -> str:
    """The first string of an ASCII VTK ``String`` array."""
    try:
        codes = bytes(int(c) for c in (array.text or "").split())
        return codes.split(b"\0")[0].decode("utf-8")
    except ValueError as exc:
        raise CorruptFileError(
            f"{path.name!r}: field data {array.get('Name')!r} is not an ASCII string ({exc})"
        ) from None
