"""Stochastic geometry: point processes, Boolean models, Gaussian random fields and excursion sets
(more to come: the binder–conductive-additive model, particles, tessellations)."""

__all__ = []
