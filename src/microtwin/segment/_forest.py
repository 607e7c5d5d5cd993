"""Random-forest pixel classifier trained on sparse hand labels (ilastik-style), predicted in chunks."""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np

from microtwin._validation import as_3d, as_spacing
from microtwin.errors import (CorruptFileError, DimensionError, DTypeError, EmptyPhaseError, InputFileNotFoundError,
                              OutputExistsError, ParameterError)
from microtwin.segment._features import (DEFAULT_SIGMAS, FEATURES, box_features, checked_features, checked_sigmas, checked_volume,
                                         feature_names)
from microtwin.segment._result import Segmentation

_FORMAT = "microtwin.RandomForestSegmenter"
_FORMAT_VERSION = 1


class RandomForestSegmenter:
    """Classify every voxel from multi-scale features, learning from a few hand-labelled voxels.

    Features (:func:`microtwin.segment._features.voxel_features`, the ilastik set): at each scale
    σ, the Gaussian-smoothed grey value, the gradient magnitude, the 3 eigenvalues of the
    structure tensor and the 3 eigenvalues of the Hessian of the Gaussian — 8 per scale.
    :meth:`fit` computes them only on the bounding box of the labelled voxels of each chunk and
    trains a scikit-learn ``RandomForestClassifier`` on the labelled voxels; :meth:`predict_proba`
    averages the trees' class frequencies [1]_ over the whole volume, chunk by chunk: each chunk's
    features are computed from the chunk plus the margin the filters need (≈ 4.5 σ_max), so the
    result equals whole-volume prediction and memory stays bounded by the chunk size.

    Class values: sparse label ``v`` (1 … 256; 0 = unlabelled) becomes class ``v − 1`` in the
    output, so that, like every other segmenter here, the labels count from 0 (hand labels 1, 2, 3
    → classes 0, 1, 2). ``classes_`` holds the classes present in the training labels.

    Parameters
    ----------
    features : sequence of str
        Families among ``"gaussian"``, ``"gradient"``, ``"structure"``, ``"hessian"``.
    sigmas : sequence of float, optional
        Scales, in the units of ``spacing`` (each ≥ 0.3 voxels along every axis). Default:
        ilastik's 0.7, 1, 1.6, 3.5 and 5 voxels of the finest axis (× ``min(spacing)``).
    n_estimators, max_depth : int, int or None
        Number of trees and their depth limit (None: grown until pure).
    seed : int or numpy.random.Generator
        Seeds the forest's bootstrap and feature draws (same seed, same forest, any ``n_jobs``).
    spacing : float or 3 floats
        Voxel size (z, y, x) of the volumes this segmenter sees.
    n_jobs : int
        Threads for training and prediction (-1: all cores).

    Attributes
    ----------
    feature_names : list of str
        The feature channels, in order.
    classes_ : tuple of int
        Output class of each probability channel (after :meth:`fit` or :meth:`load`).
    forest_ : sklearn.ensemble.RandomForestClassifier
        The fitted forest.

    References
    ----------
    .. [1] L. Breiman, "Random forests", Machine Learning 45, 5–32 (2001).
    .. [2] S. Berg et al., "ilastik: interactive machine learning for (bio)image analysis",
           Nature Methods 16, 1226–1232 (2019).

    Examples
    --------
    >>> grey = np.zeros((16, 16, 16), np.float32); grey[:, :, 8:] = 1
    >>> hand = np.zeros(grey.shape, np.uint8); hand[8, :, 2] = 1; hand[8, :, 13] = 2  # two scribbles
    >>> rf = RandomForestSegmenter(sigmas=(1.0,), n_estimators=5, n_jobs=1).fit(grey, hand)
    >>> seg = rf.predict(grey)
    >>> seg.classes, int(seg.labels[0, 0, 0]), int(seg.labels[15, 15, 15])
    ((0, 1), 0, 1)
    """

    def __init__(self, features=FEATURES, sigmas=None, n_estimators=100, max_depth=None, seed=0, spacing=1.0,
                 n_jobs=-1):
        self.spacing = as_spacing(spacing)
        self.features = checked_features(features)
        if sigmas is None:
            sigmas = tuple(s * min(self.spacing) for s in DEFAULT_SIGMAS)
        self.sigmas = checked_sigmas(sigmas, self.spacing)
        if isinstance(n_estimators, bool) or not isinstance(n_estimators, numbers.Integral) or n_estimators < 1:
            raise ParameterError(f"n_estimators must be an integer ≥ 1; got {n_estimators!r}")
        if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, numbers.Integral)
                                      or max_depth < 1):
            raise ParameterError(f"max_depth must be None or an integer ≥ 1; got {max_depth!r}")
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0 or n_jobs < -1:
            raise ParameterError(f"n_jobs must be -1 (all cores) or an integer ≥ 1; got {n_jobs!r}")
        if isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**32))
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
            raise ParameterError(f"seed must be an integer in [0, 2**32) or a numpy Generator; got {seed!r}")
        self.n_estimators, self.max_depth, self.seed, self.n_jobs = int(n_estimators), max_depth, int(seed), int(n_jobs)
        self.forest_, self.classes_, self.training_counts_ = None, None, None

    @property
    def feature_names(self) -> list[str]:
        return feature_names(self.features, self.sigmas)

    def _settings(self) -> dict:
        return {"features": list(self.features), "sigmas": list(self.sigmas), "n_estimators": self.n_estimators,
                "max_depth": self.max_depth, "seed": self.seed, "spacing": list(self.spacing), "n_jobs": self.n_jobs}

    def fit(self, volume, sparse_labels, chunk=128) -> RandomForestSegmenter:
        """Train on the labelled voxels (``sparse_labels > 0``) of ``volume``; return ``self``.

        Parameters
        ----------
        volume : (Z, Y, X) real ndarray
            Grey values, finite and not constant.
        sparse_labels : (Z, Y, X) integer ndarray
            0 = unlabelled, ``v`` in 1 … 256 = class ``v − 1``; at least two classes must be labelled.
        chunk : int or 3 ints
            Features are computed chunk by chunk, on each chunk's box of labelled voxels (the
            forest does not depend on it: the samples are taken in raster order).
        """
        from sklearn.ensemble import RandomForestClassifier

        volume = checked_volume(volume)
        if float(volume.min()) == float(volume.max()):
            raise ParameterError(f"volume is constant ({float(volume.min())}): it holds nothing to classify")
        hand = as_3d(sparse_labels, "sparse_labels")
        if hand.shape != volume.shape:
            raise DimensionError(f"sparse_labels must have the volume's shape {volume.shape}; got {hand.shape}")
        if not np.issubdtype(hand.dtype, np.integer):
            raise DTypeError(f"sparse_labels must be integers (0 = unlabelled, 1…K); got {hand.dtype}")
        if int(hand.min()) < 0 or int(hand.max()) > 256:
            raise ParameterError(f"sparse_labels must be in 0…256 (0 = unlabelled); "
                                 f"found [{hand.min()}, {hand.max()}]")
        values, counts = np.unique(hand[hand > 0], return_counts=True)
        if values.size < 2:
            found = "no labelled voxels (all 0)" if values.size == 0 else f"only class {int(values[0])}"
            raise EmptyPhaseError(f"sparse_labels must label at least two classes; found {found}")
        samples, where = [], []
        for core in _chunks(volume.shape, chunk):
            mask = hand[core] > 0
            if not mask.any():
                continue
            box = _bounding_box(mask, core)
            inside = hand[tuple(slice(*b) for b in box)] > 0
            samples.append(box_features(volume, box, self.features, self.sigmas, self.spacing)[:, inside].T)
            where.append(np.ravel_multi_index(tuple(np.nonzero(inside)[a] + box[a][0] for a in range(3)), hand.shape))
        order = np.argsort(np.concatenate(where))  # raster order: the forest does not depend on the chunks
        forest = RandomForestClassifier(n_estimators=self.n_estimators, max_depth=self.max_depth,
                                        random_state=self.seed, n_jobs=self.n_jobs)
        forest.fit(np.concatenate(samples)[order], hand.ravel()[np.concatenate(where)[order]])
        self.forest_ = forest
        self.classes_ = tuple(int(v) - 1 for v in forest.classes_)
        self.training_counts_ = {int(v) - 1: int(n) for v, n in zip(values, counts)}
        return self

    def _fitted(self):
        if self.forest_ is None:
            raise ParameterError("RandomForestSegmenter is not fitted: "
                                 "call fit(volume, sparse_labels) or load(path) first")

    def predict_proba(self, volume, chunk=64) -> np.ndarray:
        """Class probabilities of every voxel, chunk by chunk.

        Parameters
        ----------
        volume : (Z, Y, X) real ndarray
            Grey values, finite, at the spacing the segmenter was made for.
        chunk : int or 3 ints
            Edge of the cubic (or box) chunks in voxels. Beyond the output, memory is about
            ``2 × n_features × chunk³`` float32 plus a few float32 copies of the chunk grown by
            its margin (≈ 4.5 σ_max voxels); larger chunks repeat less of the margin work.

        Returns
        -------
        (K, Z, Y, X) float32 ndarray
            ``p[k]`` = fraction of the trees' votes for class ``classes_[k]``; sums to one per voxel.
        """
        self._fitted()
        volume = checked_volume(volume)
        chunks = _chunks(volume.shape, chunk)
        out = np.empty((len(self.classes_), *volume.shape), dtype=np.float32)
        self.forest_.n_jobs = self.n_jobs
        for core in chunks:
            box = [(c.start, c.stop) for c in core]
            x = box_features(volume, box, self.features, self.sigmas, self.spacing)
            x = np.ascontiguousarray(x.reshape(x.shape[0], -1).T)
            out[(slice(None), *core)] = self.forest_.predict_proba(x).T.reshape(-1, *(b - a for a, b in box))
        return out

    def predict(self, volume, chunk=64) -> Segmentation:
        """The most probable class of every voxel, with the probabilities (see :meth:`predict_proba`)."""
        probabilities = self.predict_proba(volume, chunk)
        labels = np.asarray(self.classes_, dtype=np.uint8)[np.argmax(probabilities, axis=0)]
        importances = dict(zip(self.feature_names, (float(v) for v in self.forest_.feature_importances_)))
        model = {"method": "random_forest", **self._settings(), "classes": list(self.classes_),
                 "training_voxels": {str(k): n for k, n in self.training_counts_.items()},
                 "feature_importances": importances}
        return Segmentation(labels, probabilities, self.classes_, model)

    def save(self, path, overwrite=False) -> Path:
        """Write the fitted segmenter (settings + forest) to ``path`` with joblib; return the path."""
        import joblib

        self._fitted()
        path = Path(path)
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{path} exists; pass overwrite=True to replace it")
        joblib.dump({"format": _FORMAT, "version": _FORMAT_VERSION, "settings": self._settings(),
                     "forest": self.forest_, "classes": self.classes_, "training_counts": self.training_counts_},
                    path, compress=3)
        return path

    @classmethod
    def load(cls, path) -> RandomForestSegmenter:
        """Read a segmenter written by :meth:`save`.

        Like any pickle, a joblib file can run code when loaded: load only files you trust.
        """
        import joblib

        path = Path(path)
        if not path.is_file():
            raise InputFileNotFoundError(f"no segmenter file at {path}")
        try:
            saved = joblib.load(path)
        except Exception as error:  # joblib raises many types for files that are not its pickles
            raise CorruptFileError(f"{path} is not a saved RandomForestSegmenter (joblib could not read it: "
                                   f"{type(error).__name__}: {error})") from None
        if not isinstance(saved, dict) or saved.get("format") != _FORMAT:
            raise CorruptFileError(f"{path} is a joblib file but not a saved RandomForestSegmenter")
        if saved.get("version") != _FORMAT_VERSION:
            raise CorruptFileError(f"{path} has segmenter format version {saved.get('version')}; "
                                   f"this microtwin reads version {_FORMAT_VERSION}")
        segmenter = cls(**saved["settings"])
        segmenter.forest_, segmenter.classes_ = saved["forest"], tuple(saved["classes"])
        segmenter.training_counts_ = dict(saved["training_counts"])
        return segmenter


