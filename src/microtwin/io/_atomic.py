"""Write-then-rename, so that an output is either complete or absent."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from microtwin.errors import OutputExistsError


def check_writable(path: Path, overwrite: bool) -> None:
    """Raise :class:`OutputExistsError` if ``path`` exists and ``overwrite`` is False."""
    if path.exists() and not overwrite:
        raise OutputExistsError(f"output {str(path)!r} exists; pass overwrite=True (--overwrite) to replace it")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def atomic_output(path, overwrite: bool = False):
    """Yield a temporary sibling path; on success move it to ``path``, on failure delete it.

    Works for files and for folders (Zarr stores, slice folders). The existing output is
    only removed once the new one is complete.
    """
    path = Path(path)
    check_writable(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield tmp
        if path.exists():
            if path.is_dir() and not path.is_symlink():
                old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old)
                return
        os.replace(tmp, path)
    finally:
        _remove(tmp)
