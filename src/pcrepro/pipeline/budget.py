"""GPU budget of the paper preset: runs, run-epochs and an estimated GPU time per study.

Training time is estimated from the matmul count of one step (:func:`step_flops`) and the
seconds per run-step measured by ``benchmarks/speed/bench_mupc_step.py``, interpolated log-log in the
FLOP count between the measured shapes (and at their throughput beyond them). The paper shape
was measured on an H200 with the training step's full-float32 matmuls
(``benchmarks/results/h200_gpu_check_2026-11-30.jsonl``); the smaller shapes were measured on an
H100 at TF32 (``h100_mupc_step_2026-11-23.jsonl``), before the step ran at full float32, and are
scaled by the paper shape's ratio of the two (an upper bound: small shapes are latency-bound and
lose less to full precision). Two factors are estimates, not yet measured on a GPU: a PC cell
without activity decay computes only the layers the errors have reached (the error front,
:func:`computed_flops`), charged at its share of the step's matmuls; a float64 cell is charged
:data:`FLOAT64_STEP_FACTOR` times its float32 step (Hopper runs float64 matmuls on its DMMA tensor
cores at about the rate of float32 on CUDA cores, and moves twice the bytes). Cells whose runs
were measured to stop at their first evaluation
(:data:`STOPPED_BY_FIRST_EVALUATION`) are charged up to that step: a stopped run is not trained
further. κ(H_z) during
training adds a dense eigendecomposition per run and evaluation, scaled as n³ from the
measured 2.4 s at n = 16384. The analysis families are not training runs: their whole-job
times measured on the same GPU are added as they are (docs/benchmarks.md).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from pcrepro.core.training import TrainSpec

from .cells import n_runs

# the paper shape, full float32, 16 runs vmapped: s per batch per run (H200, 2026-11-30) ...
PAPER_STEP_SECONDS = 0.033415
# ... and the same shape at TF32 on the H100 (2026-11-23), which scales the H100's other shapes
H100_TF32_PAPER_STEP_SECONDS = 0.02332
# (depth H, width N, inference steps T) -> s per batch per run (16 runs vmapped)
MEASURED_STEPS = (
    ((128, 512, 128), PAPER_STEP_SECONDS),
    *(((h, n, t), s * PAPER_STEP_SECONDS / H100_TF32_PAPER_STEP_SECONDS)
      for (h, n, t), s in (((32, 128, 500), 0.00390), ((8, 128, 500), 0.00171), ((8, 512, 8), 0.00018))),
)
# (param_type, act_fn, depth H, width N) of cells whose every run stopped (diverged or no learning)
# by its first evaluation at step test_every: standard PC at the paper's deepest shape, 12 of 12
# runs over 4 (weight lr, activity lr) pairs from 0.01 to 0.5 (H200, 2026-11-30, gpu_check)
STOPPED_BY_FIRST_EVALUATION = frozenset({("sp", "relu", 128, 512)})
# float64 step / float32 step at "highest" on an H100/H200: an estimate (1.2–1.6×), to be measured
FLOAT64_STEP_FACTOR = 1.4
KAPPA_SECONDS_AT_16384 = 2.4  # one dense eigvalsh of H_z, n = 16384, H100 (float32)
COMPILE_SECONDS_PER_CELL = 5.0  # measured compile of one cell's program: 2.9–5.0 s
# whole-job GPU minutes of the analysis families, measured / extrapolated from measured jobs (docs/figures.md, docs/benchmarks.md)
ANALYSIS_MINUTES = {"mupc_activity_hessian": 16.0, "mupc_forward_pass": 36.0, "mupc_energy_theory": 9.0}
# whole studies small enough to have been run at paper settings on the 2-core dev CPU (2026-11-23:
# error_optim on MNIST, as EMNIST's 60 000 images; double_descent both inits; 2026-11-30:
# dln_hessian, its 18 configurations 2 394 job-seconds two at a time): an upper bound for a GPU
CPU_MEASURED_MINUTES = {"error_optim": 2.4, "double_descent": 0.3, "dln_hessian": 20.0}


def step_flops(spec: TrainSpec) -> float:
    """Matmul FLOPs of one training step of one run (2·m·n·k per matmul). PC: feedforward init
    (L matmuls), per inference step the energy's forward (L) and ∂F/∂z (≈ L−1), the weight
    gradient (2L). BP: forward and backward (3L)."""
    net, b = spec.net, spec.batch_size
    layer = [net.input_dim * net.width] + [net.width**2] * (net.n_hidden - 1) + [net.width * net.output_dim]
    fwd = 2 * b * sum(layer)
    if spec.algorithm == "bp":
        return 3.0 * fwd
    dz = 2 * b * sum(layer[1:])
    return fwd + spec.n_infer_steps * (fwd + dz) + 2 * fwd


def computed_flops(spec: TrainSpec) -> float:
    """Matmul FLOPs one step computes: :func:`step_flops`, less the hidden layers an error-front
    phase leaves out (:func:`pcrepro.core.inference.error_front_phases`) when the spec skips
    unreached layers."""
    full = step_flops(spec)
    if not spec.skip_unreached_layers:
        return full
    from pcrepro.core.inference import error_front_phases

    net, b = spec.net, spec.batch_size
    hidden, first_layer = 2 * b * net.width**2, 2 * b * net.input_dim * net.width
    # a phase on z_f … z_H (f ≥ 1) predicts them from z_{f−1} … : it leaves out the input layer's
    # prediction and f − 1 hidden matmuls each way (the prediction and the error sent back)
    left_out = sum(steps * (first_layer + 2 * (first - 1) * hidden)
                   for first, steps in error_front_phases(net.n_hidden, spec.n_infer_steps) if first > 0)
    return full - left_out


def _measured_points() -> tuple[np.ndarray, np.ndarray]:
    from pcrepro.core.nets import NetSpec

    flops, seconds = [], []
    for (h, n, t), s in MEASURED_STEPS:
        spec = TrainSpec(NetSpec(784, n, h, 10, "relu", "mupc", True, "standard_gauss"), "pc", n_infer_steps=t)
        flops.append(step_flops(spec))
        seconds.append(s)
    order = np.argsort(flops)
    return np.log(np.asarray(flops)[order]), np.log(np.asarray(seconds)[order])


def seconds_per_run_step(flops: float) -> float:
    """Log-log interpolation of the measured s per run-step in the FLOP count; beyond the
    measured range, the nearest point's throughput."""
    log_f, log_s = _measured_points()
    x = math.log(flops)
    if x <= log_f[0]:
        return math.exp(log_s[0] + x - log_f[0])
    if x >= log_f[-1]:
        return math.exp(log_s[-1] + x - log_f[-1])
    return math.exp(float(np.interp(x, log_f, log_s)))


