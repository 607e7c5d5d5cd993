"""``microtwin filter``: denoise, correct or register a grey volume; one library call, one output file."""

from __future__ import annotations

from pathlib import Path

import click

from microtwin.cli._common import (echo_json, progress_enabled, read_options, reading_kwargs, report_options,
                                   spacing_option)

METHODS = ("nlm", "ad", "median", "gaussian", "unsharp", "shading", "drift")


def physical_length(text: str | None, unit: str):
    """``"40nm"`` → 40 in ``unit`` (a bare number is already in ``unit``); None stays None."""
    from microtwin.units import convert_length, parse_length

    if text is None:
        return None
    value, given = parse_length(text, default_unit=unit)
    return convert_length(value, given, unit)


def run_filter(method: str, array, spacing, unit: str, sigma, radius, noise, h, iterations, kappa, amount, axis,
               upsample):
    """The filtered array and a dict of extra results (drift shifts)."""
    from microtwin import filters

    sigma, radius = physical_length(sigma, unit), physical_length(radius, unit)
    if method == "nlm":
        return filters.nl_means(array, sigma=noise, h=h, spacing=spacing), {}
    if method == "ad":
        return filters.anisotropic_diffusion(array, n_iter=iterations, kappa=kappa, sigma=noise, spacing=spacing), {}
    if method == "median":
        return filters.median(array, radius=radius or min(spacing), spacing=spacing), {}
    if method == "gaussian":
        return filters.gaussian(array, sigma=sigma or min(spacing), spacing=spacing), {}
    if method == "unsharp":
        return filters.unsharp_mask(array, sigma=sigma or min(spacing), amount=amount, spacing=spacing), {}
    if method == "shading":
        return filters.shading_correction(array, axis=axis, sigma=sigma, spacing=spacing), {}
    corrected, shifts = filters.register_slices(array, axis=axis, upsample_factor=upsample)
    return corrected, {"shifts_voxels": shifts.tolist()}


@click.command(name="filter")
@click.argument("source", type=click.Path())
@click.argument("target", type=click.Path())
@click.option("--method", type=click.Choice(METHODS), required=True,
              help="nlm: non-local means; ad: anisotropic diffusion; median; gaussian; unsharp: unsharp mask; "
                   "shading: FIB-SEM shading ramp; drift: slice-to-slice registration.")
@click.option("--sigma", default=None, metavar="LENGTH",
              help="gaussian/unsharp: standard deviation (default one voxel); shading: width of the smoothing "
                   "(default 1/10 of the field). A length such as 40nm, or a number in the file's unit.")
@click.option("--radius", default=None, metavar="LENGTH", help="median: radius of the ball (default one voxel).")
@click.option("--noise", type=float, default=None, help="nlm/ad: noise σ in grey values (default: estimated).")
@click.option("--h", type=float, default=None, help="nlm: filtering strength (default 0.6 σ).")
@click.option("--iterations", type=int, default=5, show_default=True, help="ad: number of steps.")
@click.option("--kappa", type=float, default=None, help="ad: edge threshold in grey values (default 0.5 σ).")
@click.option("--amount", type=float, default=1.0, show_default=True, help="unsharp: gain of the detail.")
@click.option("--axis", type=int, default=0, show_default=True, help="shading/drift: the milling (slicing) axis.")
@click.option("--upsample", type=int, default=20, show_default=True, help="drift: 1/precision of the shifts in voxels.")
@read_options
@spacing_option
@click.option("--overwrite", is_flag=True, help="Replace TARGET if it exists.")
@report_options
def filter_command(source, target, method, sigma, radius, noise, h, iterations, kappa, amount, axis, upsample, dtype,
                   shape, byte_order, offset, dataset, spacing, overwrite, as_json, quiet):
    """Filter the grey volume SOURCE and write the float32 result to TARGET (format from the extension)."""
    from microtwin.io import Volume, read_volume, write_volume
    from microtwin.io._atomic import check_writable

    check_writable(Path(target), overwrite)
    volume = read_volume(source, progress=progress_enabled(quiet),
                         **reading_kwargs(dtype, shape, byte_order, offset, dataset, spacing)).compute()
    out, extra = run_filter(method, volume.array, volume.spacing, volume.unit, sigma, radius, noise, h, iterations,
                            kappa, amount, axis, upsample)
    meta = {**volume.meta, "filter": method}
    path = write_volume(target, Volume(out, volume.spacing, volume.unit, meta), overwrite=overwrite)
    if as_json:
        echo_json({"output": str(path), "method": method, "shape": list(out.shape), "spacing": list(volume.spacing),
                   "unit": volume.unit, **extra})
    elif not quiet:
        click.echo(f"wrote {path} ({method}, {' × '.join(map(str, out.shape))}, float32)")
