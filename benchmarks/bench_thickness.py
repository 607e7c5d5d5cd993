"""Local thickness, CPSD and simulated intrusion (MIP): microtwin.measure against PoreSpy.

Run by hand: ``.venv/bin/python benchmarks/bench_thickness.py [--size 200] [--repeats 3] [--no-porosimetry]``.

Input: the pore space (True) of ``porespy.generators.blobs(shape=[size]*3, porosity=0.4,
blobiness=1, seed=0)``. Compared on that same array:

- ``microtwin.measure._thickness.local_thickness`` against ``porespy.filters.local_thickness``
  (default method; PoreSpy rounds the ball radii down to integers, microtwin keeps the exact
  radii, so microtwin ≥ PoreSpy voxel by voxel);
- ``cpsd`` (microtwin only; its curve is checked against the one read off PoreSpy's image);
- ``mip`` (intrusion from the face at index 0 of axis 0) against ``porespy.filters.porosimetry``
  with ``inlets`` = that face (default method 'dt', all distinct dt values as sizes).

Time: numba is warmed up first (its cold compile time, with an empty cache in a fresh process,
is reported apart); then the two tools run alternately ``--repeats`` times (porosimetry once:
it takes about a minute at 200³) and the medians of wall and CPU (``time.process_time``) time are
reported. Memory: each call runs in a fresh process that loads the input and imports both
libraries first (and warms numba up on a 16³ input); the peak is ``VmHWM`` of /proc/self/status
after the call minus the same before it, in MiB and as a multiple of the input's float32 size.
Agreement: share of phase voxels whose radii differ by at most one voxel, and the largest gap
between the cumulative curves (at PoreSpy's integer radii for the MIP).

Targets (issue #3): local thickness ≥ 2× faster than PoreSpy, MIP ≥ 10× faster than porosimetry.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_PROBE = """
import sys, numpy as np, porespy as ps
from microtwin.measure._thickness import local_thickness, cpsd
from microtwin.measure._intrusion import mip

def peak_mib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024

