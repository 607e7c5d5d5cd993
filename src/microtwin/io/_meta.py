"""Storing ``Volume.meta`` in files: the JSON-serialisable part, as a JSON object."""

from __future__ import annotations

import json

from microtwin.errors import CorruptFileError

#: keys the dispatcher adds on reading; never stored in a file
_DISPATCH_KEYS = ("format", "source")


def meta_to_json(meta: dict) -> str:
    """Return the storable part of ``meta`` as a JSON object string.

    Keys ``"format"`` and ``"source"`` (set by :func:`~microtwin.io.read_volume`), non-string
    keys and values that are not strictly JSON-serialisable (NumPy scalars, NaN, objects)
    are skipped. Tuples come back as lists.

    Examples
    --------
    >>> meta_to_json({"phases": {"pore": 0}, "format": "npz", "bad": object()})
    '{"phases": {"pore": 0}}'
    """
    kept = {}
    for key, value in meta.items():
        if not isinstance(key, str) or key in _DISPATCH_KEYS:
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            continue
        kept[key] = value
    return json.dumps(kept, allow_nan=False)


def meta_from_json(text, where: str) -> dict:
    """Parse metadata written by :func:`meta_to_json`; ``where`` names the file in errors."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        meta = json.loads(text)
    except (TypeError, ValueError):
        raise CorruptFileError(f"{where}: metadata is not valid JSON; found {str(text)[:60]!r}") from None
    if not isinstance(meta, dict):
        raise CorruptFileError(f"{where}: metadata must be a JSON object; found {type(meta).__name__}")
    return meta