def kappa_seconds(matrix_size: int) -> float:
    return KAPPA_SECONDS_AT_16384 * (matrix_size / 16384) ** 3


N_TRAIN = {"MNIST": 60000, "FashionMNIST": 60000, "EMNIST": 60000}


def charged_steps(spec: TrainSpec, n_train: int) -> int:
    """Steps each run of a cell is charged: all of them, or up to the measured stop."""
    steps = spec.epochs * spec.steps_per_epoch(n_train)
    net = spec.net
    if (net.param_type, net.act_fn, net.n_hidden, net.width) in STOPPED_BY_FIRST_EVALUATION:
        return min(steps, spec.test_every)
    return steps


def run_step_seconds(cell: dict, spec: TrainSpec) -> float:
    """Estimated GPU seconds of one run's step: the measured step of its matmul count, at the
    error front's share where the runner takes it (its runs have no activity decay), ×
    :data:`FLOAT64_STEP_FACTOR` in float64."""
    from .runner import spec_with_error_front

    spec = spec_with_error_front(spec, cell["runs"].get("activity_decays") or [0.0])
    seconds = seconds_per_run_step(step_flops(spec)) * computed_flops(spec) / step_flops(spec)
    return seconds * (FLOAT64_STEP_FACTOR if spec.dtype == "float64" else 1.0)


