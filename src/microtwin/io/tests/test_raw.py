import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import ParameterError, RawSizeError
from microtwin.io import read_volume, write_volume
from microtwin.io.tests._strategies import random_volume


@settings(max_examples=25, deadline=None)
@given(dtype=st.sampled_from(["uint8", "uint16", "int32", "float32", "float64", "bool"]),
       shape=st.tuples(*[st.integers(1, 9)] * 3), byte_order=st.sampled_from(["little", "big", "native"]),
       seed=st.integers(0, 2**16))
def test_raw_roundtrip_keeps_values_in_native_byte_order(tmp_path_factory, dtype, shape, byte_order, seed):
    array = random_volume(dtype, shape, seed)
    path = write_volume(tmp_path_factory.mktemp("raw") / "v.raw", array, byte_order=byte_order)
    volume = read_volume(path, dtype=dtype, shape=shape, byte_order=byte_order)
    assert volume.dtype == array.dtype and volume.dtype.isnative
    np.testing.assert_array_equal(volume.array, array)


def test_big_endian_file_from_another_tool_is_read_as_native(tmp_path):
    array = np.arange(24, dtype=np.uint16).reshape(2, 3, 4) * 1000
    path = tmp_path / "big.raw"
    array.astype(">u2").tofile(path)
    volume = read_volume(path, dtype="uint16", shape=(2, 3, 4), byte_order=">")
    assert volume.dtype.isnative
    np.testing.assert_array_equal(volume.array, array)


def test_big_endian_write_puts_the_most_significant_byte_first(tmp_path):
    path = write_volume(tmp_path / "v.raw", np.full((1, 1, 2), 0x0102, np.uint16), byte_order="big")
    assert path.read_bytes() == b"\x01\x02\x01\x02"


def test_offset_skips_a_header(tmp_path):
    array = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    path = tmp_path / "header.raw"
    path.write_bytes(b"HEADER" * 10 + array.tobytes())
    volume = read_volume(path, dtype="float32", shape=(3, 4, 5), offset=60)
    np.testing.assert_array_equal(volume.array, array)


@pytest.mark.parametrize("offset", [0, 16])
def test_mmap_returns_a_read_only_memmap_with_the_values(tmp_path, offset):
    array = np.arange(60, dtype=np.int32).reshape(3, 4, 5)
    path = tmp_path / "v.raw"
    path.write_bytes(b"\0" * offset + array.tobytes())
    volume = read_volume(path, dtype="int32", shape=(3, 4, 5), offset=offset, mmap=True)
    assert isinstance(volume.array, np.memmap) and not volume.array.flags.writeable
    np.testing.assert_array_equal(volume.array, array)
    with pytest.raises(ValueError):
        volume.array[0, 0, 0] = 1


def test_mmap_of_a_non_native_byte_order_is_refused(tmp_path):
    path = write_volume(tmp_path / "v.raw", np.zeros((2, 2, 2), np.uint16), byte_order="big")
    with pytest.raises(ParameterError, match="mmap=True needs the machine's byte order"):
        read_volume(path, dtype="uint16", shape=(2, 2, 2), byte_order="big", mmap=True)


def test_size_mismatch_states_expected_and_found_bytes(tmp_path):
    path = write_volume(tmp_path / "v.raw", np.zeros((4, 5, 6), np.uint16))
    with pytest.raises(RawSizeError, match=r"has 240 bytes; expected 218 = shape \(3, 6, 6\) × 2 bytes "
                                           r"\(uint16\) \+ offset 2"):
        read_volume(path, dtype="uint16", shape=(3, 6, 6), offset=2)


@pytest.mark.parametrize("options, missing", [({"shape": (2, 2, 2)}, "needs dtype="),
                                              ({"dtype": "uint8"}, "needs shape=")])
def test_missing_dtype_or_shape_is_a_parameter_error_saying_so(tmp_path, options, missing):
    path = write_volume(tmp_path / "v.raw", np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ParameterError, match=missing):
        read_volume(path, **options)


@pytest.mark.parametrize("options", [{"shape": (2, 4)}, {"shape": (2, 2, 0)}, {"byte_order": "middle"},
                                     {"dtype": "not-a-dtype"}, {"offset": -1}])
def test_malformed_raw_options_are_parameter_errors(tmp_path, options):
    path = write_volume(tmp_path / "v.raw", np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ParameterError):
        read_volume(path, **{"dtype": "uint8", "shape": (2, 2, 2), **options})


def test_spacing_for_raw_comes_from_the_read_volume_override(tmp_path):
    path = write_volume(tmp_path / "v.raw", np.zeros((2, 2, 2), np.uint8), spacing=5, unit="nm")
    assert read_volume(path, dtype="uint8", shape=(2, 2, 2)).unit == "voxel"
    volume = read_volume(path, dtype="uint8", shape=(2, 2, 2), spacing=(20, 10, 10), unit="nm")
    assert volume.spacing == (20, 10, 10) and volume.unit == "nm"
