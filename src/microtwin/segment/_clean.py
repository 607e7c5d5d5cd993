"""Clean-up of a phase label image: label-wise closing, removal of small components, hole filling."""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage

from microtwin._validation import as_3d, as_spacing
from microtwin.errors import DTypeError, ParameterError


def clean(labels, min_size=0.0, closing_radius=0.0, fill_holes=False, keep=None, spacing=1.0) -> np.ndarray:
    """A phase label image with thin gaps closed, small islands removed and holes filled.

    Three steps, each optional, in this order:

    1. **Closing** (``closing_radius = r > 0``): every label is closed by the ball of radius ``r``
       (Euclidean, in the units of ``spacing``): a voxel of label ``a`` moves to label ``b ≠ a``
       when it lies in the closing of label ``b`` (``b`` dilated by the ball, then eroded; the
       image border does not erode), i.e. in a gap of ``b`` too thin for the ball. If several
       labels claim it, the nearest one wins (then the smallest label). All labels are closed at
       once, so in a two-phase image without ``keep`` both phases lose their features thinner
       than the ball; with ``keep=[0]`` the result is the opening of phase 1, with ``keep=[1]``
       its closing. Dilations and erosions are thresholds of exact distance transforms.
    2. **Small components** (``min_size > 0``): every 6-connected component of one label whose
       volume (voxels × voxel volume) is below ``min_size`` takes the label most common among
       its face neighbours in large components (ties: the smallest label). Repeated until no
       small component is left, so islands nested in small islands end up in the enclosing phase.
    3. **Holes** (``fill_holes``): for each named label in increasing order, the regions of other
       labels it encloses (not connected to the image border through non-``k`` voxels,
       6-connected; ``scipy.ndimage.binary_fill_holes``) take label ``k``.

    Voxels whose label is in ``keep`` never change (e.g. ``keep=[0]``: pore stays pore); other
    voxels may take any label, kept ones included, and components of kept labels are never removed.

    Parameters
    ----------
    labels : (Z, Y, X) integer ndarray
        Phase labels (a few distinct values; each step runs once per label).
    min_size : float ≥ 0
        Least volume of a component, in the units of ``spacing`` cubed.
    closing_radius : float ≥ 0
        Radius of the closing ball, in the units of ``spacing``.
    fill_holes : bool, int or sequence of ints
        The labels whose holes are filled; ``True``: every label present except 0 (the pore).
    keep : int or sequence of ints, optional
        Labels whose voxels must not change.
    spacing : float or 3 floats
        Voxel size (dz, dy, dx).

    Returns
    -------
    (Z, Y, X) ndarray
        The cleaned labels, a new array of the input's dtype.

    Examples
    --------
    >>> labels = np.zeros((9, 9, 9), np.uint8); labels[2:7, 2:7, 2:7] = 1; labels[4, 4, 4] = 0
    >>> labels[0, 0, 8] = 2
    >>> cleaned = clean(labels, min_size=2, fill_holes=True)
    >>> int(cleaned[4, 4, 4]), int(cleaned[0, 0, 8]), int((cleaned == 1).sum())
    (1, 0, 125)
    """
    labels = as_3d(labels, "labels")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DTypeError(f"labels must be an integer label image; got dtype {labels.dtype}")
    spacing = as_spacing(spacing)
    min_size = _non_negative(min_size, "min_size")
    closing_radius = _non_negative(closing_radius, "closing_radius")
    kept = _label_list(keep, "keep")
    frozen = np.isin(labels, kept) if kept else np.zeros(labels.shape, bool)
    out = labels.copy()
    if closing_radius > 0:
        _close(out, closing_radius, spacing, frozen)
    if min_size > 0:
        _remove_small(out, min_size / np.prod(spacing), kept)
    if fill_holes is True:
        filled = [int(v) for v in np.unique(out) if v != 0]
    else:
        filled = _label_list(None if fill_holes is False else fill_holes, "fill_holes")
    for k in filled:
        mask = out == k
        out[ndimage.binary_fill_holes(mask) & ~mask & ~frozen] = k
    return out


def _close(out, radius, spacing, frozen):
    """Close every label at once, in place (see :func:`clean`, step 1)."""
    source = out.copy()
    nearest = np.full(out.shape, np.inf, np.float32)
    for b in np.unique(source):
        mask = source == b
        distance = ndimage.distance_transform_edt(~mask, sampling=spacing)  # to label b
        dilated = distance <= radius
        closed = dilated if dilated.all() else ndimage.distance_transform_edt(dilated, sampling=spacing) > radius
        claim = closed & ~mask & ~frozen & (distance < nearest)
        out[claim] = b
        nearest[claim] = distance[claim]


def _components(labels):
    """6-connected components of equal label: (ids 1…n, int32 image; the label of each id, index 0 unused)."""
    ids = np.zeros(labels.shape, np.int32)
    owner = [labels.flat[0]]
    for value in np.unique(labels):
        component, n = ndimage.label(labels == value)
        inside = component > 0
        ids[inside] = component[inside] + len(owner) - 1
        owner.extend([value] * n)
    return ids, np.asarray(owner, labels.dtype)


def _remove_small(out, min_voxels, kept):
    """Give every component smaller than ``min_voxels`` the most common label of its large neighbours, in place."""
    while True:
        ids, owner = _components(out)
        small = np.bincount(ids.ravel()) < min_voxels
        small[0] = False
        small &= ~np.isin(owner, kept)
        if not small.any():
            return
        large = ~small
        large[0] = False
        if not large.any():
            raise ParameterError(f"min_size removes every component (the largest has "
                                 f"{int(np.bincount(ids.ravel())[1:].max())} voxels)")
        sources, targets = [], []
        for axis in range(3):  # face-neighbour pairs in different components, both ways
            lower = ids[(slice(None),) * axis + (slice(None, -1),)]
            upper = ids[(slice(None),) * axis + (slice(1, None),)]
            across = lower != upper
            sources += [lower[across], upper[across]]
            targets += [upper[across], lower[across]]
        source, target = np.concatenate(sources), np.concatenate(targets)
        chosen = small[source] & large[target]
        pairs, counts = np.unique(np.stack([source[chosen], owner[target[chosen]].astype(np.int64)]), axis=1,
                                  return_counts=True)
        # per small component: the label with the most faces, ties to the smaller label
        order = np.lexsort((-pairs[1], counts, pairs[0]))
        last = np.r_[pairs[0][order][1:] != pairs[0][order][:-1], True]
        relabel = owner.copy()
        relabel[pairs[0][order][last]] = pairs[1][order][last]
        out[...] = relabel[ids]


def _label_list(value, name: str) -> list:
    """None → [], an int → [it], a sequence of ints → list."""
    if value is None:
        return []
    values = [value] if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    try:
        values = list(values)
    except TypeError:
        raise ParameterError(f"{name} must be a label or a sequence of labels; got {value!r}") from None
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise ParameterError(f"{name} must hold integer labels; got {value!r}")
    return [int(v) for v in values]


def _non_negative(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < np.inf:
        raise ParameterError(f"{name} must be a finite number ≥ 0 in the units of spacing; got {value!r}")
    return float(value)
