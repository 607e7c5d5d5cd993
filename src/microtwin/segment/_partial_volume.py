"""The partial-volume ("mixel") mixture: pure phases plus blurred mixtures of grey-adjacent phases.

A blurred scan is not a mixture of pure-phase Gaussians: every voxel near an interface records a
blend of the phases around it. Santago & Gage (1993) model the grey value of a voxel holding a
fraction ``a`` of phase ``k + 1`` and ``1 − a`` of phase ``k`` (the two phases adjacent in grey
value) as ``y = (1 − a) μ_k + a μ_{k+1} + noise`` with ``a ~ Uniform(0, 1)``. Here ``a`` is
discretised at the midpoints ``a_j = (j + ½)/M`` of ``M`` equal cells, the noise variance is
interpolated like the mean, ``(1 − a) σ_k² + a σ_{k+1}²`` (exact for photon-counting noise, whose
variance is proportional to the signal), and the whole density is a mixture of
``C = K + (K − 1) M`` Gaussians whose means and variances are ``A μ`` and ``A σ²`` for a fixed
``(C, K)`` matrix ``A`` of phase fractions (a row ``e_k`` for pure phase ``k``; ``1 − a_j`` and
``a_j`` in columns ``k, k + 1`` for a mixel). The same matrix turns the component posteriors into
the expected fraction of every phase in a voxel: ``f_k(y) = Σ_c P(c | y) A_ck``.

The uniform density of ``a`` is Santago & Gage's; it is not the exact density of a blurred edge
(a planar interface through a Gaussian PSF gives ``∝ 1/φ(Φ⁻¹(a))``, peaked at 0 and 1), but
both that density and a fitted Beta(α, β) did worse on blurred test volumes: their mass near
``a = 0, 1`` cannot be told from the pure phases, and EM trades one for the other.
"""

from __future__ import annotations

import numpy as np

from microtwin.errors import EmptyPhaseError

#: cells of the uniform fraction a of a mixel; the a-grid spacing Δμ/M stays below the noise σ for any
#: contrast-to-noise ratio Δμ/σ ≤ 32, so the discrete sum is indistinguishable from the integral
PV_LEVELS = 32
#: share of the voxels given to the mixel classes at the start of EM
PV_START = 0.2


def fraction_matrix(n_phases: int, levels: int = PV_LEVELS) -> np.ndarray:
    """The (C, K) matrix ``A``: row c = the phase fractions of component c (pure phases first)."""
    a = (np.arange(levels) + 0.5) / levels
    rows = [np.eye(n_phases)]
    for k in range(n_phases - 1):
        mixel = np.zeros((levels, n_phases))
        mixel[:, k], mixel[:, k + 1] = 1 - a, a
        rows.append(mixel)
    return np.concatenate(rows)


def component_weights(pure, mixed, levels: int = PV_LEVELS) -> np.ndarray:
    """Weight of every component: ``w_k`` for the pure phases, ``v_k / M`` for each mixel cell."""
    return np.concatenate([pure, np.repeat(np.asarray(mixed) / levels, levels)])


def start_weights(weights):
    """Pure and mixel weights at the start of EM from the phases' starting weights."""
    n = weights.size
    return weights * (1 - PV_START), np.full(n - 1, PV_START / (n - 1))


def pv_em(centres, counts, means, variances, pure, mixed, floor, max_iter, tol):
    """EM (ECM) for the partial-volume mixture of points ``centres`` with multiplicities ``counts``.

    E-step: responsibilities ``r_cb`` of the C components for every bin. Conditional M-steps:
    the weights (``w_k`` = Σ r of pure k, ``v_k`` = Σ r of mixel pair k, over the total); the
    means given the variances, by the weighted least squares ``Σ_c (R_c / s_c) A_c A_cᵀ μ =
    Σ_c (Y_c / s_c) A_c`` (``R_c = Σ_b r_cb``, ``Y_c = Σ_b r_cb y_b``, ``s_c = A_c σ²``); the
    variances given the means, by the EM step of the data augmented with independent noise
    parts ``u_ck ~ N(0, A_ck σ_k²)`` summing to each component's noise,
    ``σ_k² ← σ_k² + σ_k⁴ Σ_c A_ck (S_c / s_c² − R_c / s_c) / Σ_{c: A_ck > 0} R_c`` with
    ``S_c = Σ_b r_cb (y_b − A_c μ)²``. Each step raises the likelihood (Meng & Rubin 1993).

    Returns means, variances, pure weights, mixel weights, mean log-likelihood per voxel,
    iterations, converged.
    """
    n_phases = means.size
    a = fraction_matrix(n_phases)
    present = a > 0
    total = counts.sum()
    previous = -np.inf
    for iteration in range(1, max_iter + 1):
        m, s = a @ means, a @ variances
        log_r = (np.log(component_weights(pure, mixed)) - 0.5 * np.log(2 * np.pi * s))[:, None] \
            - (centres[None, :] - m[:, None]) ** 2 / (2 * s[:, None])
        top = log_r.max(axis=0)
        log_density = top + np.log(np.exp(log_r - top).sum(axis=0))
        likelihood = float(counts @ log_density / total)
        r = np.exp(log_r - log_density) * counts
        mass = r.sum(axis=1)
        if mass[:n_phases].min() < 1e-9 * total:
            k = int(mass[:n_phases].argmin())
            raise EmptyPhaseError(f"phase {k} lost all its pure voxels after {iteration} EM iterations; the "
                                  f"grey values may hold fewer than {n_phases} phases (try fewer n_phases, "
                                  f"another init, or partial_volume=False)")
        pure = mass[:n_phases] / total
        mixed = mass[n_phases:].reshape(n_phases - 1, -1).sum(axis=1) / total
        means = np.linalg.solve((a.T * (mass / s)) @ a, a.T @ ((r @ centres) / s))
        m = a @ means
        spread = (r * (centres[None, :] - m[:, None]) ** 2).sum(axis=1)
        gradient = a.T @ (spread / s**2 - mass / s)
        variances = np.maximum(variances + variances**2 * gradient / (present.T @ mass), floor)
        if abs(likelihood - previous) < tol:
            return means, variances, pure, mixed, likelihood, iteration, True
        previous = likelihood
    return means, variances, pure, mixed, likelihood, max_iter, False
