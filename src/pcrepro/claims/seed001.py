"""Seed 001 (deep linear nets at the origin): the energy Hessian tends to its closed form as
inference proceeds, on toy data, MNIST and MNIST-1D; the loss Hessian there is zero for H ≥ 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import STANDIN
from ..studies.dln_hessian import dln_configs
from .registry import Claim, Measurement, Rule


def _origin_configs(grids: dict) -> list:
    return [c for c in dln_configs(grids["dln_hessian"]) if c.init_type == "origin"]


def _origin_files(grids: dict) -> list[str]:
    return [f"dln_hessian/{c.id}.npz" for c in _origin_configs(grids)]


def _config_name(path: Path) -> str:
    return path.stem.removesuffix("_origin")


def _measure_energy(files: list[Path], grids: dict) -> Measurement:
    values, parts, synthetic = {}, [], False
    for path in files:
        with np.load(path) as r:
            name = _config_name(path)
            theory = float(r["theory_eigenvalues"].min())
            errors = np.abs(r["energy_eigenvalues"].min(axis=1) - theory) / abs(theory)  # per inference step
            values[f"rel_error_first_{name}"], values[f"rel_error_last_{name}"] = float(errors[0]), float(errors[-1])
            values[f"monotone_{name}"] = float(np.all(np.diff(errors) <= 1e-12))
            synthetic |= str(r["source"]) == STANDIN
            parts.append(f"{name}: |Δλ_min|/|λ_min| {errors[0]:.2g} at t = {int(r['steps'][0])} → "
                         f"{errors[-1]:.2g} at t = {int(r['steps'][-1])}")
    return Measurement(values, "; ".join(parts), synthetic=synthetic)


def _measure_loss(files: list[Path], grids: dict) -> Measurement:
    values, parts, synthetic = {}, [], False
    for path, config in zip(files, _origin_configs(grids)):
        if config.n_hidden < 2:
            continue
        with np.load(path) as r:
            values[f"loss_max_abs_{_config_name(path)}"] = float(np.abs(r["loss_eigenvalues"]).max())
            synthetic |= str(r["source"]) == STANDIN
        parts.append(f"{_config_name(path)}: max |λ(H_𝓛)| {values[f'loss_max_abs_{_config_name(path)}']:.2g}")
    return Measurement(values, "; ".join(parts) or "no configuration with H ≥ 2", synthetic=synthetic,
                       testable=bool(values))


def _tends(tolerance: float):
    def holds(v: dict) -> bool:
        names = [k.removeprefix("rel_error_last_") for k in v if k.startswith("rel_error_last_")]
        return all(v[f"monotone_{n}"] == 1 and v[f"rel_error_last_{n}"] <= tolerance for n in names)
    return holds


def _zero(v: dict) -> bool:
    return all(value <= 1e-10 for value in v.values())


CLAIMS = [
    Claim(
        id="001.energy_hessian_tends_to_theory", seed="001",
        statement="At the origin the smallest eigenvalue of the numerical energy Hessian approaches the "
                  "closed form's (−λ_max of the output covariance block) as inference steps grow, on toy "
                  "data, MNIST and MNIST-1D.",
        family="dln_spectrum", study="dln_hessian", files=_origin_files, measure=_measure_energy,
        expected="λ_min(H_F) → λ_min(H_F*) (theory)",
        rules={p: Rule("the relative error never grows over the plotted steps and is ≤ 5 % at the last",
                       _tends(0.05)) for p in ("quick", "paper")}),
    Claim(
        id="001.loss_hessian_zero_at_origin", seed="001",
        statement="The loss Hessian at the origin is zero for nets with two or more hidden layers.",
        family="dln_loss_hessian", study="dln_hessian", files=_origin_files, measure=_measure_loss,
        expected="H_𝓛 = 0 for H ≥ 2",
        rules={p: Rule("max |eigenvalue| ≤ 1e-10 for every configuration with H ≥ 2", _zero)
               for p in ("quick", "paper")}),
]
