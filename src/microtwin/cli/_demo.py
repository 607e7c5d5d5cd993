"""``microtwin demo``."""

import click

from microtwin.cli._common import echo_json, report_options
from microtwin.cli._io_commands import format_summary
from microtwin.demo import run_demo


@click.command()
@click.option("--out", type=click.Path(), default="results/demo", show_default=True, help="Output folder.")
@click.option("--overwrite", is_flag=True, help="Replace the outputs of an earlier run.")
@report_options
def demo(out, overwrite, as_json, quiet):
    """Run the showcase on the bundled NMC cathode and write its results under --out."""
    results = run_demo(out, overwrite=overwrite)
    if as_json:
        echo_json(results)
        return
    if not quiet:
        click.echo(f"bundled sample: {results['info'].get('description', results['sample'])}\n")
        click.echo(format_summary(results["info"]))
        click.echo("\nwrote:")
        for path in results["outputs"].values():
            click.echo(f"  {path}")
