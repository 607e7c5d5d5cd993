"""Stochastic geometry: point processes, Boolean models, Gaussian random fields and excursion sets
and the binder–conductive-additive (CBD) model (more to come: its calibration, particles, tessellations)."""

from microtwin.models._boolean import boolean_model
from microtwin.models._cbd import CBDModel, CBDParameters
from microtwin.models._covariance import cauchy, exponential, gaussian, matern
from microtwin.models._excursion import excursion_covariance, excursion_set, invert_excursion_covariance
from microtwin.models._gaussian_field import CirculantEmbedding, circulant_embedding, gaussian_field
from microtwin.models._grains import Ball, Ellipsoid, Grain, Spheroid
from microtwin.models._miles import GrainMeans, miles_densities, spheroid_grain_means, spheroid_intrinsic_volumes
from microtwin.models._points import hardcore, matern_cluster, poisson_points

__all__ = ["Ball", "CBDModel", "CBDParameters", "CirculantEmbedding", "Ellipsoid", "Grain", "GrainMeans", "Spheroid", "boolean_model", "cauchy",
           "circulant_embedding", "excursion_covariance", "excursion_set", "exponential", "gaussian",
           "gaussian_field", "hardcore", "invert_excursion_covariance", "matern", "matern_cluster",
           "miles_densities", "poisson_points", "spheroid_grain_means", "spheroid_intrinsic_volumes"]
