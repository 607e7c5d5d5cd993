"""Morphological descriptors of a phase (bool mask) or a label image, in the units of ``spacing``.

- fractions and intrinsic volumes: :func:`volume_fractions`, :func:`intrinsic_volumes`
  (V_V, S_V, M_V, χ_V from 2×2×2 configurations), :func:`surface_area_mc`, :func:`euler_number`
- sizes: :func:`local_thickness`, :func:`cpsd`, :func:`mip`, :func:`constrictivity`,
  :func:`particles` / :func:`separate_particles`, :func:`chord_lengths`
- paths: :func:`connectivity`, :func:`percolating_mask`, :func:`geodesic_tortuosity`,
  :func:`geodesic_distance`
- statistics: :func:`two_point`, :func:`representativity`
- interfaces: :func:`interface_densities`, :func:`triple_phase_boundary_density`, :func:`contact_areas`
- everything at once: :func:`describe`
"""

from microtwin.measure._chords import ChordLengths, chord_lengths
from microtwin.measure._connectivity import Connectivity, connectivity, label_components, percolating_mask
from microtwin.measure._constrictivity import Constrictivity, constrictivity
from microtwin.measure._describe import Description, PhaseDescription, describe
from microtwin.measure._distribution import Distribution
from microtwin.measure._geodesic import GeodesicTortuosity, geodesic_distance, geodesic_tortuosity
from microtwin.measure._interfaces import contact_areas, interface_densities, triple_phase_boundary_density
from microtwin.measure._intrusion import intrusion_radius, mip
from microtwin.measure._minkowski import (IntrinsicVolumes, euler_number, intrinsic_volumes, surface_area_mc,
                                          volume_fractions)
from microtwin.measure._particles import ParticleSizeDistribution, ParticleTable, particles
from microtwin.measure._representativity import Representativity, representativity
from microtwin.measure._thickness import cpsd, local_thickness
from microtwin.measure._two_point import TwoPoint, two_point
from microtwin.measure._watershed import separate_particles

__all__ = [
    "ChordLengths", "Connectivity", "Constrictivity", "Description", "Distribution", "GeodesicTortuosity",
    "IntrinsicVolumes", "ParticleSizeDistribution", "ParticleTable", "PhaseDescription", "Representativity",
    "TwoPoint", "chord_lengths", "connectivity", "constrictivity", "contact_areas", "cpsd", "describe",
    "euler_number", "geodesic_distance", "geodesic_tortuosity", "interface_densities", "intrinsic_volumes",
    "intrusion_radius", "label_components", "local_thickness", "mip", "particles", "percolating_mask", "representativity",
    "separate_particles", "surface_area_mc", "triple_phase_boundary_density", "two_point", "volume_fractions",
]
