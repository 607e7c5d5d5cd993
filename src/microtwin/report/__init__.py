"""Figures and (later) the HTML report."""

from microtwin.report._plots import (plot_phase_slices, plot_potential_slices, plot_radius_distributions,
                                     plot_size_histogram, plot_two_point, save_figure)

__all__ = ["plot_phase_slices", "plot_potential_slices", "plot_radius_distributions", "plot_size_histogram",
           "plot_two_point", "save_figure"]
