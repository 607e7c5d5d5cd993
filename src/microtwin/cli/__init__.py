"""The ``microtwin`` command: one sub-command per task, each a thin layer over the library."""

import click

from microtwin import __version__
from microtwin.cli._common import MicrotwinGroup
from microtwin.cli._demo import demo
from microtwin.cli._filter import filter_command
from microtwin.cli._io_commands import convert, info
from microtwin.cli._measure import measure
from microtwin.cli._segment import segment
from microtwin.cli._transport import transport


@click.group(cls=MicrotwinGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="microtwin")
def main():
    """microtwin: quantified digital twins of battery electrodes from 3D images."""


main.add_command(info)
main.add_command(convert)
main.add_command(filter_command)
main.add_command(segment)
main.add_command(measure)
main.add_command(transport)
main.add_command(demo)

__all__ = ["main"]
