import dask.array as da
import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import CorruptFileError, DimensionError, ParameterError
from microtwin.io import Volume, read_volume, write_volume
from microtwin.io.tests._strategies import UNITS, metas, spacings, volumes


@settings(max_examples=25, deadline=None)
@given(array=volumes)
def test_hdf5_roundtrip_keeps_values_dtype_and_shape(tmp_path_factory, array):
    path = write_volume(tmp_path_factory.mktemp("h5") / "v.h5", array)
    vol = read_volume(path)
    assert vol.dtype == array.dtype and vol.shape == array.shape
    np.testing.assert_array_equal(vol.array, array)


@settings(max_examples=20, deadline=None)
@given(spacing=spacings, unit=st.sampled_from(UNITS), meta=metas)
def test_hdf5_roundtrip_keeps_spacing_unit_and_meta(tmp_path_factory, spacing, unit, meta):
    path = tmp_path_factory.mktemp("h5") / "v.h5"
    write_volume(path, Volume(np.zeros((2, 3, 4), np.uint8), spacing=spacing, unit=unit, meta=meta))
    vol = read_volume(path)
    assert vol.spacing == spacing and vol.unit == unit
    assert {k: v for k, v in vol.meta.items() if k not in ("format", "source")} == meta


def test_hdf5_writes_element_size_um_for_fiji_only_with_a_physical_unit(tmp_path):
    write_volume(tmp_path / "nm.h5", np.zeros((2, 2, 2)), spacing=(20, 10, 10), unit="nm")
    write_volume(tmp_path / "vx.h5", np.zeros((2, 2, 2)))
    with h5py.File(tmp_path / "nm.h5") as f:
        np.testing.assert_allclose(f["volume"].attrs["element_size_um"], [0.02, 0.01, 0.01])
        assert f["volume"].attrs["unit"] == "nm"
    with h5py.File(tmp_path / "vx.h5") as f:
        assert "element_size_um" not in f["volume"].attrs


def test_foreign_hdf5_with_element_size_um_gives_spacing_in_micrometres(tmp_path):
    path = tmp_path / "fiji.h5"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("exchange/data", data=np.ones((3, 4, 5), np.uint16))
        ds.attrs["element_size_um"] = np.array([0.65, 0.325, 0.325], np.float32)
    vol = read_volume(path)
    assert vol.spacing == (0.65, 0.325, 0.325) and vol.unit == "µm"
    assert vol.shape == (3, 4, 5)


def test_foreign_hdf5_without_voxel_size_is_in_voxels(tmp_path):
    path = tmp_path / "bare.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.zeros((2, 2, 2))
    vol = read_volume(path)
    assert vol.spacing == (1.0, 1.0, 1.0) and vol.unit == "voxel"


def test_several_3d_datasets_need_dataset_and_are_listed(tmp_path):
    path = tmp_path / "many.h5"
    with h5py.File(path, "w") as f:
        f["raw"] = np.zeros((2, 2, 2), np.uint16)
        f["seg/labels"] = np.ones((2, 2, 2), np.uint8)
        f["profile"] = np.zeros(5)
    with pytest.raises(ParameterError, match="/raw, /seg/labels"):
        read_volume(path)
    assert read_volume(path, dataset="seg/labels").array.dtype == np.uint8
    assert read_volume(path, dataset="/raw").array.dtype == np.uint16


def test_missing_dataset_name_is_refused_with_the_candidates(tmp_path):
    path = write_volume(tmp_path / "v.h5", np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError, match="'labels'.*/volume"):
        read_volume(path, dataset="labels")


def test_2d_dataset_is_a_dimension_error(tmp_path):
    path = tmp_path / "flat.h5"
    with h5py.File(path, "w") as f:
        f["image"] = np.zeros((3, 4))
    with pytest.raises(DimensionError, match=r"/image \(3, 4\)"):
        read_volume(path)
    with pytest.raises(DimensionError, match="2D"):
        read_volume(path, dataset="image")


def test_file_without_datasets_or_not_hdf5_is_corrupt(tmp_path):
    with h5py.File(tmp_path / "empty.h5", "w"):
        pass
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(CorruptFileError, match="no dataset"):
        read_volume(tmp_path / "empty.h5")
    with pytest.raises(CorruptFileError, match="text.h5"):
        read_volume(tmp_path / "text.h5")


def test_lazy_read_is_a_dask_array_with_the_asked_chunks_and_the_same_values(tmp_path):
    array = np.arange(9 * 8 * 7, dtype=np.int32).reshape(9, 8, 7)
    path = write_volume(tmp_path / "v.h5", array, spacing=2, unit="um")
    vol = read_volume(path, lazy=True, chunks=(4, 4, 4))
    assert isinstance(vol.array, da.Array) and vol.is_lazy
    assert vol.array.chunks == ((4, 4, 1), (4, 4), (4, 3))
    assert vol.spacing == (2.0, 2.0, 2.0) and vol.unit == "µm"
    np.testing.assert_array_equal(vol.compute().array, array)


def test_lazy_read_default_chunks_are_whole_storage_chunks(tmp_path):
    path = write_volume(tmp_path / "v.h5", np.zeros((20, 20, 20), np.uint8), chunks=(4, 5, 20))
    chunks = read_volume(path, lazy=True).array.chunks
    for axis, storage in enumerate((4, 5, 20)):
        assert all(c % storage == 0 for c in chunks[axis][:-1])


def test_lazy_volume_is_written_block_by_block(tmp_path, monkeypatch):
    array = np.random.default_rng(1).random((6, 7, 8)).astype(np.float32)
    written = []
    original = h5py.Dataset.__setitem__

    def record(self, key, value):
        written.append(np.shape(value))
        original(self, key, value)

    monkeypatch.setattr(h5py.Dataset, "__setitem__", record)
    path = write_volume(tmp_path / "v.h5", Volume(da.from_array(array, chunks=3), spacing=5, unit="nm"))
    monkeypatch.undo()
    assert len(written) == 2 * 3 * 3 and max(int(np.prod(s)) for s in written) == 27
    vol = read_volume(path)
    np.testing.assert_array_equal(vol.array, array)
    assert vol.spacing == (5.0, 5.0, 5.0)


def test_write_options_set_dataset_compression_and_chunks(tmp_path):
    path = write_volume(tmp_path / "v.h5", np.zeros((3, 4, 5)), dataset="a/b", compression=None,
                        chunks=(64, 2, 2))
    with h5py.File(path) as f:
        assert f["a/b"].compression is None and f["a/b"].chunks == (3, 2, 2)


def test_failed_lazy_read_closes_the_file(tmp_path):
    path = write_volume(tmp_path / "v.h5", np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError):
        read_volume(path, lazy=True, dataset="nope")
    with h5py.File(path, "w"):  # HDF5 refuses to truncate a file that is still open
        pass
