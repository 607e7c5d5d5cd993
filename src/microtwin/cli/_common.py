"""Options shared by every sub-command, and the error handling of the ``microtwin`` group."""

from __future__ import annotations

import json
import sys

import click

from microtwin.errors import MicrotwinError
from microtwin.units import parse_spacing


class MicrotwinGroup(click.Group):
    """A click group that prints a :class:`MicrotwinError` as one line and exits with status 2.

    With ``--debug`` the full traceback is shown instead.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MicrotwinError as exc:
            if ctx.meta.get("microtwin.debug"):
                raise
            click.echo(f"microtwin: error: {exc}", err=True)
            ctx.exit(2)


def _set_debug(ctx, _param, value):
    if value:
        ctx.meta["microtwin.debug"] = True
    return value


def _parse_spacing(_ctx, _param, value):
    if value is None:
        return None
    try:
        return parse_spacing(value)
    except MicrotwinError as exc:
        raise click.BadParameter(str(exc)) from None


def _parse_ints(_ctx, param, value):
    if value is None:
        return None
    try:
        return tuple(int(v) for v in value.replace("x", ",").split(","))
    except ValueError:
        raise click.BadParameter(f"expected integers separated by commas, like 100,200,300; got {value!r}") from None


def spacing_option(f):
    """``--spacing 20nm`` or ``--spacing 20,10,10nm`` (z, y, x): overrides the file's voxel size."""
    return click.option(
        "--spacing", callback=_parse_spacing, default=None, metavar="LENGTH",
        help="Voxel size, e.g. 20nm, 0.398um or 20,10,10nm (z,y,x); overrides the file's.",
    )(f)


def output_options(f):
    """``--out`` and ``--overwrite``."""
    f = click.option("--overwrite", is_flag=True, help="Replace existing outputs.")(f)
    return click.option("--out", type=click.Path(), default=None, help="Output file or folder.")(f)


def report_options(f):
    """``--json``, ``--quiet`` and ``--debug``."""
    f = click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
                     help="Show full tracebacks on errors.")(f)
    f = click.option("--quiet", "-q", is_flag=True, help="No progress bars or chatter.")(f)
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


def read_options(f):
    """Options for formats that need them: raw (dtype, shape, byte order, offset), HDF5/Zarr dataset."""
    f = click.option("--dataset", default=None, help="Dataset path inside an HDF5 file or Zarr group.")(f)
    f = click.option("--offset", type=int, default=None, help="Raw: header bytes to skip.")(f)
    f = click.option("--byte-order", type=click.Choice(["little", "big"]), default=None,
                     help="Raw: byte order.")(f)
    f = click.option("--shape", callback=_parse_ints, default=None, metavar="Z,Y,X", help="Raw: array shape.")(f)
    return click.option("--dtype", default=None, help="Raw: data type, e.g. uint8, uint16, float32.")(f)


def reading_kwargs(dtype, shape, byte_order, offset, dataset, spacing) -> dict:
    """Translate the read options into ``read_volume`` keyword arguments (only those given)."""
    kwargs = {"dtype": dtype, "shape": shape, "byte_order": byte_order, "offset": offset, "dataset": dataset}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if spacing is not None:
        kwargs["spacing"], kwargs["unit"] = spacing
    return kwargs


def echo_json(data) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def progress_enabled(quiet: bool) -> bool:
    """Progress bars go to stderr, and only when not ``--quiet``."""
    return not quiet and sys.stderr is not None
