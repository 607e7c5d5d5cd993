import dask
import dask.array as da
import numpy as np
import pytest
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import CorruptFileError, DimensionError, ParameterError
from microtwin.io import Volume, read_volume, write_volume
from microtwin.io.tests._strategies import UNITS, metas, spacings, volumes


def ome_group(path, levels, axes, scales, version="0.4"):
    """An OME-NGFF image group built by hand: ``levels`` arrays "0", "1", ... with their scales."""
    group = zarr.open_group(str(path), mode="w")
    datasets = []
    for i, (level, scale) in enumerate(zip(levels, scales)):
        group.create_array(str(i), shape=level.shape, dtype=level.dtype, chunks=level.shape)[...] = level
        datasets.append({"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    multiscales = [{"version": version, "axes": axes, "datasets": datasets}]
    group.attrs.update({"ome": {"version": version, "multiscales": multiscales}} if version == "0.5"
                       else {"multiscales": multiscales})
    return path


SPACE = [{"name": "z", "type": "space", "unit": "micrometer"}, {"name": "y", "type": "space", "unit": "micrometer"},
         {"name": "x", "type": "space", "unit": "micrometer"}]


@settings(max_examples=25, deadline=None)
@given(array=volumes)
def test_zarr_roundtrip_keeps_values_dtype_and_shape(tmp_path_factory, array):
    path = write_volume(tmp_path_factory.mktemp("zarr") / "v.zarr", array)
    vol = read_volume(path)
    assert vol.dtype == array.dtype and vol.shape == array.shape
    np.testing.assert_array_equal(vol.array, array)


@settings(max_examples=20, deadline=None)
@given(spacing=spacings, unit=st.sampled_from(UNITS), meta=metas)
def test_zarr_roundtrip_keeps_spacing_unit_and_meta(tmp_path_factory, spacing, unit, meta):
    path = tmp_path_factory.mktemp("zarr") / "v.zarr"
    write_volume(path, Volume(np.zeros((2, 3, 4), np.uint8), spacing=spacing, unit=unit, meta=meta))
    vol = read_volume(path)
    assert vol.spacing == spacing and vol.unit == unit
    assert {k: v for k, v in vol.meta.items() if k not in ("format", "source")} == meta


def test_written_store_is_a_plain_zarr_array_with_attributes(tmp_path):
    path = write_volume(tmp_path / "v.zarr", np.ones((70, 3, 4), np.uint8), spacing=(20, 10, 10), unit="nm")
    z = zarr.open(str(path), mode="r")
    assert isinstance(z, zarr.Array) and z.chunks == (64, 3, 4)
    assert z.attrs["spacing"] == [20.0, 10.0, 10.0] and z.attrs["unit"] == "nm"


def test_chunks_and_compressor_options_reach_zarr(tmp_path):
    path = write_volume(tmp_path / "v.zarr", np.ones((9, 9, 9)), chunks=(4, 5, 100), compressor=None)
    assert zarr.open(str(path), mode="r").chunks == (4, 5, 9)
    auto = write_volume(tmp_path / "auto.zarr", np.ones((9, 9, 9)), chunks="auto")
    np.testing.assert_array_equal(read_volume(auto).array, np.ones((9, 9, 9)))


def test_lazy_read_is_a_dask_array_with_the_asked_chunks_and_the_same_values(tmp_path):
    array = np.arange(9 * 8 * 7, dtype=np.int32).reshape(9, 8, 7)
    path = write_volume(tmp_path / "v.zarr", array, chunks=(2, 2, 2), spacing=3, unit="nm")
    vol = read_volume(path, lazy=True, chunks=(4, 4, 4))
    assert isinstance(vol.array, da.Array)
    assert vol.array.chunks == ((4, 4, 1), (4, 4), (4, 3))
    assert vol.spacing == (3.0, 3.0, 3.0) and vol.unit == "nm"
    np.testing.assert_array_equal(vol.compute().array, array)


def test_lazy_read_default_chunks_are_whole_zarr_chunks(tmp_path):
    path = write_volume(tmp_path / "v.zarr", np.zeros((30, 30, 30), np.uint8), chunks=(4, 5, 6))
    with dask.config.set({"array.chunk-size": "2KiB"}):
        chunks = read_volume(path, lazy=True).array.chunks
    assert len(chunks[0]) > 1
    for axis, storage in enumerate((4, 5, 6)):
        assert all(c % storage == 0 for c in chunks[axis][:-1])


def test_lazy_volume_is_written_in_blocks_aligned_with_zarr_chunks(tmp_path, monkeypatch):
    array = np.random.default_rng(2).integers(0, 3, (20, 21, 22), dtype=np.uint8)
    written = []
    original = zarr.Array.__setitem__

    def record(self, key, value):
        written.append(key)
        original(self, key, value)

    monkeypatch.setattr(zarr.Array, "__setitem__", record)
    with dask.config.set({"array.chunk-size": "1KiB"}):
        path = write_volume(tmp_path / "v.zarr", Volume(da.from_array(array, chunks=7)), chunks=(4, 4, 4))
    monkeypatch.undo()
    assert len(written) > 1
    for key in written:
        assert all(s.start % 4 == 0 and (s.stop % 4 == 0 or s.stop == n) for s, n in zip(key, array.shape))
    np.testing.assert_array_equal(read_volume(path).array, array)


def test_lazy_zarr_copies_to_another_zarr_out_of_core(tmp_path):
    array = np.random.default_rng(3).random((10, 11, 12)).astype(np.float32)
    source = write_volume(tmp_path / "a.zarr", array, chunks=(3, 3, 3), spacing=(20, 10, 10), unit="nm")
    lazy = read_volume(source, lazy=True, chunks=(5, 5, 5))
    copy = read_volume(write_volume(tmp_path / "b.zarr", lazy))
    np.testing.assert_array_equal(copy.array, array)
    assert copy.spacing == (20.0, 10.0, 10.0)


def test_ome_zarr_group_gives_full_resolution_with_scale_and_units(tmp_path):
    full = np.arange(4 * 6 * 8, dtype=np.uint16).reshape(4, 6, 8)
    path = ome_group(tmp_path / "img.zarr", [full, full[::2, ::2, ::2]], SPACE,
                     [[0.5, 0.25, 0.25], [1.0, 0.5, 0.5]])
    vol = read_volume(path)
    np.testing.assert_array_equal(vol.array, full)
    assert vol.spacing == (0.5, 0.25, 0.25) and vol.unit == "µm"
    low = read_volume(path, dataset="1", lazy=True)
    assert low.shape == (2, 3, 4) and low.spacing == (1.0, 0.5, 0.5)


def test_ome_zarr_05_tczyx_drops_singleton_axes_and_converts_units(tmp_path):
    full = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(1, 1, 3, 4, 5)
    axes = [{"name": "t", "type": "time"}, {"name": "c", "type": "channel"},
            {"name": "z", "type": "space", "unit": "nanometer"}, *SPACE[1:]]
    path = ome_group(tmp_path / "img.zarr", [full], axes, [[1, 1, 200, 0.1, 0.1]], version="0.5")
    vol = read_volume(path)
    assert vol.shape == (3, 4, 5) and vol.unit == "nm" and vol.spacing == (200.0, 100.0, 100.0)
    np.testing.assert_array_equal(vol.array, full[0, 0])
    np.testing.assert_array_equal(read_volume(path, lazy=True).compute().array, full[0, 0])


def test_ome_zarr_with_several_channels_is_a_dimension_error(tmp_path):
    axes = [{"name": "c", "type": "channel"}, *SPACE]
    path = ome_group(tmp_path / "img.zarr", [np.zeros((2, 3, 4, 5))], axes, [[1, 1, 1, 1]])
    with pytest.raises(DimensionError, match=r"\(2, 3, 4, 5\)"):
        read_volume(path)


def test_group_with_several_3d_arrays_needs_dataset_and_lists_them(tmp_path):
    group = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    group.create_array("grey", shape=(2, 2, 2), dtype="f4")[...] = 1.5
    group.create_group("seg").create_array("labels", shape=(2, 2, 2), dtype="u1")[...] = 2
    with pytest.raises(ParameterError, match="grey, seg/labels"):
        read_volume(tmp_path / "g.zarr")
    assert read_volume(tmp_path / "g.zarr", dataset="seg/labels").array.max() == 2
    with pytest.raises(ParameterError, match="'mask'.*grey, seg/labels"):
        read_volume(tmp_path / "g.zarr", dataset="mask")


def test_group_of_only_2d_arrays_is_a_dimension_error(tmp_path):
    group = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    group.create_array("slice", shape=(3, 4), dtype="u1")
    with pytest.raises(DimensionError, match=r"slice \(3, 4\)"):
        read_volume(tmp_path / "g.zarr")


def test_2d_array_store_is_a_dimension_error(tmp_path):
    zarr.open_array(str(tmp_path / "flat.zarr"), mode="w", shape=(3, 4), dtype="u1")
    with pytest.raises(DimensionError, match="expected 3D"):
        read_volume(tmp_path / "flat.zarr")


def test_dataset_on_a_single_array_store_is_refused(tmp_path):
    path = write_volume(tmp_path / "v.zarr", np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError, match="single Zarr array"):
        read_volume(path, dataset="0")


def test_folder_that_is_not_a_zarr_store_is_corrupt(tmp_path):
    (tmp_path / "empty.zarr").mkdir()
    with pytest.raises(CorruptFileError, match="empty.zarr"):
        read_volume(tmp_path / "empty.zarr")


def test_damaged_chunk_is_corrupt(tmp_path):
    path = write_volume(tmp_path / "v.zarr", np.random.default_rng(4).random((8, 8, 8)), chunks=(4, 4, 4))
    metadata = ("zarr.json", ".zarray", ".zattrs")
    chunk = next(p for p in sorted(path.rglob("*")) if p.is_file() and p.name not in metadata)
    chunk.write_bytes(chunk.read_bytes()[:10])
    with pytest.raises(CorruptFileError, match="v.zarr"):
        read_volume(path)
