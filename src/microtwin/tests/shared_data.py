"""The real volumes of ../shared/data for tests: their folder, and readers that skip when it is absent."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def shared_path(*parts) -> Path:
    """``SHARED / parts``, or skip the test (with the path in the reason) when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available at {path}")
    return path


def read_tiff(*parts):
    """The TIFF at ``SHARED / parts`` as an array (skips when absent)."""
    tifffile = pytest.importorskip("tifffile")
    return tifffile.imread(shared_path(*parts))
