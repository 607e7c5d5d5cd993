"""Surface density and Euler number: microtwin.measure against scikit-image (and porespy's mesh area).

Run by hand: ``.venv/bin/python benchmarks/bench_minkowski.py [--size 200] [--repeats 3]``.

Input: ``porespy.generators.blobs(shape=[n]*3, porosity=0.4, blobiness=1, seed=0)``, phase =
pore space (True). Rows:

- ``S_V``: ``intrinsic_volumes`` (all four densities V_V, S_V, M_V, χ_V from one configuration
  histogram) against ``skimage.measure.marching_cubes`` (level 0.5, no padding, so the mesh lies
  in the box of voxel centres, the same window) + ``porespy.metrics.mesh_surface_area``; the
  difference column is S_V(ours) / S_V(mesh) − 1 (marching cubes is biased upward on digitised
  surfaces, by about 8 % on a digitised ball);
- ``χ``: ``euler_number`` (6-adjacency, padded) against ``skimage.measure.euler_number``
  (connectivity 1); the two must be equal.

Time: median wall and CPU (``time.process_time``, all threads) seconds of ``--repeats`` calls,
ours and the anchor alternating, after one warm-up call each. Numba compile time is measured
apart, in a fresh process with an empty cache folder. Memory: peak resident set (``VmHWM``)
increase during one call, in a fresh process after loading the input and warming up, as a
multiple of the input's size (1 byte per voxel).
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

_SETUP = """
import sys, time
import numpy as np
from skimage.measure import euler_number as sk_euler, marching_cubes
from porespy.metrics import mesh_surface_area
from microtwin.measure._minkowski import euler_number, intrinsic_volumes

def mc_area(phase):
    verts, faces, _, _ = marching_cubes(phase.view(np.uint8), level=0.5)
    return mesh_surface_area(verts=verts, faces=faces)

METHODS = {
    "ours_sv": lambda p: intrinsic_volumes(p).surface_density,
    "anchor_sv": lambda p: mc_area(p) / np.prod(np.array(p.shape) - 1.0),
    "ours_chi": lambda p: euler_number(p, 6),
    "anchor_chi": lambda p: sk_euler(p, connectivity=1),
}
"""

_MEMORY_PROBE = _SETUP + """
def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

phase = np.load(sys.argv[2])
method = METHODS[sys.argv[1]]
method(phase[:8, :8, :8].copy())  # warm up (numba cache, imports)
before = peak_kib()
method(phase)
print((peak_kib() - before) * 1024 / phase.nbytes)
"""

_COMPILE_PROBE = """
import time
import numpy as np
start = time.perf_counter()
from microtwin.measure._minkowski import euler_number, intrinsic_volumes
phase = np.random.default_rng(0).random((8, 8, 8)) < 0.5
intrinsic_volumes(phase); euler_number(phase)
print(time.perf_counter() - start)
"""


def make_phase(size: int) -> np.ndarray:
    import porespy

    return np.ascontiguousarray(porespy.generators.blobs(shape=[size] * 3, porosity=0.4, blobiness=1, seed=0))


def timed(method, phase):
    """Result and (wall, cpu) seconds of one call."""
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    result = method(phase)
    return result, time.perf_counter() - start_wall, time.process_time() - start_cpu


def compare(methods, ours: str, anchor: str, phase: np.ndarray, repeats: int):
    """Median wall/cpu times of ours and anchor (alternating) and their last results."""
    ours_f, anchor_f = methods[ours], methods[anchor]
    ours_f(phase), anchor_f(phase)
    records = {ours: [], anchor: []}
    results = {}
    for _ in range(repeats):
        for name, f in ((ours, ours_f), (anchor, anchor_f)):
            results[name], wall, cpu = timed(f, phase)
            records[name].append((wall, cpu))
    medians = {name: tuple(statistics.median(r[i] for r in rec) for i in range(2))
               for name, rec in records.items()}
    return medians, results


def peak_memory(method: str, path: Path) -> float:
    result = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, method, str(path)],
                            capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def compile_seconds() -> float:
    with tempfile.TemporaryDirectory(prefix="numba_cache_") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        result = subprocess.run([sys.executable, "-c", _COMPILE_PROBE], capture_output=True, text=True,
                                check=True, env=env)
    return float(result.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[200, 300], help="edge(s) of the cubic volume")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per method (median reported)")
    args = parser.parse_args()

    namespace: dict = {}
    exec(_SETUP, namespace)  # the same method table as the memory probes
    methods = namespace["METHODS"]
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} CPUs); "
          f"numba compile (first call, empty cache): {compile_seconds():.1f} s")
    header = (f"{'size':>5} {'quantity':<9} {'ours s':>7} {'anchor s':>8} {'ratio':>6} {'ours cpu':>8} "
              f"{'anchor cpu':>10} {'mem ours':>8} {'mem anchor':>10}  {'ours':>10} {'anchor':>10} "
              "difference")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench_minkowski_") as tmp:
        for size in args.size:
            phase = make_phase(size)
            path = Path(tmp) / f"blobs_{size}.npy"
            np.save(path, phase)
            for quantity, ours, anchor in (("S_V", "ours_sv", "anchor_sv"), ("χ", "ours_chi", "anchor_chi")):
                times, results = compare(methods, ours, anchor, phase, args.repeats)
                memory = {name: peak_memory(name, path) for name in (ours, anchor)}
                a, b = results[ours], results[anchor]
                same = "equal" if a == b else "DIFFERENT"
                difference = f"{a / b - 1:+.2%}" if quantity == "S_V" else same
                print(f"{size:>5} {quantity:<9} {times[ours][0]:>7.3f} {times[anchor][0]:>8.3f} "
                      f"{times[ours][0] / times[anchor][0]:>6.2f} {times[ours][1]:>8.3f} "
                      f"{times[anchor][1]:>10.3f} "
                      f"{memory[ours]:>8.2f} {memory[anchor]:>10.2f}  {a:>10.5g} {b:>10.5g} {difference}")


if __name__ == "__main__":
    main()
