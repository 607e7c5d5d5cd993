from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from microtwin import data
from microtwin.errors import ParameterError
from microtwin.tests.shared_data import SHARED


def test_nrel_sample_has_voxel_size_labels_and_provenance():
    vol = data.nrel_nmc_cathode()
    assert vol.shape == (192, 192, 192)
    assert vol.dtype == np.uint8
    assert vol.spacing == (0.398, 0.398, 0.398) and vol.unit == "µm"
    assert vol.meta["phases"] == {"pore": 0, "NMC": 1, "CBD": 2}
    assert set(np.unique(vol.array)) == {0, 1, 2}
    assert "Alliance for Sustainable Energy" in vol.meta["licence"]
    assert "10.1149/2.0731814jes" in vol.meta["citation"]


def test_nrel_sample_fractions_are_close_to_the_full_volume():
    # full volume (SOURCE.md): pore 0.40055, NMC 0.49945, CBD 0.10000
    fractions = np.bincount(data.nrel_nmc_cathode().array.ravel()) / 192**3
    np.testing.assert_allclose(fractions, [0.40055, 0.49945, 0.1], atol=0.03)


def test_taufactor_sample_keeps_original_labels():
    vol = data.taufactor_electrode()
    assert vol.shape == (192, 192, 192)
    assert vol.spacing == (0.390625,) * 3 and vol.unit == "µm"
    assert set(np.unique(vol.array)) == {0, 85, 170}
    assert vol.meta["phases"] == {"pore": 0, "NMC": 85, "CBD": 170}


@pytest.mark.parametrize(
    "name, folder, filename",
    [
        ("nrel_nmc_cathode", "nrel-nmc1cal-matbox", "nmc-1-cal_generatedCBD_bridge.tif"),
        ("taufactor_electrode", "taufactor-electrode-polaron", "electrode.tiff"),
    ],
)
def test_bundled_crop_equals_central_crop_of_the_original(name, folder, filename):
    source = SHARED / folder / filename
    if not source.exists():
        pytest.skip(f"shared data not available at {source}")
    import tifffile

    full = tifffile.imread(source)
    start = [(n - 192) // 2 for n in full.shape]
    expected = full[tuple(slice(s, s + 192) for s in start)]
    np.testing.assert_array_equal(data.load(name).array, expected)


def test_licence_texts_are_bundled():
    assert "Alliance for Sustainable Energy" in data.licence_text("nrel_nmc_cathode")
    assert "MIT License" in data.licence_text("taufactor_electrode")


def test_bundled_files_stay_under_five_megabytes():
    files = resources.files("microtwin.data").joinpath("_files")
    total = sum(f.stat().st_size for f in Path(str(files)).iterdir())
    assert total <= 5 * 1024**2


def test_unknown_sample_is_refused():
    with pytest.raises(ParameterError, match="available"):
        data.load("graphite")


def test_boolean_spheres_is_reproducible_per_seed():
    a = data.boolean_spheres((32, 32, 32), radius=3, seed=7).array
    b = data.boolean_spheres((32, 32, 32), radius=3, seed=7).array
    c = data.boolean_spheres((32, 32, 32), radius=3, seed=8).array
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_boolean_spheres_matches_its_expected_volume_fraction():
    fractions = [data.boolean_spheres((48, 48, 48), radius=4, solid_fraction=0.35, seed=s).array.mean()
                 for s in range(8)]
    assert np.mean(fractions) == pytest.approx(0.35, abs=0.015)


def test_boolean_spheres_balls_are_round_in_physical_units():
    # one ball of radius 6 µm with 1×2×2 µm voxels spans 12 voxels along z, 6 along y and x
    vol = data.boolean_spheres((40, 20, 20), radius=6.0, solid_fraction=1e-4, spacing=(1, 2, 2), unit="um",
                               seed=3)
    from microtwin.data._generated import _paint_balls

    out = np.zeros((40, 20, 20), np.uint8)
    _paint_balls(out, np.array([[20.0, 20.0, 20.0]]), np.array([6.0]), np.array([1.0, 2.0, 2.0]))
    zs, ys, xs = np.nonzero(out)
    assert zs.max() - zs.min() + 1 == 12 and ys.max() - ys.min() + 1 == 6 and xs.max() - xs.min() + 1 == 6
    assert vol.unit == "µm" and vol.spacing == (1.0, 2.0, 2.0)


@pytest.mark.parametrize("kwargs", [{"solid_fraction": 1.0}, {"radius": 0}, {"shape": (4, 4)}])
def test_boolean_spheres_refuses_bad_parameters(kwargs):
    with pytest.raises(ParameterError):
        data.boolean_spheres(**kwargs)
