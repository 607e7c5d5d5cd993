"""Stochastic geometry: point processes, Boolean models, Gaussian random fields and excursion sets
(more to come: the binder–conductive-additive model, particles, tessellations)."""

from microtwin.models._covariance import cauchy, exponential, gaussian, matern
from microtwin.models._excursion import excursion_covariance, excursion_set, invert_excursion_covariance
from microtwin.models._gaussian_field import CirculantEmbedding, circulant_embedding, gaussian_field

__all__ = ["CirculantEmbedding", "cauchy", "circulant_embedding", "excursion_covariance", "excursion_set", "exponential",
           "gaussian", "gaussian_field", "invert_excursion_covariance", "matern"]
