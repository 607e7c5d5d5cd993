"""``microtwin segment``: labels, probability maps and (optionally) an uncertainty ensemble of a grey volume."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from microtwin.cli._common import (echo_json, output_options, progress_enabled, read_options, reading_kwargs,
                                   report_options, spacing_option)
from microtwin.errors import ParameterError
from microtwin.io import read_volume, write_volume
from microtwin.io._atomic import atomic_output, check_writable

METHODS = ("otsu", "multiotsu", "gmm", "rf")
#: default correlation length of the ensemble's probability field, in voxels of the smallest spacing:
#: ≈ 3.5× the combined blur of a scan (1 voxel) and a light denoising (see segment.sample_ensemble)
DEFAULT_CORRELATION_VOXELS = 5.0


def _segmentation(method, grey, n_phases, sparse_path, spacing, seed):
    """Run the chosen method; returns a Segmentation."""
    from microtwin.segment import RandomForestSegmenter, gmm, multi_otsu, otsu

    if method != "rf" and sparse_path is not None:
        raise ParameterError("--labels (sparse training labels) is only used with --method rf")
    if method == "otsu":
        return otsu(grey)
    if method == "multiotsu":
        return multi_otsu(grey, n_phases)
    if method == "gmm":
        return gmm(grey, n_phases, seed=seed)
    if sparse_path is None:
        raise ParameterError("--method rf needs --labels SPARSE (a label image, 0 = unlabelled)")
    sparse = np.asarray(read_volume(sparse_path).compute().array)
    forest = RandomForestSegmenter(spacing=spacing, seed=seed)
    forest.fit(grey, sparse)
    return forest.predict(grey)


def _outputs(out_dir: Path, classes, uncertainty: int) -> list[Path]:
    names = ["labels.tif", "summary.json", *(f"probability_{c}.tif" for c in classes)]
    return [out_dir / name for name in names] + ([out_dir / "ensemble"] if uncertainty else [])


@click.command()
@click.argument("volume", type=click.Path())
@click.option("--method", type=click.Choice(METHODS), default="gmm", show_default=True,
              help="otsu (2 phases), multiotsu, gmm (Gaussian mixture with posteriors) or rf "
                   "(random forest trained on --labels).")
@click.option("--phases", "n_phases", type=int, default=2, show_default=True,
              help="Number of phases for multiotsu and gmm.")
@click.option("--labels", "sparse_path", type=click.Path(), default=None,
              help="rf: sparse training labels (same shape; 0 = unlabelled, 1…K the classes).")
@click.option("--mrf-beta", type=float, default=None,
              help="Smooth the posteriors with a Potts MRF of this weight (mean field).")
@click.option("--uncertainty", type=int, default=0, show_default=True, metavar="N",
              help="Also sample N plausible segmentations (written to OUT/ensemble) and report the "
                   "phase fractions with 95 % intervals.")
@click.option("--correlation-length", type=float, default=None,
              help="Correlation length of the ensemble's probability field, in spacing units "
                   f"(default {DEFAULT_CORRELATION_VOXELS:g} voxels).")
@click.option("--seed", type=int, default=0, show_default=True)
@read_options
@spacing_option
@output_options
@report_options
def segment(volume, method, n_phases, sparse_path, mrf_beta, uncertainty, correlation_length, seed, dtype, shape,
            byte_order, offset, dataset, spacing, out, overwrite, as_json, quiet):
    """Segment the grey VOLUME; write labels.tif, probability_<k>.tif and summary.json to --out."""
    from microtwin.segment import mrf, propagate, sample_ensemble, save_ensemble

    if uncertainty < 0 or uncertainty == 1:
        raise ParameterError(f"--uncertainty needs 0 (none) or at least 2 members; got {uncertainty}")
    grey_volume = read_volume(volume, progress=progress_enabled(quiet),
                              **reading_kwargs(dtype, shape, byte_order, offset, dataset, spacing))
    grey = np.asarray(grey_volume.compute().array, dtype=np.float32)
    result = _segmentation(method, grey, n_phases, sparse_path, grey_volume.spacing, seed)
    if mrf_beta is not None:
        if result.probabilities is None:
            raise ParameterError(f"--mrf-beta needs posterior probabilities; --method {method} gives hard labels")
        result = mrf(result, mrf_beta, spacing=grey_volume.spacing)
    if uncertainty and result.probabilities is None:
        raise ParameterError(f"--uncertainty needs posterior probabilities; --method {method} gives hard labels "
                             "(use gmm or rf)")
    out_dir = Path(out) if out else None
    if out_dir is not None:
        for path in _outputs(out_dir, result.classes if result.probabilities is not None else (), uncertainty):
            check_writable(path, overwrite)
    summary = {"input": str(volume), "method": method, "spacing": list(grey_volume.spacing),
               "unit": grey_volume.unit, **result.to_dict()}
    if uncertainty:
        length = correlation_length if correlation_length is not None else (
            DEFAULT_CORRELATION_VOXELS * min(grey_volume.spacing))
        ensemble = sample_ensemble(result, uncertainty, length, seed=seed, spacing=grey_volume.spacing)
        spread = propagate(ensemble, lambda labels: {str(c): float((labels == c).mean()) for c in result.classes},
                           progress=progress_enabled(quiet))
        summary["uncertainty"] = {"members": uncertainty, "correlation_length": length, "seed": seed,
                                  "fractions": {c: interval(spread[c]) for c in spread}}
        if out_dir is not None:
            save_ensemble(out_dir / "ensemble", ensemble, spacing=grey_volume.spacing, unit=grey_volume.unit,
                          overwrite=overwrite, meta={"correlation_length": length, "seed": seed, "method": method})
    if out_dir is not None:
        _write_outputs(out_dir, result, summary, grey_volume, overwrite)
    if as_json:
        echo_json(summary)
    elif not quiet:
        _print_summary(summary)
        if out_dir is not None:
            click.echo(f"wrote labels, probabilities and summary.json to {out_dir}")


def interval(propagated) -> dict:
    """mean, std, low, high (and level) of a Propagated, without the per-member values."""
    return {k: v for k, v in propagated.to_dict().items() if k != "values"}


def _write_outputs(out_dir: Path, result, summary: dict, grey_volume, overwrite: bool) -> None:
    """Labels as uint8 TIFF, each class probability as uint8 TIFF (round(255 p)), summary.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    common = {"spacing": grey_volume.spacing, "unit": grey_volume.unit, "overwrite": overwrite}
    write_volume(out_dir / "labels.tif", result.labels.astype(np.uint8), **common)
    if result.probabilities is not None:
        for c, p in zip(result.classes, result.probabilities):
            write_volume(out_dir / f"probability_{c}.tif", np.rint(p * 255).astype(np.uint8), **common)
    with atomic_output(out_dir / "summary.json", overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=float))


def _print_summary(summary: dict) -> None:
    spread = summary.get("uncertainty", {}).get("fractions", {})
    for c, fraction in summary["fractions"].items():
        line = f"phase {c}: fraction {fraction:.4f}"
        if str(c) in spread:
            s = spread[str(c)]
            line += f"  (ensemble {s['mean']:.4f}, 95 % [{s['low']:.4f}, {s['high']:.4f}])"
        click.echo(line)
