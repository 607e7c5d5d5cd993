"""Gaussian random fields: time and memory of microtwin.models.gaussian_field (circulant embedding).

Run by hand: ``.venv/bin/python benchmarks/bench_grf.py [--size 400] [--repeats 3]``.

Case: the CBD model's carbon-black–binder field, Cauchy covariance ρ(h) = 1/(1 + (ηh)²) with the
published η = 0.0127 nm⁻¹, on an n³ grid of 40 nm voxels (default 400³, a 16 µm cube).
Printed: the padded periodic grid, the clipped share of the spectrum and the resulting
covariance error; median wall and CPU time over ``--repeats`` calls (after one warm-up
call on 16³); the peak extra resident memory of one call in a fresh process (``VmHWM`` after
minus ``VmRSS`` before, see ``_harness.py``), also per output voxel and per padded voxel; and
the output's mean, variance and excursion fraction at μ = 0.499 against 1 − Φ(μ).

Reference at equal output: the same grid with a Gaussian covariance exp(−h²/(2ℓ²)), ℓ = 2
voxels, drawn by ours and by the separable-filter generator
:func:`microtwin.segment.gaussian_field` (exact only for that covariance), with the time ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import peak_memory, timed
from scipy import special

ETA = 0.0127  # nm⁻¹
MU = 0.499
SPACING = 40.0  # nm


def tool(name):
    """The function measured under ``name``: it takes the shape as a 3-int array."""
    from microtwin.models import cauchy, gaussian, gaussian_field

    if name == "ours-cauchy":
        return lambda shape: gaussian_field(tuple(int(n) for n in shape), SPACING, cauchy(ETA), seed=0)
    if name == "ours-gaussian":
        return lambda shape: gaussian_field(tuple(int(n) for n in shape), 1.0, gaussian(2.0), seed=0)
    from microtwin.segment import gaussian_field as filtered

    return lambda shape: filtered(tuple(int(n) for n in shape), 2.0, seed=0)


def warm_input(name):
    """A small shape for warm-up calls."""
    return np.array([16, 16, 16])


def _median_times(run, shape, repeats):
    runs = [timed(run, shape)[1:] for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from microtwin.models import cauchy, circulant_embedding, excursion_set

    n = args.size
    shape = np.array([n, n, n])
    load = Path("/proc/loadavg").read_text().split()[:3]
    plan = circulant_embedding((n, n, n), SPACING, cauchy(ETA))
    padded = int(np.prod(plan.padded_shape))
    print(f"Gaussian random field, Cauchy η = {ETA} nm⁻¹, {n}³ at {SPACING:g} nm "
          f"({n * SPACING / 1000:g} µm); load average {' '.join(load)}")
    print(f"padded grid {plan.padded_shape} ({padded / n**3:.2f}× the output), clipped share of the "
          f"spectrum {plan.clipped:.1e}, max covariance error {plan.covariance_error:.1e}")

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shape.npy"
        np.save(path, shape)
        for name in ("ours-cauchy", "ours-gaussian", "segment-filter"):
            run = tool(name)
            run(warm_input(name))
            wall, cpu = _median_times(run, shape, args.repeats)
            rows.append((name, wall, cpu, peak_memory(__file__, name, path)))
    print(f"{'':16s}{'wall s':>10s}{'cpu s':>10s}{'peak MB':>10s}{'B/voxel':>10s}{'B/padded':>10s}")
    for name, wall, cpu, memory in rows:
        extra = f"{memory / padded:10.1f}" if name == "ours-cauchy" else f"{'':10s}"
        print(f"{name:16s}{wall:10.2f}{cpu:10.2f}{memory / 1e6:10.0f}{memory / n**3:10.1f}{extra}")
    print(f"gaussian ℓ = 2 voxels: time ratio filter/ours {rows[2][1] / rows[1][1]:.2f}×")

    z = tool("ours-cauchy")(shape)
    print(f"output: mean {z.mean():+.4f}, variance {z.var():.4f}, excursion fraction at μ = {MU} "
          f"{excursion_set(z, MU).mean():.4f} vs 1 − Φ(μ) = {special.ndtr(-MU):.4f} (one realization)")


if __name__ == "__main__":
    main()
