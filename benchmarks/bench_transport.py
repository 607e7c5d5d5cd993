"""Tortuosity factor: microtwin.transport against taufactor (CPU) and PoreSpy's tortuosity_fd.

Run by hand: ``.venv/bin/python benchmarks/bench_transport.py [--size 100 200 300] [--repeats 2]``.

Input: the pore space (True) of ``porespy.generators.blobs(shape=[n]*3, porosity=0.4,
blobiness=1, seed=0)``; transport along axis 0.

- ours: ``tortuosity_factor(x, axis=0)`` (rtol 1e-6 and |I_in − I_out|/I ≤ 1e-3, the defaults);
- taufactor: ``taufactor.Solver(x, device="cpu").solve()`` (its default stop: the spread of the
  layer fluxes (max − min)/max < 1e-2 and τ steady to 2e-3 between checks);
- PoreSpy: ``porespy.simulations.tortuosity_fd(x, axis=0)`` (OpenPNM + pyamg Ruge–Stüben,
  tightened until its inlet/outlet flux mismatch < 1e-3).

Time: every tool is warmed up on a 32³ volume first; then they run in turn ``--repeats`` times
in this process and the medians of wall and CPU time are printed. Memory: one more call of each
in a fresh process (``_harness.peak_memory``: VmHWM after the call minus VmRSS before it).
Flux balance: the layer-flux spread (max − min)/max of our potential (taufactor's own measure,
computed on a separate call with ``return_fields=True``) beside taufactor's final value.

``--multiphase``: the pore space split into labels 1 (σ = 1) and 2 (σ = 0.01) by a second blob
field, ours with ``dirichlet="ghost"`` against ``taufactor.MultiPhaseSolver`` (whose convention
that is: potentials at the centres of ghost layers copying the boundary layers, L = n + 1).

Conventions: taufactor's two-phase Solver imposes the potentials on the outer faces (half a
voxel from the first/last centres) with L = n, like ours, so τ should agree to the solvers'
tolerance. PoreSpy imposes them on the centres of the first and last layers (L = n − 1) and
divides by the percolating porosity only, so its τ differs by a few percent by definition.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _harness import compile_time, peak_memory, timed


CONDUCTIVITY = {1: 1.0, 2: 0.01}  # the multi-phase case: label 1 conducts, label 2 conducts 100× less


def three_phase(x, seed=1):
    """Labels for the multi-phase case: the blobs' pore space split by a second, independent blob field."""
    import porespy

    other = porespy.generators.blobs(shape=list(x.shape), porosity=0.5, blobiness=1, seed=seed)
    return np.where(x, np.where(other, 1, 2), 0).astype(np.uint8)


def tool(name):
    """The callable measured under ``name``: phase or labels → (τ, iterations, extra)."""
    if name == "taufactor_multiphase":
        import taufactor

        def run(labels):
            solver = taufactor.MultiPhaseSolver(labels, cond=CONDUCTIVITY, device="cpu")
            tau = float(np.ravel(solver.solve(verbose=False))[0])
            flux = solver.flux_1d[0]
            return tau, solver.iter, (flux.max() - flux.min()) / flux.max()
        return run
    if name == "ours_multiphase":
        from microtwin.transport import conduct

        def run(labels):
            r = conduct(labels, {0: 0.0, **CONDUCTIVITY}, axis=0, dirichlet="ghost")
            return r.tortuosity_factor, r.iterations, r.flux_imbalance
        return run
    if name == "taufactor":
        import taufactor

        def run(x):
            solver = taufactor.Solver(x.astype(np.uint8), device="cpu")
            tau = float(np.ravel(solver.solve(verbose=False))[0])
            flux = solver.flux_1d[0]
            return tau, solver.iter, (flux.max() - flux.min()) / flux.max()
        return run
    if name == "porespy":
        import porespy

        def run(x):
            return float(porespy.simulations.tortuosity_fd(x, axis=0).tortuosity), None, None
        return run
    from microtwin.transport import tortuosity_factor

    def run(x):
        r = tortuosity_factor(x, axis=0)
        return r.tortuosity_factor, r.iterations, r.flux_imbalance
    return run


def warm_input(name):
    """A small percolating volume (labels 0–2 for the multi-phase tools) for warm-up calls."""
    x = np.random.default_rng(0).random((32, 32, 32)) < 0.6
    x[:, :4, :4] = True
    return np.where(x, 1 + (np.arange(32) % 2), 0).astype(np.uint8) if "multiphase" in name else x


def layer_spread(x) -> float:
    """(max − min)/max of the current through each layer of our solution (taufactor's measure)."""
    from microtwin.transport import tortuosity_factor

    r = tortuosity_factor(x, axis=0, return_fields=True)
    layers = np.nansum(r.flux[0], axis=(1, 2))
    return float((layers.max() - layers.min()) / layers.max())


def bench(n: int, repeats: int, multiphase: bool = False) -> None:
    import porespy

    x = porespy.generators.blobs(shape=[n] * 3, porosity=0.4, blobiness=1, seed=0).astype(bool)
    names = ("ours", "taufactor", "porespy")
    if multiphase:
        x = three_phase(x)
        names = ("ours_multiphase", "taufactor_multiphase")
    print(f"\n=== blobs {n}³, porosity {np.mean(x > 0):.3f}{', labels 1/2 at σ 1/0.01' if multiphase else ''}; "
          f"load average {os.getloadavg()[0]:.2f}")
    runs = {name: tool(name) for name in names}
    for name in names:
        runs[name](warm_input(name))
    times, results = {name: [] for name in names}, {}
    for _ in range(repeats):
        for name in names:
            results[name], wall, cpu = timed(runs[name], x)
            times[name].append((wall, cpu))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blobs.npy"
        np.save(path, x)
        memory = {name: peak_memory(__file__, name, path) for name in names}
    median = {name: tuple(statistics.median(t[i] for t in times[name]) for i in (0, 1)) for name in names}
    print(f"{'':10s}{'wall s':>9s}{'CPU s':>9s}{'peak MB':>9s}{'iters':>7s}{'tau':>10s}{'vs ours':>9s}"
          f"{'speed-up (wall, CPU)':>23s}")
    ours = names[0]
    tau0 = results[ours][0]
    for name in names:
        (wall, cpu), (tau, iterations, _) = median[name], results[name]
        line = (f"{name:10s}{wall:9.2f}{cpu:9.2f}{memory[name] / 1e6:9.0f}{iterations or '-':>7}"
                f"{tau:10.5f}{tau / tau0 - 1:+9.2%}")
        if name != ours:
            line += f"{wall / median[ours][0]:11.1f}×{cpu / median[ours][1]:10.1f}×"
        print(line)
    if multiphase:
        return
    print(f"flux balance: ours |I_in − I_out|/I = {results['ours'][2]:.1e}, layer spread {layer_spread(x):.1e}; "
          f"taufactor layer spread {results['taufactor'][2]:.1e}; PoreSpy in/out mismatch < 1e-3 by its rule")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[100, 200, 300])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--multiphase", action="store_true",
                        help="labels 1 (σ = 1) and 2 (σ = 0.01) against taufactor's MultiPhaseSolver instead")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; ours' numba compile with an empty cache: {compile_time(__file__, 'ours'):.1f} s")
    for n in args.size:
        bench(n, args.repeats, args.multiphase)


if __name__ == "__main__":
    main()
