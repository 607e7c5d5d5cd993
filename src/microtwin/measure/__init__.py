"""Morphological descriptors of a phase or a label image (work in progress, issue #3)."""

from microtwin.measure._distribution import Distribution

__all__ = ["Distribution"]
