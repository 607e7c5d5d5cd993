"""Mean geodesic tortuosity: microtwin's geodesic_tortuosity against scikit-fmm's travel time.

Run by hand: ``.venv/bin/python benchmarks/bench_geodesic.py [--size 200] [--repeats 3]``.

Input: ``porespy.generators.blobs(shape=[n]*3, porosity=0.4, blobiness=1, seed=0)``, the pore
space (True) as the phase, transport along axis 0, built once and saved to a temporary .npy.

Tools, all on the same phase:

- ``dijkstra``: ``geodesic_tortuosity(x, 0)`` (shortest 26-neighbour paths, the default);
- ``fmm``: ``geodesic_tortuosity(x, 0, method="fmm")`` (second-order fast marching);
- ``skfmm``: ``skfmm.travel_time(phi, speed=1, order=2)`` with ``phi`` a masked array (mask =
  not the phase) that is 0 on the outlet plane and 1 elsewhere, then the same mean over the
  percolating inlet voxels divided by (n − 1). Building phi and speed is part of its cost;
- for reference, ``connectivity(x, 0)`` (6-connectivity) against a plain
  ``scipy.ndimage.label(x)``, the labelling it is built on.

- time: after one warm-up call of each on a small volume (numba compile or cache load, reported
  separately, with our compile time also measured in a fresh process with an empty cache), the
  tools run alternately ``--repeats`` times; medians of wall and CPU time (``time.process_time``)
  are reported.
- memory: each tool runs once in a fresh Python process that imports it, loads the input and
  warms up; the peak resident set is then reset (``/proc/self/clear_refs``) and the reported peak
  is ``VmHWM`` after the call minus ``VmRSS`` before it.
- difference: mean τ_geo of each against skfmm's. skfmm gives the Euclidean geodesic (second
  order, like ``fmm``); ``dijkstra`` the 26-lattice metric, longer off the lattice directions.

Target (issue #3): geodesic_tortuosity no slower than skfmm's travel time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed


def skfmm_tortuosity(x):
    """τ_geo from scikit-fmm's second-order travel time from the outlet plane (speed 1)."""
    import skfmm

    level = np.ones(x.shape)
    level[-1] = 0.0
    travel = skfmm.travel_time(np.ma.MaskedArray(level, ~x), np.ones(x.shape), order=2)
    inlet = np.ma.filled(travel[0], np.inf)[x[0]]
    return float(inlet[np.isfinite(inlet)].mean() / (x.shape[0] - 1))


def tool(name):
    """The function benchmarked under ``name``: phase -> a number to compare."""
    from scipy import ndimage

    from microtwin.measure._connectivity import connectivity
    from microtwin.measure._geodesic import geodesic_tortuosity

    return {
        "dijkstra": lambda x: geodesic_tortuosity(x, 0).mean,
        "fmm": lambda x: geodesic_tortuosity(x, 0, method="fmm").mean,
        "skfmm": skfmm_tortuosity,
        "connectivity": lambda x: connectivity(x, 0).percolating,
        "label": lambda x: ndimage.label(x)[1],
    }[name]


def warm_input(name=None):
    """A 16³ channel for warm-up calls."""
    x = np.zeros((16, 16, 16), bool)
    x[:, 4:12, 4:12] = True
    return x


def table(names, x, repeats, path):
    """Median wall/CPU seconds, peak memory and result of each tool, run alternately."""
    runs = {name: [] for name in names}
    for name in names:
        timed(tool(name), warm_input())
    for _ in range(repeats):
        for name in names:
            runs[name].append(timed(tool(name), x))
    rows = {}
    for name, records in runs.items():
        wall, cpu = (statistics.median(r[i] for r in records) for i in (1, 2))
        rows[name] = (wall, cpu, peak_memory(__file__, name, path), records[-1][0])
    return rows


def print_rows(rows, anchor, x):
    print(f"{'':14s}{'wall s':>9s}{'cpu s':>9s}{'wall/anchor':>12s}{'cpu/anchor':>11s}"
          f"{'peak MB':>9s}{'peak/input':>11s}  result")
    for name, (wall, cpu, peak, result) in rows.items():
        print(f"{name:14s}{wall:9.2f}{cpu:9.2f}{wall / rows[anchor][0]:12.2f}{cpu / rows[anchor][1]:11.2f}"
              f"{peak / 1e6:9.0f}{peak / x.nbytes:11.1f}  {result:.5g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import porespy

    n = args.size
    x = porespy.generators.blobs(shape=[n] * 3, porosity=0.4, blobiness=1, seed=0).astype(bool)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"geodesic tortuosity along axis 0, blobs {n}³ (porosity {x.mean():.3f}, input "
          f"{x.nbytes / 1e6:.0f} MB bool); load average {' '.join(load)}")
    warm = {name: timed(tool(name), warm_input())[1] for name in ("dijkstra", "fmm", "connectivity")}
    cold = {name: compile_time(__file__, name) for name in warm}
    print("first call: " + ", ".join(f"{name} {warm[name]:.2f} s (empty cache {cold[name]:.1f} s)" for name in warm))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blobs.npy"
        np.save(path, x)
        geodesic = table(["dijkstra", "fmm", "skfmm"], x, args.repeats, path)
        labelling = table(["connectivity", "label"], x, args.repeats, path)
    print_rows(geodesic, "skfmm", x)
    tau = {name: row[3] for name, row in geodesic.items()}
    print(f"τ_geo − τ_skfmm: dijkstra {tau['dijkstra'] - tau['skfmm']:+.4f} "
          f"({tau['dijkstra'] / tau['skfmm'] - 1:+.2%}, 26-lattice vs Euclidean metric), "
          f"fmm {tau['fmm'] - tau['skfmm']:+.1e} (same second-order scheme)")
    verdict = {name: "ok" if geodesic[name][1] <= geodesic["skfmm"][1] else "MISSED" for name in ("dijkstra", "fmm")}
    print(f"target cpu ≤ skfmm: dijkstra {verdict['dijkstra']}, fmm {verdict['fmm']}")
    print("reference: connectivity (label + classification + counts) against scipy.ndimage.label alone")
    print_rows(labelling, "label", x)


if __name__ == "__main__":
    main()
