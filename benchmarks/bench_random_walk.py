"""Random-walk tortuosity: microtwin's random_walk against pytrax.RandomWalk, same walkers and steps.

Run by hand: ``.venv/bin/python benchmarks/bench_random_walk.py [--size 200] [--walkers 20000]
[--steps 4000] [--repeats 3]``.

Input: ``porespy.generators.blobs(shape=[n]*3, porosity=0.4, blobiness=1, seed=0)``, the pore
space (True) as the phase. Both walk ``--walkers`` walkers for ``--steps`` steps with mirrored
window edges; ours records ⟨Δx_i Δx_j⟩ at ``--samples`` times, pytrax every ``steps / (samples-1)``
steps (its ``stride``; it keeps every walker's position at those times).

- time: after one warm-up call of ours on a small volume (numba cache load; its compile time with
  an empty cache is measured in a fresh process), the two run alternately ``--repeats`` times;
  medians of wall and CPU time (all threads: ours runs on every core, pytrax on one, its default
  ``num_proc=1``). The warm-up call of the memory probes walks the full walkers × steps.
- memory: each tool once in a fresh process after a warm-up; peak resident set minus the
  resident set before the call (see ``_harness.py``).
- τ per axis, from (a) our estimator (half the slope of ⟨Δx_i²⟩ over the second half of the walk)
  applied to both walks, and (b) pytrax's (1 / slope of 3⟨Δx_i²⟩ through the origin over the whole
  walk, ``RandomWalk.plot_msd``), also applied to both. (b) keeps the fast early times, so it reads
  lower than the long-time τ. The differences are statistical: the standard error of τ is about
  2.5/√walkers for (a), half that for (b).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed

_ENV = "MICROTWIN_BENCH_RW"  # "walkers steps samples", read by tool() in the memory probes


def settings():
    """(walkers, steps, samples) of the measured calls."""
    walkers, steps, samples = map(int, os.environ.get(_ENV, "20000 4000 41").split())
    return walkers, steps, samples


def run_pytrax(x):
    """pytrax's walk on ``x``: (times, ⟨Δx_i²⟩ (T, 3)) in steps and voxels²."""
    import pytrax

    walkers, steps, samples = settings()
    stride = steps // (samples - 1)
    np.random.seed(0)  # pytrax draws from numpy's global generator
    walk = pytrax.RandomWalk(x.astype(np.uint8))
    walk.run(nt=steps + stride, nw=walkers, stride=stride)  # records every stride steps from step 1
    walk.calc_msd()
    return np.arange(len(walk.axial_msd)) * stride, walk.axial_msd


def run_ours(x):
    """microtwin's walk on ``x``: (times, ⟨Δx_i²⟩ (T, 3))."""
    from microtwin.transport._random_walk import random_walk

    walkers, steps, samples = settings()
    result = random_walk(x, walkers, steps, seed=0, n_samples=samples)
    return result.time, result.msd_per_axis


def tool(name):
    """The function measured under ``name`` ("ours" or "pytrax")."""
    return {"ours": run_ours, "pytrax": run_pytrax}[name]


def warm_input(name=None):
    """A small volume for warm-up calls."""
    return np.random.default_rng(0).random((24, 24, 24)) < 0.6


def tortuosities(times, axial_msd):
    """τ per axis by (a) the slope over the second half and (b) the slope through the origin."""
    t = times.astype(float)
    half = slice((t.size - 1) // 2, None)
    late = np.polyfit(t[half], axial_msd[half], 1)[0] / 2
    origin = 3 * (t @ axial_msd) / (t @ t)
    return (1 / 6) / late, 1 / origin


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--walkers", type=int, default=20000)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--samples", type=int, default=41)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ[_ENV] = f"{args.walkers} {args.steps} {args.samples}"
    import porespy

    n = args.size
    x = porespy.generators.blobs(shape=[n] * 3, porosity=0.4, blobiness=1, seed=0).astype(bool)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"random-walk tortuosity, blobs {n}³ (porosity {x.mean():.3f}), {args.walkers} walkers × "
          f"{args.steps} steps; load average {' '.join(load)}")
    _, warm_ours, _ = timed(run_ours, warm_input())
    print(f"warm-up: ours {warm_ours:.2f} s (numba cache load; with an empty cache "
          f"{compile_time(__file__, 'ours'):.2f} s); pytrax is plain NumPy and needs none")

    times, curves = {"ours": [], "pytrax": []}, {}
    for _ in range(args.repeats):
        for name, runs in times.items():
            curves[name], wall, cpu = timed(tool(name), x)
            runs.append((wall, cpu))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blobs.npy"
        np.save(path, x)
        memory = {name: peak_memory(__file__, name, path) for name in times}

    print(f"{'':10s}{'wall s':>10s}{'cpu s':>10s}{'peak MB':>10s}{'peak/input':>12s}")
    rows = {}
    for name, runs in times.items():
        rows[name] = [statistics.median(r[i] for r in runs) for i in (0, 1)] + [memory[name]]
        wall, cpu, peak = rows[name]
        print(f"{name:10s}{wall:10.2f}{cpu:10.2f}{peak / 1e6:10.0f}{peak / x.nbytes:12.1f}")
    (w0, c0, m0), (w1, c1, m1) = rows["ours"], rows["pytrax"]
    print(f"ratio pytrax/ours: wall {w1 / w0:.1f}×, cpu {c1 / c0:.1f}×; peak memory ours/pytrax {m0 / m1:.3f}")

    ours, theirs = tortuosities(*curves["ours"]), tortuosities(*curves["pytrax"])
    for label, a, b in zip(("(a) second-half slope", "(b) pytrax's, through 0"), ours, theirs):
        print(f"{label:24s} τ (z, y, x) ours {np.round(a, 3)}, pytrax {np.round(b, 3)}, "
              f"ours/pytrax − 1 = {np.round(a / b - 1, 4)}")


if __name__ == "__main__":
    main()