phase = np.load(sys.argv[2])
inlets = np.zeros(phase.shape, bool)
inlets[0] = True
calls = {
    "ours_lt": lambda p: local_thickness(p), "ours_cpsd": lambda p: cpsd(p), "ours_mip": lambda p: mip(p, 0),
    "ps_lt": lambda p: ps.filters.local_thickness(p),
    "ps_mip": lambda p: ps.filters.porosimetry(p, inlets=inlets[:p.shape[0], :p.shape[1], :p.shape[2]]),
}
calls[sys.argv[1]](np.ascontiguousarray(phase[:16, :16, :16]))  # numba warm-up
before = peak_mib()
calls[sys.argv[1]](phase)
print(peak_mib() - before)
"""

_COMPILE = """
import time, numpy as np
t = time.perf_counter()
from microtwin.measure._thickness import local_thickness
from microtwin.measure._intrusion import mip
phase = np.zeros((12, 12, 12), bool); phase[:, 3:9, 3:9] = True
local_thickness(phase); mip(phase, 0)
print(time.perf_counter() - t)
"""


def blobs(size: int) -> np.ndarray:
    import porespy as ps

    return ps.generators.blobs(shape=[size] * 3, porosity=0.4, blobiness=1, seed=0)


def timed(call):
    """(result, wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def alternate(calls: dict, repeats: int) -> tuple[dict, dict]:
    """Run the calls in turn ``repeats`` times; return the last results and the median (wall, cpu) of each."""
    times, results = {name: [] for name in calls}, {}
    for _ in range(repeats):
        for name, call in calls.items():
            results[name], wall, cpu = timed(call)
            times[name].append((wall, cpu))
    return results, {name: tuple(statistics.median(t[i] for t in ts) for i in (0, 1)) for name, ts in times.items()}


def peak_memory(name: str, path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _PROBE, name, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def cold_compile_seconds() -> float:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", _COMPILE], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-porosimetry", action="store_true", help="skip PoreSpy's porosimetry (slow)")
    args = parser.parse_args(argv)

    import porespy as ps

    from microtwin.measure._intrusion import intrusion_radius, mip
    from microtwin.measure._thickness import cpsd, local_thickness

    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs; size {args.size}³")
    phase = blobs(args.size)
    field_mib = phase.size * 4 / 2**20
    print(f"porosity {phase.mean():.3f}; float32 field = {field_mib:.0f} MiB")
    print(f"numba cold compile (empty cache, fresh process): {cold_compile_seconds():.1f} s")
    small = np.ascontiguousarray(phase[:32, :32, :32])
    local_thickness(small), mip(small, 0), ps.filters.local_thickness(small)  # warm-up

    inlets = np.zeros(phase.shape, bool)
    inlets[0] = True
    results, times = alternate({"ours_lt": lambda: local_thickness(phase),
                                "ps_lt": lambda: ps.filters.local_thickness(phase)}, args.repeats)
    more, more_times = alternate({"ours_cpsd": lambda: cpsd(phase), "ours_ir": lambda: intrusion_radius(phase, 0),
                                  "ours_mip": lambda: mip(phase, 0)}, args.repeats)
    results.update(more), times.update(more_times)
    if not args.no_porosimetry:
        results["ps_mip"], *times["ps_mip"] = timed(lambda: ps.filters.porosimetry(phase, inlets=inlets))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "phase.npy"
        np.save(path, phase)
        names = ["ours_lt", "ps_lt", "ours_cpsd", "ours_mip"] + ([] if args.no_porosimetry else ["ps_mip"])
        memory = {name: peak_memory(name, path) for name in names}

    def row(label, ours, theirs=None):
        (w, c), m = times[ours], memory.get(ours, float("nan"))
        line = f"{label:<16} {w:8.2f} {c:8.2f} {m:8.0f} {m / field_mib:6.1f}"
        if theirs is not None:
            (tw, tc), tm = times[theirs], memory[theirs]
            line += f" | {tw:8.2f} {tc:8.2f} {tm:8.0f} {tm / field_mib:6.1f} | {tw / w:6.1f}× {tc / c:6.1f}×"
        print(line)

    print(f"\n{'':<16} {'microtwin wall s':>17} {'MiB':>8} {'×f32':>6} | {'PoreSpy wall s':>17} {'MiB':>8} "
          f"{'×f32':>6} | ratio wall, CPU")
    print(f"{'':<16} {'wall':>8} {'CPU':>8}")
    row("local_thickness", "ours_lt", "ps_lt")
    row("cpsd", "ours_cpsd")
    row("mip", "ours_mip", None if args.no_porosimetry else "ps_mip")

    ours, theirs = results["ours_lt"][phase], results["ps_lt"][phase]
    gap = ours - theirs
    print(f"\nlocal thickness: |ours - PoreSpy| ≤ 1 voxel on {np.mean(np.abs(gap) <= 1):.2%} of the phase, "
          f"ours ≥ PoreSpy on {np.mean(gap >= -1e-5):.2%}, mean gap {gap.mean():.3f} voxel")
    integer_gap = local_thickness(phase, integer_radii=True)[phase] - theirs
    print(f"local thickness, integer_radii=True (PoreSpy's convention): |ours - PoreSpy| ≤ 1 voxel on "
          f"{np.mean(np.abs(integer_gap) <= 1):.2%}, identical on {np.mean(integer_gap == 0):.2%}")
    steps = np.arange(1.0, theirs.max() + 1)
    curve = cpsd(phase, radii=steps).fraction
    print(f"cpsd: r_max {results['ours_cpsd'].radius_at(0.5):.3f} (PoreSpy image: "
          f"{np.sort(theirs)[::-1][int(np.ceil(theirs.size / 2)) - 1]:.3f}); largest gap at integer radii "
          f"{np.max(np.abs(curve - [(theirs >= r).mean() for r in steps])):.3f}")
    if not args.no_porosimetry:
        theirs = results["ps_mip"][phase]
        steps = np.arange(1.0, theirs.max() + 1)
        curve = mip(phase, 0, radii=steps).fraction
        print(f"mip: r_min {results['ours_mip'].radius_at(0.5):.3f} (PoreSpy: "
              f"{np.sort(theirs)[::-1][int(np.ceil(theirs.size / 2)) - 1]:.3f}); largest gap at integer radii "
              f"{np.max(np.abs(curve - [(theirs >= r).mean() for r in steps])):.3f}; "
              f"|ours - PoreSpy| ≤ 1 voxel on {np.mean(np.abs(results['ours_ir'][phase] - theirs) <= 1):.2%}")
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
