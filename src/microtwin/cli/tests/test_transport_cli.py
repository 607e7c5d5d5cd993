"""``microtwin transport`` as a subprocess: files written, JSON fields, errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from microtwin.io import Volume, write_volume
from microtwin.transport import conduct


def run(*args):
    return subprocess.run([sys.executable, "-m", "microtwin", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def labels_file(tmp_path_factory):
    rng = np.random.default_rng(2)
    draw = rng.random((24, 20, 20))
    labels = np.select([draw < 0.1, draw < 0.45], [1, 2], 0).astype(np.uint8)  # CBD, graphite, pore
    path = tmp_path_factory.mktemp("transport") / "labels.tif"
    write_volume(path, Volume(labels, spacing=0.5, unit="um"))
    return path, labels


def test_transport_of_a_phase_on_all_axes_writes_json_and_png(labels_file, tmp_path):
    path, labels = labels_file
    out = tmp_path / "t"
    result = run("transport", path, "--phase", "pore=0", "--axis", "all", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "transport.json").read_text())
    pore = data["results"]["pore"]
    assert set(pore) == {"0", "1", "2", "anisotropy"}
    for field in ("sigma_eff", "volume_fraction", "tortuosity_factor", "tortuosity", "m_factor", "macmullin",
                  "bruggeman_exponent", "percolating_fraction", "iterations", "residual", "flux_imbalance"):
        assert field in pore["0"]
    expected = conduct(labels, {0: 1.0, 1: 0.0, 2: 0.0}, axis=1).tortuosity_factor
    assert pore["1"]["tortuosity_factor"] == pytest.approx(expected, rel=1e-6)
    assert (out / "potential.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_transport_with_a_conductivity_map_prints_json(labels_file):
    path, labels = labels_file
    result = run("transport", path, "--conductivity", "2=1,1=0.01", "--json", "--axis", "0")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expected = conduct(labels, {0: 0.0, 1: 0.01, 2: 1.0}, axis=0)
    assert data["results"]["conductivity"]["0"]["sigma_eff"] == pytest.approx(expected.sigma_eff, rel=1e-6)
    assert data["conductivity"]["conductivity"]["0"] == 0.0


@pytest.mark.parametrize("args, message", [
    (("--phase", "pore=7"), "not in the image"),
    (("--conductivity", "2=one"), "LABEL=SIGMA"),
    (("--conductivity", "2=-1"), "≥ 0"),
    ((), "either --phase"),
    (("--phase", "cbd=1", "--axis", "0"), "joins the two faces"),
])
def test_transport_errors_are_one_line_with_status_2(labels_file, args, message):
    path, _ = labels_file
    result = run("transport", path, *args, "--json")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_allow_zero_reports_a_phase_that_does_not_percolate(labels_file):
    path, _ = labels_file
    result = run("transport", path, "--phase", "cbd=1", "--allow-zero", "--json")
    assert result.returncode == 0, result.stderr
    cbd = json.loads(result.stdout)["results"]["cbd"]["0"]
    assert cbd["percolating"] is False and cbd["sigma_eff"] == 0
    assert cbd["tortuosity_factor"] is None and "Infinity" not in result.stdout
