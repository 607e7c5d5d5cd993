"""Particle separation and particle table: microtwin against scikit-image and porespy.

Run by hand: ``.venv/bin/python benchmarks/bench_particles.py [--size 200] [--repeats 3]``.

Input: ``porespy.generators.blobs(shape=[n]*3, porosity=0.4, blobiness=1, seed=0)``; the SOLID
phase (False of blobs) is the particle phase.

1. Separation (phase -> labels), reported on its own:
   - ours: ``separate_particles(solid)`` (distance map, h-maxima markers with h = 1 voxel and
     the watershed in one union-find flooding pass);
   - skimage: the same method from library parts, ``distance_transform_edt`` + ``h_maxima(D, 1)``
     + 26-connected marker labels + ``watershed(-D, markers, mask=solid)``;
   - porespy: ``filters.snow_partitioning(solid)`` (its own marker rules, so another partition).
2. Particle table (labels -> properties), on the SAME label image (ours from step 1):
   - ours: ``particles(labels)``;
   - porespy: ``metrics.regionprops_3D(labels)``, reading for every region the same properties
     (volume, equivalent diameter, surface area, sphericity, centroid, bounding box, inertia
     tensor eigenvalues); its properties are lazy, so reading them is the computation.

Time: one warm-up call of each on a small volume first (numba compilation or cache load: ours'
compile time with an empty cache is measured in a fresh process and reported separately), then
the tools run alternately ``--repeats`` times (porespy's SNOW once, ``--snow-repeats``); medians
of wall and CPU time (``time.process_time``). Memory: each tool runs once in a fresh process
that loads the input and warms up; the peak resident set is reset (``/proc/self/clear_refs``)
and the peak is ``VmHWM`` after the call minus ``VmRSS`` before it.

Target (issue #3): particle table >= 2x faster than regionprops_3D.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed
from scipy import ndimage


def ours_separation(solid):
    from microtwin.measure._watershed import separate_particles
    return separate_particles(solid)


def skimage_separation(solid):
    from skimage.morphology import h_maxima
    from skimage.segmentation import watershed
    distance = ndimage.distance_transform_edt(solid)
    markers = ndimage.label(h_maxima(distance, 1.0), np.ones((3, 3, 3)))[0]
    return watershed(-distance, markers, mask=solid)


def snow_separation(solid):
    import porespy
    return porespy.filters.snow_partitioning(solid).regions


def ours_table(labels):
    from microtwin.measure._particles import particles
    return particles(labels)


def porespy_table(labels):
    import porespy
    props = porespy.metrics.regionprops_3D(labels)
    return [(p.label, p.volume, p.equivalent_diameter_area, p.surface_area, p.sphericity, p.centroid, p.bbox,
             p.inertia_tensor_eigvals) for p in props]


TOOLS = {"ours_separation": ours_separation, "skimage_separation": skimage_separation,
         "snow_separation": snow_separation, "ours_table": ours_table, "porespy_table": porespy_table}


def small_input(tool):
    z, y, x = np.ogrid[:24, :24, :40]
    solid = ((z - 12)**2 + (y - 12)**2 + (x - 11)**2 <= 64) | ((z - 12)**2 + (y - 12)**2 + (x - 28)**2 <= 64)
    return ndimage.label(solid)[0] if tool.endswith("table") else solid


def tool(name):
    """The function measured under ``name`` (a key of ``TOOLS``)."""
    return TOOLS[name]


def warm_input(name):
    return small_input(name)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of labelled voxels of ``a`` whose label in ``b`` is the one covering most of their ``a`` label."""
    pairs, counts = np.unique(np.stack([a[a > 0], b[a > 0]]), axis=1, return_counts=True)
    best = np.zeros(a.max() + 1, np.int64)
    for (label_a, _), count in sorted(zip(pairs.T.tolist(), counts), key=lambda item: item[1]):
        best[label_a] = count
    return best.sum() / counts.sum()


def report(rows, nbytes, baseline):
    print(f"  {'':12s}{'wall s':>9s}{'cpu s':>9s}{'peak MB':>10s}{'peak/input':>11s}"
          f"{'wall ratio':>12s}{'cpu ratio':>11s}")
    (w0, c0, _), = [r for name, r in rows if name == baseline]
    for name, (wall, cpu, peak) in rows:
        print(f"  {name:12s}{wall:9.2f}{cpu:9.2f}{peak / 1e6:10.0f}{peak / nbytes:11.1f}"
              f"{wall / w0:12.2f}{cpu / c0:11.2f}")


