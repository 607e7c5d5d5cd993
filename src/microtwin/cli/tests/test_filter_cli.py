"""``microtwin filter``: each method writes the library's result; options, spacing, --overwrite, errors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from microtwin import filters
from microtwin.cli import main
from microtwin.data import boolean_spheres, noisy_grey
from microtwin.io import Volume, read_volume, write_volume


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def grey():
    labels = boolean_spheres((16, 32, 32), radius=4, seed=1).array
    return noisy_grey(labels, [0.3, 0.7], blur=1.0, photons=200, seed=2)


@pytest.fixture
def grey_file(tmp_path, grey):
    path = tmp_path / "grey.tif"
    write_volume(path, Volume(grey, spacing=(20, 10, 10), unit="nm"))
    return path


@pytest.mark.parametrize("method, options, expected", [
    ("gaussian", ["--sigma", "20nm"], lambda g: filters.gaussian(g, 20.0, spacing=(20, 10, 10))),
    ("gaussian", ["--sigma", "0.02um"], lambda g: filters.gaussian(g, 20.0, spacing=(20, 10, 10))),
    ("median", ["--radius", "20"], lambda g: filters.median(g, 20.0, spacing=(20, 10, 10))),
    ("nlm", ["--noise", "0.05"], lambda g: filters.nl_means(g, sigma=0.05, spacing=(20, 10, 10))),
    ("ad", ["--iterations", "3", "--kappa", "0.02"],
     lambda g: filters.anisotropic_diffusion(g, 3, kappa=0.02, spacing=(20, 10, 10))),
    ("unsharp", ["--amount", "0.5"], lambda g: filters.unsharp_mask(g, 10.0, 0.5, spacing=(20, 10, 10))),
    ("shading", [], lambda g: filters.shading_correction(g, spacing=(20, 10, 10))),
    ("drift", ["--upsample", "10"], lambda g: filters.register_slices(g, upsample_factor=10)[0]),
])
def test_each_method_writes_the_library_result(grey_file, grey, tmp_path, method, options, expected):
    out = tmp_path / f"{method}.tif"
    result = run("filter", grey_file, out, "--method", method, *options, "--quiet")
    assert result.exit_code == 0, result.output
    written = read_volume(out)
    assert written.dtype == np.float32
    assert written.spacing == pytest.approx((20, 10, 10)) and written.unit == "nm"
    np.testing.assert_allclose(written.array, expected(grey), atol=1e-6)


def test_spacing_option_overrides_the_file(grey_file, grey, tmp_path):
    out = tmp_path / "g.npy"
    result = run("filter", grey_file, out, "--method", "gaussian", "--sigma", "2", "--spacing", "1,1,2um")
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(read_volume(out).array, filters.gaussian(grey, 2.0, spacing=(1, 1, 2)), atol=1e-6)


def test_drift_json_reports_the_shifts(grey_file, tmp_path):
    result = run("filter", grey_file, tmp_path / "d.npy", "--method", "drift", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["method"] == "drift" and len(data["shifts_voxels"]) == 16 and data["shifts_voxels"][0] == [0, 0]


def test_existing_output_needs_overwrite(grey_file, tmp_path):
    out = tmp_path / "g.npy"
    out.write_bytes(b"keep me")
    result = run("filter", grey_file, out, "--method", "gaussian")
    assert result.exit_code == 2 and "exists" in result.output
    assert out.read_bytes() == b"keep me"
    assert run("filter", grey_file, out, "--method", "gaussian", "--overwrite", "--quiet").exit_code == 0


@pytest.mark.parametrize("options, message", [
    (["--method", "median", "--radius", "-3"], "radius"),
    (["--method", "gaussian", "--sigma", "2 parsecs"], "unit"),
    (["--method", "ad", "--iterations", "0"], "n_iter"),
    (["--method", "shading", "--axis", "5"], "axis"),
])
def test_bad_options_give_one_line_errors(grey_file, tmp_path, options, message):
    result = run("filter", grey_file, tmp_path / "x.npy", *options)
    assert result.exit_code == 2
    assert message in result.output


def test_constant_volume_without_noise_level_is_an_error(tmp_path):
    path = tmp_path / "flat.npy"
    write_volume(path, np.full((8, 8, 8), 0.5, np.float32))
    result = run("filter", path, tmp_path / "out.npy", "--method", "nlm")
    assert result.exit_code == 2 and "noise level" in result.output


def test_unknown_method_is_refused(grey_file, tmp_path):
    result = run("filter", grey_file, tmp_path / "x.npy", "--method", "wiener")
    assert result.exit_code == 2 and "wiener" in result.output
