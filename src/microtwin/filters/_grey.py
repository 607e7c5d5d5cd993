"""Checks shared by the grey-value filters: a finite 3D float32 volume, and lengths in voxels."""

from __future__ import annotations

import numbers

import numpy as np

from microtwin._validation import as_grey  # noqa: F401  (re-exported for the filters)
from microtwin.errors import ParameterError


def as_length(value, name: str, allow_zero: bool = False) -> tuple[float, float, float]:
    """A physical length, scalar or one per axis (z, y, x), as 3 finite floats > 0 (or ≥ 0)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        values = (float(value),) * 3
    else:
        try:
            values = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be a number or 3 numbers (z, y, x); got {value!r}") from None
        if len(values) != 3:
            raise ParameterError(f"{name} must be a number or 3 numbers (z, y, x); got {len(values)}: {value!r}")
    low_ok = (lambda v: v >= 0) if allow_zero else (lambda v: v > 0)
    if not all(np.isfinite(v) and low_ok(v) for v in values) or not any(values):
        bound = "≥ 0 (not all 0)" if allow_zero else "> 0"
        raise ParameterError(f"{name} must be finite and {bound}; got {value!r}")
    return values


def in_voxels(length, spacing) -> tuple[float, float, float]:
    """A physical length per axis divided by the voxel size along that axis."""
    return tuple(float(v) / s for v, s in zip(length, spacing))


def half_widths(radius, spacing) -> tuple[int, int, int]:
    """Half-widths in voxels: the most whole voxels within ``radius_i`` along each axis, ``⌊r_i / s_i⌋``."""
    return tuple(int(np.floor(r + 1e-9)) for r in in_voxels(radius, spacing))


def positive(value, name: str, integer: bool = False, allow_zero: bool = False):
    """``value`` checked to be a finite number > 0 (or ≥ 0); an int when ``integer``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if integer:
        ok = ok and float(value) == int(value)
    if not ok:
        kind = "an integer" if integer else "a finite number"
        raise ParameterError(f"{name} must be {kind} {'≥' if allow_zero else '>'} 0; got {value!r}")
    return int(value) if integer else float(value)
