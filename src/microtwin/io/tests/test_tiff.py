import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import CorruptFileError, DimensionError
from microtwin.io import _tiff, read_volume, write_volume
from microtwin.io._tiff import natural_key
from microtwin.io.tests._strategies import random_volume

DTYPES = ["uint8", "uint16", "int32", "float32", "bool"]


def shared_data(*parts) -> Path:
    """A file of the project's shared data (``<repo>/../shared/data``); skip the test when absent."""
    path = Path(__file__).resolve().parents[4].parent.joinpath("shared", "data", *parts)
    if not path.exists():
        pytest.skip(f"shared data file {path} is absent (it lives beside the repository, in ../shared/data)")
    return path




shapes = st.tuples(*[st.integers(1, 9)] * 3)


@settings(max_examples=25, deadline=None)
@given(dtype=st.sampled_from(DTYPES), shape=shapes, seed=st.integers(0, 2**16))
def test_multipage_roundtrip_keeps_values_dtype_and_shape(tmp_path_factory, dtype, shape, seed):
    array = random_volume(dtype, shape, seed)
    path = write_volume(tmp_path_factory.mktemp("tif") / "v.tif", array, spacing=(20, 10, 10), unit="nm")
    volume = read_volume(path)
    assert volume.dtype == array.dtype
    np.testing.assert_array_equal(volume.array, array)
    assert volume.spacing == (20, 10, 10) and volume.unit == "nm"


@settings(max_examples=15, deadline=None)
@given(dtype=st.sampled_from(DTYPES), shape=shapes, seed=st.integers(0, 2**16))
def test_folder_roundtrip_keeps_values_dtype_shape_and_spacing(tmp_path_factory, dtype, shape, seed):
    array = random_volume(dtype, shape, seed)
    path = write_volume(tmp_path_factory.mktemp("dir") / "slices", array, spacing=(0.5, 0.25, 0.25),
                        unit="um", format="tiff-folder")
    volume = read_volume(path)
    assert volume.dtype == array.dtype
    np.testing.assert_array_equal(volume.array, array)
    assert volume.spacing == (0.5, 0.25, 0.25) and volume.unit == "µm"


@pytest.mark.parametrize("dtype", DTYPES + ["float64", "int16"])
@pytest.mark.parametrize("spacing, unit", [((20, 10, 10), "nm"), ((0.398, 0.398, 0.398), "µm")])
def test_spacing_and_unit_roundtrip_exactly(tmp_path, dtype, spacing, unit):
    path = write_volume(tmp_path / "v.tif", random_volume(dtype, (4, 5, 6), 0), spacing=spacing, unit=unit)
    volume = read_volume(path)
    assert volume.spacing == spacing and volume.unit == unit


@pytest.mark.parametrize("dtype, imagej", [("uint8", True), ("uint16", True), ("float32", True),
                                           ("bool", True), ("int32", False), ("float64", False)])
def test_imagej_dtypes_are_written_as_imagej_hyperstacks(tmp_path, dtype, imagej):
    path = write_volume(tmp_path / "v.tif", random_volume(dtype, (3, 4, 5), 0), spacing=2, unit="nm")
    with tifffile.TiffFile(path) as tif:
        assert tif.is_imagej == imagej
        if imagej:
            assert tif.imagej_metadata["spacing"] == 2 and tif.imagej_metadata["unit"] == "nm"
        else:
            assert tif.shaped_metadata[0]["spacing"] == [2, 2, 2]


def test_bool_volume_is_stored_as_uint8_and_read_back_as_bool(tmp_path):
    array = random_volume("bool", (3, 4, 5), 1)
    path = write_volume(tmp_path / "v.tif", array)
    assert tifffile.imread(path).dtype == np.uint8
    np.testing.assert_array_equal(read_volume(path).array, array)


def test_zlib_compressed_tiff_roundtrips(tmp_path):
    array = np.repeat(np.arange(8, dtype=np.uint16), 64).reshape(8, 8, 8)
    path = write_volume(tmp_path / "v.tif", array, compression="zlib")
    with tifffile.TiffFile(path) as tif:
        assert tif.pages.first.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
    np.testing.assert_array_equal(read_volume(path).array, array)


def test_large_volume_is_written_as_bigtiff_with_its_spacing(tmp_path, monkeypatch):
    monkeypatch.setattr(_tiff, "_BIGTIFF_BYTES", 100)
    array = random_volume("uint8", (3, 8, 8), 2)
    path = write_volume(tmp_path / "v.tif", array, spacing=(3, 2, 1), unit="mm")
    with tifffile.TiffFile(path) as tif:
        assert tif.is_bigtiff
    volume = read_volume(path)
    np.testing.assert_array_equal(volume.array, array)
    assert volume.spacing == (3, 2, 1) and volume.unit == "mm"


