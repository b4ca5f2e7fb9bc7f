"""Seed 002's analyses without training grids: activity-Hessian spectra, the forward pass across
width and depth, and the feedforward loss vs the equilibrated energy."""
