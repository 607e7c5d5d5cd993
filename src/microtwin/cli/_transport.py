"""``microtwin transport``: effective conductivity / tortuosity factor of phases, as JSON and a PNG."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click

from microtwin.cli._common import (echo_json, output_options, progress_enabled, read_options, reading_kwargs,
                                   report_options, spacing_option)
from microtwin.cli._measure import parse_phases
from microtwin.cli._uncertainty import ensemble_intervals, uncertainty_option
from microtwin.errors import ParameterError
from microtwin.io import read_volume
from microtwin.io._atomic import atomic_output, check_writable

OUTPUTS = ("transport.json", "potential.png")
#: what --uncertainty reports per phase and axis
UNCERTAIN_FIELDS = ("sigma_eff", "tortuosity_factor", "m_factor", "volume_fraction")
FIELDS = ("sigma_eff", "volume_fraction", "tortuosity_factor", "tortuosity", "m_factor", "macmullin",
          "bruggeman_exponent", "percolating", "percolating_fraction", "iterations", "residual", "flux_imbalance")


def parse_conductivity(text: str | None) -> dict | None:
    """``"2=1,1=0.01"`` → ``{2: 1.0, 1: 0.01}``."""
    if not text:
        return None
    out = {}
    for item in text.split(","):
        label, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[int(label)] = float(value)
        except ValueError:
            raise ParameterError(f"--conductivity expects LABEL=SIGMA pairs like 2=1,1=0.01; got {item!r}") from None
    return out


def _cases(phases: dict | None, conductivity: dict | None, labels_present) -> dict:
    """Name → conductivity map of every computation (labels not named conduct nothing)."""
    if (phases is None) == (conductivity is None):
        raise ParameterError("give either --phase NAME=LABEL (repeatable) or --conductivity LABEL=SIGMA,…")
    if conductivity is not None:
        unknown = sorted(set(conductivity) - set(labels_present))
        if unknown:
            raise ParameterError(f"--conductivity names labels {unknown} that are not in the image "
                                 f"(labels present: {sorted(labels_present)})")
        return {"conductivity": {label: conductivity.get(label, 0.0) for label in labels_present}}
    cases = {}
    for name, value in phases.items():
        if value not in labels_present:
            raise ParameterError(f"phase {name}: label {value} is not in the image (labels present: "
                                 f"{sorted(labels_present)})")
        cases[name] = {label: float(label == value) for label in labels_present}
    return cases


def _finite_or_none(value):
    """JSON has no infinity: τ and MacMullin of a phase that does not percolate are written as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


class _Progress:
    """A tqdm bar over solver iterations showing the residual."""

    def __init__(self, enabled: bool, title: str):
        from tqdm.auto import tqdm

        self.bar = tqdm(desc=title, unit="it", disable=not enabled, leave=False)

    def __call__(self, iteration, residual):
        self.bar.update(1)
        self.bar.set_postfix(residual=f"{residual:.1e}", refresh=False)

    def close(self):
        self.bar.close()


@click.command()
@click.argument("labels", type=click.Path())
@click.option("--phase", "phase_items", multiple=True, metavar="NAME=LABEL",
              help="A conducting phase (σ = 1 on it, 0 elsewhere); repeat for several: --phase pore=0.")
@click.option("--conductivity", default=None, metavar="LABEL=SIGMA,…",
              help="Conductivity of each label for one multi-phase computation, e.g. 2=1,1=0.01 "
                   "(labels not listed are insulating).")
@click.option("--axis", type=click.Choice(["0", "1", "2", "all"]), default="0", show_default=True,
              help="Transport direction (all: the three axes and the anisotropy).")
@click.option("--periodic", is_flag=True, help="Periodic side faces instead of insulating ones.")
@click.option("--allow-zero", is_flag=True,
              help="Report σ_eff = 0 (τ = inf) for a phase that does not percolate instead of failing.")
