"""Reading TIFF volumes: microtwin.io.read_volume against plain tifffile.imread.

Run by hand: ``.venv/bin/python benchmarks/bench_io.py [--size 512] [--repeats 5]``.

A size³ uint8 volume is written once, uncompressed, as a multipage TIFF (ImageJ hyperstack)
and as a folder of size 2D slices, in a temporary folder. For each layout:

- time: both readers run alternately ``--repeats`` times after one warm-up read each (so the
  files are in the page cache); the median wall time is reported. tifffile reads the folder as
  ``tifffile.imread(sorted(files))``.
- memory: each read runs in a fresh Python process that imports numpy, tifffile and microtwin's
  TIFF module first; peak memory is the process's peak resident set after the read minus the
  same right after those imports, divided by the volume's size in bytes. The peak resident set
  is ``VmHWM`` of ``/proc/self/status`` (``ru_maxrss`` where there is no /proc: on some kernels
  and sandboxes ru_maxrss lags behind VmHWM). The page cache is not part of it.

Targets: time ratio microtwin/tifffile <= 1.3, peak memory / volume <= 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile

from microtwin.io import read_volume, write_volume

_MEMORY_PROBE = """
import resource, sys
import numpy, tifffile
import microtwin.io._tiff
from microtwin.io import read_volume

def peak_kib():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

before = peak_kib()
reader, target = sys.argv[1], sys.argv[2]
if reader == "tifffile":
    files = sorted(str(p) for p in __import__("pathlib").Path(target).glob("*.tif")) or target
    array = tifffile.imread(files)
else:
    array = read_volume(target).array
after = peak_kib()
print((after - before) * 1024 / array.nbytes)
"""


def make_volume(size: int, seed: int = 0) -> np.ndarray:
    """A size³ uint8 label volume (three phases 0/85/170 in 8-voxel blocks, like a segmented scan)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 3, size=(-(-size // 8),) * 3, dtype=np.uint8) * 85
    return np.ascontiguousarray(blocks.repeat(8, 0).repeat(8, 1).repeat(8, 2)[:size, :size, :size])


def read_with_tifffile(target: Path) -> np.ndarray:
    if target.is_dir():
        return tifffile.imread(sorted(str(p) for p in target.glob("*.tif")))
    return tifffile.imread(target)


def read_with_microtwin(target: Path) -> np.ndarray:
    return read_volume(target).array


def median_times(target: Path, repeats: int) -> tuple[float, float]:
    """Median seconds of (tifffile, microtwin), alternating the two, after one warm-up read each."""
    readers = (read_with_tifffile, read_with_microtwin)
    for reader in readers:
        reader(target)
    times = ([], [])
    for _ in range(repeats):
        for reader, record in zip(readers, times):
            start = time.perf_counter()
            array = reader(target)
            record.append(time.perf_counter() - start)
            del array
    return statistics.median(times[0]), statistics.median(times[1])


def peak_memory_ratio(reader: str, target: Path) -> float:
    """Peak memory of one read in a fresh process, as a multiple of the volume's size."""
    result = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, reader, str(target)],
                            capture_output=True, text=True, check=True)
    return float(result.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="edge of the cubic test volume (voxels)")
    parser.add_argument("--repeats", type=int, default=5, help="timed reads per reader (median reported)")
    args = parser.parse_args()

    volume = make_volume(args.size)
    with tempfile.TemporaryDirectory(prefix="bench_io_") as tmp:
        targets = {
            "multipage TIFF": write_volume(Path(tmp) / "volume.tif", volume),
            f"folder of {args.size} slices": write_volume(Path(tmp) / "slices", volume, format="tiff-folder"),
        }
        for target in targets.values():
            np.testing.assert_array_equal(read_with_microtwin(target), read_with_tifffile(target))
        print(f"volume {args.size}³ uint8 = {volume.nbytes / 2**20:.0f} MiB, uncompressed; "
              f"median of {args.repeats} reads; memory = peak RSS increase / volume size")
        header = (f"{'layout':<22} {'tifffile s':>10} {'microtwin s':>11} {'time ratio':>10} "
                  f"{'mem tifffile':>12} {'mem microtwin':>13}  targets")
        print(header)
        print("-" * len(header))
        for name, target in targets.items():
            t_tifffile, t_microtwin = median_times(target, args.repeats)
            m_tifffile = peak_memory_ratio("tifffile", target)
            m_microtwin = peak_memory_ratio("microtwin", target)
            ratio = t_microtwin / t_tifffile
            verdict = "ok" if ratio <= 1.3 and m_microtwin <= 1.2 else "MISSED"
            print(f"{name:<22} {t_tifffile:>10.3f} {t_microtwin:>11.3f} {ratio:>10.2f} "
                  f"{m_tifffile:>12.2f} {m_microtwin:>13.2f}  {verdict} (time <= 1.3, memory <= 1.2)")


if __name__ == "__main__":
    main()
