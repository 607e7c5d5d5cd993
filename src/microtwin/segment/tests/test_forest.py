from itertools import permutations

import joblib
import numpy as np
import pytest
from skimage.filters import threshold_multiotsu

from microtwin.data import boolean_spheres, noisy_grey
from microtwin.errors import (CorruptFileError, DimensionError, DTypeError, EmptyPhaseError, InputFileNotFoundError,
                              OutputExistsError, ParameterError)
from microtwin.segment import RandomForestSegmenter, Segmentation
from microtwin.segment._result import check_probabilities


def textured_three_phase(n=64, radius=10.0, seed=0):
    """Grey volume and truth: phases that overlap in grey value but differ in texture.

    Truth 0: background (level 0.45); 1: smooth balls (0.62); 2: balls with a voxel-scale random
    texture of levels 0.15 / 0.95 (mean 0.55). Blurred (σ 0.5 voxel) and Poisson noisy (300 photons).
    """
    a = boolean_spheres((n,) * 3, radius=radius, solid_fraction=0.25, seed=seed + 1).array.astype(bool)
    b = boolean_spheres((n,) * 3, radius=radius, solid_fraction=0.3, seed=seed + 2).array.astype(bool) & ~a
    truth = np.where(a, 1, np.where(b, 2, 0)).astype(np.uint8)
    texture = np.random.default_rng(seed).random(truth.shape) < 0.5
    sub_phases = np.where(truth == 2, np.where(texture, 3, 2), truth).astype(np.uint8)
    return noisy_grey(sub_phases, [0.45, 0.62, 0.15, 0.95], blur=0.5, photons=300, seed=seed + 3), truth


def hand_labels(truth, slices, fraction, seed=0):
    """Sparse labels (truth + 1) on random voxels of a few z-slices, ``fraction`` of all voxels in total."""
    rng = np.random.default_rng(seed)
    hand = np.zeros(truth.shape, np.uint8)
    per_slice = int(fraction * truth.size / len(slices))
    for z in slices:
        flat = np.ravel_multi_index((np.full(per_slice, z), *np.unravel_index(
            rng.choice(truth[z].size, per_slice, replace=False), truth[z].shape)), truth.shape)
        hand.flat[flat] = truth.flat[flat] + 1
    return hand


def small_case(shape=(20, 22, 24), seed=0):
    """A small two-class volume with hand labels on two slices, for quick checks."""
    truth = boolean_spheres(shape, radius=4, solid_fraction=0.4, seed=seed).array
    grey = noisy_grey(truth, [0.3, 0.7], blur=0.8, photons=200, seed=seed)
    return grey, hand_labels(truth, (5, 15), 0.02, seed)


def small_forest(**kwargs):
    return RandomForestSegmenter(**{"sigmas": (0.7, 1.6), "n_estimators": 8, "n_jobs": 1, **kwargs})


@pytest.fixture(scope="module")
def trained():
    grey, truth = textured_three_phase()
    hand = hand_labels(truth, slices=(10, 32, 54), fraction=0.009)
    segmenter = RandomForestSegmenter(n_jobs=2).fit(grey, hand)
    return grey, truth, hand, segmenter, segmenter.predict(grey)


def test_forest_on_sparse_labels_beats_multi_otsu_on_texture_phases(trained):
    grey, truth, hand, _, segmentation = trained
    assert (hand > 0).mean() <= 0.01 and np.unique(np.nonzero(hand)[0]).tolist() == [10, 32, 54]
    otsu = np.digitize(grey, threshold_multiotsu(grey, 3))
    otsu_accuracy = max(np.mean(np.asarray(p)[otsu] == truth) for p in permutations(range(3)))
    accuracy = np.mean(segmentation.labels == truth)
    per_phase = [np.mean(segmentation.labels[truth == k] == k) for k in range(3)]
    print(f"voxel accuracy: multi-Otsu {otsu_accuracy:.3f}, random forest {accuracy:.4f} "
          f"(per phase {np.round(per_phase, 3).tolist()}) from {(hand > 0).mean():.2%} labelled voxels")
    assert otsu_accuracy < 0.90
    assert accuracy >= 0.95 and min(per_phase) >= 0.93


def test_prediction_is_a_valid_segmentation(trained):
    grey, _, _, segmenter, segmentation = trained
    assert isinstance(segmentation, Segmentation) and segmentation.classes == (0, 1, 2) == segmenter.classes_
    p = segmentation.probabilities
    assert p.shape == (3, *grey.shape) and p.dtype == np.float32
    check_probabilities(p, grey.shape, 3)
    np.testing.assert_allclose(p.sum(axis=0), 1, atol=1e-5)
    np.testing.assert_array_equal(segmentation.labels, np.argmax(p, axis=0))
    assert segmentation.labels.dtype == np.uint8
    model = segmentation.to_dict()["model"]
    assert model["method"] == "random_forest" and set(model["feature_importances"]) == set(segmenter.feature_names)
    assert len(segmenter.feature_names) == 40 and sum(model["training_voxels"].values()) == (trained[2] > 0).sum()


def test_class_values_are_the_hand_label_values_minus_one():
    grey, hand = small_case()
    hand = np.where(hand == 2, 5, hand)  # hand labels 1 and 5 → classes 0 and 4
    segmentation = small_forest().fit(grey, hand).predict(grey)
    assert segmentation.classes == (0, 4) and set(np.unique(segmentation.labels)) <= {0, 4}


