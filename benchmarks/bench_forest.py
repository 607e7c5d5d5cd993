"""Random-forest pixel classifier: microtwin's chunked RandomForestSegmenter against the naive whole-volume way.

Run by hand: ``.venv/bin/python benchmarks/bench_forest.py [--size 256] [--chunks 64 128]``.

Input: the test volume of ``segment/tests/test_forest.py`` at ``size³`` — three phases that
overlap in grey value but differ in texture (smooth balls, voxel-scale textured balls,
background; blurred, Poisson noise) — with hand labels on 4 z-slices, ``--label-fraction`` of
all voxels (default 0.5 %).

- ours: ``RandomForestSegmenter()`` (40 features: Gaussian, gradient magnitude, structure-tensor
  and Hessian eigenvalues at σ = 0.7, 1, 1.6, 3.5, 5; 100 trees): ``fit`` (features only on the
  boxes of labelled voxels), then ``predict_proba`` chunk by chunk for each ``--chunks`` edge.
- naive: ``skimage.feature.multiscale_basic_features`` of the whole volume (intensity, Sobel edges,
  Hessian eigenvalues at 5 σ from 0.7 to 5: 25 features), an sklearn ``RandomForestClassifier``
  with the same settings fitted on the labelled voxels and ``predict_proba`` on all voxels at
  once. Skipped when its predicted peak (~``NAIVE_BYTES_PER_VOXEL`` per voxel) exceeds
  ``--naive-limit-gb``.

Time: wall and CPU seconds of one run each (after a warm-up on a small volume; numba's cold
compile time is measured apart in a fresh process with an empty cache). Memory: each prediction
runs again in a fresh process that loads the volume and the fitted model, warms up on 24³, resets
the peak (``/proc/self/clear_refs``); the peak is ``VmHWM`` after the call minus ``VmRSS`` before
it. Accuracy: share of voxels classified as the truth. Target (issue #5): 256³ predicted in chunks
with a peak under 4 GB.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed

NAIVE_BYTES_PER_VOXEL = 330  # 25 float32 features, float64 smoothing/Hessian temporaries, sklearn's copies
_MODEL = "MICROTWIN_BENCH_FOREST_MODEL"  # where main() leaves the fitted models for the fresh processes
_NAIVE_SIGMAS = {"sigma_min": 0.7, "sigma_max": 5.0, "num_sigma": 5}


def naive_features(volume) -> np.ndarray:
    """(n_voxels, 25) float32: skimage's multiscale features of the whole volume."""
    from skimage.feature import multiscale_basic_features

    features = multiscale_basic_features(volume, **_NAIVE_SIGMAS)
    return features.reshape(-1, features.shape[-1])


def tool(name):
    """The prediction measured under ``name``: "ours<chunk>" (e.g. "ours64") or "naive"."""
    import joblib

    from microtwin.segment import RandomForestSegmenter

    folder = Path(os.environ[_MODEL])
    if name == "naive":
        forest = joblib.load(folder / "naive.joblib")
        return lambda volume: forest.predict_proba(naive_features(volume))
    segmenter = RandomForestSegmenter.load(folder / "ours.joblib")
    return lambda volume: segmenter.predict_proba(volume, chunk=int(name[4:]))


def warm_input(name):
    """A small grey volume for warm-up calls."""
    return np.random.default_rng(0).random((24, 24, 24)).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--chunks", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--label-fraction", type=float, default=0.005)
    parser.add_argument("--naive-limit-gb", type=float, default=16.0)
    args = parser.parse_args()
    from sklearn.ensemble import RandomForestClassifier

    from microtwin.segment import RandomForestSegmenter
    from microtwin.segment.tests.test_forest import hand_labels, textured_three_phase

    n = args.size
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs; size {n}³")
    grey, truth = textured_three_phase(n)
    hand = hand_labels(truth, slices=[n // 8, 3 * n // 8, 5 * n // 8, 7 * n // 8], fraction=args.label_fraction)
    print(f"{(hand > 0).sum()} labelled voxels ({(hand > 0).mean():.2%}) on 4 slices; "
          f"input {grey.nbytes / 2**20:.0f} MiB float32")
    naive_bytes = NAIVE_BYTES_PER_VOXEL * grey.size
    run_naive = naive_bytes <= args.naive_limit_gb * 2**30

    with tempfile.TemporaryDirectory() as folder:
        os.environ[_MODEL] = folder
        rf, fit_wall, fit_cpu = timed(RandomForestSegmenter().fit, grey, hand)
        rf.save(Path(folder) / "ours.joblib")
        print(f"numba cold compile (empty cache, fresh process): {compile_time(__file__, 'ours64'):.1f} s")
        rows = [("ours fit", fit_wall, fit_cpu, None, None)]
        path = Path(folder) / "grey.npy"
        np.save(path, grey)
        for chunk in args.chunks:
            p, wall, cpu = timed(rf.predict_proba, grey, chunk=chunk)
            accuracy = np.mean(np.asarray(rf.classes_)[np.argmax(p, axis=0)] == truth)
            del p
            rows.append((f"ours predict chunk {chunk}", wall, cpu, peak_memory(__file__, f"ours{chunk}", path),
                         accuracy))
        if run_naive:
            def naive_fit():
                features = naive_features(grey)
                return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=-1).fit(
                    features[hand.ravel() > 0], hand.ravel()[hand.ravel() > 0])

            forest, wall, cpu = timed(naive_fit)
            import joblib

            joblib.dump(forest, Path(folder) / "naive.joblib")
            rows.append(("naive fit", wall, cpu, None, None))
            p, wall, cpu = timed(tool("naive"), grey)
            accuracy = np.mean(forest.classes_[np.argmax(p, axis=1)].reshape(grey.shape) - 1 == truth)
            del p
            rows.append(("naive predict", wall, cpu, peak_memory(__file__, "naive", path), accuracy))
        else:
            print(f"naive whole-volume features + predict skipped: needs ~{naive_bytes / 2**30:.1f} GB "
                  f"> --naive-limit-gb {args.naive_limit_gb}")

    print(f"\n{'':<24} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'×input':>7} {'accuracy':>9}")
    for label, wall, cpu, memory, accuracy in rows:
        memory_text = f"{memory / 2**20:9.0f} {memory / grey.nbytes:7.1f}" if memory is not None else f"{'':>17}"
        accuracy_text = f"{accuracy:9.4f}" if accuracy is not None else ""
        print(f"{label:<24} {wall:8.2f} {cpu:8.2f} {memory_text} {accuracy_text}")
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
