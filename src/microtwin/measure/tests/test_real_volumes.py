"""Descriptors on the real volumes of ../shared/data, against the values their SOURCE.md give."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from microtwin.measure import describe, volume_fractions

from microtwin.tests.shared_data import SHARED, shared_path


def _need(path: Path) -> Path:
    return shared_path(path.relative_to(SHARED))


def test_nrel_volume_fractions_match_source():
    tifffile = pytest.importorskip("tifffile")
    labels = tifffile.imread(_need(SHARED / "nrel-nmc1cal-matbox" / "nmc-1-cal_generatedCBD_bridge.tif"))
    fractions = volume_fractions(labels)
    assert fractions[0] == pytest.approx(0.40055, abs=5e-5)
    assert fractions[1] == pytest.approx(0.49945, abs=5e-5)
    assert fractions[2] == pytest.approx(0.10000, abs=5e-5)


def test_berea_porosity_matches_source_and_percolates():
    path = _need(SHARED / "porespy-sandstones" / "test_berea.zip")
    with zipfile.ZipFile(path) as z:
        berea = np.frombuffer(z.read("Berea_center_cropped_200_200.raw"), np.uint8).reshape(200, 200, 200)
    crop = berea[:96, :96, :96]
    d = describe(crop, 5.345, phases={"pore": 0}, unit="µm")
    assert (berea == 0).mean() == pytest.approx(0.19901, abs=5e-5)
    pore = d.phases["pore"]
    assert pore.geodesic_tortuosity >= 1
    assert 0 < pore.r_min <= pore.r_max
    # 5.345 µm voxels: pore radii of sandstone are a few voxels to tens of µm
    assert 5 < pore.r_max < 100


def test_fiberform_porosity_at_published_threshold():
    tifffile = pytest.importorskip("tifffile")
    grey = tifffile.imread(_need(SHARED / "puma-fiberform100" / "100_fiberform.tif"))
    assert (grey < 90).mean() == pytest.approx(0.83286, abs=5e-5)
