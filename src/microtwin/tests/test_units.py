import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microtwin.errors import UnitError
from microtwin.units import convert_length, normalize_unit, parse_length, parse_spacing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20nm", (20.0, "nm")),
        ("20 nm", (20.0, "nm")),
        ("0.02um", (0.02, "µm")),
        ("0.02 µm", (0.02, "µm")),
        ("0.02 μm", (0.02, "µm")),  # Greek mu
        ("0.02micron", (0.02, "µm")),
        ("2e-8 m", (2e-8, "m")),
        ("2E-8m", (2e-8, "m")),
        (".5mm", (0.5, "mm")),
        ("1.3 micrometres", (1.3, "µm")),
    ],
)
def test_parse_length_reads_value_and_canonical_unit(text, expected):
    assert parse_length(text) == expected


def test_bare_number_takes_default_unit_or_voxel():
    assert parse_length("3") == (3.0, "voxel")
    assert parse_length("3", default_unit="nm") == (3.0, "nm")


@pytest.mark.parametrize("text", ["", "nm", "20 parsecs", "20nm30", "abc", "inf nm", "1,2nm"])
def test_parse_length_rejects_malformed_text(text):
    with pytest.raises(UnitError):
        parse_length(text)


def test_parse_spacing_isotropic_and_anisotropic():
    assert parse_spacing("20nm") == ((20.0, 20.0, 20.0), "nm")
    assert parse_spacing("20,10,10 nm") == ((20.0, 10.0, 10.0), "nm")
    assert parse_spacing("20x10x10nm") == ((20.0, 10.0, 10.0), "nm")
    assert parse_spacing("0.398um") == ((0.398,) * 3, "µm")


@pytest.mark.parametrize("text", ["20,10nm", "1,2,3,4 nm", "x nm"])
def test_parse_spacing_rejects_wrong_count(text):
    with pytest.raises(UnitError):
        parse_spacing(text)


def test_convert_between_units():
    assert convert_length(20, "nm", "um") == pytest.approx(0.02)
    assert convert_length(0.02, "µm", "nm") == pytest.approx(20)
    assert convert_length(2e-8, "m", "nm") == pytest.approx(20)
    assert convert_length(1.3, "mm", "µm") == pytest.approx(1300)
    assert convert_length((20, 10, 10), "nm", "µm") == (0.02, 0.01, 0.01)
    np.testing.assert_allclose(convert_length(np.array([1.0, 2.0]), "mm", "m"), [1e-3, 2e-3])


def test_converting_voxel_units_to_physical_is_refused():
    with pytest.raises(UnitError, match="voxel"):
        convert_length(1.0, "voxel", "nm")
    assert convert_length(2.0, "px", "voxel") == 2.0


def test_unknown_unit_is_named_in_error():
    with pytest.raises(UnitError, match="furlong"):
        normalize_unit("furlong")


@settings(max_examples=50, deadline=None)
@given(
    value=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
    src=st.sampled_from(["nm", "µm", "mm", "m"]),
    dst=st.sampled_from(["nm", "µm", "mm", "m"]),
)
def test_conversion_round_trips(value, src, dst):
    back = convert_length(convert_length(value, src, dst), dst, src)
    assert math.isclose(back, value, rel_tol=1e-9)


@settings(max_examples=50, deadline=None)
@given(value=st.floats(min_value=1e-6, max_value=1e6), unit=st.sampled_from(["nm", "um", "mm", "m"]))
def test_formatted_length_parses_back(value, unit):
    parsed, parsed_unit = parse_length(f"{value!r}{unit}")
    assert parsed == value
    assert parsed_unit == normalize_unit(unit)
