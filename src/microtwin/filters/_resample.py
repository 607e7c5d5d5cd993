"""Block downsampling of grey and label volumes (numpy or dask), with the voxel size updated."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from microtwin.errors import ParameterError
from microtwin.io import Volume

#: an integer image with at most this many distinct values is treated as labels by ``method="auto"``
MAX_AUTO_LABELS = 16


def _block_mean(blocks, axis=None):
    return blocks.mean(axis=axis, dtype=np.float64)


def _block_mode(blocks, axis=None):
    """Most frequent value in each block (ties go to the smallest value)."""
    axis = tuple(range(blocks.ndim)) if axis is None else axis
    values = np.unique(blocks)
    best = np.zeros([n for i, n in enumerate(blocks.shape) if i not in axis], dtype=blocks.dtype)
    best_count = np.full(best.shape, -1, dtype=np.int64)
    for value in values:
        count = (blocks == value).sum(axis=axis)
        better = count > best_count
        best[better] = value
        best_count[better] = count[better]
    return best


def _looks_like_labels(array) -> bool:
    if array.dtype == bool:
        return True
    if not np.issubdtype(array.dtype, np.integer):
        return False
    sample = np.asarray(array[:: max(1, array.shape[0] // 8)])
    return np.unique(sample).size <= MAX_AUTO_LABELS


def downsample(volume, factor: int, method: str = "auto") -> Volume:
    """Shrink a volume by an integer ``factor`` along every axis by block reduction.

    ``method="mean"`` averages each factor³ block (grey values; integers are rounded back to
    their dtype); ``"mode"`` takes the most frequent value (labels and masks); ``"auto"``
    picks ``mode`` for bool images and integer images with at most 16 distinct values, else
    ``mean``. Trailing voxels that do not fill a block are dropped; the spacing is multiplied
    by ``factor``. A dask array stays lazy.

    Examples
    --------
    >>> import numpy as np
    >>> downsample(np.arange(8, dtype=np.uint8).reshape(2, 2, 2), 2, method="mean").array
    array([[[4]]], dtype=uint8)
    """
    if not isinstance(volume, Volume):
        volume = Volume(volume)
    if isinstance(factor, bool) or int(factor) != factor or factor < 1:
        raise ParameterError(f"downsample factor must be a positive integer; got {factor!r}")
    factor = int(factor)
    if min(volume.shape) < factor:
        raise ParameterError(f"downsample factor {factor} exceeds the volume shape {volume.shape}")
    if method == "auto":
        method = "mode" if _looks_like_labels(volume.array) else "mean"
    reducers = {"mean": _block_mean, "mode": _block_mode}
    if method not in reducers:
        raise ParameterError(f"downsample method must be 'auto', 'mean' or 'mode'; got {method!r}")
    trimmed = volume.array[tuple(slice(0, n - n % factor) for n in volume.shape)]
    if volume.is_lazy:
        import dask.array as da

        block_chunks = tuple(max(factor, c - c % factor) for c in trimmed.chunksize)
        reduced = da.coarsen(reducers[method], trimmed.rechunk(block_chunks), {0: factor, 1: factor, 2: factor})
    else:
        shape = [s for n in trimmed.shape for s in (n // factor, factor)]
        reduced = reducers[method](trimmed.reshape(shape), axis=(1, 3, 5))
    if method == "mean" and volume.dtype.kind in "iub":
        reduced = reduced.round()
    reduced = reduced.astype(volume.dtype)
    spacing = tuple(s * factor for s in volume.spacing)
    return replace(volume, array=reduced, spacing=spacing)


def resample(volume, target_spacing, spacing=None, order: int = 1) -> Volume:
    """Resample a grey volume to a new voxel size (e.g. FIB-SEM 20 × 10 × 10 nm → 20 nm isotropic).

    Where ``target / spacing`` is a whole number along every axis, each output voxel is the mean
    of the block of input voxels it covers (exact: the mean grey value and the total signal
    are conserved; trailing voxels that do not fill a block are dropped). Otherwise the volume
    is interpolated (:func:`scipy.ndimage.zoom`, spline of ``order``, voxels treated as cells
    so the field of view is kept: ``round(n · s / t)`` voxels of size ``n · s / round(n · s / t)``,
    equal to ``t`` up to that rounding). Grey values only: bool/integer input is converted to
    float32 (use :func:`downsample` with ``method="mode"`` for labels).

    Parameters
    ----------
    volume : (Z, Y, X) array or Volume
        Grey values; NaN/inf are refused.
    target_spacing : float or 3 floats > 0
        Voxel size wanted (dz, dy, dx), in the units of the spacing.
    spacing : float or 3 floats, optional
        Voxel size of ``volume``; default the Volume's own, or 1 for a bare array.
    order : int in 0…5
        Spline order of the interpolation (not used by block averaging).

    Returns
    -------
    Volume
        float32 voxels with the new spacing (unit and meta kept).

    Examples
    --------
    >>> fib = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    >>> out = resample(fib, 20.0, spacing=(20, 10, 10))
    >>> out.shape, out.spacing, float(out.array.mean()) == float(fib.mean())
    ((2, 2, 2), (20.0, 20.0, 20.0), True)
    """
    from scipy import ndimage

    from microtwin._validation import as_spacing
    from microtwin.filters._grey import as_grey, as_length

    if not isinstance(volume, Volume):
        volume = Volume(volume)
    source = as_spacing(volume.spacing if spacing is None else spacing)
    target = as_length(target_spacing, "target_spacing")
    if isinstance(order, bool) or order not in range(6):
        raise ParameterError(f"order must be an integer in 0…5; got {order!r}")
    arr = as_grey(volume.compute().array if volume.is_lazy else volume.array)
    factors = [t / s for t, s in zip(target, source)]
    whole = [round(f) for f in factors]
    if all(w >= 1 and abs(f - w) < 1e-6 * f for f, w in zip(factors, whole)):
        if any(n < w for n, w in zip(arr.shape, whole)):
            raise ParameterError(f"target spacing {target} is coarser than the whole volume {arr.shape} × {source}")
        trimmed = arr[tuple(slice(0, n - n % w) for n, w in zip(arr.shape, whole))]
        shape = [s for n, w in zip(trimmed.shape, whole) for s in (n // w, w)]
        out = trimmed.reshape(shape).mean(axis=(1, 3, 5), dtype=np.float64).astype(np.float32)
        new_spacing = tuple(s * w for s, w in zip(source, whole))
    else:
        new_shape = [max(1, round(n / f)) for n, f in zip(arr.shape, factors)]
        zoom = [m / n for m, n in zip(new_shape, arr.shape)]
        out = ndimage.zoom(arr, zoom, order=order, mode="nearest", grid_mode=True, output=np.float32)
        new_spacing = tuple(n * s / m for n, s, m in zip(arr.shape, source, new_shape))
    return replace(volume, array=out, spacing=new_spacing)
