"""The segmentation chain on the real grey-value CT volumes of ../shared/data."""

import numpy as np
import pytest

from microtwin.filters import gaussian
from microtwin.measure import intrinsic_volumes
from microtwin.segment import gmm, otsu, propagate, sample_ensemble
from microtwin.tests.shared_data import read_tiff


def _grey(*parts):
    return read_tiff(*parts).astype(np.float32)


def test_fiberform_porosity_agrees_with_the_published_threshold():
    """PuMA segments FiberForm at grey 90 (porosity 0.83286); Otsu (108) and the mixture land within 0.015."""
    grey = _grey("puma-fiberform100", "100_fiberform.tif")
    published = float((grey < 90).mean())
    assert published == pytest.approx(0.83286, abs=5e-6)
    mixture = gmm(grey, 2)
    assert float((otsu(grey).labels == 0).mean()) == pytest.approx(published, abs=0.015)
    assert float(mixture.probabilities[0].mean()) == pytest.approx(published, abs=0.015)
    ensemble = sample_ensemble(mixture, 8, correlation_length=3.0, seed=0)
    porosity = propagate(ensemble, lambda labels: float((labels == 0).mean()))
    assert porosity.low <= float(mixture.probabilities[0].mean()) <= porosity.high


def test_snow_two_phase_fractions_and_surface_agree_between_methods():
    """Snow (ice/air, no published threshold): the denoised mixture's expected air fraction is within
    0.02 of Otsu's; on the denoised volume both give S_V within 5 %, while Otsu on the raw volume
    reports > 10 % more surface (noise roughness)."""
    grey = _grey("spam-snow", "snow.tif")
    smooth = gaussian(grey, 1.0)
    mixture = gmm(smooth, 2)
    assert float(mixture.probabilities[0].mean()) == pytest.approx(float((otsu(grey).labels == 0).mean()), abs=0.02)
    s_raw = intrinsic_volumes(otsu(grey).labels == 1).surface_density
    s_otsu = intrinsic_volumes(otsu(smooth).labels == 1).surface_density
    s_mixture = intrinsic_volumes(mixture.labels == 1).surface_density
    assert s_mixture == pytest.approx(s_otsu, rel=0.05)
    assert s_raw > 1.1 * s_otsu