def _bounding_box(mask, core) -> list[tuple[int, int]]:
    """[(start, stop)] per axis, in volume indices, of the True voxels of ``mask`` (the box ``core``)."""
    box = []
    for axis, c in enumerate(core):
        hits = np.flatnonzero(mask.any(axis=tuple(b for b in range(3) if b != axis)))
        box.append((c.start + int(hits[0]), c.start + int(hits[-1]) + 1))
    return box


def _chunks(shape, chunk) -> list[tuple[slice, slice, slice]]:
    """The grid of boxes of edge ``chunk`` (clipped at the far faces) covering ``shape``."""
    edges = (chunk,) * 3 if isinstance(chunk, numbers.Integral) and not isinstance(chunk, bool) else chunk
    try:
        edges = tuple(edges)
        valid = len(edges) == 3 and all(isinstance(e, numbers.Integral) and not isinstance(e, bool) and e >= 1
                                        for e in edges)
    except TypeError:
        valid = False
    if not valid:
        raise ParameterError(f"chunk must be an integer ≥ 1 or 3 of them (z, y, x); got {chunk!r}")
    starts = [range(0, n, e) for n, e in zip(shape, edges)]
    return [tuple(slice(s, min(s + e, n)) for s, e, n in zip(corner, edges, shape))
            for corner in np.array(np.meshgrid(*starts, indexing="ij")).reshape(3, -1).T.tolist()]
