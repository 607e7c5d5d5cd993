"""microtwin: quantified digital twins of battery electrodes from 3D images.

The chain is ``io`` → ``filters`` → ``segment`` → ``measure`` → ``transport`` →
``models`` / ``fit`` → ``scan`` / ``parallel`` → ``report``; each subpackage is usable
on its own. Arrays are numpy (z, y, x); lengths come in the units of ``spacing``.
"""

__version__ = "0.1.0"

from microtwin.errors import MicrotwinError
from microtwin.io import Volume, read_volume, write_volume

__all__ = ["MicrotwinError", "Volume", "read_volume", "write_volume", "__version__"]
