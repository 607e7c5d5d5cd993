import xml.etree.ElementTree as ET

import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from microtwin.errors import CorruptFileError, DTypeError, UnknownFormatError
from microtwin.io import Volume, read_volume, write_volume

VTK_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
UNITS = ["nm", "µm", "mm", "m", "voxel"]
shapes = st.tuples(*[st.integers(1, 9)] * 3)
spacings = st.tuples(*[st.floats(1e-3, 1e3)] * 3)
json_values = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(st.characters(exclude_categories=["Cs"]), max_size=8), st.booleans())
metas = st.dictionaries(st.text(st.characters(exclude_categories=["Cs"]), max_size=8).filter(
    lambda k: k not in ("format", "source")), json_values | st.lists(json_values, max_size=3), max_size=4)


def xml_header(path):
    """The XML part of a .vti file (before the appended binary data), parsed."""
    head = path.read_bytes().split(b"<AppendedData")[0]
    return ET.fromstring(head + b"</VTKFile>")


@settings(max_examples=25, deadline=None)
@given(array=st.sampled_from(VTK_DTYPES).flatmap(lambda dt: hnp.arrays(dt, shapes)), compress=st.booleans())
def test_vti_roundtrip_keeps_values_dtype_and_shape(tmp_path_factory, array, compress):
    path = write_volume(tmp_path_factory.mktemp("vti") / "v.vti", array, compress=compress)
    vol = read_volume(path)
    assert vol.dtype == array.dtype and vol.shape == array.shape
    np.testing.assert_array_equal(vol.array, array)


@settings(max_examples=20, deadline=None)
@given(spacing=spacings, unit=st.sampled_from(UNITS), meta=metas)
def test_vti_roundtrip_keeps_spacing_unit_and_meta(tmp_path_factory, spacing, unit, meta):
    path = tmp_path_factory.mktemp("vti") / "v.vti"
    write_volume(path, Volume(np.zeros((2, 3, 4), np.uint8), spacing=spacing, unit=unit, meta=meta))
    vol = read_volume(path)
    assert vol.spacing == spacing and vol.unit == unit
    assert {k: v for k, v in vol.meta.items() if k not in ("format", "source")} == meta


def test_bool_is_written_as_uint8_zero_and_one(tmp_path):
    mask = np.zeros((3, 4, 5), bool)
    mask[1, 2, 3] = True
    vol = read_volume(write_volume(tmp_path / "m.vti", mask))
    assert vol.dtype == np.uint8
    np.testing.assert_array_equal(vol.array, mask.astype(np.uint8))
    assert xml_header(tmp_path / "m.vti").find(".//DataArray").get("type") == "UInt8"


@pytest.mark.parametrize("compress", [True, False])
def test_header_puts_voxels_in_cells_with_x_first_spacing(tmp_path, compress):
    path = write_volume(tmp_path / "v.vti", np.zeros((2, 3, 4), np.float32), spacing=(20, 10, 5), unit="nm",
                        compress=compress, name="grey")
    root = xml_header(path)
    image = root.find("ImageData")
    assert root.get("type") == "ImageData" and root.get("header_type") == "UInt64"
    assert root.get("compressor") == ("vtkZLibDataCompressor" if compress else None)
    assert image.get("WholeExtent") == "0 4 0 3 0 2" and image.get("Origin") == "0 0 0"
    assert image.get("Spacing") == "5.0 10.0 20.0"
    assert image.find("Piece/CellData/DataArray").get("Name") == "grey"
    assert image.find("Piece/CellData/DataArray").get("type") == "Float32"


@pytest.mark.parametrize("shape", [(64, 128, 128), (65, 128, 128)])
def test_data_of_one_or_several_zlib_blocks_roundtrips(tmp_path, shape):
    array = np.random.default_rng(5).integers(0, 4, shape, dtype=np.uint8)  # 1 MiB blocks: exactly one, and two
    np.testing.assert_array_equal(read_volume(write_volume(tmp_path / "v.vti", array)).array, array)


def test_compression_shrinks_a_uniform_volume(tmp_path):
    zeros = np.zeros((32, 32, 32), np.uint16)
    small = write_volume(tmp_path / "small.vti", zeros)
    big = write_volume(tmp_path / "big.vti", zeros, compress=False)
    assert small.stat().st_size < 3000 < zeros.nbytes < big.stat().st_size


def test_lazy_volume_is_written(tmp_path):
    array = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    path = write_volume(tmp_path / "v.vti", Volume(da.from_array(array, chunks=2)))
    np.testing.assert_array_equal(read_volume(path).array, array)


@pytest.mark.parametrize("dtype", ["float16", "complex64"])
def test_dtype_without_vtk_type_is_refused(tmp_path, dtype):
    with pytest.raises(DTypeError, match=f"{dtype}.*expected one of bool"):
        write_volume(tmp_path / "v.vti", np.zeros((2, 2, 2), dtype))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("compress", [True, False])
def test_truncated_file_is_corrupt(tmp_path, compress):
    path = write_volume(tmp_path / "v.vti", np.random.default_rng(6).random((8, 8, 8)), compress=compress)
    path.write_bytes(path.read_bytes()[: path.stat().st_size - 500])
    with pytest.raises(CorruptFileError, match="v.vti"):
        read_volume(path)


def test_file_that_is_not_vtk_xml_is_corrupt(tmp_path):
    path = tmp_path / "junk.vti"
    path.write_bytes(b"\x00\x01 definitely not XML" * 10)
    with pytest.raises(CorruptFileError, match="not a VTK XML file"):
        read_volume(path)


def test_ascii_vti_is_reported_as_unsupported(tmp_path):
    path = tmp_path / "ascii.vti"
    path.write_text(
        '<?xml version="1.0"?>\n<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian">\n'
        '<ImageData WholeExtent="0 1 0 1 0 1" Origin="0 0 0" Spacing="1 1 1"><Piece Extent="0 1 0 1 0 1">'
        '<CellData><DataArray type="UInt8" Name="v" format="ascii">7</DataArray></CellData></Piece>'
        "</ImageData>\n</VTKFile>\n"
    )
    with pytest.raises(UnknownFormatError, match="AppendedData"):
        read_volume(path)


@pytest.mark.parametrize("compress", [True, False])
def test_vtk_own_reader_sees_the_same_voxels_spacing_and_unit(tmp_path, compress):
    vtk = pytest.importorskip("vtk")
    from vtk.util.numpy_support import vtk_to_numpy

    array = np.random.default_rng(7).integers(-100, 100, (5, 6, 7), dtype=np.int16)
    path = write_volume(tmp_path / "v.vti", array, spacing=(20, 10, 5), unit="nm", compress=compress)
    reader = vtk.vtkXMLImageDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    image = reader.GetOutput()
    assert image.GetDimensions() == (8, 7, 6) and image.GetSpacing() == (5.0, 10.0, 20.0)
    values = vtk_to_numpy(image.GetCellData().GetArray("values")).reshape(array.shape)
    np.testing.assert_array_equal(values, array)
    assert image.GetFieldData().GetAbstractArray("unit").GetValue(0) == "nm"


def test_malformed_extent_in_header_is_corrupt(tmp_path):
    path = write_volume(tmp_path / "v.vti", np.zeros((2, 3, 4), np.uint8))
    path.write_bytes(path.read_bytes().replace(b'<Piece Extent="0 4 0 3 0 2"', b'<Piece Extent="0 4 zero"'))
    with pytest.raises(CorruptFileError, match="Piece Extent.*expected 6 numbers"):
        read_volume(path)
