"""Gaussian-mixture segmentation and MRF smoothing: microtwin against scikit-learn's GaussianMixture.

Run by hand: ``.venv/bin/python benchmarks/bench_gmm.py [--size 256] [--repeats 3]``.

Input: a known-truth three-phase volume (0 pore, 1 small balls r = 3, 2 large balls r = 6 from
``microtwin.data.boolean_spheres``) imaged by ``noisy_grey(levels 1, 2, 3, blur 0.5, photons 20)``,
float32. Tools, each giving labels and (K, Z, Y, X) posteriors:

- ``ours_gmm``: ``microtwin.segment.gmm(volume, 3)`` (EM on a 2^14-bin histogram of all voxels,
  posteriors in one parallel pass);
- ``sklearn_gmm``: ``GaussianMixture(3)`` fitted on 10^6 voxels drawn at random (all, if fewer), then
  ``predict_proba`` of every voxel (float64, as sklearn returns it);
- ``ours_gmm_mrf``: ``mrf(gmm(volume, 3), beta=1)`` (mean-field, at most 50 sweeps).

Time: numba warm-up first (its cold compile time is reported apart), then the tools run
alternately ``--repeats`` times: medians of wall and CPU time. Memory: each tool once in a fresh
process (``_harness.peak_memory``): peak resident set during the call minus before, in MB and as
a multiple of the float32 input. Accuracy: share of voxels labelled as the truth.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed

SAMPLE = 1_000_000


def ours_gmm(volume):
    from microtwin.segment import gmm
    return gmm(volume, 3)


def ours_gmm_mrf(volume):
    from microtwin.segment import gmm, mrf
    return mrf(gmm(volume, 3), 1.0)


def sklearn_gmm(volume):
    from sklearn.mixture import GaussianMixture
    values = volume.reshape(-1, 1)
    sample = np.random.default_rng(0).integers(0, values.size, min(SAMPLE, values.size))
    fitted = GaussianMixture(3, random_state=0).fit(values[sample])
    order = np.argsort(fitted.means_.ravel())
    probabilities = fitted.predict_proba(values)[:, order].T.reshape(3, *volume.shape)
    return probabilities.argmax(axis=0), probabilities


TOOLS = {"ours_gmm": ours_gmm, "sklearn_gmm": sklearn_gmm, "ours_gmm_mrf": ours_gmm_mrf}


def tool(name):
    """The function measured under ``name`` (a key of ``TOOLS``)."""
    return TOOLS[name]


def make_input(size: int):
    from microtwin.data import boolean_spheres, noisy_grey
    shape = (size,) * 3
    truth = boolean_spheres(shape, radius=3, solid_fraction=0.25, seed=1).array
    truth[boolean_spheres(shape, radius=6, solid_fraction=0.35, seed=0).array == 1] = 2
    return truth, noisy_grey(truth, [1.0, 2.0, 3.0], blur=0.5, photons=20, seed=1)


def warm_input(name):
    return make_input(16)[1]


def labels_of(result):
    return result[0] if isinstance(result, tuple) else result.labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    truth, volume = make_input(args.size)
    print(f"3-phase noisy volume {args.size}³ (fractions {np.bincount(truth.ravel()) / truth.size}); "
          f"load average {Path('/proc/loadavg').read_text().split()[:3]}, {os.cpu_count()} cores")
    for name in TOOLS:
        timed(tool(name), warm_input(name))
    print(f"  ours compile time with an empty numba cache: {compile_time(__file__, 'ours_gmm_mrf'):.1f} s "
          f"(not in the timings)")
    runs = {name: [] for name in TOOLS}
    accuracy = {}
    for _ in range(args.repeats):
        for name, function in TOOLS.items():
            result, wall, cpu = timed(function, volume)
            runs[name].append((wall, cpu))
            accuracy[name] = float((labels_of(result) == truth).mean())
            del result
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "volume.npy"
        np.save(path, volume)
        peaks = {name: peak_memory(__file__, name, path) for name in TOOLS}
    print(f"  {'':14s}{'wall s':>9s}{'cpu s':>9s}{'peak MB':>10s}{'peak/input':>11s}{'accuracy':>10s}")
    for name, values in runs.items():
        wall, cpu = (statistics.median(v[i] for v in values) for i in (0, 1))
        print(f"  {name:14s}{wall:9.2f}{cpu:9.2f}{peaks[name] / 1e6:10.0f}{peaks[name] / volume.nbytes:11.1f}"
              f"{accuracy[name]:10.4f}")


if __name__ == "__main__":
    main()
