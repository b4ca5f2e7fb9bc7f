"""Seed 000 (scalar linear chains): PC escapes the origin faster than BP; the origin is a strict
saddle of the equilibrated energy; the loss Hessian there is zero for H ≥ 2 (a check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .registry import CHECK, FINDING, Claim, Measurement, rule

SOURCE = "seed 000 (Linear Chains Analysis)"


def escape_iteration(weights: np.ndarray) -> float:
    """First iteration at which the chain's weights [iterations + 1, L] are at least half as far
    from the origin as a balanced solution (|w_ℓ| = 1, norm √L); ``inf`` if never within the run."""
    far = np.linalg.norm(weights, axis=-1) >= 0.5 * np.sqrt(weights.shape[-1])
    return float(np.argmax(far)) if far.any() else np.inf


def _trained_files(grids: dict) -> list[str]:
    return [f"chains/depth_{c['n_hidden']}.npz" for c in grids["chains"]["trained"]]


def _measure_escape(files: list[Path], grids: dict) -> Measurement:
    """Per seed and depth, BP's escape iteration minus PC's (inf − inf counts as no lead); the
    claim's value is the smallest lead over depths (mean over seeds; per seed on its own)."""
    leads, parts, seeds = {}, [], None
    for path in files:
        with np.load(path) as r:
            h, seeds = int(r["n_hidden"]), [str(s) for s in r["seeds"]]
            bp = np.array([escape_iteration(w) for w in r["bp_weights"]])
            pc = np.array([escape_iteration(w) for w in r["pc_weights"]])
        lead = np.where(np.isinf(bp) & np.isinf(pc), 0.0, bp - pc)  # inf: BP never leaves, PC does
        leads[h] = lead
        parts.append(f"H = {h}: BP {', '.join(f'{b:g}' for b in bp)}, PC {', '.join(f'{p:g}' for p in pc)} iterations")
    mean_lead = min(float(np.mean(v)) for v in leads.values())
    per_seed = {s: {"min_lead": float(min(v[i] for v in leads.values()))} for i, s in enumerate(seeds)}
    untestable = "one seed cannot show whether the lead is robust" if len(seeds) < 2 else ""
    return Measurement({"min_lead": mean_lead}, "iterations to leave the origin, per seed: " + "; ".join(parts),
                       untestable=untestable, per_seed=per_seed)


def _hessian_files(grids: dict) -> list[str]:
    return [f"chains/depth_{h}.npz" for h in grids["chains"]["hessian_depths"]]


def _measure_saddle(files: list[Path], grids: dict) -> Measurement:
    errors, parts, largest = [], [], -np.inf
    for path in files:
        with np.load(path) as r:
            h = int(r["n_hidden"])
            numerical = np.linalg.eigvalsh(r["hessian_energy"][-1])[0]  # after the last inference step
            theory = np.linalg.eigvalsh(r["hessian_theory"])[0]
        errors.append(abs(numerical / theory - 1))
        largest = max(largest, numerical)
        parts.append(f"H = {h}: λ_min {numerical:.4g} vs closed form {theory:.4g}")
    return Measurement({"max_rel_error": float(max(errors)), "max_lambda_min": float(largest)}, "; ".join(parts))


def _measure_loss_zero(files: list[Path], grids: dict) -> Measurement:
    values, parts = [], []
    for path in files:
        with np.load(path) as r:
            h = int(r["n_hidden"])
            if h < 2:
                continue
            values.append(float(np.abs(r["hessian_loss"]).max()))
        parts.append(f"H = {h}: max |H_𝓛| {values[-1]:.2g}")
    return Measurement({"max_abs": max(values, default=np.nan)}, "; ".join(parts) or "no depth with H ≥ 2",
                       untestable="" if values else "no chain with H ≥ 2 in the grid")


CLAIMS = [
    Claim(
        id="000.pc_escapes_origin_faster", seed="000", kind=FINDING,
        statement="Starting near the origin, PC leaves its neighbourhood in fewer iterations than BP, "
                  "for chains with one and with two hidden units.",
        source=f"{SOURCE}: cells 'BP training script', 'PC training script' and 'Main script' (BP and PC from the "
               "same init near the origin, weights over iterations). The escape criterion (half-way to a balanced "
               "solution, |w| ≥ ½√L) and the threshold (a lead of at least one iteration) are this project's.",
        family="chains_curves", study="chains", files=_trained_files, measure=_measure_escape,
        expected="PC escapes the saddle at the origin faster than BP (seed 000's curves)",
        rule=rule("PC leaves the origin at least one iteration before BP at every trained depth, on every seed",
                  ("min_lead", ">=", 1))),
    Claim(
        id="000.energy_strict_saddle", seed="000", kind=FINDING,
        statement="At the origin the energy Hessian after inference has the closed form's negative smallest "
                  "eigenvalue: the origin is a strict saddle of the equilibrated energy.",
        source=f"{SOURCE}: cell 'Hessian script' (energy Hessian at the origin over inference steps, and its "
               "theoretical form). The 5 % tolerance is this project's.",
        family="chains_hessian", study="chains", files=_hessian_files, measure=_measure_saddle,
        expected="λ_min(H_F*) = closed form < 0",
        rule=rule("at every depth, λ_min after the last inference step is within 5 % of the closed form and "
                  "negative beyond round-off (≤ −1e-9)",
                  ("max_rel_error", "<=", 0.05), ("max_lambda_min", "<=", -1e-9))),
    Claim(
        id="000.loss_hessian_zero_at_origin", seed="000", kind=CHECK,
        statement="The loss Hessian of a chain with two or more hidden units is zero at the origin "
                  "(a non-strict saddle).",
        source=f"{SOURCE}: cell 'Hessian script' (loss Hessian at the origin). An identity: every second "
               "derivative of a product of three or more zero weights is zero.",
        family="chains_hessian", study="chains", files=_hessian_files, measure=_measure_loss_zero,
        expected="H_𝓛 = 0 for H ≥ 2",
        rule=rule("max |H_𝓛| ≤ 1e-10 for every depth with H ≥ 2", ("max_abs", "<=", 1e-10))),
]