def run_alternately(tools: dict, image, repeats: dict):
    runs = {name: [] for name in tools}
    results = {}
    for r in range(max(repeats.values())):
        for name, tool in tools.items():
            if r < repeats[name]:
                results[name], wall, cpu = timed(tool, image)
                runs[name].append((wall, cpu))
    medians = {name: tuple(statistics.median(x[i] for x in values) for i in (0, 1)) for name, values in runs.items()}
    return results, medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--snow-repeats", type=int, default=1, help="0 skips porespy's SNOW (slow)")
    args = parser.parse_args()
    import porespy

    n = args.size
    solid = ~porespy.generators.blobs(shape=[n] * 3, porosity=0.4, blobiness=1, seed=0).astype(bool)
    print(f"particles of the solid phase of blobs {n}³ (solid fraction {solid.mean():.3f}); "
          f"load average {Path('/proc/loadavg').read_text().split()[:3]}, {os.cpu_count()} cores")
    for name, tool in TOOLS.items():
        if name != "snow_separation" or args.snow_repeats:
            _, wall, _ = timed(tool, small_input(name))
            print(f"  warm-up {name}: {wall:.2f} s")
    print(f"  ours compile time with an empty numba cache: {compile_time(__file__, 'ours_separation') + compile_time(__file__, 'ours_table'):.1f} s (not in the timings)")

    separation = {"ours": ours_separation, "skimage": skimage_separation}
    repeats = {"ours": args.repeats, "skimage": args.repeats}
    if args.snow_repeats:
        separation["porespy SNOW"], repeats["porespy SNOW"] = snow_separation, args.snow_repeats
    labels, sep_times = run_alternately(separation, solid, repeats)
    ours_labels = labels["ours"]
    tables, table_times = run_alternately({"ours": ours_table, "porespy": porespy_table}, ours_labels,
                                          {"ours": args.repeats, "porespy": args.repeats})
    with tempfile.TemporaryDirectory() as folder:
        solid_path, labels_path = Path(folder) / "solid.npy", Path(folder) / "labels.npy"
        np.save(solid_path, solid)
        np.save(labels_path, ours_labels)
        probe = {"ours": "ours_separation", "skimage": "skimage_separation", "porespy SNOW": "snow_separation"}
        sep_memory = {name: peak_memory(__file__, probe[name], solid_path) for name in separation}
        table_memory = {name: peak_memory(__file__, f"{name}_table", labels_path) for name in ("ours", "porespy")}

    print(f"\n1. separation (bool {solid.nbytes / 1e6:.0f} MB -> labels), medians; ratios to ours")
    report([(name, (*sep_times[name], sep_memory[name])) for name in separation], solid.nbytes, "ours")
    for name, result in labels.items():
        line = f"  {name:12s} {int(result.max()):6d} particles"
        if name != "ours":
            line += (f"; voxels in the matching particle: {agreement(ours_labels, result):.4f} of ours, "
                     f"{agreement(result, ours_labels):.4f} of theirs")
        print(line)

    print(f"\n2. particle table of ours' {int(ours_labels.max())} particles (int32 labels "
          f"{ours_labels.nbytes / 1e6:.0f} MB), medians; ratios to ours")
    report([(name, (*table_times[name], table_memory[name])) for name in ("ours", "porespy")],
           ours_labels.nbytes, "ours")
    speedup = table_times["porespy"][0] / table_times["ours"][0]
    print(f"  speed-up ours vs regionprops_3D: wall {speedup:.1f}x, cpu "
          f"{table_times['porespy'][1] / table_times['ours'][1]:.1f}x  ->  target >= 2x: "
          f"{'met' if speedup >= 2 else 'MISSED'}")
    table = tables["ours"]
    label, volume, diameter, area, sphericity, centroid, _, _ = (np.array(list(c)) for c in zip(*tables["porespy"]))
    assert (label == table.label).all()
    print(f"  max |Δ volume| = {np.max(np.abs(volume - table.volume)):.3g} voxels, max |Δ diameter| = "
          f"{np.max(np.abs(diameter - table.equivalent_diameter)):.3g} voxels, max |Δ centroid| = "
          f"{np.max(np.abs(centroid + 0.5 - table.centroid)):.3g} (porespy puts voxel centres at k, ours at k + 1/2)")
    relative = area / table.surface_area - 1
    print(f"  surface area porespy/ours - 1: median {np.median(relative):+.3f}, range [{relative.min():+.3f}, "
          f"{relative.max():+.3f}] (porespy meshes a blurred mask at level 0, ours the mask at level 1/2); "
          f"sphericity median ours {np.median(table.sphericity):.3f}, porespy {np.median(sphericity):.3f}")


if __name__ == "__main__":
    main()
