import numpy as np
import pytest

from microtwin.errors import (
    InputFileNotFoundError,
    MicrotwinError,
    OutputExistsError,
    ParameterError,
    UnknownFormatError,
)
from microtwin.io import Volume, detect_format, read_volume, write_volume


def test_missing_file_error_names_the_path(tmp_path):
    missing = tmp_path / "nothing.tif"
    with pytest.raises(InputFileNotFoundError, match="nothing.tif"):
        read_volume(missing)


def test_missing_file_error_is_also_a_builtin_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_volume(tmp_path / "nothing.npy")


def test_unknown_extension_is_refused(tmp_path):
    path = tmp_path / "volume.xyz"
    path.write_bytes(b"1234")
    with pytest.raises(UnknownFormatError, match=r"\.xyz"):
        read_volume(path)
    with pytest.raises(UnknownFormatError):
        write_volume(tmp_path / "out.xyz", np.zeros((2, 2, 2)))


def test_unknown_format_name_is_refused(tmp_path):
    with pytest.raises(UnknownFormatError, match="gif"):
        write_volume(tmp_path / "a.npy", np.zeros((2, 2, 2)), format="gif")


def test_glob_matching_nothing_is_a_missing_file(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="matches"):
        read_volume(str(tmp_path / "slice_*.tif"))


def test_folder_without_slices_is_unknown(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UnknownFormatError, match="folder"):
        read_volume(tmp_path)


def test_detect_format_from_extension():
    assert detect_format("a.TIF", for_writing=True) == "tiff"
    assert detect_format("a.h5", for_writing=True) == "hdf5"
    assert detect_format("a.zarr", for_writing=True) == "zarr"
    assert detect_format("dir/slice_*.tif") == "tiff-folder"


def test_existing_output_is_kept_without_overwrite(tmp_path):
    path = tmp_path / "a.npy"
    write_volume(path, np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_volume(path, np.ones((2, 2, 2), np.uint8))
    assert read_volume(path).array.max() == 0
    write_volume(path, np.ones((2, 2, 2), np.uint8), overwrite=True)
    assert read_volume(path).array.min() == 1


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def write_half_then_fail(path, volume):
        path.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr("microtwin.io._dispatch._function", lambda fmt, role: write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_volume(tmp_path / "a.npy", np.zeros((2, 2, 2)))
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.npy"
    write_volume(path, np.full((2, 2, 2), 7, np.uint8))

    def fail(path, volume):
        raise OSError("disk full")

    monkeypatch.setattr("microtwin.io._dispatch._function", lambda fmt, role: fail)
    with pytest.raises(OSError):
        write_volume(path, np.zeros((2, 2, 2)), overwrite=True)
    monkeypatch.undo()
    assert read_volume(path).array.max() == 7
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]


def test_option_not_taken_by_format_is_refused(tmp_path):
    path = tmp_path / "a.npy"
    write_volume(path, np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError, match="dataset"):
        read_volume(path, dataset="/x")


def test_spacing_override_replaces_file_spacing(tmp_path):
    path = tmp_path / "a.npz"
    write_volume(path, Volume(np.zeros((2, 2, 2)), spacing=3, unit="nm"))
    vol = read_volume(path, spacing=(1, 2, 3), unit="um")
    assert vol.spacing == (1.0, 2.0, 3.0) and vol.unit == "µm"
    assert vol.meta["format"] == "npz"


def test_every_error_is_a_microtwin_error(tmp_path):
    with pytest.raises(MicrotwinError):
        read_volume(tmp_path / "missing.h5")


def test_npz_format_is_honoured_whatever_the_extension(tmp_path):
    path = tmp_path / "volume.dat"
    write_volume(path, Volume(np.ones((2, 3, 4), np.uint8), spacing=5, unit="nm"), format="npz")
    vol = read_volume(path, format="npz")
    assert vol.spacing == (5.0, 5.0, 5.0) and vol.shape == (2, 3, 4)
