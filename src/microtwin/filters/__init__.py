"""Filters for grey volumes: smoothing, edge-preserving denoising, intensity corrections, registration, resampling.

Every filter takes a 3D array (z, y, x) of grey values (bool/integer/float64 inputs are converted
to float32; NaN/inf are refused), returns float32, keeps memory near twice the input, and takes
lengths (sigmas, radii, windows) in the physical units of ``spacing``.

- Smoothing: :func:`gaussian`, :func:`median`, :func:`mean`, :func:`minimum`, :func:`maximum`
  (footprints from :func:`structuring_element`: a ball or box of a physical radius).
- Edge-preserving: :func:`nl_means` (non-local means, noise level from :func:`estimate_noise`),
  :func:`anisotropic_diffusion` (Perona–Malik), :func:`bilateral`; :func:`unsharp_mask` sharpens.
- Corrections: :func:`shading_correction` (FIB-SEM linear ramp), :func:`beam_hardening_correction`
  (CT cupping), :func:`register_slices` (slice drift by phase correlation).
- Resampling: :func:`resample` (to a voxel size), :func:`downsample` (by an integer factor, grey or labels).
"""

from microtwin.filters._corrections import beam_hardening_correction, shading_correction
from microtwin.filters._edge_preserving import anisotropic_diffusion, bilateral, unsharp_mask
from microtwin.filters._nl_means import nl_means
from microtwin.filters._noise import estimate_noise
from microtwin.filters._registration import register_slices
from microtwin.filters._resample import downsample, resample
from microtwin.filters._smoothing import gaussian, maximum, mean, median, minimum, structuring_element

__all__ = ["anisotropic_diffusion", "beam_hardening_correction", "bilateral", "downsample", "estimate_noise",
           "gaussian", "maximum", "mean", "median", "minimum", "nl_means", "register_slices", "resample",
           "shading_correction", "structuring_element", "unsharp_mask"]
