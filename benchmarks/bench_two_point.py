"""Two-point correlation: microtwin's two_point against porespy.metrics.two_point_correlation.

Run by hand: ``.venv/bin/python benchmarks/bench_two_point.py [--size 200] [--repeats 3]``.

Input: ``porespy.generators.blobs(shape=[n]*3, porosity=0.4, blobiness=1, seed=0)``, the pore
space (True) as the phase, built once and saved to a temporary .npy that every run loads.

- time: after one warm-up call of each on a small volume (numba compilation or cache load,
  reported separately, with ours' compile time measured in a fresh process with an empty
  cache), the two run alternately ``--repeats`` times in this process; medians of wall and
  CPU time (``time.process_time``, all threads) are reported.
- memory: each tool runs once in a fresh Python process that imports it, loads the input and
  warms it up on a small volume; the peak resident set is then reset (``/proc/self/clear_refs``)
  and the reported peak is ``VmHWM`` after the call minus ``VmRSS`` before it.
- difference: (a) ours with porespy's bin edges [k, k+1) against porespy's ``probability_scaled``
  (= C(r); porespy's ``probability`` is C(r)/V_V, 1 at r = 0): the same estimator, so the
  difference is round-off; (b) both with their default bins, porespy's curve (labelled at its bin
  centres k + 1/2) interpolated to our distances (the mean |h| of each bin, 0 for the first):
  this difference is porespy's labelling, not the estimate.

porespy needs ~740 bytes per voxel (float64 transforms of the volume padded to (2n)³ plus
float64 distance and index arrays); above ``--porespy-limit-gb`` (16 GB) of predicted peak it is
skipped. Targets (issue #3): ≥ 10× faster, ≤ 1/4 of porespy's peak memory.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed

PORESPY_BYTES_PER_VOXEL = 740

def tool(name):
    """The function measured under ``name`` ("ours" or "porespy")."""
    if name == "porespy":
        import porespy

        return porespy.metrics.two_point_correlation
    from microtwin.measure._two_point import two_point

    return two_point


def warm_input(name):
    """A small volume for warm-up calls."""
    return np.random.default_rng(0).random((24, 24, 24)) < 0.4


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--porespy-limit-gb", type=float, default=16.0)
    args = parser.parse_args()
    import porespy

    from microtwin.measure._two_point import two_point

    n = args.size
    x = porespy.generators.blobs(shape=[n] * 3, porosity=0.4, blobiness=1, seed=0).astype(bool)
    predicted = PORESPY_BYTES_PER_VOXEL * x.size
    run_porespy = predicted <= args.porespy_limit_gb * 1e9
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"two-point correlation, blobs {n}³ (porosity {x.mean():.3f}); load average {' '.join(load)}")
    small = np.random.default_rng(0).random((24, 24, 24)) < 0.4
    _, compile_ours, _ = timed(two_point, small)
    _, compile_theirs, _ = timed(porespy.metrics.two_point_correlation, small)
    print(f"warm-up: ours {compile_ours:.2f} s (numba compile or cache load; with an empty cache "
          f"{compile_time(__file__, 'ours'):.2f} s), porespy {compile_theirs:.2f} s (numba compile, porespy does not cache)")
    if not run_porespy:
        print(f"porespy skipped: predicted peak {predicted / 1e9:.1f} GB > {args.porespy_limit_gb:g} GB")

    times = {"ours": [], "porespy": []}
    for _ in range(args.repeats):
        ours, wall, cpu = timed(two_point, x)
        times["ours"].append((wall, cpu))
        if run_porespy:
            theirs, wall, cpu = timed(porespy.metrics.two_point_correlation, x)
            times["porespy"].append((wall, cpu))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blobs.npy"
        np.save(path, x)
        tools = ["ours", "porespy"] if run_porespy else ["ours"]
        memory = {name: peak_memory(__file__, name, path) for name in tools}

    rows = []
    for tool, runs in times.items():
        if runs:
            wall, cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))
            rows.append((tool, wall, cpu, memory[tool]))
    print(f"{'':10s}{'wall s':>10s}{'cpu s':>10s}{'peak MB':>10s}{'peak/input':>12s}")
    for tool, wall, cpu, peak in rows:
        print(f"{tool:10s}{wall:10.2f}{cpu:10.2f}{peak / 1e6:10.0f}{peak / x.nbytes:12.1f}")
    if not run_porespy:
        return
    (_, w0, c0, m0), (_, w1, c1, m1) = rows
    print(f"ratio porespy/ours: wall {w1 / w0:.1f}×, cpu {c1 / c0:.1f}×; "
          f"peak memory ours/porespy {m0 / m1:.3f}")

    edges = np.asarray(theirs.bin_edges)
    same = two_point(x, bins=edges, max_distance=float(edges[-1]) - 1e-9)
    diff_same = np.max(np.abs(same.probability[:-1] - theirs.probability_scaled[:-1]))
    print(f"(a) same bins [k, k+1): max |C_ours − C_porespy| = {diff_same:.2e} "
          "(porespy probability_scaled)")
    common = ours.distance[(ours.distance >= theirs.distance[0]) & (ours.distance <= theirs.distance[-1])]
    theirs_at = np.interp(common, theirs.distance, theirs.probability_scaled)
    ours_at = np.interp(common, ours.distance, ours.probability)
    print(f"(b) default bins, interpolated at {common.size} common distances: max |diff| = "
          f"{np.max(np.abs(ours_at - theirs_at)):.2e}; at r = 0: ours C(0) = {ours.probability[0]:.4f} "
          f"= V_V, porespy labels C(0) at r = {theirs.distance[0]:g}")


if __name__ == "__main__":
    main()
