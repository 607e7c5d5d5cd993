"""``microtwin info`` and ``microtwin convert``."""

from __future__ import annotations

import click

from microtwin.cli._common import (echo_json, progress_enabled, read_options, reading_kwargs,
                                   report_options, spacing_option)
from microtwin.errors import ParameterError
from microtwin.filters import downsample
from microtwin.io import Volume, read_volume, summarize, write_volume


def format_summary(summary: dict) -> str:
    """The human-readable text of ``microtwin info``."""
    spacing = " × ".join(f"{s:g}" for s in summary["spacing"])
    lines = [
        f"shape    {' × '.join(str(n) for n in summary['shape'])} (z, y, x)",
        f"dtype    {summary['dtype']}",
        f"spacing  {spacing} {summary['unit']}",
        f"memory   {summary['memory']}",
        f"range    {summary['min']} … {summary['max']}",
    ]
    if "labels" in summary:
        lines.append("labels   value  fraction")
        lines += [f"         {value:>5}  {fraction:.5f}" for value, fraction in summary["labels"].items()]
    return "\n".join(lines)


def parse_crop(text: str, shape) -> tuple[slice, slice, slice]:
    """Parse ``"z0:z1,y0:y1,x0:x1"`` (empty bounds allowed) into slices within ``shape``."""
    parts = text.split(",")
    if len(parts) != 3:
        raise ParameterError(f"--crop needs three ranges z0:z1,y0:y1,x0:x1; got {text!r}")
    slices = []
    for part, n in zip(parts, shape):
        bounds = part.split(":")
        try:
            if len(bounds) != 2:
                raise ValueError
            start, stop = (int(b) if b.strip() else None for b in bounds)
        except ValueError:
            raise ParameterError(f"--crop range {part!r} is not start:stop with integers") from None
        sl = slice(start, stop)
        if len(range(*sl.indices(n))) == 0:
            raise ParameterError(f"--crop range {part!r} is empty for an axis of length {n}")
        slices.append(sl)
    return tuple(slices)


@click.command()
@click.argument("file", type=click.Path())
@read_options
@spacing_option
@report_options
def info(file, dtype, shape, byte_order, offset, dataset, spacing, as_json, quiet):
    """Shape, dtype, voxel size, memory, value range and label fractions of FILE."""
    volume = read_volume(file, progress=progress_enabled(quiet),
                         **reading_kwargs(dtype, shape, byte_order, offset, dataset, spacing))
    summary = summarize(volume)
    if as_json:
        echo_json(summary)
    else:
        click.echo(format_summary(summary))


@click.command()
@click.argument("source", type=click.Path())
@click.argument("target", type=click.Path())
@click.option("--crop", default=None, metavar="Z0:Z1,Y0:Y1,X0:X1", help="Keep only this box.")
@click.option("--downsample", "factor", type=int, default=None, help="Shrink by this integer factor.")
@click.option("--method", type=click.Choice(["auto", "mean", "mode"]), default="auto",
              help="Downsampling: mean (grey), mode (labels), or auto.")
@click.option("--lazy", is_flag=True, help="Stream HDF5/Zarr input chunk by chunk (larger than memory).")
@read_options
@spacing_option
@click.option("--overwrite", is_flag=True, help="Replace TARGET if it exists.")
@report_options
def convert(source, target, crop, factor, method, lazy, dtype, shape, byte_order, offset, dataset, spacing,
            overwrite, as_json, quiet):
    """Convert SOURCE to TARGET (format from the extension), optionally cropped and downsampled."""
    options = reading_kwargs(dtype, shape, byte_order, offset, dataset, spacing)
    if lazy:
        options["lazy"] = True
    volume = read_volume(source, progress=progress_enabled(quiet), **options)
    if crop:
        volume = Volume(volume.array[parse_crop(crop, volume.shape)], volume.spacing, volume.unit, volume.meta)
    if factor:
        volume = downsample(volume, factor, method=method)
    path = write_volume(target, volume, overwrite=overwrite)
    if as_json:
        echo_json({"output": str(path), "shape": list(volume.shape), "spacing": list(volume.spacing),
                   "unit": volume.unit})
    elif not quiet:
        click.echo(f"wrote {path} {volume!r}")
