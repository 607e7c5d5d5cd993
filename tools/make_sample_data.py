"""Rebuild the bundled sample crops in src/microtwin/data/_files from ../shared/data.

Run from the repository root: ``.venv/bin/python tools/make_sample_data.py``.
Each crop is the central 192³ block of the original volume, written as compressed .npz
with its voxel size and phase labels.
"""

from pathlib import Path

import numpy as np
import tifffile

from microtwin.io import Volume, write_volume

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "microtwin" / "data" / "_files"
SIZE = 192

SOURCES = {
    "nrel_nmc_cathode.npz": (
        SHARED / "nrel-nmc1cal-matbox" / "nmc-1-cal_generatedCBD_bridge.tif",
        0.398, {"pore": 0, "NMC": 1, "CBD": 2},
    ),
    "taufactor_electrode.npz": (
        SHARED / "taufactor-electrode-polaron" / "electrode.tiff",
        0.390625, {"pore": 0, "NMC": 85, "CBD": 170},
    ),
}


def central_crop(array: np.ndarray, size: int) -> np.ndarray:
    starts = [(n - size) // 2 for n in array.shape]
    return np.ascontiguousarray(array[tuple(slice(s, s + size) for s in starts)])


def main():
    for name, (source, voxel_um, phases) in SOURCES.items():
        array = central_crop(tifffile.imread(source), SIZE)
        meta = {"phases": phases, "original_file": source.name, "crop": f"central {SIZE}^3"}
        write_volume(OUT / name, Volume(array, spacing=voxel_um, unit="µm", meta=meta), overwrite=True)
        print(name, array.shape, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
