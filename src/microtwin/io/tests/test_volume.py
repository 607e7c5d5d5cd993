import numpy as np
import pytest

from microtwin.errors import DimensionError, SpacingError
from microtwin.io import Volume


def test_volume_normalises_spacing_and_unit():
    vol = Volume(np.zeros((2, 3, 4), np.uint8), spacing=0.5, unit="um")
    assert vol.spacing == (0.5, 0.5, 0.5)
    assert vol.unit == "µm"
    assert vol.shape == (2, 3, 4)
    assert vol.nbytes == 24
    assert vol.extent == (1.0, 1.5, 2.0)


def test_volume_converts_units():
    vol = Volume(np.zeros((2, 2, 2)), spacing=(20, 10, 10), unit="nm").to_unit("µm")
    assert vol.spacing == (0.02, 0.01, 0.01)
    assert vol.unit == "µm"


@pytest.mark.parametrize("shape", [(4, 4), (2, 2, 2, 2), ()])
def test_volume_refuses_non_3d_arrays(shape):
    with pytest.raises(DimensionError, match="3D"):
        Volume(np.zeros(shape))


@pytest.mark.parametrize("spacing", [0, -1, (1, 2), (1, 1, float("nan")), "abc"])
def test_volume_refuses_bad_spacing(spacing):
    with pytest.raises(SpacingError):
        Volume(np.zeros((2, 2, 2)), spacing=spacing)


def test_volume_is_frozen():
    vol = Volume(np.zeros((1, 1, 1)))
    with pytest.raises(AttributeError):
        vol.spacing = (2, 2, 2)


def test_lazy_volume_computes_to_numpy():
    da = pytest.importorskip("dask.array")
    vol = Volume(da.zeros((4, 4, 4), chunks=2, dtype=np.uint8), spacing=2)
    assert vol.is_lazy
    loaded = vol.compute()
    assert isinstance(loaded.array, np.ndarray) and not loaded.is_lazy
    assert loaded.spacing == (2.0, 2.0, 2.0)
