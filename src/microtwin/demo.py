"""The showcase behind ``microtwin demo`` / ``make demo``.

At this stage: load the bundled real NMC cathode, summarise it, and export it for ParaView
(.vti) and Fiji (.tif) under the output folder. Later stages extend it to the full chain.
"""

from __future__ import annotations

import json
from pathlib import Path

from microtwin import data
from microtwin.io import summarize, write_volume
from microtwin.io._atomic import atomic_output


def run_demo(out="results/demo", overwrite: bool = False) -> dict:
    """Run the demo and write its files under ``out``; returns the summary and the paths written."""
    out = Path(out)
    volume = data.nrel_nmc_cathode()
    summary = summarize(volume)
    written = {
        "vti": write_volume(out / "nrel_nmc_cathode.vti", volume, overwrite=overwrite),
        "tiff": write_volume(out / "nrel_nmc_cathode.tif", volume, overwrite=overwrite),
    }
    results = {"sample": "nrel_nmc_cathode", "info": summary,
               "outputs": {k: str(v) for k, v in written.items()}}
    with atomic_output(out / "results.json", overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    results["outputs"]["results"] = str(out / "results.json")
    return results
