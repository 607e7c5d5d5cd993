"""Lengths with units: parse ``"20nm"``, ``"0.02 um"``, ``"2e-8 m"`` and convert between units.

Canonical unit names are ``"Å"``, ``"nm"``, ``"µm"`` (micro sign U+00B5), ``"mm"``, ``"cm"``, ``"m"``,
and ``"voxel"`` for images whose physical voxel size is unknown (spacing in voxels).
"""

from __future__ import annotations

import re

import numpy as np

from microtwin.errors import UnitError

VOXEL = "voxel"

#: metres per unit, for every canonical length unit
METRES_PER_UNIT = {"Å": 1e-10, "nm": 1e-9, "µm": 1e-6, "mm": 1e-3, "cm": 1e-2, "m": 1.0}

_ALIASES = {
    "\u00c5": "\u00c5", "\u212b": "\u00c5", "angstrom": "\u00c5", "angstroms": "\u00c5", "\\u00c5": "\u00c5",
    "nm": "nm", "nanometer": "nm", "nanometers": "nm", "nanometre": "nm", "nanometres": "nm",
    "µm": "µm", "μm": "µm", "um": "µm", "micron": "µm", "microns": "µm",
    "micrometer": "µm", "micrometers": "µm", "micrometre": "µm", "micrometres": "µm",
    "\\u00b5m": "µm", "\\u03bcm": "µm",
    "mm": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "cm": "cm", "centimeter": "cm", "centimetre": "cm",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "voxel": VOXEL, "voxels": VOXEL, "pixel": VOXEL, "pixels": VOXEL, "px": VOXEL, "vx": VOXEL,
    "": VOXEL,
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LENGTH_RE = re.compile(rf"^\s*({_NUMBER})\s*([^\d\s,x×]*)\s*$")
_SPACING_RE = re.compile(
    rf"^\s*({_NUMBER})(?:\s*[,x×]\s*({_NUMBER})\s*[,x×]\s*({_NUMBER}))?\s*([^\d\s,x×]*)\s*$"
)


def normalize_unit(unit: str | None) -> str:
    """Return the canonical name of a length unit (``"um"`` → ``"µm"``; None → ``"voxel"``)."""
    if unit is None:
        return VOXEL
    key = str(unit).strip()
    canonical = _ALIASES.get(key) or _ALIASES.get(key.lower())
    if canonical is None:
        known = ", ".join(sorted(set(_ALIASES.values())))
        raise UnitError(f"unknown length unit {unit!r}; expected one of {known}")
    return canonical


def parse_length(text: str, default_unit: str | None = None) -> tuple[float, str]:
    """Parse a length such as ``"20nm"``, ``"0.02 um"`` or ``"2e-8 m"`` into (value, unit).

    A bare number takes ``default_unit`` (``"voxel"`` when None). The value must be finite.

    Examples
    --------
    >>> parse_length("20 nm")
    (20.0, 'nm')
    >>> parse_length("0.02um")
    (0.02, 'µm')
    """
    match = _LENGTH_RE.match(str(text))
    if match is None:
        raise UnitError(f"cannot parse length {text!r}; expected a number and a unit, like '20nm'")
    value = float(match.group(1))
    if not np.isfinite(value):
        raise UnitError(f"length {text!r} is not finite")
    unit = match.group(2) or default_unit
    return value, normalize_unit(unit)


def parse_spacing(text: str, default_unit: str | None = None) -> tuple[tuple[float, float, float], str]:
    """Parse a voxel size: ``"20nm"`` (isotropic) or ``"20,10,10 nm"`` / ``"20x10x10nm"`` (z, y, x).

    Examples
    --------
    >>> parse_spacing("20x10x10 nm")
    ((20.0, 10.0, 10.0), 'nm')
    """
    match = _SPACING_RE.match(str(text))
    if match is None:
        raise UnitError(
            f"cannot parse spacing {text!r}; expected '20nm' or 'dz,dy,dx unit' like '20,10,10nm'"
        )
    numbers = [g for g in match.group(1, 2, 3) if g is not None]
    values = [float(g) for g in numbers]
    if len(values) == 1:
        values = values * 3
    unit = normalize_unit(match.group(4) or default_unit)
    return (values[0], values[1], values[2]), unit


def convert_length(value, from_unit: str, to_unit: str):
    """Convert a length (scalar, tuple or array) from one unit to another.

    Converting to or from ``"voxel"`` is only allowed when both units are ``"voxel"``.

    Examples
    --------
    >>> convert_length(20, "nm", "um")
    0.02
    """
    src, dst = normalize_unit(from_unit), normalize_unit(to_unit)
    if src == dst:
        return value
    if VOXEL in (src, dst):
        raise UnitError(f"cannot convert between {src!r} and {dst!r}: voxel units have no physical size")
    factor = METRES_PER_UNIT[src] / METRES_PER_UNIT[dst]
    if isinstance(value, tuple):
        return tuple(_clean(v * factor) for v in value)
    if isinstance(value, np.ndarray):
        return value * factor
    return _clean(value * factor)


def _clean(x: float) -> float:
    """Round away binary noise from unit conversion (20 nm → 0.02 µm, not 0.020000000000000004)."""
    return float(f"{float(x):.12g}")
