"""Transport on the real volumes of ../shared/data against taufactor on the same arrays."""

import numpy as np
import pytest

from microtwin.tests.shared_data import read_tiff as _read
from microtwin.transport import conduct, tortuosity_factor


def _taufactor(labels, conductivity=None):
    tf = pytest.importorskip("taufactor")
    pytest.importorskip("torch")
    if conductivity is None:
        solver = tf.Solver(labels.astype(np.uint8), device="cpu")
    else:
        solver = tf.MultiPhaseSolver(labels, cond=conductivity, device="cpu")
    return float(np.ravel(solver.solve(verbose=False, conv_crit=1e-3))[0])


@pytest.mark.parametrize("axis", [2])
def test_fiberform_void_tortuosity_matches_taufactor(axis):
    void = _read("puma-fiberform100", "100_fiberform.tif") < 90  # the published threshold
    ours = tortuosity_factor(void, axis=axis, spacing=1.3)
    theirs = _taufactor(np.moveaxis(void, axis, 0))
    assert ours.tortuosity_factor == pytest.approx(theirs, rel=0.01)
    assert ours.volume_fraction == pytest.approx(0.83286, abs=5e-5)


def test_nrel_cathode_solid_with_two_conductivities_matches_taufactor():
    labels = _read("nrel-nmc1cal-matbox", "nmc-1-cal_generatedCBD_bridge.tif")[:64, :64, :64]
    conductivity = {1: 1.0, 2: 0.01}  # NMC and CBD; pore (0) insulating
    ours = conduct(labels, {0: 0.0, **conductivity}, axis=0, dirichlet="ghost")
    assert ours.tortuosity_factor == pytest.approx(_taufactor(labels, conductivity), rel=0.01)
