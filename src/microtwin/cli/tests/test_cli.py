"""The ``microtwin`` command, run as a subprocess: outputs, files and exit codes."""

import json
import subprocess
import sys

import numpy as np
import pytest

from microtwin import __version__
from microtwin.io import Volume, read_volume, write_volume


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "microtwin", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture
def labels_file(tmp_path):
    labels = np.zeros((10, 12, 14), np.uint8)
    labels[:, :6] = 1
    labels[:5, 6:, :7] = 2
    path = tmp_path / "labels.npz"
    write_volume(path, Volume(labels, spacing=(20, 10, 10), unit="nm"))
    return path


def test_version_is_printed():
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_info_prints_shape_spacing_and_label_fractions(labels_file):
    result = run("info", labels_file)
    assert result.returncode == 0, result.stderr
    assert "10 × 12 × 14" in result.stdout
    assert "20 × 10 × 10 nm" in result.stdout
    assert "0.50000" in result.stdout  # label 1 fills half


def test_info_json_is_machine_readable(labels_file):
    result = run("info", labels_file, "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["shape"] == [10, 12, 14]
    assert info["spacing"] == [20, 10, 10] and info["unit"] == "nm"
    assert info["labels"]["1"] == pytest.approx(0.5)
    assert sum(info["labels"].values()) == pytest.approx(1.0)
    assert info["memory_bytes"] == 10 * 12 * 14


def test_info_spacing_option_overrides_file(labels_file):
    info = json.loads(run("info", labels_file, "--json", "--spacing", "0.5um").stdout)
    assert info["spacing"] == [0.5, 0.5, 0.5] and info["unit"] == "µm"


def test_info_reads_raw_with_shape_and_dtype(tmp_path):
    path = tmp_path / "scan.raw"
    np.arange(24, dtype=">u2").tofile(path)
    result = run("info", path, "--json", "--dtype", "uint16", "--shape", "2,3,4", "--byte-order", "big")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["shape"] == [2, 3, 4] and info["max"] == 23


def test_convert_crops_downsamples_and_sets_spacing(labels_file, tmp_path):
    out = tmp_path / "small.tif"
    result = run("convert", labels_file, out, "--crop", "0:8,:,2:14", "--downsample", "2", "--spacing", "40nm",
                 "--quiet")
    assert result.returncode == 0, result.stderr
    vol = read_volume(out)
    assert vol.shape == (4, 6, 6)
    assert vol.spacing == pytest.approx((80, 80, 80)) and vol.unit == "nm"
    assert set(np.unique(vol.array)) <= {0, 1, 2}


def test_convert_refuses_to_overwrite_without_flag(labels_file, tmp_path):
    out = tmp_path / "copy.npy"
    out.write_bytes(b"precious")
    result = run("convert", labels_file, out)
    assert result.returncode == 2
    assert "exists" in result.stderr and "--overwrite" in result.stderr
    assert out.read_bytes() == b"precious"
    assert run("convert", labels_file, out, "--overwrite", "--quiet").returncode == 0
    assert read_volume(out).shape == (10, 12, 14)


@pytest.mark.parametrize(
    "args, message",
    [
        (["info", "missing.tif"], "no such file"),
        (["info", "volume.xyz"], "cannot tell the format"),
        (["info", "flat.npy"], "3D"),
        (["info", "bad.raw", "--dtype", "uint8", "--shape", "3,3,3"], "bytes"),
        (["convert", "labels.npz", "x.npy", "--crop", "0:5,1:2"], "three ranges"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(tmp_path, labels_file, args, message):
    (tmp_path / "volume.xyz").write_bytes(b"??")
    np.save(tmp_path / "flat.npy", np.zeros((4, 4)))
    (tmp_path / "bad.raw").write_bytes(b"\0" * 26)
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path):
    result = run("info", tmp_path / "missing.tif", "--debug")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_demo_writes_vti_tiff_and_results(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "192 × 192 × 192" in result.stdout
    for name in ("nrel_nmc_cathode.vti", "nrel_nmc_cathode.tif", "results.json"):
        assert (out / name).stat().st_size > 0
    assert read_volume(out / "nrel_nmc_cathode.tif").spacing == pytest.approx((0.398,) * 3)
    results = json.loads((out / "results.json").read_text())
    assert results["info"]["labels"]["1"] == pytest.approx(0.5, abs=0.03)
    assert run("demo", "--out", out).returncode == 2  # outputs exist
    assert run("demo", "--out", out, "--overwrite", "--quiet").returncode == 0
