"""The maths every study shares, in modules of one idea each.

==============  =================================================================
``nets``        parameterisations (sp, μPC, Depth-μP) and the stacked-layer net
``energy``      the PC energy F and the feedforward loss 𝓛
``inference``   activity dynamics: gradient descent / Adam, Euler steps
``optim``       Adam and SGD on pytrees
``training``    one run's train step (vmapped over a cell's runs), divergence stop
``periods``     one evaluation period: a scan of train steps, accuracy, no-learning stop
``theory``      closed forms: equilibrated energy, activity Hessian, exact equilibria
``hessian``     numerical Hessians of 𝓛 and F (weights and activities), spectra
``landscape``   𝓛 and F on a 2-D plane of weight space
==============  =================================================================

Nothing here knows about files, configs or Snakemake.
"""

from . import theory
from .energy import mse_loss, pc_energy
from .hessian import (
                      activity_hessian,
                      condition_number,
                      eigenvalues,
                      energy_hessians,
                      flatten_weights,
                      loss_hessian,
                      unflatten_weights,
)
from .inference import euler_inference, euler_inference_halving, infer_activities
from .landscape import projected_energy, projected_loss
from .nets import NetSpec, Params, forward, init_params, predict
from .optim import adam_init, adam_step, sgd_step
from .periods import accuracy, train_period
from .theory import equilibrated_energy, equilibrium_activities, origin_energy_hessian
from .training import RunHyper, RunState, TrainSpec, data_order, init_run, train_step

__all__ = [
    "theory", "mse_loss", "pc_energy", "activity_hessian", "condition_number", "eigenvalues", "energy_hessians",
    "flatten_weights", "loss_hessian", "unflatten_weights", "euler_inference", "euler_inference_halving",
    "infer_activities", "projected_energy", "projected_loss", "NetSpec", "Params", "forward", "init_params",
    "predict", "adam_init", "adam_step", "sgd_step", "accuracy", "train_period", "equilibrated_energy",
    "equilibrium_activities", "origin_energy_hessian", "RunHyper", "RunState", "TrainSpec", "data_order",
    "init_run", "train_step",
]
