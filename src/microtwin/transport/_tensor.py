"""The effective conductivity along the three axes: the diagonal tensor and its anisotropy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microtwin._results import Result
from microtwin.transport._conduct import TransportResult, conduct


@dataclass(frozen=True, eq=False)
class TensorResult(Result):
    """Effective transport along z, y and x.

    Attributes
    ----------
    sigma : (3, 3) ndarray
        Diagonal effective conductivity tensor (units of the given conductivities); a voxel image
        with Dirichlet faces on one axis at a time gives only the diagonal in the image frame.
    tortuosity_factor : (3,) ndarray
        τ along each axis (inf where nothing percolates with ``allow_zero=True``).
    anisotropy : (3, 3) ndarray
        ``τ_i / τ_j``: above 1 where transport along i is harder than along j.
    results : tuple of TransportResult
        The full result of each axis.
    """

    sigma: np.ndarray
    tortuosity_factor: np.ndarray
    anisotropy: np.ndarray
    results: tuple[TransportResult, ...]


def effective_tensor(labels, conductivity, spacing=1, **options) -> TensorResult:
    """Run :func:`conduct` along axes 0, 1 and 2 and collect the diagonal tensor.

    Parameters
    ----------
    labels, conductivity, spacing, **options
        As for :func:`conduct` (``axis`` excluded).

    Returns
    -------
    TensorResult

    Examples
    --------
    >>> import numpy as np
    >>> layers = np.zeros((4, 4, 4), np.uint8); layers[:, :, 2:] = 1     # layers across x
    >>> t = effective_tensor(layers, {0: 1.0, 1: 0.25})
    >>> np.round(np.diag(t.sigma), 6).tolist()                              # parallel, parallel, series
    [0.625, 0.625, 0.4]
    """
    results = tuple(conduct(labels, conductivity, axis=axis, spacing=spacing, **options) for axis in range(3))
    tau = np.array([r.tortuosity_factor for r in results])
    with np.errstate(invalid="ignore"):
        anisotropy = np.where(np.isinf(tau[:, None]) & np.isinf(tau[None, :]), 1.0, tau[:, None] / tau[None, :])
    return TensorResult(sigma=np.diag([r.sigma_eff for r in results]), tortuosity_factor=tau,
                        anisotropy=anisotropy, results=results)
