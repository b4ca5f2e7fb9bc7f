"""Seed 001 (deep linear nets at saddles): the energy Hessian at the origin tends to its closed
form as inference proceeds, on toy data, MNIST and MNIST-1D; at the "other saddle" the energy
has a negative direction where the loss has none; the loss Hessian at the origin is zero for
H ≥ 2 (a check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import STANDIN
from ..studies.dln_hessian import dln_configs
from .registry import CHECK, FINDING, Claim, Measurement, rule

SOURCE = "seed 001 (Hessian Analysis of DLNs)"


def _configs(grids: dict, init_type: str) -> list:
    return [c for c in dln_configs(grids["dln_hessian"]) if c.init_type == init_type]


def _origin_files(grids: dict) -> list[str]:
    return [f"dln_hessian/{c.id}.npz" for c in _configs(grids, "origin")]


def _saddle_files(grids: dict) -> list[str]:
    return [f"dln_hessian/{c.id}.npz" for c in _configs(grids, "other_saddle")]


def _name(path: Path) -> str:
    return path.stem


def _measure_energy(files: list[Path], grids: dict) -> Measurement:
    last, growth, parts, synthetic = [], [], [], False
    for path in files:
        with np.load(path) as r:
            theory = float(r["theory_eigenvalues"].min())
            errors = np.abs(r["energy_eigenvalues"].min(axis=1) - theory) / abs(theory)  # per inference step
            synthetic |= str(r["source"]) == STANDIN
            parts.append(f"{_name(path)}: |Δλ_min|/|λ_min| {errors[0]:.2g} at t = {int(r['steps'][0])} → "
                         f"{errors[-1]:.2g} at t = {int(r['steps'][-1])}")
        last.append(float(errors[-1]))
        growth.append(float(np.max(np.diff(errors), initial=0.0)))
    return Measurement({"max_last_rel_error": max(last), "max_growth": max(growth)}, "; ".join(parts),
                       synthetic=synthetic)


def _measure_loss_zero(files: list[Path], grids: dict) -> Measurement:
    values, parts, synthetic = [], [], False
    for path, config in zip(files, _configs(grids, "origin")):
        if config.n_hidden < 2:
            continue
        with np.load(path) as r:
            values.append(float(np.abs(r["loss_eigenvalues"]).max()))
            synthetic |= str(r["source"]) == STANDIN
        parts.append(f"{_name(path)}: max |λ(H_𝓛)| {values[-1]:.2g}")
    return Measurement({"max_abs": max(values, default=np.nan)}, "; ".join(parts) or "no configuration with H ≥ 2",
                       synthetic=synthetic, untestable="" if values else "no configuration with H ≥ 2 in the grid")


def _measure_other_saddle(files: list[Path], grids: dict) -> Measurement:
    """λ_min of the energy Hessian after the last inference step and of the loss Hessian, each
    relative to the largest |eigenvalue| of its matrix (so that a threshold is scale-free)."""
    energy, loss, parts, synthetic = [], [], [], False
    for path in files:
        with np.load(path) as r:
            e, l = r["energy_eigenvalues"][-1], r["loss_eigenvalues"]
            synthetic |= str(r["source"]) == STANDIN
        energy.append(float(e.min() / np.abs(e).max()))
        loss.append(float(l.min() / max(np.abs(l).max(), np.finfo(float).tiny)))
        parts.append(f"{_name(path)}: λ_min/max|λ| energy {energy[-1]:.3g}, loss {loss[-1]:.3g}")
    return Measurement({"max_energy_rel_min": max(energy, default=np.nan), "min_loss_rel_min": min(loss, default=np.nan)},
                       "; ".join(parts) or "no other-saddle configuration", synthetic=synthetic,
                       untestable="" if files else "no other-saddle configuration (H = 3, 4) in the grid")


CLAIMS = [
    Claim(
        id="001.energy_hessian_tends_to_theory", seed="001", kind=FINDING,
        statement="At the origin the smallest eigenvalue of the numerical energy Hessian approaches the "
                  "closed form's (−λ_max of the output covariance block) as inference steps grow, on toy "
                  "data, MNIST and MNIST-1D.",
        source=f"{SOURCE}: cells 'Config' (datasets and H, N pairs) and 'Energy Hessian Analysis' (energy Hessians "
               "over inference steps against the theory). The 5 % tolerance is this project's.",
        family="dln_spectrum", study="dln_hessian", files=_origin_files, measure=_measure_energy,
        expected="λ_min(H_F) → λ_min(H_F*) (theory)",
        rule=rule("the relative error never grows over the plotted steps (by more than 1e-12) and is ≤ 5 % at the "
                  "last, for every configuration", ("max_growth", "<=", 1e-12), ("max_last_rel_error", "<=", 0.05))),
    Claim(
        id="001.other_saddle_strict_for_energy", seed="001", kind=FINDING,
        statement="At the other saddle (every weight zero but the penultimate matrix, H = 3, 4) the equilibrated "
                  "energy has a direction of negative curvature (a strict saddle) while the loss has none "
                  "(a non-strict one).",
        source=f"{SOURCE}: cell 'Config' (INIT_TYPES: 'other_saddle' for H = 3, 4) and the Hessian analyses of both "
               "inits. The thresholds (relative to the largest |eigenvalue|, beyond round-off) are this project's.",
        family="dln_spectrum", study="dln_hessian", files=_saddle_files, measure=_measure_other_saddle,
        expected="λ_min(H_F) < 0; λ_min(H_𝓛) = 0",
        rule=rule("for every other-saddle configuration, λ_min/max|λ| ≤ −1e-6 for the energy after the last "
                  "inference step and ≥ −1e-9 for the loss", ("max_energy_rel_min", "<=", -1e-6),
                  ("min_loss_rel_min", ">=", -1e-9))),
    Claim(
        id="001.loss_hessian_zero_at_origin", seed="001", kind=CHECK,
        statement="The loss Hessian at the origin is zero for nets with two or more hidden layers.",
        source=f"{SOURCE}: cell 'Loss Hessian Analysis'. An identity: the product of three or more zero matrices "
               "has no second derivative.",
        family="dln_loss_hessian", study="dln_hessian", files=_origin_files, measure=_measure_loss_zero,
        expected="H_𝓛 = 0 for H ≥ 2",
        rule=rule("max |eigenvalue| ≤ 1e-10 for every configuration with H ≥ 2", ("max_abs", "<=", 1e-10))),
]
