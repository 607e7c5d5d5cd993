import numpy as np
import pytest
from scipy import ndimage

from microtwin.data import boolean_spheres, noisy_grey
from microtwin.errors import DimensionError, DTypeError, EmptyPhaseError, ParameterError
from microtwin.filters import beam_hardening_correction, shading_correction

LEVELS = (0.3, 0.7)
CONTRAST = LEVELS[1] - LEVELS[0]


@pytest.fixture(scope="module")
def labels():
    return boolean_spheres((32, 64, 64), radius=4, solid_fraction=0.4, seed=2).array


def residual_change(corrected, reference, axes=(1, 2)):
    """Change across the field of the residual factor ``corrected / reference`` (the gradient of a
    least-squares plane in the in-plane coordinates, times the field's extent), in grey values of
    the brighter phase, over the phase contrast: the residual shading of that phase in units of contrast."""
    factor = corrected / reference
    coordinates = np.indices(factor.shape)
    design = np.stack([np.ones(factor.size)] + [coordinates[a].ravel() for a in axes], axis=1)
    slopes = np.linalg.lstsq(design, factor.ravel().astype(np.float64), rcond=None)[0][1:]
    change = np.hypot(*[s * (factor.shape[a] - 1) for s, a in zip(slopes, axes)]) / factor.mean()
    return change * LEVELS[1] / CONTRAST


@pytest.fixture(scope="module")
def grey(labels):
    return noisy_grey(labels, LEVELS, blur=1.0, photons=2000, seed=3)


def test_shading_correction_removes_a_linear_ramp(labels, grey):
    """Residual slope across the field < 1 % of the phase contrast."""
    y, x = np.indices(labels.shape[1:])
    shaded = grey * (1 + 0.4 * y / 63 - 0.2 * x / 63).astype(np.float32)
    out = shading_correction(shaded, sigma=4.0)
    assert out.dtype == np.float32
    assert residual_change(shaded, grey) > 0.5
    assert residual_change(out, grey) < 0.01


def test_shading_correction_along_another_milling_axis_with_spacing_is_the_same_correction(grey):
    y = np.arange(grey.shape[1])[None, :, None]
    shaded = grey * (1 + 0.3 * y / 63).astype(np.float32)
    native = shading_correction(shaded, sigma=4.0)
    moved = shading_correction(np.moveaxis(shaded, 0, 1), axis=1, sigma=8.0, spacing=(2.0, 3.0, 2.0))
    np.testing.assert_allclose(np.moveaxis(moved, 1, 0), native, rtol=1e-5)


def test_shading_correction_errors(labels, grey):
    with pytest.raises(ParameterError, match="not positive"):
        shading_correction(grey - 1.0)
    with pytest.raises(ParameterError):
        shading_correction(grey, axis=3)
    with pytest.raises(ParameterError):
        shading_correction(grey, sigma=0)
    with pytest.raises(ParameterError, match="NaN"):
        shading_correction(np.where(labels == 1, np.nan, 1.0))


def cupping(shape, strength=0.25):
    y, x = np.indices(shape[1:]) - (np.array(shape[1:])[:, None, None] - 1) / 2
    return (1 - strength * (y**2 + x**2) / (shape[1] / 2) ** 2).astype(np.float32)


def radial_spread(corrected, reference):
    """Max − min over 4 rings about the centre of the mean residual factor, times the brighter level, over the contrast."""
    factor = corrected / reference
    y, x = np.indices(factor.shape[1:]) - (np.array(factor.shape[1:])[:, None, None] - 1) / 2
    ring = np.minimum((np.hypot(y, x) / 8).astype(int), 3)
    means = [factor[:, ring == k].mean() for k in range(4)]
    return (max(means) - min(means)) / np.mean(means) * LEVELS[1] / CONTRAST


@pytest.fixture(scope="module")
def solid_interior(labels):
    """The homogeneous part of the solid: its voxels not touching the pore (blur darkens the others)."""
    return ndimage.binary_erosion(labels == 1)


def test_radial_beam_hardening_correction_removes_cupping(labels, grey, solid_interior):
    cupped = grey * cupping(grey.shape)
    assert radial_spread(cupped, grey) > 0.3
    out = beam_hardening_correction(cupped, mask=solid_interior)
    assert radial_spread(out, grey) < 0.01
    assert out[solid_interior].mean() == pytest.approx(cupped[solid_interior].mean(), rel=1e-3)


def test_background_beam_hardening_correction_reduces_cupping(grey):
    cupped = grey * cupping(grey.shape)
    out = beam_hardening_correction(cupped, method="background", sigma=8.0)
    assert radial_spread(out, grey) < 0.25 * radial_spread(cupped, grey)


def test_radial_correction_about_another_axis(grey, solid_interior):
    cupped = np.moveaxis(grey * cupping(grey.shape), 0, 1)
    out = beam_hardening_correction(cupped, mask=np.moveaxis(solid_interior, 0, 1), axis=1)
    assert radial_spread(np.moveaxis(out, 1, 0), grey) < 0.01


def test_beam_hardening_errors(labels, grey):
    with pytest.raises(ParameterError, match="method"):
        beam_hardening_correction(grey, method="polynomial")
    with pytest.raises(EmptyPhaseError):
        beam_hardening_correction(grey, mask=np.zeros(labels.shape, bool))
    with pytest.raises(DTypeError):
        beam_hardening_correction(grey, mask=labels)
    with pytest.raises(DimensionError):
        beam_hardening_correction(grey, mask=labels[1:] == 1)
    with pytest.raises(ParameterError):
        beam_hardening_correction(grey, degree=0)
    with pytest.raises(ParameterError, match="radial"):
        beam_hardening_correction(grey, method="background", mask=labels == 1)
    with pytest.raises(ParameterError, match="not positive"):
        beam_hardening_correction(grey - 2.0)
