"""``microtwin segment`` and ``--uncertainty DIR`` of measure/transport, as subprocesses."""

import json
import subprocess
import sys

import numpy as np
import pytest

from microtwin.data import boolean_spheres, noisy_grey
from microtwin.io import Volume, read_volume, write_volume


def run(*args):
    return subprocess.run([sys.executable, "-m", "microtwin", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def segmented(tmp_path_factory):
    """A noisy two-phase grey volume segmented by the CLI with a 4-member ensemble."""
    folder = tmp_path_factory.mktemp("segment")
    truth = boolean_spheres((32, 32, 32), 5, 0.4, seed=1).array
    grey = noisy_grey(truth, [0.3, 0.7], blur=0.7, photons=400, seed=2)
    write_volume(folder / "grey.tif", Volume(grey, spacing=0.5, unit="um"))
    result = run("segment", folder / "grey.tif", "--method", "gmm", "--uncertainty", 4, "--out", folder / "seg",
                 "--quiet")
    assert result.returncode == 0, result.stderr
    return folder, truth


def test_segment_writes_labels_probabilities_summary_and_ensemble(segmented):
    folder, truth = segmented
    seg = folder / "seg"
    labels = read_volume(seg / "labels.tif")
    assert labels.spacing == (0.5, 0.5, 0.5) and labels.unit == "µm"
    assert np.mean(np.asarray(labels.array) == truth) > 0.9
    p0, p1 = (np.asarray(read_volume(seg / f"probability_{c}.tif").array, float) / 255 for c in (0, 1))
    assert np.abs(p0 + p1 - 1).max() <= 1 / 255 + 1e-9
    summary = json.loads((seg / "summary.json").read_text())
    assert summary["method"] == "gmm" and summary["classes"] == [0, 1]
    spread = summary["uncertainty"]["fractions"]["1"]
    assert spread["low"] <= spread["mean"] <= spread["high"]
    assert summary["uncertainty"]["members"] == 4
    assert len(list((seg / "ensemble").glob("member_*"))) == 4


def test_measure_and_transport_report_intervals_over_the_ensemble(segmented, tmp_path):
    folder, _ = segmented
    seg = folder / "seg"
    result = run("measure", seg / "labels.tif", "--phase", "pore=0", "--phase", "solid=1", "--uncertainty",
                 seg / "ensemble", "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    intervals = json.loads(result.stdout)["uncertainty"]["results"]
    porosity = intervals["phases.pore.volume_fraction"]
    assert porosity["low"] <= porosity["mean"] <= porosity["high"] and porosity["std"] > 0
    result = run("transport", seg / "labels.tif", "--phase", "pore=0", "--uncertainty", seg / "ensemble", "--json",
                 "--quiet")
    assert result.returncode == 0, result.stderr
    tau = json.loads(result.stdout)["uncertainty"]["results"]["pore.0.tortuosity_factor"]
    assert 1 <= tau["low"] <= tau["mean"] <= tau["high"]


def test_an_ensemble_of_another_shape_is_refused(segmented, tmp_path):
    folder, _ = segmented
    write_volume(tmp_path / "small.tif", np.zeros((8, 8, 8), np.uint8) | (np.arange(8) % 2 == 0))
    result = run("measure", tmp_path / "small.tif", "--uncertainty", folder / "seg" / "ensemble", "--quiet")
    assert result.returncode == 2 and "shape" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("--method", "otsu", "--uncertainty", 3), "hard labels"),
    (("--method", "gmm", "--uncertainty", 1), "at least 2"),
    (("--method", "rf",), "--labels"),
    (("--method", "otsu", "--mrf-beta", 1.0), "posterior"),
])
def test_segment_errors(segmented, tmp_path, args, message):
    folder, _ = segmented
    result = run("segment", folder / "grey.tif", *args, "--out", tmp_path / "x", "--quiet")
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_segment_refuses_to_overwrite(segmented):
    folder, _ = segmented
    result = run("segment", folder / "grey.tif", "--method", "otsu", "--out", folder / "seg", "--quiet")
    assert result.returncode == 2 and "exists" in result.stderr
