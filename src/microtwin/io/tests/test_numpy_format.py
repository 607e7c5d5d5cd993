from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import CorruptFileError, DimensionError, ParameterError
from microtwin.io import Volume, read_volume, write_volume
from microtwin.io._meta import meta_to_json
from microtwin.io.tests._strategies import UNITS, metas, spacings, volumes


def shared_data(*parts) -> Path:
    """A file of the project's shared data (``<repo>/../shared/data``); skip the test when absent."""
    path = Path(__file__).resolve().parents[4].parent.joinpath("shared", "data", *parts)
    if not path.exists():
        pytest.skip(f"shared data file {path} is absent (it lives beside the repository, in ../shared/data)")
    return path


@settings(max_examples=25, deadline=None)
@given(array=volumes)
def test_npy_roundtrip_keeps_values_dtype_and_shape(tmp_path_factory, array):
    path = write_volume(tmp_path_factory.mktemp("npy") / "v.npy", array)
    vol = read_volume(path)
    assert vol.dtype == array.dtype and vol.shape == array.shape
    np.testing.assert_array_equal(vol.array, array)
    assert vol.spacing == (1.0, 1.0, 1.0) and vol.unit == "voxel"


@settings(max_examples=25, deadline=None)
@given(array=volumes, spacing=spacings, unit=st.sampled_from(UNITS), meta=metas)
def test_npz_roundtrip_keeps_values_spacing_unit_and_meta(tmp_path_factory, array, spacing, unit, meta):
    path = tmp_path_factory.mktemp("npz") / "v.npz"
    write_volume(path, Volume(array, spacing=spacing, unit=unit, meta=meta))
    vol = read_volume(path)
    assert vol.dtype == array.dtype
    np.testing.assert_array_equal(vol.array, array)
    assert vol.spacing == spacing and vol.unit == unit
    assert {k: v for k, v in vol.meta.items() if k not in ("format", "source")} == meta


def test_npz_keeps_anisotropic_spacing_and_phase_labels(tmp_path):
    labels = np.zeros((4, 5, 6), np.uint8)
    write_volume(tmp_path / "v.npz", labels, spacing=(20, 10, 10), unit="nm")
    write_volume(tmp_path / "w.npz", Volume(labels, meta={"phases": {"pore": 0, "NMC": 1}}))
    assert read_volume(tmp_path / "v.npz").spacing == (20.0, 10.0, 10.0)
    assert read_volume(tmp_path / "w.npz").meta["phases"] == {"pore": 0, "NMC": 1}


def test_npz_is_compressed_by_default_and_not_with_compress_false(tmp_path):
    zeros = np.zeros((40, 40, 40), np.uint8)
    small = write_volume(tmp_path / "small.npz", zeros)
    big = write_volume(tmp_path / "big.npz", zeros, compress=False)
    assert small.stat().st_size < 2000 < zeros.nbytes < big.stat().st_size
    np.testing.assert_array_equal(read_volume(big).array, zeros)


def test_meta_keeps_json_values_and_drops_the_rest():
    meta = {"phases": {"pore": 0}, "format": "npz", "source": "x", "numpy": np.int64(3),
            "nan": float("nan"), 1: "int key", "tuple": (1, 2)}
    assert meta_to_json(meta) == '{"phases": {"pore": 0}, "tuple": [1, 2]}'


def test_npz_with_one_foreign_array_is_read_without_key(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, arr_0=np.arange(24).reshape(2, 3, 4))
    vol = read_volume(path)
    np.testing.assert_array_equal(vol.array, np.arange(24).reshape(2, 3, 4))
    assert vol.unit == "voxel"


def test_npz_with_several_arrays_needs_a_key_and_lists_them(tmp_path):
    path = tmp_path / "many.npz"
    np.savez(path, grey=np.zeros((2, 2, 2)), labels=np.ones((2, 2, 2), np.uint8))
    with pytest.raises(ParameterError, match="grey, labels"):
        read_volume(path)
    assert read_volume(path, key="labels").array.dtype == np.uint8
    with pytest.raises(ParameterError, match="'mask'.*grey, labels"):
        read_volume(path, key="mask")


def test_real_bentheimer_npz_single_key_reads_with_its_pore_fraction():
    vol = read_volume(shared_data("porespy-sandstones", "bentheimer.npz"))
    assert vol.shape == (500, 500, 500) and vol.dtype == bool
    assert vol.array.mean() == pytest.approx(0.19969, abs=5e-6)


def test_real_leopard_npy_memory_mapped_gives_its_porosity():
    vol = read_volume(shared_data("porespy-sandstones", "image_Leopard_slice100.npy"), mmap_mode="r")
    assert isinstance(vol.array, np.memmap) and vol.dtype == np.int8
    assert (vol.array == 1).mean() == pytest.approx(0.26223, abs=5e-6)


def test_npy_mmap_mode_maps_instead_of_loading(tmp_path):
    path = write_volume(tmp_path / "v.npy", np.arange(8, dtype=np.int32).reshape(2, 2, 2))
    vol = read_volume(path, mmap_mode="r")
    assert isinstance(vol.array, np.memmap) and int(vol.array[1, 1, 1]) == 7


def test_options_of_the_other_numpy_format_are_refused(tmp_path):
    write_volume(tmp_path / "v.npy", np.zeros((2, 2, 2)))
    write_volume(tmp_path / "v.npz", np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError, match="key"):
        read_volume(tmp_path / "v.npy", key="array")
    with pytest.raises(ParameterError, match="mmap_mode"):
        read_volume(tmp_path / "v.npz", mmap_mode="r")


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_lazy_volume_is_written_with_the_same_values(tmp_path, suffix):
    array = np.arange(5 * 6 * 7, dtype=np.float32).reshape(5, 6, 7)
    path = write_volume(tmp_path / f"v{suffix}", Volume(da.from_array(array, chunks=2)))
    np.testing.assert_array_equal(read_volume(path).array, array)


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_2d_array_is_a_dimension_error(tmp_path, suffix):
    path = tmp_path / f"flat{suffix}"
    (np.save if suffix == ".npy" else np.savez)(path, np.zeros((3, 4)))
    with pytest.raises(DimensionError, match="2D.*expected 3D"):
        read_volume(path)


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_truncated_file_is_corrupt(tmp_path, suffix):
    path = write_volume(tmp_path / f"v{suffix}", np.random.default_rng(0).random((8, 8, 8)))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptFileError, match=f"v{suffix}"):
        read_volume(path)


def test_npz_with_pickled_objects_is_refused_not_unpickled(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, arr_0=np.array([[[{"a": 1}]]], dtype=object))
    with pytest.raises(CorruptFileError, match="allow_pickle"):
        read_volume(path)
