"""``--uncertainty DIR`` for ``measure`` and ``transport``: the same computation over a stored ensemble."""

from __future__ import annotations

import numbers

import click
import numpy as np

from microtwin.errors import ParameterError


def uncertainty_option(f):
    """``--uncertainty DIR``: an ensemble written by ``microtwin segment --uncertainty N``."""
    return click.option(
        "--uncertainty", "ensemble_dir", type=click.Path(), default=None, metavar="DIR",
        help="An ensemble of plausible segmentations (from `microtwin segment --uncertainty N`): "
             "repeat the computation on every member and report mean ± 95 % interval.",
    )(f)


def flatten_numbers(data, prefix: str = "") -> dict:
    """``{"a": {"b": 1.0}, "c": [..], "d": "x"}`` → ``{"a.b": 1.0}``: the numbers of nested dicts (not lists)."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_numbers(value, f"{name}."))
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def ensemble_intervals(ensemble_dir, shape, fn, quiet: bool, level: float = 0.95) -> dict:
    """Run ``fn(labels) -> dict of numbers`` on every member; mean, std and ``level`` interval of each entry.

    Entries that are missing or not finite in some member (e.g. the τ of a phase that stops
    percolating there) are not defined on the whole ensemble: they are listed, not averaged.
    """
    from tqdm.auto import tqdm

    from microtwin.segment import load_ensemble
    from microtwin.segment._propagate import summarise

    ensemble = load_ensemble(ensemble_dir)
    if tuple(ensemble.shape) != tuple(shape):
        raise ParameterError(f"the ensemble in {ensemble_dir} has members of shape {tuple(ensemble.shape)}; "
                             f"the labels have shape {tuple(shape)}")
    if len(ensemble) < 2:
        raise ParameterError(f"the ensemble in {ensemble_dir} has {len(ensemble)} member; a spread needs 2")
    members = tqdm(ensemble, total=len(ensemble), desc="ensemble", unit="member", disable=quiet, leave=False)
    rows = [flatten_numbers(fn(member)) for member in members]
    keys = sorted(set().union(*rows))
    defined = [k for k in keys if all(k in row and np.isfinite(row[k]) for row in rows)]
    results = {}
    for key in defined:
        summary = summarise(np.array([row[key] for row in rows]), level).to_dict()
        results[key] = {name: summary[name] for name in ("mean", "std", "low", "high")}
    return {"members": len(ensemble), "level": level, "results": results,
            "undefined_in_some_members": [k for k in keys if k not in defined]}
