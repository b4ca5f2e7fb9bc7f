"""Seed 000 (scalar linear chains): PC escapes the origin faster than BP; the origin is a strict
saddle of the equilibrated energy but a non-strict one of the loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .registry import Claim, Measurement, Rule


def escape_iteration(weights: np.ndarray) -> float:
    """First iteration at which the chain's weights [iterations + 1, L] are at least half as far
    from the origin as a balanced solution (|w_ℓ| = 1, norm √L); ``inf`` if never within the run."""
    far = np.linalg.norm(weights, axis=-1) >= 0.5 * np.sqrt(weights.shape[-1])
    return float(np.argmax(far)) if far.any() else np.inf


def _trained_files(grids: dict) -> list[str]:
    return [f"chains/depth_{c['n_hidden']}.npz" for c in grids["chains"]["trained"]]


def _measure_escape(files: list[Path], grids: dict) -> Measurement:
    values, parts = {}, []
    for path in files:
        with np.load(path) as r:
            h = int(r["n_hidden"])
            for alg in ("bp", "pc"):
                steps = [escape_iteration(w) for w in r[f"{alg}_weights"]]
                values[f"{alg}_H{h}"] = float(np.mean(steps))  # inf if a seed never escapes
            parts.append(f"H = {h}: BP {values[f'bp_H{h}']:g}, PC {values[f'pc_H{h}']:g} iterations")
    return Measurement(values, "mean over seeds of the iterations to leave the origin: " + "; ".join(parts))


def _hessian_files(grids: dict) -> list[str]:
    return [f"chains/depth_{h}.npz" for h in grids["chains"]["hessian_depths"]]


def _measure_saddle(files: list[Path], grids: dict) -> Measurement:
    values, parts = {}, []
    for path in files:
        with np.load(path) as r:
            h = int(r["n_hidden"])
            numerical = np.linalg.eigvalsh(r["hessian_energy"][-1])[0]  # after the last inference step
            theory = np.linalg.eigvalsh(r["hessian_theory"])[0]
            values[f"energy_min_H{h}"], values[f"theory_min_H{h}"] = float(numerical), float(theory)
            values[f"energy_rel_error_H{h}"] = float(abs(numerical / theory - 1))
            values[f"loss_max_abs_H{h}"] = float(np.abs(r["hessian_loss"]).max())
            parts.append(f"H = {h}: λ_min(F) {numerical:.4g} vs theory {theory:.4g}, "
                         f"max |H_𝓛| {values[f'loss_max_abs_H{h}']:.2g}")
    return Measurement(values, "; ".join(parts))


def _saddle_holds(tolerance: float):
    def holds(v: dict) -> bool:
        depths = [int(k.split("H")[-1]) for k in v if k.startswith("theory_min_H")]
        return all(v[f"theory_min_H{h}"] < 0 and v[f"energy_rel_error_H{h}"] <= tolerance
                   and (h < 2 or v[f"loss_max_abs_H{h}"] <= 1e-10) for h in depths)
    return holds


def _faster(v: dict) -> bool:
    depths = {k.split("_H")[1] for k in v}
    return all(np.isfinite(v[f"pc_H{h}"]) and v[f"pc_H{h}"] < v[f"bp_H{h}"] for h in depths)


ESCAPE_RULE = Rule("PC's mean is below BP's at every trained depth", _faster)

CLAIMS = [
    Claim(
        id="000.pc_escapes_origin_faster", seed="000",
        statement="Starting near the origin, PC leaves its neighbourhood in fewer iterations than BP, "
                  "for chains with one and with two hidden units.",
        family="chains_curves", study="chains", files=_trained_files, measure=_measure_escape,
        expected="PC escapes the saddle at the origin faster than BP (seed 000's curves)",
        rules={"quick": ESCAPE_RULE, "paper": ESCAPE_RULE}),
    Claim(
        id="000.energy_strict_saddle", seed="000",
        statement="At the origin the equilibrated energy's Hessian has the closed-form negative eigenvalue "
                  "(a strict saddle) while the loss Hessian is zero for H ≥ 2 (a non-strict one).",
        family="chains_hessian", study="chains", files=_hessian_files, measure=_measure_saddle,
        expected="λ_min(H_F*) = closed form < 0; H_𝓛 = 0 for H ≥ 2",
        rules={p: Rule("λ_min after the last inference step within 5 % of theory (< 0); max |H_𝓛| ≤ 1e-10 "
                       "for H ≥ 2", _saddle_holds(0.05)) for p in ("quick", "paper")}),
]
