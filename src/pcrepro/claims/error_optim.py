"""Seed 003 (error-based vs state-based PC on a deep linear net): both relaxations reach the exact
equilibrium; the error-based one needs far fewer steps to get close to it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import STANDIN
from .registry import FINDING, Claim, Measurement, rule

SOURCE = "seed 003 (error- vs state-based optimisation)"


def _files(grids: dict) -> list[str]:
    return [f"error_optim/{grids['error_optim']['dataset']}.npz"]


def _measure_equilibrium(files: list[Path], grids: dict) -> Measurement:
    with np.load(files[0]) as r:
        threshold = float(r["threshold"])
        # median over the batch of ‖z − z*‖ after the last step, per layer
        eo, so = r["error_distance_quantiles"][-1, :, 1], r["state_distance_quantiles"][-1, :, 1]
        synthetic = str(r["source"]) == STANDIN
    values = {"eo_distance_per_threshold": float(eo.max()) / threshold, "so_distance_per_threshold": float(so.max()) / threshold}
    return Measurement(values, f"largest median distance to z* after the last step: EO {eo.max():.2g}, "
                               f"SO {so.max():.2g} (threshold {threshold:g})", synthetic=synthetic)


def _measure_speedup(files: list[Path], grids: dict) -> Measurement:
    with np.load(files[0]) as r:
        speedups, dataset = r["speedups"], str(r["dataset"])
        synthetic = str(r["source"]) == STANDIN
    values = {"median_speedup": float(np.median(speedups)), "min_speedup": float(np.min(speedups))}
    return Measurement(values, f"{dataset}: SO / EO steps to the threshold, median over layers "
                               f"{values['median_speedup']:.3g}× (min {values['min_speedup']:.3g}×)",
                       synthetic=synthetic)


CLAIMS = [
    Claim(
        id="003.same_equilibrium", seed="003", kind=FINDING,
        statement="Error-based and state-based relaxations of a deep linear net both reach its exact "
                  "equilibrium (the block-tridiagonal solve).",
        source=f"{SOURCE}: sections 'Calculate analytical solution' and 'Make plot to compare activation "
               "convergence' (distance of each layer's state to the analytical solution over steps; threshold 7e-5).",
        family="eo_convergence", study="error_optim", files=_files, measure=_measure_equilibrium,
        expected="both distances fall below 7·10⁻⁵ at every layer",
        rule=rule("both median distances, in units of the threshold, below 1 at every layer",
                  ("eo_distance_per_threshold", "<=", 1.0), ("so_distance_per_threshold", "<=", 1.0))),
    Claim(
        id="003.eo_speedup", seed="003", kind=FINDING,
        statement="Error-based optimisation needs far fewer steps than state-based to reach the 7·10⁻⁵ "
                  "distance to the equilibrium.",
        source=f"{SOURCE}: sections 'Do mini hyperparameter search' (best lr per method) and 'Make plot to compare "
               "activation convergence' (steps to 7e-5, ~130–140× on EMNIST, 20 layers). 'The order of' (within a "
               "factor 3) is this project's reading.",
        family="eo_convergence", study="error_optim", files=_files, measure=_measure_speedup,
        expected="~130–140× on EMNIST (seed 003)",
        rule=rule("median speed-up within 45–400× (the order of the seed's 130–140×)",
                  ("median_speedup", ">=", 45), ("median_speedup", "<=", 400))),
]