@pytest.mark.parametrize("unit", ["micron", "\\u00B5m", "um"])
def test_imagej_micrometre_spellings_are_read_as_um(tmp_path, unit):
    path = tmp_path / "ij.tif"
    tifffile.imwrite(path, np.zeros((3, 4, 5), np.uint8), imagej=True, resolution=(2.5, 2.5),
                     metadata={"spacing": 0.8, "unit": unit, "axes": "ZYX"})
    volume = read_volume(path)
    assert volume.spacing == (0.8, 0.4, 0.4) and volume.unit == "µm"


def test_imagej_stack_without_spacing_has_imagej_default_depth_of_one_unit(tmp_path):
    path = tmp_path / "ij.tif"
    tifffile.imwrite(path, np.zeros((3, 4, 5), np.uint8), imagej=True, resolution=(2, 2),
                     metadata={"unit": "nm", "axes": "ZYX"})
    assert read_volume(path).spacing == (1, 0.5, 0.5)


def test_ome_physical_sizes_are_read_and_converted_to_one_unit(tmp_path):
    path = tmp_path / "v.ome.tif"
    tifffile.imwrite(path, np.zeros((3, 4, 5), np.uint8), metadata={
        "axes": "ZYX", "PhysicalSizeX": 0.01, "PhysicalSizeY": 0.02, "PhysicalSizeZ": 30,
        "PhysicalSizeZUnit": "nm"})
    volume = read_volume(path)
    assert volume.spacing == (0.03, 0.02, 0.01) and volume.unit == "µm"
    assert volume.meta["spacing_source"] == "ome"


def test_centimetre_resolution_tags_give_the_voxel_size_with_z_assumed_equal_to_x(tmp_path):
    path = tmp_path / "v.tif"
    tifffile.imwrite(path, np.zeros((3, 4, 5), np.uint8), photometric="minisblack", metadata=None,
                     resolution=(1e4, 1e4), resolutionunit="CENTIMETER")
    volume = read_volume(path)
    assert volume.spacing == (1, 1, 1) and volume.unit == "µm" and volume.meta["z_spacing_assumed"]


@pytest.mark.parametrize("imagej_unit", [None, "inch"])
def test_72_dpi_placeholder_resolution_is_not_a_voxel_size(tmp_path, imagej_unit):
    path = tmp_path / "v.tif"
    kwargs = {"imagej": True, "metadata": {"unit": imagej_unit, "axes": "ZYX"}} if imagej_unit else {}
    tifffile.imwrite(path, np.zeros((3, 4, 5), np.uint8), photometric="minisblack",
                     resolution=(72, 72), resolutionunit="INCH", **kwargs)
    volume = read_volume(path)
    assert volume.spacing == (1, 1, 1) and volume.unit == "voxel"


def test_unknown_unit_warns_and_falls_back_to_voxels(tmp_path):
    path = tmp_path / "v.tif"
    tifffile.imwrite(path, np.zeros((3, 4, 5), np.uint8), imagej=True, resolution=(2, 2),
                     metadata={"unit": "furlong", "axes": "ZYX"})
    with pytest.warns(UserWarning, match="furlong"):
        volume = read_volume(path)
    assert volume.unit == "voxel"


def test_tiff_without_metadata_has_unit_voxel(tmp_path):
    path = tmp_path / "v.tif"
    tifffile.imwrite(path, np.zeros((5, 4, 3), np.uint8), photometric="minisblack", metadata=None)
    volume = read_volume(path)
    assert volume.shape == (5, 4, 3) and volume.spacing == (1, 1, 1) and volume.unit == "voxel"


def test_2d_tiff_is_refused_as_a_volume(tmp_path):
    path = tmp_path / "image.tif"
    tifffile.imwrite(path, np.zeros((4, 5), np.uint8))
    with pytest.raises(DimensionError, match=r"expected a 3D volume.*found 2D"):
        read_volume(path)


def test_multichannel_tiff_is_refused_naming_its_shape(tmp_path):
    path = tmp_path / "channels.tif"
    tifffile.imwrite(path, np.zeros((3, 2, 4, 5), np.uint8), imagej=True, metadata={"axes": "ZCYX"})
    with pytest.raises(DimensionError, match=r"\(1, 3, 2, 4, 5, 1\)"):
        read_volume(path)


def test_singleton_time_and_channel_axes_are_squeezed(tmp_path):
    path = tmp_path / "hyperstack.tif"
    array = random_volume("uint16", (1, 3, 1, 4, 5), 3)
    tifffile.imwrite(path, array, imagej=True, metadata={"axes": "TZCYX"})
    np.testing.assert_array_equal(read_volume(path).array, array.reshape(3, 4, 5))


def write_truncated(path: Path, array, **kwargs) -> Path:
    tifffile.imwrite(path, array, photometric="minisblack", **kwargs)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("kwargs", [{"imagej": True, "metadata": {"axes": "ZYX"}}, {},
                                    {"compression": "zlib"}, {"metadata": None}],
                         ids=["imagej", "shaped", "zlib", "plain"])
