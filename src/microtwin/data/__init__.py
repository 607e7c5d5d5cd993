"""Sample volumes, like ``skimage.data``: bundled crops of real electrodes and generated twins.

- :func:`nrel_nmc_cathode` — NREL calendered NMC cathode (real CT, generated CBD), BSD-3.
- :func:`taufactor_electrode` — TauFactor's Polaron-generated NMC electrode, MIT.
- :func:`boolean_spheres` — a seeded Boolean model of balls with known statistics.
- :func:`noisy_grey` — a blurred, photon-noisy grey image of a label image (known truth).
"""

from microtwin.data._generated import boolean_spheres, noisy_grey
from microtwin.data._samples import SAMPLES, licence_text, load, nrel_nmc_cathode, taufactor_electrode

__all__ = ["SAMPLES", "boolean_spheres", "noisy_grey", "licence_text", "load", "nrel_nmc_cathode", "taufactor_electrode"]
