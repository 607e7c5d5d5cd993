"""Stochastic models: time and memory of microtwin.models generators against porespy's.

Run by hand: ``.venv/bin/python benchmarks/bench_models.py [--size 400] [--balls 100000] [--repeats 3]``.

Section "Boolean model of balls" (voxel units, n³ window):

- ``ours-balls``: :func:`microtwin.models.boolean_model` with ``Ball(r)``, intensity
  ``balls / n³`` (so ``balls`` germs are expected in the window; a few more are simulated in the
  window dilated by r), exact voxelisation of every ball; porosity ``exp(−λ 4/3 π r³)``;
- ``porespy-overlapping``: ``porespy.generators.overlapping_spheres(shape, r, porosity)`` at the
  same porosity (its own algorithm: random voxels as centres, a Euclidean distance transform, and
  a bisection on the number of centres until the porosity is within ``tol`` = 0.01: several
  distance transforms per call; no germs outside the window);
- ``ours-gamma`` / ``porespy-polydisperse``: radii ~ Gamma(16, scale r/16) (mean r, sd r/4) with
  the same intensity, against ``polydisperse_spheres(shape, porosity, dist, nbins=5, r_min=1)``
  at our expected porosity ``exp(−λ E[4/3 π R³])`` (porespy draws 5 radius classes, each an
  ``overlapping_spheres`` image, so the radius law is binned: same porosity, not the same model).

Time: one warm-up call on 16³ first (numba compile or cache load; our compile time with an
empty cache is measured in a fresh process and reported apart), then the tools alternately
``--repeats`` times; medians of wall and CPU seconds. Memory: peak extra resident memory of one
call in a fresh process (``VmHWM`` after minus ``VmRSS`` before; see ``_harness.py``), also per
output voxel. Printed ratios are porespy / ours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed

RADIUS = 5.0
GAMMA_SHAPE = 16


def _intensity(case) -> float:
    """Germs per voxel of a case ``(n_z, n_y, n_x, expected germs in the window)``."""
    return case[3] / float(np.prod(case[:3]))


def _porosity(case, mean_volume) -> float:
    return float(np.exp(-_intensity(case) * mean_volume))


def _gamma_radius():
    from scipy import stats
    return stats.gamma(GAMMA_SHAPE, scale=RADIUS / GAMMA_SHAPE)


def _gamma_mean_volume() -> float:
    k, scale = GAMMA_SHAPE, RADIUS / GAMMA_SHAPE
    return 4 / 3 * np.pi * scale**3 * k * (k + 1) * (k + 2)


def tool(name):
    """The function measured under ``name``: it takes a case ``(n_z, n_y, n_x, germs)``, returns the pore mask."""
    from microtwin.models import Ball, boolean_model

    if name == "ours-balls":
        return lambda case: boolean_model(tuple(int(n) for n in case[:3]), 1.0, _intensity(case), Ball(RADIUS),
                                          seed=0) == 0
    if name == "ours-gamma":
        return lambda case: boolean_model(tuple(int(n) for n in case[:3]), 1.0, _intensity(case),
                                          Ball(_gamma_radius()), seed=0) == 0
    import porespy

    if name == "porespy-overlapping":
        return lambda case: porespy.generators.overlapping_spheres(
            [int(n) for n in case[:3]], r=int(RADIUS), porosity=_porosity(case, 4 / 3 * np.pi * RADIUS**3), seed=0)
    if name == "porespy-polydisperse":
        return lambda case: porespy.generators.polydisperse_spheres(
            [int(n) for n in case[:3]], porosity=_porosity(case, _gamma_mean_volume()), dist=_gamma_radius(),
            nbins=5, r_min=1, seed=0)
    raise KeyError(name)


def warm_input(name):
    return np.array([16, 16, 16, 20])


def boolean_section(size: int, balls: int, repeats: int) -> None:
    case = np.array([size, size, size, balls])
    voxels = size**3
    pairs = (("ours-balls", "porespy-overlapping", 4 / 3 * np.pi * RADIUS**3),
             ("ours-gamma", "porespy-polydisperse", _gamma_mean_volume()))
    print(f"\nBoolean model of balls, {size}³ voxels, {balls} expected germs in the window "
          f"(intensity {_intensity(case):.3g} per voxel), radius {RADIUS} (Gamma: mean {RADIUS}, sd {RADIUS / 4})")
    print(f"  {'tool':22s}{'wall s':>9s}{'cpu s':>9s}{'peak MB':>10s}{'B/voxel':>9s}{'porosity':>10s}"
          f"{'target':>9s}{'wall ratio':>12s}{'cpu ratio':>11s}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.npy"
        np.save(path, case)
        for ours, theirs, mean_volume in pairs:
            tools = {name: tool(name) for name in (ours, theirs)}
            for name, run in tools.items():
                run(warm_input(name))
            runs = {name: [] for name in tools}
            results = {}
            for _ in range(repeats):
                for name, run in tools.items():
                    results[name], wall, cpu = timed(run, case)
                    runs[name].append((wall, cpu))
            medians = {name: [statistics.median(r[i] for r in runs[name]) for i in (0, 1)] for name in tools}
            memory = {name: peak_memory(__file__, name, path) for name in tools}
            target = _porosity(case, mean_volume)
            for name in tools:
                wall, cpu = medians[name]
                ratio = (f"{wall / medians[ours][0]:12.2f}{cpu / medians[ours][1]:11.2f}" if name == theirs else "")
                print(f"  {name:22s}{wall:9.2f}{cpu:9.2f}{memory[name] / 1e6:10.0f}{memory[name] / voxels:9.2f}"
                      f"{results[name].mean():10.4f}{target:9.4f}{ratio}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=400, help="edge of the cubic window in voxels")
    parser.add_argument("--balls", type=int, default=100_000, help="expected number of germs in the window")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]}, {os.cpu_count()} cores; "
          f"ours compile time with an empty numba cache: {compile_time(__file__, 'ours-balls'):.1f} s "
          "(not in the timings)")
    boolean_section(args.size, args.balls, args.repeats)


if __name__ == "__main__":
    main()
