"""All the microtwin.measure benchmarks of issue #3, one after the other, at one or more sizes.

Run by hand: ``.venv/bin/python benchmarks/bench_measure.py [--size 200 300] [--quick]``.

Each script compares one family against its anchor on the same porespy blobs (porosity 0.4):

- ``bench_thickness.py``: local thickness / CPSD against ``porespy.filters.local_thickness`` and
  MIP against ``porespy.filters.porosimetry``;
- ``bench_two_point.py``: ``two_point`` against ``porespy.metrics.two_point_correlation``;
- ``bench_particles.py``: the particle table against ``porespy.metrics.regionprops_3D``;
- ``bench_geodesic.py``: geodesic tortuosity against a scikit-fmm travel time;
- ``bench_minkowski.py``: intrinsic volumes against marching cubes.

They run serially (2 cores here: running them side by side would distort every ratio). ``--quick``
skips PoreSpy's porosimetry and SNOW, which take minutes at 200³.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

_HERE = Path(__file__).parent


def commands(size: int, quick: bool) -> list[list[str]]:
    """The benchmark command lines for one volume edge ``size``."""
    common = ["--size", str(size)]
    return [
        ["bench_thickness.py", *common, *(["--no-porosimetry"] if quick else [])],
        ["bench_two_point.py", *common],
        ["bench_particles.py", *common, *(["--snow-repeats", "0"] if quick else [])],
        ["bench_geodesic.py", *common],
        ["bench_minkowski.py", *common],
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[200, 300])
    parser.add_argument("--quick", action="store_true", help="skip porosimetry and SNOW")
    args = parser.parse_args(argv)
    failed = 0
    for size in args.size:
        for script, *options in commands(size, args.quick):
            print(f"\n=== {script} {' '.join(options)}", flush=True)
            failed += subprocess.run([sys.executable, str(_HERE / script), *options]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
