"""Seed 000: BP vs PC on scalar linear chains x ↦ w_L ⋯ w_1 x, their landscapes and Hessians at the origin."""

from .dynamics import (
                       TEST_POINT,
                       BPTrace,
                       ChainSetup,
                       NotebookStream,
                       PCTrace,
                       chain_equilibrated_energy,
                       chain_loss,
                       chain_params,
                       chain_spec,
                       equilibrium_z,
                       layer_energies,
                       train_bp,
                       train_pc,
)
from .landscape import ChainLandscape, chain_landscape, chain_point
from .study import analyse_depth, depth_arguments, depths

__all__ = [
    "TEST_POINT", "BPTrace", "ChainSetup", "NotebookStream", "PCTrace", "ChainLandscape", "analyse_depth",
    "chain_equilibrated_energy", "chain_landscape", "chain_loss", "chain_params", "chain_point", "chain_spec",
    "depth_arguments", "depths", "equilibrium_z", "layer_energies", "train_bp", "train_pc",
]
