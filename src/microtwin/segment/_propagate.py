"""Run a descriptor over an ensemble of segmentations: mean, standard deviation and an interval."""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np

from microtwin._results import Result
from microtwin.errors import DimensionError, DTypeError, ParameterError


@dataclass(frozen=True, eq=False)
class Propagated(Result):
    """The spread of one quantity over the members of an ensemble.

    Attributes (all in the units of the quantity; arrays when the quantity is an array)
    ----------
    mean : float or ndarray
        Mean over the members.
    std : float or ndarray
        Sample standard deviation (ddof = 1).
    low, high : float or ndarray
        Empirical ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of the members' values
        (linear interpolation between order statistics).
    values : ndarray
        The value of every member, shape ``(n,)`` or ``(n, *shape)``.
    level : float
        Coverage of ``[low, high]``.
    """

    mean: float | np.ndarray
    std: float | np.ndarray
    low: float | np.ndarray
    high: float | np.ndarray
    values: np.ndarray
    level: float = 0.95

    def __str__(self) -> str:
        if np.ndim(self.mean):
            return f"Propagated(shape {np.shape(self.mean)}, n={len(self.values)}, level={self.level})"
        return (f"{self.mean:.6g} ± {self.std:.3g} "
                f"({100 * self.level:g} % interval [{self.low:.6g}, {self.high:.6g}], n={len(self.values)})")


def _numeric(value):
    """``value`` as a float64 scalar or array if it is a real number or a real numeric array, else None."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, numbers.Real):
        return np.float64(value)
    if isinstance(value, np.ndarray) and value.size and (
            np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating)):
        return value.astype(np.float64)
    return None


def _fields(result) -> dict | None:
    """A member's result as {name: number/array}, or None for a bare number/array."""
    if isinstance(result, dict):
        items = result.items()
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        items = ((f.name, getattr(result, f.name)) for f in dataclasses.fields(result))
    else:
        value = _numeric(result)
        if value is None:
            raise DTypeError(f"fn must return a number, a numeric array, a dict or a result dataclass; "
                             f"got {type(result).__name__}")
        return None
    fields = {str(name): v for name, v in ((n, _numeric(v)) for n, v in items) if v is not None}
    if not fields:
        raise DTypeError(f"fn returned a {type(result).__name__} with no numeric entry to propagate")
    return fields


def summarise(values: np.ndarray, level: float) -> Propagated:
    """Mean, sample standard deviation and empirical ``level`` interval of values along axis 0."""
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2], axis=0)
    mean, std = values.mean(axis=0), values.std(axis=0, ddof=1)
    if values.ndim == 1:
        mean, std, low, high = float(mean), float(std), float(low), float(high)
    return Propagated(mean, std, low, high, values, float(level))


def propagate(ensemble, fn, *, level=0.95, progress=False):
    """Run a descriptor on every member of an ensemble and summarise the spread of its results.

    ``fn(labels)`` is called on each member (a (Z, Y, X) label image) in turn — any measure
    or transport function, typically a small lambda fixing the phase and the spacing. What it
    returns decides the shape of the answer:

    - a number (or a numeric array of fixed shape) → one :class:`Propagated`;
    - a dict, or a result dataclass (:class:`~microtwin._results.Result`) → a dict
      ``{name: Propagated}`` over its numeric entries (numbers and numeric arrays); other
      entries (strings, booleans, None, nested objects) are left out, so
      ``propagate(ens, f)["surface_density"].high`` reads like the field it summarises.

    Every member must give a finite value for every propagated entry: a NaN or infinite
    value (e.g. the tortuosity of a phase that does not percolate in some member) is an
    error naming the member, never averaged away.

    Parameters
    ----------
    ensemble : (n, Z, Y, X) ndarray, sequence of label images, or Ensemble
        At least 2 members (from :func:`sample_ensemble` or :func:`load_ensemble`); members
        are read one at a time.
    fn : callable
        ``fn(labels) -> number | array | dict | dataclass``.
    level : float in (0, 1)
        Coverage of the empirical interval ``[low, high]``.
    progress : bool
        Show a tqdm bar over the members.

    Returns
    -------
    Propagated or dict of str → Propagated

    Examples
    --------
    >>> members = np.zeros((3, 4, 4, 4), np.uint8); members[1, 0] = 1; members[2, :2] = 1
    >>> r = propagate(members, lambda labels: float((labels == 1).mean()))
    >>> r.mean, r.values.tolist()
    (0.25, [0.0, 0.25, 0.5])
    >>> propagate(members, lambda labels: {"solid": float(labels.mean()), "name": "x"})["solid"].high
    0.4875
    """
    from tqdm.auto import tqdm

    if not callable(fn):
        raise ParameterError(f"fn must be callable; got {type(fn).__name__}")
    if not (isinstance(level, numbers.Real) and 0 < level < 1):
        raise ParameterError(f"level must be in (0, 1); got {level!r}")
    n = len(ensemble)
    if n < 2:
        raise ParameterError(f"an ensemble needs at least 2 members for a spread; got {n}")
    rows, keys = [], None
    for index, member in enumerate(tqdm(ensemble, total=n, desc="ensemble", unit="member", disable=not progress)):
        member = np.asarray(member)
        if member.ndim != 3:
            raise DimensionError(f"ensemble members must be 3D label images; member {index} has shape {member.shape}")
        result = fn(member)
        fields = _fields(result)
        row = {None: _numeric(result)} if fields is None else fields
        if keys is None:
            keys = {k: np.shape(v) for k, v in row.items()}
        elif {k: np.shape(v) for k, v in row.items()} != keys:
            raise ParameterError(f"fn returned entries {sorted(map(str, row))} of shapes {[np.shape(v) for v in row.values()]} "
                                 f"for member {index}, but {sorted(map(str, keys))} of shapes {list(keys.values())} before")
        for name, value in row.items():
            if not np.all(np.isfinite(value)):
                what = "fn" if name is None else f"entry {name!r}"
                raise ParameterError(f"{what} is not finite ({value}) for ensemble member {index}; "
                                     "a descriptor that fails on a member cannot be averaged")
        rows.append(row)
    out = {name: summarise(np.stack([row[name] for row in rows]), level) for name in keys}
    return out.get(None, out)
