"""Base class for the small frozen result objects every measurement returns."""

from __future__ import annotations

import dataclasses

import numpy as np


def _plain(value):
    """JSON-friendly version of a result field (arrays → lists, numpy scalars → Python)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Result:
    """Mixin for frozen dataclasses: ``to_dict()`` gives JSON-serialisable plain Python."""

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
