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
