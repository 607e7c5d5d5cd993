"""Hard segmentations by grey-value thresholds: a given level, Otsu, multi-Otsu."""

from __future__ import annotations

import numbers

import numpy as np
from skimage.filters import threshold_multiotsu, threshold_otsu

from microtwin._validation import as_grey as validated_grey
from microtwin.errors import ParameterError
from microtwin.segment._result import Segmentation

#: most classes a uint8 label image holds
MAX_PHASES = 255


def as_grey(volume, name: str = "volume") -> np.ndarray:
    """``volume`` as a 3D real array (dtype kept) with finite, not all equal values."""
    arr = validated_grey(volume, name, float32=False, allow_bool=False)
    low, high = arr.min(), arr.max()
    if low == high:
        raise ParameterError(f"{name} is constant ({low}); there is nothing to segment")
    return arr


def as_phase_count(n_phases) -> int:
    """``n_phases`` as an int in [2, 255]."""
    if isinstance(n_phases, bool) or not isinstance(n_phases, numbers.Integral) or not 2 <= n_phases <= MAX_PHASES:
        raise ParameterError(f"n_phases must be an integer in [2, {MAX_PHASES}]; got {n_phases!r}")
    return int(n_phases)


def labels_from_thresholds(volume: np.ndarray, thresholds) -> np.ndarray:
    """uint8 labels = number of thresholds strictly below the grey value (class k: t_{k-1} < v ≤ t_k)."""
    labels = np.zeros(volume.shape, np.uint8)
    for t in thresholds:
        labels += volume > t
    return labels


def _hard(volume, thresholds, method: str, **model) -> Segmentation:
    thresholds = [float(t) for t in thresholds]
    return Segmentation(labels_from_thresholds(volume, thresholds), None, tuple(range(len(thresholds) + 1)),
                        {"method": method, "thresholds": thresholds, **model})


def threshold(volume, level) -> Segmentation:
    """Two phases split at a grey level: label 1 where ``volume > level``, else 0.

    Parameters
    ----------
    volume : (Z, Y, X) integer or float ndarray
        Grey values; finite and not constant.
    level : float
        The threshold. A level outside the grey range gives a single phase (all 0 or all 1).

    Returns
    -------
    Segmentation
        uint8 labels 0/1, no probabilities; ``model = {"method": "threshold", "thresholds": [level]}``.

    Examples
    --------
    >>> volume = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    >>> threshold(volume, 3.5).labels.ravel().tolist()
    [0, 0, 0, 0, 1, 1, 1, 1]
    """
    volume = as_grey(volume)
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not np.isfinite(level):
        raise ParameterError(f"level must be a finite number; got {level!r}")
    return _hard(volume, [level], "threshold")


def otsu(volume, nbins: int = 256) -> Segmentation:
    """Two phases split at Otsu's threshold (the level maximising the between-class variance).

    The threshold is ``skimage.filters.threshold_otsu`` of the ``nbins``-bin histogram of the grey
    values (integer volumes: one bin per value); label 1 where ``volume > t``.

    Parameters
    ----------
    volume : (Z, Y, X) integer or float ndarray
    nbins : int
        Histogram bins for float volumes.

    Returns
    -------
    Segmentation
        uint8 labels 0/1, no probabilities; ``model["thresholds"] = [t]``.

    References
    ----------
    Otsu, N. (1979). A threshold selection method from gray-level histograms. IEEE Trans. Syst. Man
    Cybern. 9, 62-66.

    Examples
    --------
    >>> volume = np.zeros((4, 4, 4), np.float32); volume[2:] = 1
    >>> otsu(volume).labels[:, 0, 0].tolist()
    [0, 0, 1, 1]
    """
    volume = as_grey(volume)
    return _hard(volume, [threshold_otsu(volume.reshape(-1), nbins=_bins(nbins))], "otsu", nbins=int(nbins))


def multi_otsu(volume, n_phases: int = 3, nbins: int = 256) -> Segmentation:
    """``n_phases`` phases split at the multi-Otsu thresholds (maximal between-class variance).

    The thresholds ``t_1 < … < t_{K-1}`` are ``skimage.filters.threshold_multiotsu`` of the
    ``nbins``-bin histogram; label k where ``t_k < v ≤ t_{k+1}``, so labels 0 … K−1 increase with
    the grey value.

    Parameters
    ----------
    volume : (Z, Y, X) integer or float ndarray
    n_phases : int ≥ 2
    nbins : int
        Histogram bins (the search costs about ``nbins^2`` per class).

    Returns
    -------
    Segmentation
        uint8 labels, no probabilities; ``model["thresholds"]`` the K−1 thresholds.

    References
    ----------
    Liao, P.-S., Chen, T.-S. & Chung, P.-C. (2001). A fast algorithm for multilevel thresholding.
    J. Inf. Sci. Eng. 17, 713-727.

    Examples
    --------
    >>> volume = np.repeat([0.1, 0.5, 0.9], 8).reshape(3, 2, 4).astype(np.float32)
    >>> multi_otsu(volume, 3).labels[:, 0, 0].tolist()
    [0, 1, 2]
    """
    volume = as_grey(volume)
    n_phases = as_phase_count(n_phases)
    try:
        thresholds = threshold_multiotsu(volume.reshape(-1), classes=n_phases, nbins=_bins(nbins))
    except ValueError as error:  # fewer distinct grey values than classes
        raise ParameterError(f"cannot split the volume into {n_phases} phases: {error}") from None
    return _hard(volume, thresholds, "multi_otsu", nbins=int(nbins))


def _bins(nbins) -> int:
    if isinstance(nbins, bool) or not isinstance(nbins, numbers.Integral) or nbins < 2:
        raise ParameterError(f"nbins must be an integer ≥ 2; got {nbins!r}")
    return int(nbins)
