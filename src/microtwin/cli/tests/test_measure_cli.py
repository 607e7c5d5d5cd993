"""``microtwin measure`` as a subprocess: files written, JSON fields, errors."""

import csv
import json
import subprocess
import sys

import pytest

from microtwin.data import boolean_spheres
from microtwin.io import Volume, write_volume


def run(*args):
    return subprocess.run([sys.executable, "-m", "microtwin", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def labels_file(tmp_path_factory):
    solid = boolean_spheres((32, 32, 32), radius=4, solid_fraction=0.5, seed=1).array
    path = tmp_path_factory.mktemp("measure") / "labels.tif"
    write_volume(path, Volume(solid, spacing=0.5, unit="um"))
    return path


def test_measure_writes_json_csv_and_plots(labels_file, tmp_path):
    out = tmp_path / "m"
    result = run("measure", labels_file, "--phase", "pore=0", "--phase", "am=1", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "descriptors.json").read_text())
    assert set(data["phases"]) == {"pore", "am"}
    pore = data["phases"]["pore"]
    for field in ("volume_fraction", "surface_density", "mean_curvature_density", "euler_density", "r_min",
                  "r_max", "beta", "geodesic_tortuosity", "percolating", "cpsd", "mip", "two_point"):
        assert field in pore
    assert data["unit"] == "µm" and data["spacing"] == [0.5, 0.5, 0.5]
    with open(out / "particles.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == data["particles"]["count"] > 0
    assert "equivalent_diameter" in rows[0]
    for png in ("radius_distributions.png", "two_point.png", "particle_sizes.png", "phases.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_measure_json_flag_prints_descriptors(labels_file):
    result = run("measure", labels_file, "--phase", "pore=0", "--phase", "solid=1", "--json", "--axis", "2")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["axis"] == 2
    assert data["phases"]["solid"]["volume_fraction"] == pytest.approx(0.5, abs=0.1)
    assert data["particles"]["phase"] == "solid"


def test_measure_refuses_bad_phase_and_existing_outputs(labels_file, tmp_path):
    result = run("measure", labels_file, "--phase", "pore=9", "--json")
    assert result.returncode == 2 and "not present" in result.stderr
    result = run("measure", labels_file, "--phase", "pore", "--json")
    assert result.returncode == 2 and "NAME=LABEL" in result.stderr
    out = tmp_path / "again"
    assert run("measure", labels_file, "--out", out, "--quiet").returncode == 0
    again = run("measure", labels_file, "--out", out, "--quiet")
    assert again.returncode == 2 and "--overwrite" in again.stderr