def test_chunked_prediction_equals_whole_volume_prediction():
    grey, hand = small_case(shape=(23, 30, 27))
    segmenter = small_forest(sigmas=(0.7, 1.0, 2.5), spacing=(1.0, 0.8, 1.2)).fit(grey, hand, chunk=9)
    whole = segmenter.predict_proba(grey, chunk=64)
    for chunk in [(7, 11, 16), 12]:
        np.testing.assert_array_equal(segmenter.predict_proba(grey, chunk=chunk), whole)
    # training chunk by chunk sees the same features as training in one piece
    np.testing.assert_array_equal(small_forest(sigmas=(0.7, 1.0, 2.5), spacing=(1.0, 0.8, 1.2))
                                  .fit(grey, hand, chunk=100).predict_proba(grey), whole)


def test_save_load_round_trip_gives_identical_probabilities(tmp_path):
    grey, hand = small_case()
    segmenter = small_forest(spacing=(1.0, 1.0, 0.9), seed=3).fit(grey, hand)
    path = segmenter.save(tmp_path / "rf.joblib")
    loaded = RandomForestSegmenter.load(path)
    assert (loaded.features, loaded.sigmas, loaded.spacing, loaded.seed, loaded.classes_) == \
        (segmenter.features, segmenter.sigmas, segmenter.spacing, 3, segmenter.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(grey), segmenter.predict_proba(grey))
    with pytest.raises(OutputExistsError):
        segmenter.save(path)
    segmenter.save(path, overwrite=True)


def test_loading_a_file_that_is_not_a_segmenter_is_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a forest")
    other = tmp_path / "other.joblib"
    joblib.dump({"format": "something else"}, other)
    for path in (text, other):
        with pytest.raises(CorruptFileError, match="not a saved RandomForestSegmenter"):
            RandomForestSegmenter.load(path)
    with pytest.raises(InputFileNotFoundError):
        RandomForestSegmenter.load(tmp_path / "missing.joblib")


def test_same_seed_same_forest_on_any_number_of_threads():
    grey, hand = small_case()
    first = small_forest(seed=7).fit(grey, hand).predict_proba(grey)
    np.testing.assert_array_equal(small_forest(seed=7, n_jobs=2).fit(grey, hand).predict_proba(grey), first)
    assert not np.array_equal(small_forest(seed=8).fit(grey, hand).predict_proba(grey), first)


def test_default_scales_are_ilastiks_in_voxels_of_the_finest_axis():
    assert RandomForestSegmenter().sigmas == (0.7, 1.0, 1.6, 3.5, 5.0)
    np.testing.assert_allclose(RandomForestSegmenter(spacing=(0.02, 0.01, 0.01)).sigmas,
                               [0.007, 0.01, 0.016, 0.035, 0.05])


def test_training_labels_are_learnt():
    # fully grown trees reproduce the labelled voxels they were trained on (no label is lost or shifted)
    grey, hand = small_case()
    labels = small_forest(n_estimators=30).fit(grey, hand).predict(grey).labels
    assert np.mean(labels[hand > 0] == hand[hand > 0] - 1) > 0.97


def test_fit_errors():
    grey, hand = small_case()
    segmenter = small_forest()
    cases = [
        ((grey, np.where(hand > 0, 1, 0)), EmptyPhaseError, "only class 1"),
        ((grey, np.zeros_like(hand)), EmptyPhaseError, "no labelled voxels"),
        ((grey, hand[:-1]), DimensionError, "shape"),
        ((grey, hand.astype(np.float32)), DTypeError, "integers"),
        ((grey, hand.astype(np.int16) - 1), ParameterError, "0…256"),
        ((np.where(hand == 1, np.nan, grey), hand), ParameterError, "finite"),
        ((np.where(hand == 1, np.inf, grey), hand), ParameterError, "finite"),
        ((np.full(grey.shape, 0.5, np.float32), hand), ParameterError, "constant"),
        ((grey > 0.5, hand), DTypeError, "real grey"),
        ((grey[0], hand[0]), DimensionError, "3D"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            segmenter.fit(*args)


def test_predict_errors():
    grey, hand = small_case()
    with pytest.raises(ParameterError, match="not fitted"):
        small_forest().predict_proba(grey)
    with pytest.raises(ParameterError, match="not fitted"):
        small_forest().save("never-written.joblib")
    segmenter = small_forest().fit(grey, hand)
    for chunk in (0, -4, 2.5, (8, 8), True, "64"):
        with pytest.raises(ParameterError, match="chunk"):
            segmenter.predict_proba(grey, chunk=chunk)
    with pytest.raises(ParameterError, match="finite"):
        segmenter.predict(np.where(hand == 1, np.nan, grey))


@pytest.mark.parametrize("kwargs", [
    {"sigmas": ()}, {"sigmas": (1.0, 0.0)}, {"sigmas": (-1.0,)}, {"sigmas": (1.0,), "spacing": 20.0},
    {"features": ("gaussian", "sobel")}, {"n_estimators": 0}, {"max_depth": 0}, {"n_jobs": 0}, {"seed": -1},
    {"seed": 1.5},
])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ParameterError):
        RandomForestSegmenter(**kwargs)
