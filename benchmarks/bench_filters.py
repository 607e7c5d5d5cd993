"""Denoising filters: microtwin.filters against scikit-image / SciPy / plain-NumPy references.

Run by hand: ``.venv/bin/python benchmarks/bench_filters.py [--size 200] [--repeats 3]``.

Input: ``noisy_grey(boolean_spheres((n,)*3, radius=5, solid_fraction=0.5, seed=0), [0.3, 0.7],
blur=1, photons=50, seed=1)`` (float32; noise σ ≈ 0.1, estimated once and passed to every tool).
Pairs, same parameters on both sides:

- ``nl_means`` (3³ patches, 7³ search window, h = 0.6 σ; Numba, parallel over z-slabs) against
  ``skimage.restoration.denoise_nl_means(fast_mode=True, patch_size=3, patch_distance=3)``
  (Cython, one thread);
- ``anisotropic_diffusion`` (5 steps, κ = 0.5 σ, ρ = 1 voxel; Numba) against the same explicit
  scheme written in vectorised NumPy (``np.diff`` fluxes; no skimage/medpy equivalent is a
  dependency);
- ``bilateral`` (σ_s = 1 voxel, truncate 2, σ_r = 2 σ; Numba) against a vectorised NumPy version
  (a loop over the 33 window offsets; skimage's ``denoise_bilateral`` is 2D only);
- ``median`` (ball of radius 1 voxel) against ``scipy.ndimage.median_filter`` with the same
  footprint (microtwin calls SciPy here; the row checks the wrapper costs nothing).

Time: one warm-up call each (numba compile or cache load), then ours and the reference run
alternately ``--repeats`` times; medians of wall and CPU (``time.process_time``) seconds.
Memory: each tool runs once in a fresh process (``_harness.peak_memory``: load the input, warm
up, reset the peak, call); reported as the peak increase and as a multiple of the float32 input.
Agreement: RMS difference between ours and the reference, relative to the noise σ.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import peak_memory, timed

SIGMA = 0.1  # noise level given to every tool (the input's is measured and printed)


def numpy_diffusion(u, n_iter=5, kappa=0.5 * SIGMA, rho=1.0):
    """Regularised Perona–Malik, explicit 6-neighbour scheme, zero-flux borders, λ = 1/7 (NumPy)."""
    from scipy import ndimage

    u = u.astype(np.float32).copy()
    for _ in range(n_iter):
        edges = ndimage.gaussian_filter(u, rho)
        update = np.zeros_like(u)
        for axis in range(3):
            flux = np.diff(u, axis=axis) * np.exp(-(np.diff(edges, axis=axis) / kappa) ** 2)
            update += np.pad(flux, [(0, 1) if a == axis else (0, 0) for a in range(3)])
            update -= np.pad(flux, [(1, 0) if a == axis else (0, 0) for a in range(3)])
        u += update / 7
    return u


def numpy_bilateral(u, sigma_spatial=1.0, sigma_range=2 * SIGMA, truncate=2.0):
    """3D bilateral filter, neighbours outside the volume left out (NumPy, loop over offsets)."""
    h = int(truncate * sigma_spatial)
    num, den = np.zeros(u.shape), np.zeros(u.shape)
    padded = np.pad(u.astype(np.float64), h, constant_values=np.nan)
    n = u.shape
    for k, j, i in np.ndindex(2 * h + 1, 2 * h + 1, 2 * h + 1):
        r2 = ((k - h) ** 2 + (j - h) ** 2 + (i - h) ** 2) / sigma_spatial**2
        if r2 > truncate**2 + 1e-9:
            continue
        v = padded[k:k + n[0], j:j + n[1], i:i + n[2]]
        w = np.exp(-0.5 * r2 - (v - u) ** 2 / (2 * sigma_range**2))
        w = np.nan_to_num(w)
        num += w * np.nan_to_num(v)
        den += w
    return (num / den).astype(np.float32)


def tool(name):
    """The function measured under ``name``."""
    from scipy import ndimage
    from skimage.restoration import denoise_nl_means

    from microtwin.filters import anisotropic_diffusion, bilateral, median, nl_means, structuring_element

    return {
        "nlm": lambda x: nl_means(x, sigma=SIGMA),
        "nlm_skimage": lambda x: denoise_nl_means(x, patch_size=3, patch_distance=3, h=0.6 * SIGMA, sigma=SIGMA,
                                                  fast_mode=True),
        "ad": lambda x: anisotropic_diffusion(x, sigma=SIGMA),
        "ad_numpy": numpy_diffusion,
        "bilateral": lambda x: bilateral(x, sigma=SIGMA),
        "bilateral_numpy": numpy_bilateral,
        "median": lambda x: median(x, 1.0),
        "median_scipy": lambda x: ndimage.median_filter(x, footprint=structuring_element(1.0), mode="reflect"),
    }[name]


def warm_input(name):
    """A small volume for warm-up calls."""
    return np.random.default_rng(0).random((16, 16, 16)).astype(np.float32)


def make_input(size: int) -> np.ndarray:
    from microtwin.data import boolean_spheres, noisy_grey

    labels = boolean_spheres((size,) * 3, radius=5, solid_fraction=0.5, seed=0).array
    return noisy_grey(labels, [0.3, 0.7], blur=1.0, photons=50, seed=1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from microtwin.filters import estimate_noise

    x = make_input(args.size)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs; size {args.size}³, float32 "
          f"{x.nbytes / 2**20:.0f} MiB; noise σ estimated {estimate_noise(x):.4f} (tools get {SIGMA})")
    pairs = [("nlm", "nlm_skimage"), ("ad", "ad_numpy"), ("bilateral", "bilateral_numpy"), ("median", "median_scipy")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grey.npy"
        np.save(path, x)
        print(f"\n{'':10s} {'ours wall':>10s} {'CPU':>8s} {'×f32':>6s} | {'ref wall':>10s} {'CPU':>8s} {'×f32':>6s} | "
              f"{'ref/ours wall':>13s} {'CPU':>6s} | rms diff/σ")
        for ours, ref in pairs:
            calls = {name: tool(name) for name in (ours, ref)}
            for call in calls.values():
                call(warm_input(None))
            times, results = {ours: [], ref: []}, {}
            for _ in range(args.repeats):
                for name, call in calls.items():
                    results[name], wall, cpu = timed(call, x)
                    times[name].append((wall, cpu))
            med = {n: [statistics.median(t[i] for t in ts) for i in (0, 1)] for n, ts in times.items()}
            mem = {n: peak_memory(__file__, n, path) / x.nbytes for n in (ours, ref)}
            rms = float(np.sqrt(np.mean((results[ours].astype(np.float64) - results[ref]) ** 2))) / SIGMA
            (w, c), (rw, rc) = med[ours], med[ref]
            print(f"{ours:10s} {w:10.2f} {c:8.2f} {mem[ours]:6.1f} | {rw:10.2f} {rc:8.2f} {mem[ref]:6.1f} | "
                  f"{rw / w:12.1f}× {rc / c:5.1f}× | {rms:.3f}")
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
