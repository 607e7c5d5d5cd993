"""Transport through a labelled image: effective conductivity/diffusivity, tortuosity factor, M-factor.

- :func:`conduct`: finite-volume conduction along an axis, any number of phases with their
  conductivities, optional contact resistance between particles → :class:`TransportResult`
- :func:`tortuosity_factor`: the single-phase shortcut (σ = 1 on the phase)
- :func:`effective_tensor`: the three axes at once → :class:`TensorResult`
- :func:`random_walk`: the random-walk diffusivity/tortuosity tensor → :class:`RandomWalkResult`
- :func:`fit_m_factor`, :func:`predict_m_factor`: M ≈ ε^a β^b / τ_geo^c → :class:`MFactorFit`
"""

from microtwin.transport._conduct import TransportResult, conduct, tortuosity_factor
from microtwin.transport._m_factor import MFactorFit, fit_m_factor, predict_m_factor
from microtwin.transport._random_walk import RandomWalkResult, random_walk
from microtwin.transport._tensor import TensorResult, effective_tensor

__all__ = ["MFactorFit", "RandomWalkResult", "TensorResult", "TransportResult", "conduct", "effective_tensor",
           "fit_m_factor", "predict_m_factor", "random_walk", "tortuosity_factor"]
