"""Segmentation of grey volumes into phases, with per-voxel probabilities and uncertainty ensembles.

Thresholds (global, Otsu, multi-Otsu), a Gaussian mixture with posteriors, Potts-MRF smoothing,
a random-forest pixel classifier trained on sparse labels, watershed separation of particles,
clean-up, the composition check, and ensembles of plausible segmentations propagated to any
descriptor.
"""

from microtwin.segment._clean import clean
from microtwin.segment._composition import composition_volume_fractions
from microtwin.segment._ensemble_io import Ensemble, load_ensemble, save_ensemble
from microtwin.segment._features import voxel_features
from microtwin.segment._forest import RandomForestSegmenter
from microtwin.segment._gmm import gmm
from microtwin.segment._mrf import mrf
from microtwin.segment._particles import watershed_particles
from microtwin.segment._propagate import Propagated, propagate
from microtwin.segment._result import Segmentation
from microtwin.segment._threshold import multi_otsu, otsu, threshold
from microtwin.segment._uncertainty import gaussian_field, sample_ensemble

__all__ = [
    "Ensemble",
    "Propagated",
    "RandomForestSegmenter",
    "Segmentation",
    "clean",
    "composition_volume_fractions",
    "gaussian_field",
    "gmm",
    "load_ensemble",
    "mrf",
    "multi_otsu",
    "otsu",
    "propagate",
    "sample_ensemble",
    "save_ensemble",
    "threshold",
    "voxel_features",
    "watershed_particles",
]