def test_truncated_tiff_raises_corrupt_file_error_naming_the_file(tmp_path, kwargs):
    array = random_volume("uint8", (20, 64, 64), 4)
    path = write_truncated(tmp_path / "cut.tif", array, **kwargs)
    with pytest.raises(CorruptFileError, match=r"cut\.tif.*(damaged or truncated)"):
        read_volume(path)


def test_file_that_is_not_a_tiff_raises_corrupt_file_error(tmp_path):
    path = tmp_path / "fake.tif"
    path.write_bytes(b"this is not a TIFF file at all")
    with pytest.raises(CorruptFileError, match="fake.tif"):
        read_volume(path)


def write_slices(folder: Path, names, shape=(4, 5), dtype=np.uint8) -> None:
    folder.mkdir(exist_ok=True)
    for value, name in enumerate(names):
        tifffile.imwrite(folder / name, np.full(shape, value, dtype), imagej=True, resolution=(0.5, 0.5),
                         metadata={"unit": "nm"})


def test_natural_key_orders_numbers_by_value():
    names = [f"slice{i}.tif" for i in (10, 2, 1, 12, 3)]
    assert sorted(names, key=natural_key) == [f"slice{i}.tif" for i in (1, 2, 3, 10, 12)]


def test_folder_slices_are_read_in_natural_order(tmp_path):
    write_slices(tmp_path / "scan", [f"slice{i}.tif" for i in range(1, 13)])
    volume = read_volume(tmp_path / "scan")
    np.testing.assert_array_equal(volume.array[:, 0, 0], np.arange(12))
    assert volume.spacing == (2, 2, 2) and volume.unit == "nm" and volume.meta["z_spacing_assumed"]


def test_glob_reads_only_matching_slices_in_natural_order(tmp_path):
    write_slices(tmp_path, [f"slice{i}.tif" for i in range(1, 13)])
    (tmp_path / "notes.txt").write_text("not a slice")
    volume = read_volume(str(tmp_path / "slice1*.tif"))
    np.testing.assert_array_equal(volume.array[:, 0, 0], [0, 9, 10, 11])
    assert volume.meta["format"] == "tiff-folder"


def test_folder_progress_bar_is_shown_when_asked(tmp_path, capsys):
    write_slices(tmp_path / "scan", [f"s{i}.tif" for i in range(3)])
    read_volume(tmp_path / "scan", progress=True)
    assert "3/3" in capsys.readouterr().err


@pytest.mark.parametrize("shape, dtype", [((4, 6), np.uint8), ((4, 5), np.uint16)])
def test_slice_with_other_shape_or_dtype_raises_corrupt_file_error_naming_it(tmp_path, shape, dtype):
    write_slices(tmp_path, [f"slice{i}.tif" for i in range(1, 5)])
    write_slices(tmp_path, ["slice3.tif"], shape=shape, dtype=dtype)
    with pytest.raises(CorruptFileError, match=r"slice3\.tif.*expected \(4, 5\) and uint8"):
        read_volume(tmp_path)


def test_truncated_slice_raises_corrupt_file_error_naming_it(tmp_path):
    write_slices(tmp_path, [f"slice{i}.tif" for i in range(1, 5)], shape=(64, 64))
    write_truncated(tmp_path / "slice2.tif", np.zeros((64, 64), np.uint8))
    with pytest.raises(CorruptFileError, match=r"slice2\.tif"):
        read_volume(tmp_path)


def test_folder_slices_carry_the_voxel_size_in_imagej_metadata(tmp_path):
    path = write_volume(tmp_path / "out", np.zeros((3, 4, 5), np.uint16), spacing=(20, 10, 10), unit="nm",
                        format="tiff-folder")
    names = sorted(p.name for p in path.iterdir())
    assert names == ["slice_00000.tif", "slice_00001.tif", "slice_00002.tif"]
    with tifffile.TiffFile(path / names[1]) as tif:
        assert tif.imagej_metadata["spacing"] == 20 and tif.imagej_metadata["unit"] == "nm"
        assert tif.pages.first.tags["XResolution"].value == (1, 10)


def test_json_description_holds_the_voxel_size_for_non_imagej_dtypes(tmp_path):
    path = write_volume(tmp_path / "v.tif", np.zeros((2, 3, 4), np.int32), spacing=(3, 2, 1), unit="um")
    with tifffile.TiffFile(path) as tif:
        description = json.loads(tif.pages.first.description)
    assert description["spacing"] == [3, 2, 1] and description["unit"] == "µm"


def test_real_electrode_tiff_reads_as_256_cubed_with_three_labels():
    volume = read_volume(shared_data("taufactor-electrode-polaron", "electrode.tiff"))
    assert volume.shape == (256, 256, 256) and volume.dtype == np.uint8
    np.testing.assert_array_equal(np.unique(volume.array), [0, 85, 170])
    assert volume.unit == "voxel"
