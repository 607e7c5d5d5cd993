"""Segmentation of grey volumes into phases, with per-voxel probabilities and uncertainty ensembles.

Thresholds (global, Otsu, multi-Otsu), a Gaussian mixture with posteriors, Potts-MRF smoothing,
a random-forest pixel classifier trained on sparse labels, watershed separation of particles,
clean-up, the composition check, and ensembles of plausible segmentations propagated to any
descriptor.
"""

from microtwin.segment._result import Segmentation

__all__ = ["Segmentation"]
