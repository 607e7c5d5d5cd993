"""Face conductances of the cell-centred finite-volume scheme, and the percolating cells.

Everything here works with the transport axis first: arrays ``(n0, n1, n2)`` with the inlet at
index 0 of axis 0, spacing ``(h0, h1, h2)``. Conductance of the face between neighbours a, b along
d: ``g = A_d / (h_d/(2σ_a) + h_d/(2σ_b))`` (two half cells in series), ``A_d`` the face area; with a
contact resistance ``R_c`` (per unit area) between different particles, ``g = 1/(1/g + R_c/A_d)``.
Dirichlet faces: the outer faces of the first and last layers, ``g = 2 σ A_0 / h_0`` (``"face"``),
or the centre of a ghost layer that copies the boundary layer, ``g = σ A_0 / h_0`` (``"ghost"``,
TauFactor's multi-phase convention).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from scipy import ndimage


@njit(cache=True, parallel=True)
def _series(sa, sb, h, area, pa, pb, contact, out):
    """``out = A / (h/(2σa) + h/(2σb) [+ R_c/A between different particles])``, 0 if either σ is 0."""
    n0 = out.shape[0]
    for k in prange(n0):
        for j in range(out.shape[1]):
            for i in range(out.shape[2]):
                a, b = sa[k, j, i], sb[k, j, i]
                if a > 0 and b > 0:
                    resistance = h / (2.0 * a) / area + h / (2.0 * b) / area
                    if contact > 0 and pa[k, j, i] != pb[k, j, i] and pa[k, j, i] > 0 and pb[k, j, i] > 0:
                        resistance += contact / area
                    out[k, j, i] = 1.0 / resistance
                else:
                    out[k, j, i] = 0.0


def face_conductances(sigma, spacing, particles=None, contact_resistance=0.0, periodic=False, dirichlet="face"):
    """``(gz, gy, gx)`` float32 (layout of :mod:`._multigrid`) from the cell conductivities ``sigma``."""
    n0, n1, n2 = sigma.shape
    h0, h1, h2 = spacing
    areas = (h1 * h2, h0 * h2, h0 * h1)
    contact = float(contact_resistance) if particles is not None else 0.0
    gz = np.zeros((n0 + 1, n1, n2), np.float32)
    gy = np.zeros((n0, n1, n2), np.float32)
    gx = np.zeros((n0, n1, n2), np.float32)

    def faces(axis, first, second):
        """Conductances between the cells ``first`` and ``second`` (index slices along ``axis``)."""
        lo, hi = [slice(None)] * 3, [slice(None)] * 3
        lo[axis], hi[axis] = first, second
        lo, hi = tuple(lo), tuple(hi)
        out = np.empty(sigma[lo].shape, np.float32)
        if out.size:
            pa = particles[lo] if particles is not None else np.zeros(out.shape, np.int32)
            pb = particles[hi] if particles is not None else pa
            _series(sigma[lo], sigma[hi], spacing[axis], areas[axis], pa, pb, contact, out)
        return out

    gz[1:n0] = faces(0, slice(0, -1), slice(1, None))
    gy[:, 1:] = faces(1, slice(0, -1), slice(1, None))
    gx[:, :, 1:] = faces(2, slice(0, -1), slice(1, None))
    if periodic:  # the wrap-around faces: last row (column) to the first
        if n1 > 1:
            gy[:, :1] = faces(1, slice(n1 - 1, n1), slice(0, 1))
        if n2 > 1:
            gx[:, :, :1] = faces(2, slice(n2 - 1, n2), slice(0, 1))
    factor = 2.0 if dirichlet == "face" else 1.0
    gz[0] = factor * sigma[0] * areas[0] / h0
    gz[n0] = factor * sigma[-1] * areas[0] / h0
    return gz, gy, gx


def percolating(conducting, periodic=False):
    """Cells of ``conducting`` in 6-connected clusters that touch both the inlet and the outlet layer
    (clusters wrap around the side faces when ``periodic``)."""
    labels, n = ndimage.label(conducting)
    if n == 0:
        return np.zeros(conducting.shape, bool)
    root = np.arange(n + 1)
    if periodic:
        for axis in (1, 2):
            a, b = np.take(labels, 0, axis).ravel(), np.take(labels, -1, axis).ravel()
            joined = (a > 0) & (b > 0)
            _union(root, a[joined], b[joined])
        root = np.array([_find(root, i) for i in range(n + 1)])
    touches_inlet = np.zeros(n + 1, bool)
    touches_outlet = np.zeros(n + 1, bool)
    touches_inlet[root[labels[0]]] = True
    touches_outlet[root[labels[-1]]] = True
    through = touches_inlet & touches_outlet
    through[0] = False
    return through[root][labels]


def _find(root, i):
    while root[i] != i:
        root[i] = root[root[i]]
        i = root[i]
    return i


def _union(root, a, b):
    for x, y in zip(np.asarray(a).tolist(), np.asarray(b).tolist()):
        rx, ry = _find(root, x), _find(root, y)
        if rx != ry:
            root[max(rx, ry)] = min(rx, ry)
