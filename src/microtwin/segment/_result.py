"""The result of a segmentation: labels, and (when the method gives them) per-voxel class probabilities."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from microtwin._results import Result
from microtwin.errors import DimensionError, DTypeError, ParameterError

#: tolerance on Σ_k p_k(x) = 1 (the probabilities are stored as float32)
SUM_TOLERANCE = 1e-3


@dataclass(frozen=True, eq=False)
class Segmentation(Result):
    """Labels of a grey volume, the per-voxel posterior probability of each class, and the model.

    Attributes
    ----------
    labels : (Z, Y, X) uint8 ndarray
        The most probable class of every voxel (``classes[argmax_k p_k]``).
    probabilities : (K, Z, Y, X) float32 ndarray or None
        ``probabilities[k]`` = posterior probability that the voxel belongs to ``classes[k]``;
        they sum to one over ``k``. ``None`` for hard methods (plain thresholds).
    classes : tuple of int
        The label value of each probability channel, increasing.
    model : dict
        What the method fitted (thresholds, component means / standard deviations / weights,
        β, …): plain Python, JSON-friendly.
    """

    labels: np.ndarray
    probabilities: np.ndarray | None
    classes: tuple
    model: dict = field(default_factory=dict)

    def __post_init__(self):
        labels = np.asarray(self.labels)
        if labels.ndim != 3:
            raise DimensionError(f"labels must be 3D; got shape {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise DTypeError(f"labels must be integers; got {labels.dtype}")
        if len(self.classes) < 2 or list(self.classes) != sorted(set(self.classes)):
            raise ParameterError(f"classes must be ≥ 2 distinct increasing labels; got {self.classes}")
        if self.probabilities is not None:
            check_probabilities(self.probabilities, labels.shape, len(self.classes))

    def to_dict(self) -> dict:
        """The model, the classes and the phase fractions (not the voxel arrays)."""
        counts = np.bincount(self.labels.ravel(), minlength=max(self.classes) + 1)
        fractions = {int(c): float(counts[c] / self.labels.size) for c in self.classes}
        return {"classes": [int(c) for c in self.classes], "fractions": fractions, "model": self.model,
                "has_probabilities": self.probabilities is not None}


def check_probabilities(probabilities, shape, n_classes: int) -> np.ndarray:
    """Validate posterior maps (K, *shape): finite, in [0, 1], summing to one per voxel."""
    p = np.asarray(probabilities)
    if p.shape != (n_classes, *shape):
        raise DimensionError(f"probabilities must have shape {(n_classes, *shape)}; got {p.shape}")
    if not np.issubdtype(p.dtype, np.floating):
        raise DTypeError(f"probabilities must be floating point; got {p.dtype}")
    low, high = float(p.min()), float(p.max())
    if not (np.isfinite(low) and np.isfinite(high)) or low < -SUM_TOLERANCE or high > 1 + SUM_TOLERANCE:
        raise ParameterError(f"probabilities must be finite and in [0, 1]; found values in [{low}, {high}]")
    worst = 0.0
    for z in range(0, shape[0], 16):  # slab by slab: no full-size float64 temporaries
        total = p[:, z:z + 16].sum(axis=0, dtype=np.float64)
        worst = max(worst, float(np.abs(total - 1).max()))
    if worst > SUM_TOLERANCE:
        raise ParameterError(f"probabilities must sum to one over the classes at every voxel; "
                             f"the sum is off by up to {worst:.3g}")
    return p
