"""Run ``microtwin.measure.describe`` on the real volumes in ../shared/data and print a table.

Run from the repository root: ``.venv/bin/python tools/describe_real_volumes.py [--out FILE.md]``.
Each volume is described along axis 0 with its documented voxel size (see each SOURCE.md).
"""

import argparse
import time
import zipfile
from pathlib import Path

import numpy as np
import tifffile

from microtwin.measure import describe

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def volumes():
    """(name, labels, spacing µm, phases) for every usable real volume."""
    yield ("nrel-nmc1cal-matbox (251×301×301)",
           tifffile.imread(SHARED / "nrel-nmc1cal-matbox" / "nmc-1-cal_generatedCBD_bridge.tif"), 0.398,
           {"pore": 0, "NMC": 1, "CBD": 2})
    yield ("taufactor-electrode-polaron (256³)",
           tifffile.imread(SHARED / "taufactor-electrode-polaron" / "electrode.tiff"), 0.390625,
           {"pore": 0, "NMC": 85, "CBD": 170})
    with zipfile.ZipFile(SHARED / "porespy-sandstones" / "test_berea.zip") as z:
        berea = np.frombuffer(z.read("Berea_center_cropped_200_200.raw"), np.uint8).reshape(200, 200, 200)
    yield "Berea sandstone (200³)", berea, 5.345, {"pore": 0, "grain": 255}
    leopard = np.load(SHARED / "porespy-sandstones" / "image_Leopard_slice100.npy")
    yield "Leopard sandstone (100³)", leopard, 2.25, {"pore": 1, "grain": 0}
    grey = tifffile.imread(SHARED / "puma-fiberform100" / "100_fiberform.tif")
    yield "FiberForm (100³, fibre ≥ 90)", (grey >= 90).astype(np.uint8), 1.3, {"void": 0, "fibre": 1}


COLUMNS = ("volume_fraction", "surface_density", "r_max", "r_min", "beta", "geodesic_tortuosity",
           "percolating", "euler_density")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    lines = ["| volume | phase | " + " | ".join(COLUMNS) + " | seconds |",
             "|" + "---|" * (len(COLUMNS) + 3)]
    for name, labels, spacing, phases in volumes():
        start = time.perf_counter()
        result = describe(labels, spacing, phases=phases, axis=0, unit="µm")
        seconds = time.perf_counter() - start
        for phase, desc in result.phases.items():
            values = [getattr(desc, c) for c in COLUMNS]
            cells = ["—" if v is None else f"{v:.4g}" for v in values]
            lines.append(f"| {name} | {phase} | " + " | ".join(cells) + f" | {seconds:.1f} |")
        for pair, density in result.interfaces.items():
            lines.append(f"| {name} | interface {pair} | S_V = {density:.4g} µm⁻¹ |" + " |" * (len(COLUMNS)))
        print("\n".join(lines[-len(result.phases) - len(result.interfaces):]), flush=True)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
