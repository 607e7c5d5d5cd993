"""A one-look summary of a volume: what ``microtwin info`` prints."""

from __future__ import annotations

import numpy as np

from microtwin.io._volume import Volume

#: integer images with at most this many distinct values get a per-label table
MAX_LISTED_LABELS = 64


def _human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024


def label_fractions(array) -> dict[int, float] | None:
    """Voxel fraction of each value of an integer or bool image, or None when it has > 64 values."""
    array = np.asarray(array)
    if array.dtype == bool:
        counts = np.bincount(array.ravel().view(np.uint8), minlength=2)
        return {False: counts[0] / array.size, True: counts[1] / array.size}
    if not np.issubdtype(array.dtype, np.integer) or array.size == 0:
        return None
    lo, hi = int(array.min()), int(array.max())
    if hi - lo < 1 << 20:
        counts = np.bincount((array.ravel() - lo).astype(np.int64, copy=False), minlength=hi - lo + 1)
        values = np.flatnonzero(counts)
        counts = counts[values]
        values = values + lo
    else:
        values, counts = np.unique(array, return_counts=True)
    if values.size > MAX_LISTED_LABELS:
        return None
    return {int(v): float(c) / array.size for v, c in zip(values, counts)}


def summarize(volume: Volume) -> dict:
    """Shape, dtype, voxel size, memory, value range and (for label images) label fractions.

    A lazy volume is loaded to compute the statistics.
    """
    array = np.asarray(volume.array)
    summary = {
        "shape": list(volume.shape),
        "dtype": str(volume.dtype),
        "spacing": list(volume.spacing),
        "unit": volume.unit,
        "extent": list(volume.extent),
        "memory_bytes": volume.nbytes,
        "memory": _human_bytes(volume.nbytes),
        "min": array.min().item() if array.size else None,
        "max": array.max().item() if array.size else None,
    }
    if array.dtype.kind == "f":
        summary["mean"] = float(array.mean(dtype=np.float64))
        summary["nan_count"] = int(np.isnan(array).sum())
    fractions = label_fractions(array)
    if fractions is not None:
        summary["labels"] = {str(k): v for k, v in fractions.items()}
    for key in ("format", "source", "phases", "description", "licence", "citation"):
        if key in volume.meta:
            summary[key] = volume.meta[key]
    return summary
