"""Reading and writing volumes with their voxel size.

Formats: multipage TIFF and folders/globs of 2D TIFF slices (ImageJ and OME voxel size),
raw binary, ``.npy``/``.npz``, HDF5, Zarr (``lazy=True`` for out-of-core dask arrays), and
VTK ImageData ``.vti`` for ParaView.
"""

from microtwin.io._dispatch import FORMATS, detect_format, read_volume, write_volume
from microtwin.io._summary import label_fractions, summarize
from microtwin.io._volume import Volume

__all__ = ["FORMATS", "Volume", "detect_format", "label_fractions", "read_volume", "summarize", "write_volume"]
