"""Checks shared by every public function: dimensionality, dtypes, spacing, axes."""

from __future__ import annotations

import numbers

import numpy as np

from microtwin.errors import DimensionError, DTypeError, ParameterError, SpacingError


def as_spacing(spacing, ndim: int = 3) -> tuple[float, ...]:
    """Return ``spacing`` as a tuple of ``ndim`` positive finite floats (a scalar is isotropic)."""
    if isinstance(spacing, numbers.Real) and not isinstance(spacing, bool):
        values = (float(spacing),) * ndim
    else:
        try:
            values = tuple(float(s) for s in spacing)
        except (TypeError, ValueError):
            raise SpacingError(f"spacing must be a number or {ndim} numbers; got {spacing!r}") from None
        if len(values) != ndim:
            raise SpacingError(f"spacing must have {ndim} entries (z, y, x); got {len(values)}: {spacing!r}")
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise SpacingError(f"spacing entries must be finite and > 0; got {values}")
    return values


def as_3d(array, name: str = "array") -> np.ndarray:
    """Return ``array`` as a 3D numpy array, or raise :class:`DimensionError`."""
    arr = np.asarray(array)
    if arr.ndim != 3:
        raise DimensionError(f"{name} must be 3D (z, y, x); got {arr.ndim}D with shape {arr.shape}")
    return arr


def as_grey(volume, name: str = "volume", *, float32: bool = True, allow_bool: bool = True) -> np.ndarray:
    """Return ``volume`` as a non-empty 3D array of finite real grey values.

    With ``float32`` the result is float32 (a copy only when the input is not); otherwise the
    dtype is kept (integer histograms stay exact). Bool is accepted only with ``allow_bool``.
    NaN and infinite values are refused: no filter or segmentation can give them a meaning.
    """
    arr = as_3d(volume, name)
    kinds = "biuf" if allow_bool else "iuf"
    if arr.dtype.kind not in kinds:
        what = "bool, integer or float" if allow_bool else "integer or float"
        raise DTypeError(f"{name} must hold real grey values ({what}); got dtype {arr.dtype}")
    if arr.size == 0:
        raise DimensionError(f"{name} is empty: shape {arr.shape}")
    if float32:
        arr = arr.astype(np.float32, copy=False)
    if arr.dtype.kind == "f" and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
        raise ParameterError(f"{name} must be finite; it holds {n_nan} NaN and {n_inf} infinite values "
                             "(replace, mask or crop them first)")
    return arr


def as_phase(phase, name: str = "phase") -> np.ndarray:
    """Return a 3D boolean phase mask; integer/float arrays are refused rather than guessed."""
    arr = as_3d(phase, name)
    if arr.dtype != bool:
        raise DTypeError(
            f"{name} must be a boolean mask; got dtype {arr.dtype} (use labels == value to select a phase)"
        )
    return arr


def as_axis(axis, ndim: int = 3) -> int:
    """Return ``axis`` as a non-negative int below ``ndim``."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or not -ndim <= axis < ndim:
        raise ParameterError(f"axis must be an integer in [0, {ndim - 1}]; got {axis!r}")
    return int(axis) % ndim