@click.option("--rtol", type=float, default=1e-6, show_default=True, help="Relative residual to reach.")
@click.option("--flux-tol", type=float, default=1e-3, show_default=True, help="|I_in − I_out| / I to reach.")
@uncertainty_option
@read_options
@spacing_option
@output_options
@report_options
def transport(labels, phase_items, conductivity, axis, periodic, allow_zero, rtol, flux_tol, ensemble_dir, dtype, shape,
              byte_order, offset, dataset, spacing, out, overwrite, as_json, quiet):
    """Effective conductivity, tortuosity factor and M-factor of LABELS; transport.json and potential.png."""
    import numpy as np

    from microtwin.transport import conduct

    volume = read_volume(labels, progress=progress_enabled(quiet),
                         **reading_kwargs(dtype, shape, byte_order, offset, dataset, spacing))
    out_dir = Path(out) if out else None
    if out_dir is not None:
        for name in OUTPUTS:
            check_writable(out_dir / name, overwrite)
    array = volume.compute().array
    cases = _cases(parse_phases(phase_items), parse_conductivity(conductivity), np.unique(array).tolist())
    axes = [0, 1, 2] if axis == "all" else [int(axis)]
    results, potentials = {}, {}
    for name, sigma in cases.items():
        results[name] = {}
        for a in axes:
            bar = _Progress(progress_enabled(quiet), f"{name}, axis {a}")
            try:
                r = conduct(array, sigma, axis=a, spacing=volume.spacing, periodic=periodic, rtol=rtol,
                            flux_tol=flux_tol, return_fields=out_dir is not None and a == axes[0],
                            allow_zero=allow_zero, progress=bar)
            finally:
                bar.close()
            results[name][str(a)] = {key: _finite_or_none(r.to_dict()[key]) for key in FIELDS}
            if r.potential is not None and r.percolating:
                potentials[f"{name}, axis {a}"] = r.potential
        if len(axes) == 3:
            tau = [results[name][str(a)]["tortuosity_factor"] for a in axes]
            results[name]["anisotropy"] = {f"{i}/{j}": tau[i] / tau[j] if tau[i] and tau[j] else None
                                           for i in range(3) for j in range(3) if i < j}
    data = {"input": str(labels), "spacing": list(volume.spacing), "unit": volume.unit, "periodic": periodic,
            "conductivity": {name: {str(k): v for k, v in sigma.items()} for name, sigma in cases.items()},
            "results": results}
    if ensemble_dir is not None:
        def member_results(member):
            out = {}
            for name, sigma in cases.items():
                for a in axes:
                    r = conduct(member, sigma, axis=a, spacing=volume.spacing, periodic=periodic, rtol=rtol,
                                flux_tol=flux_tol, allow_zero=True).to_dict()
                    out[f"{name}.{a}"] = {key: r[key] for key in UNCERTAIN_FIELDS}
            return out

        data["uncertainty"] = ensemble_intervals(ensemble_dir, array.shape, member_results,
                                                 quiet=not progress_enabled(quiet))
    if out_dir is not None:
        _write_outputs(out_dir, data, potentials, axes[0], overwrite)
    if as_json:
        echo_json(data)
    elif not quiet:
        for name, per_axis in results.items():
            for a, r in per_axis.items():
                if a != "anisotropy":
                    tau = r["tortuosity_factor"]
                    click.echo(f"{name:>12} axis {a}: σ_eff {r['sigma_eff']:.5g}  ε {r['volume_fraction']:.4f}  "
                               f"τ {tau if tau is None else f'{tau:.4f}'}  M {r['m_factor']:.4g}  ({r['iterations']} it)")
        if ensemble_dir is not None:
            click.echo(f"over {data['uncertainty']['members']} ensemble members (mean, 95 % interval):")
            for key, r in data["uncertainty"]["results"].items():
                click.echo(f"  {key:<36} {r['mean']:.5g}  [{r['low']:.5g}, {r['high']:.5g}]")
        if out_dir is not None:
            click.echo(f"wrote {', '.join(OUTPUTS)} to {out_dir}")


def _write_outputs(out_dir: Path, data: dict, potentials: dict, axis: int, overwrite: bool) -> None:
    from microtwin.report import plot_potential_slices, save_figure

    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_output(out_dir / "transport.json", overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    if potentials:
        save_figure(plot_potential_slices(potentials, axis), out_dir / "potential.png", overwrite)