def cell_seconds(cell: dict, spec: TrainSpec, n_train: int) -> float:
    """Estimated GPU seconds of one cell: compile, every run's charged steps, κ(H_z) evaluations."""
    steps = charged_steps(spec, n_train)
    seconds = COMPILE_SECONDS_PER_CELL + n_runs(cell) * steps * run_step_seconds(cell, spec)
    if spec.record_condition_number:
        n_evals = steps // spec.test_every + 1
        seconds += n_runs(cell) * n_evals * kappa_seconds(spec.net.width * spec.net.n_hidden)
    return seconds


# XLA's cheapest pipeline (pcrepro.pipeline.runtime.fast_compile) halves compile time but runs
# a training step 3–6× slower (2-core CPU, 2026-11-30, whole quick cells on real MNIST: 1.7e10
# FLOP 6.6 s vs 11.6 s at full optimisation; 2.7e10 8.8 vs 10.4; 6.4e10 11.0 vs 9.3; 1.6e12
# ~250 s vs 62 s). It pays for cells below this many matmul FLOPs of training in all.
FAST_COMPILE_MAX_FLOPS = 5e10


def fast_compile_pays(cell: dict) -> bool:
    """Whether a training cell is small enough that compile time, not its steps, dominates
    (its runs × steps × :func:`step_flops` below :data:`FAST_COMPILE_MAX_FLOPS`)."""
    from .cells import train_spec

    spec = train_spec(cell)
    steps = spec.epochs * spec.steps_per_epoch(N_TRAIN.get(cell["dataset"], 60000))
    return n_runs(cell) * steps * step_flops(spec) < FAST_COMPILE_MAX_FLOPS


def job_minutes(cell: dict) -> float:
    """Estimated GPU minutes of a training cell's job (a SLURM time limit is derived from it)."""
    from .cells import train_spec

    return cell_seconds(cell, train_spec(cell), N_TRAIN.get(cell["dataset"], 60000)) / 60


def training_budget(study: str, cells: dict[str, dict], train_spec: Callable[[dict], TrainSpec],
                    n_train: dict[str, int]) -> dict:
    """Runs, run-epochs and estimated GPU hours of one training study's cells."""
    runs = run_epochs = seconds = 0.0
    for cell in cells.values():
        spec = train_spec(cell)
        runs += n_runs(cell)
        run_epochs += n_runs(cell) * spec.epochs
        seconds += cell_seconds(cell, spec, n_train[cell["dataset"]])
    return {"study": study, "cells": len(cells), "runs": int(runs), "run_epochs": int(run_epochs),
            "gpu_hours": seconds / 3600, "basis": "model from measured GPU steps" + (
                " (float64: estimated factor)" if any(train_spec(c).dtype == "float64" for c in cells.values()) else "")}


def paper_budget(grids: dict) -> pd.DataFrame:
    """The table for a preset's grids (the training studies present, in the precision their grid
    names, plus the analysis families)."""
    from pcrepro.studies.mupc_training import GRID_OF, STUDIES

    from .cells import study_cells, train_spec

    def in_dtype(study: str, cells: dict[str, dict]) -> dict[str, dict]:
        dtype = grids.get(study, {}).get("dtype", "float32")
        return {cid: {**c, "train": {**c["train"], "dtype": dtype}} for cid, c in cells.items()}

    rows = [training_budget(study, in_dtype(study, study_cells(study, grids)), train_spec, N_TRAIN)
            for study in STUDIES if GRID_OF.get(study, study) in grids]
    rows += [{"study": s, "cells": None, "runs": None, "run_epochs": None, "gpu_hours": m / 60,
              "basis": "measured whole jobs (H100)"} for s, m in ANALYSIS_MINUTES.items() if s in grids]
    rows += [{"study": s, "cells": None, "runs": None, "run_epochs": None, "gpu_hours": m / 60,
              "basis": "measured whole study, 2-core CPU (GPU: less)"} for s, m in CPU_MEASURED_MINUTES.items()
             if s in grids]
    return pd.DataFrame(rows)
