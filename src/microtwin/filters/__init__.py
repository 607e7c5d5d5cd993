"""Filters that change a grey or label volume: resampling (more to come: denoising, shading)."""

from microtwin.filters._resample import downsample

__all__ = ["downsample"]
