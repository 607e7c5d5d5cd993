"""``microtwin measure``: descriptors of every phase, written as JSON, CSV and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path

import click

from microtwin.cli._common import (echo_json, output_options, progress_enabled, read_options, reading_kwargs,
                                   report_options, spacing_option)
from microtwin.cli._uncertainty import ensemble_intervals, uncertainty_option
from microtwin.errors import ParameterError
from microtwin.io import read_volume
from microtwin.io._atomic import atomic_output, check_writable

#: phase names taken, in this order, as the particle phase when --particles is not given
PARTICLE_NAMES = ("am", "active", "nmc", "graphite", "particles", "particle", "solid")
OUTPUTS = ("descriptors.json", "particles.csv", "radius_distributions.png", "two_point.png",
           "particle_sizes.png", "phases.png")


def parse_phases(values) -> dict | None:
    """``("pore=0", "am=1")`` → ``{"pore": 0, "am": 1}``."""
    if not values:
        return None
    phases = {}
    for item in values:
        name, sep, label = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            phases[name.strip()] = int(label)
        except ValueError:
            raise ParameterError(f"--phase expects NAME=LABEL with an integer label, like pore=0; got {item!r}") from None
    return phases


def default_particle_phase(names, fractions: dict) -> str | None:
    """The phase to tabulate as particles: a conventional name, else the largest non-pore phase."""
    for candidate in PARTICLE_NAMES:
        for name in names:
            if name.lower() == candidate:
                return name
    solid = {n: f for n, f in fractions.items() if n.lower() not in ("pore", "pores", "0", "electrolyte")}
    return max(solid, key=solid.get) if solid else None


@click.command()
@click.argument("labels", type=click.Path())
@click.option("--phase", "phase_items", multiple=True, metavar="NAME=LABEL",
              help="A phase to describe (repeat): --phase pore=0 --phase am=1. Default: every label.")
@click.option("--axis", type=click.IntRange(0, 2), default=0, show_default=True,
              help="Transport direction: inlet at index 0, outlet at the end.")
@click.option("--particles", "particle_phase", default=None, metavar="NAME",
              help="Phase to split into particles (default: am/nmc/solid/…, else the largest non-pore phase).")
@uncertainty_option
@read_options
@spacing_option
@output_options
@report_options
def measure(labels, phase_items, axis, particle_phase, ensemble_dir, dtype, shape, byte_order, offset, dataset,
            spacing, out, overwrite, as_json, quiet):
    """Describe every phase of LABELS; write descriptors.json, particles.csv and plots to --out."""
    from microtwin.measure import describe  # heavy: imported when the command runs

    volume = read_volume(labels, progress=progress_enabled(quiet),
                         **reading_kwargs(dtype, shape, byte_order, offset, dataset, spacing))
    phases = parse_phases(phase_items) or volume.meta.get("phases")
    out_dir = Path(out) if out else None
    if out_dir is not None:
        for name in OUTPUTS:
            check_writable(out_dir / name, overwrite)
    array = volume.compute().array
    if particle_phase is None:
        names = list(phases) if phases else [str(v) for v in sorted(set(array.ravel().tolist()))]
        fractions = {name: 0.0 for name in names}
        if phases:
            fractions = {name: float((array == value).mean()) for name, value in phases.items()}
        particle_phase = default_particle_phase(names, fractions)
    def described(image):
        return describe(image, volume.spacing, phases=phases, axis=axis, unit=volume.unit,
                        particle_phase=particle_phase)

    result = described(array)
    data = result.to_dict()
    if ensemble_dir is not None:
        data["uncertainty"] = ensemble_intervals(ensemble_dir, array.shape, lambda m: described(m).to_dict(),
                                                 quiet=not progress_enabled(quiet))
    if out_dir is not None:
        _write_outputs(out_dir, result, data, array, overwrite)
    if as_json:
        echo_json(data)
    elif not quiet:
        frame = result.to_frame()
        click.echo(frame.T.to_string(float_format=lambda v: f"{v:.4g}"))
        if ensemble_dir is not None:
            _print_intervals(data["uncertainty"])
        if out_dir is not None:
            click.echo(f"\nwrote {', '.join(OUTPUTS)} to {out_dir}")


def _print_intervals(uncertainty: dict) -> None:
    click.echo(f"\nover {uncertainty['members']} ensemble members (mean, 95 % interval):")
    for key, r in uncertainty["results"].items():
        if key.startswith("phases.") and key.count(".") == 2:
            click.echo(f"  {key[7:]:<40} {r['mean']:.4g}  [{r['low']:.4g}, {r['high']:.4g}]")


def _write_outputs(out_dir: Path, result, data: dict, array, overwrite: bool) -> None:
    from microtwin.report import (plot_phase_slices, plot_radius_distributions, plot_size_histogram,
                                  plot_two_point, save_figure)

    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_output(out_dir / "descriptors.json", overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    table = result.particles
    if table is not None:
        table.to_csv(out_dir / "particles.csv", overwrite=overwrite)
    described = {n: d for n, d in result.phases.items() if d.cpsd is not None}
    curves = {n: {"CPSD": d.cpsd, "MIP": d.mip} for n, d in described.items()}
    save_figure(plot_radius_distributions(curves, result.unit), out_dir / "radius_distributions.png", overwrite)
    save_figure(plot_two_point({n: d.two_point for n, d in described.items()}, result.unit),
                out_dir / "two_point.png", overwrite)
    if table is not None:
        save_figure(plot_size_histogram(table.equivalent_diameter, table.volume, result.unit),
                    out_dir / "particle_sizes.png", overwrite)
    phase_values = {name: desc.label for name, desc in result.phases.items()}
    save_figure(plot_phase_slices(array, phase_values, result.axis), out_dir / "phases.png", overwrite)
