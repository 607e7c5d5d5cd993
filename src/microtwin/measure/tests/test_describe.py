import json

import numpy as np
import pytest

from microtwin.data import boolean_spheres
from microtwin.errors import DTypeError, ParameterError
from microtwin.measure import (connectivity, describe, geodesic_tortuosity, intrinsic_volumes, interface_densities,
                               two_point)


@pytest.fixture(scope="module")
def three_phase():
    solid = boolean_spheres((40, 40, 40), radius=4, solid_fraction=0.45, seed=3).array
    binder = boolean_spheres((40, 40, 40), radius=2, solid_fraction=0.15, seed=4).array
    labels = np.where(solid == 1, 1, np.where(binder == 1, 2, 0)).astype(np.uint8)
    return labels


def test_describe_agrees_with_the_individual_descriptors(three_phase):
    spacing = (0.5, 0.4, 0.4)
    d = describe(three_phase, spacing, phases={"pore": 0, "am": 1, "cbd": 2}, axis=0, unit="µm")
    pore = three_phase == 0
    assert d.phases["pore"].volume_fraction == pytest.approx(pore.mean())
    assert d.phases["pore"].surface_density == pytest.approx(intrinsic_volumes(pore, spacing).surface_density)
    assert d.phases["pore"].percolating == pytest.approx(connectivity(pore, 0).percolating)
    assert d.phases["pore"].geodesic_tortuosity == pytest.approx(geodesic_tortuosity(pore, 0, spacing).mean)
    np.testing.assert_allclose(d.phases["pore"].two_point.probability, two_point(pore, spacing).probability)
    assert d.interfaces["pore|am"] == pytest.approx(interface_densities(three_phase, spacing)[(0, 1)])
    assert d.triple_phase_boundary_density > 0
    assert d.unit == "µm" and d.spacing == spacing


def test_describe_orders_radii_and_bounds_constrictivity(three_phase):
    d = describe(three_phase, 1, phases={"pore": 0, "am": 1})
    for desc in d.phases.values():
        assert 0 < desc.r_min <= desc.r_max
        assert 0 < desc.beta <= 1
        assert desc.beta == pytest.approx((desc.r_min / desc.r_max) ** 2)


def test_describe_output_is_json_and_a_table(three_phase):
    d = describe(three_phase, 1, phases={"pore": 0, "am": 1, "cbd": 2}, particle_phase="am")
    text = json.dumps(d.to_dict(), allow_nan=False)
    assert "surface_density" in text and "beta" in text
    frame = d.to_frame()
    assert list(frame.index) == ["pore", "am", "cbd"]
    assert {"volume_fraction", "surface_density", "r_max", "r_min", "beta", "geodesic_tortuosity"} <= set(frame.columns)
    assert frame["volume_fraction"].sum() == pytest.approx(1.0)
    assert len(d.particles) > 0 and d.to_dict()["particles"]["phase"] == "am"


def test_non_percolating_phase_is_reported_not_hidden():
    labels = np.zeros((20, 20, 20), np.uint8)
    labels[5:15, 5:15, 5:15] = 1  # an enclosed cube: does not reach either face
    d = describe(labels, phases={"matrix": 0, "inclusion": 1})
    inclusion = d.phases["inclusion"]
    assert inclusion.geodesic_tortuosity is None
    assert inclusion.isolated == pytest.approx(1.0)
    assert any("axis 0" in note for note in inclusion.notes)
    json.dumps(d.to_dict(), allow_nan=False)


def test_default_phases_are_every_label():
    labels = np.zeros((16, 16, 16), np.int32)
    labels[:, :8] = 7
    d = describe(labels)
    assert set(d.phases) == {"0", "7"}


@pytest.mark.parametrize(
    "labels, kwargs, error",
    [
        (np.zeros((8, 8, 8), np.float32), {}, DTypeError),
        (np.zeros((8, 8, 8), np.uint8), {"phases": {"pore": 0, "am": 1}}, ParameterError),
        (np.zeros((8, 8, 8), np.uint8), {"axis": 3}, ParameterError),
        (np.zeros((8, 8, 8), np.uint8), {"particle_phase": "am"}, ParameterError),
    ],
)
def test_bad_input_is_refused(labels, kwargs, error):
    with pytest.raises(error):
        describe(labels, **kwargs)


def test_empty_phase_has_only_its_fraction():
    labels = np.zeros((8, 8, 8), np.uint8)
    d = describe(labels, phases={"pore": 0})
    assert d.phases["pore"].volume_fraction == 1.0
    assert d.phases["pore"].surface_density is None
    assert d.phases["pore"].notes
