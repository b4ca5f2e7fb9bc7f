"""Study ``mupc_activity_hessian`` (seed 002): spectra of the activity Hessian at initialisation.

For a net of width N and depth H (input and output of size N), one example x ~ N(1, 0.1²)
with target y = x (the μPC reference's ``make_gaussian_dataset`` setup), at the feedforward
activities:

  * ``num``     the numerical H_z = ∂²F/∂z² (autodiff, any activation);
  * ``theory``  the closed-form H_z of a linear net (docs/theory.md), and its parts
  * ``D``       (block diagonal) and ``O`` (off-diagonal), H_z = D + O.

Eigenvalues are dense ``eigvalsh`` in ``dtype``. At paper scale H_z reaches 16384², which
is why the default is float32 on the GPU: every job also recomputes its largest cell up to
``check_size`` in float64 and records the float32 error of λ_max, λ_min and κ
(:func:`precision_check`), so the accuracy of each run is stated next to its results.
All matmuls run at full float32 precision (``jax.default_matmul_precision("highest")``):
the GPU default, TF32, keeps 10 mantissa bits and put a 4 % error on λ_min of the
16384² theory matrix in a measured check. Histograms need the whole spectrum, so the dense route (not Lanczos for the extremes) is
used; D's spectrum is the union of its N×N blocks' spectra and costs next to nothing.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from pcrepro.core import theory
from pcrepro.core.hessian import activity_hessian, condition_number
from pcrepro.core.nets import NetSpec, draw_params, forward

# The two settings of docs/figures.md: the notebook's cell and its μPC alternative.
SETTINGS = {
    "sp_orthogonal": dict(param_type="sp", init="orthogonal", skips=False),
    "mupc_skips": dict(param_type="mupc", init="standard_gauss", skips=True),
}
MATRICES = ("num", "theory", "D", "O")


def cell_spec(setting: str, act_fn: str, width: int, n_hidden: int) -> NetSpec:
    if setting not in SETTINGS:
        raise ValueError(f"activity-Hessian setting {setting!r} not in {sorted(SETTINGS)}")
    return NetSpec(width, width, n_hidden, width, act_fn, **SETTINGS[setting])


def matrices_for(act_fn: str) -> tuple[str, ...]:
    """The closed forms exist for linear nets only."""
    return MATRICES if act_fn == "linear" else ("num",)


@partial(jax.jit, static_argnums=(1, 2))
def gaussian_example(key: jax.Array, width: int, dtype) -> tuple[jax.Array, jax.Array]:
    """x ~ N(1, 0.1²) of size N, target y = x (one example, as the reference)."""
    x = 1.0 + 0.1 * jax.random.normal(key, (1, width), dtype)
    return x, x


def _draw_dtype(dtype):
    """Weights and data are drawn in float64 when available and rounded to ``dtype``, so that
    the float32 spectra and their float64 check see the same matrices."""
    return jnp.float64 if jax.config.jax_enable_x64 else dtype


def draw_cell(seed: int, spec: NetSpec, dtype) -> tuple[dict, jax.Array, jax.Array]:
    """The weights and the example of one cell and seed, drawn by programs of one matrix's
    shape (:func:`pcrepro.core.nets.draw_params`): compiled once per width, not once per cell."""
    k_init, k_data = jax.random.split(jax.random.PRNGKey(seed))
    params = jax.tree.map(lambda w: w.astype(dtype), draw_params(k_init, spec, _draw_dtype(dtype)))
    x, y = (a.astype(dtype) for a in gaussian_example(k_data, spec.width, _draw_dtype(dtype)))
    return params, x, y


def spectra(params: dict, x: jax.Array, y: jax.Array, spec: NetSpec) -> dict[str, jax.Array]:
    """Ascending eigenvalues of every matrix of one cell at its feedforward activities."""
    with jax.default_matmul_precision("highest"):
        z, _ = forward(params, x, spec)
        out = {"num": jnp.linalg.eigvalsh(activity_hessian(params, z, x, y, spec))}
        if spec.act_fn == "linear":
            diagonal, upper = theory.activity_hessian_blocks(params, spec)
            out["theory"] = jnp.linalg.eigvalsh(theory.block_tridiagonal(diagonal, upper))
            out["D"] = jnp.sort(jnp.linalg.eigvalsh(diagonal).ravel())  # spectrum of a block-diagonal matrix
            out["O"] = jnp.linalg.eigvalsh(theory.block_tridiagonal(jnp.zeros_like(diagonal), upper))
        return out


_spectra = jax.jit(spectra, static_argnums=3)


def cell_spectra(seed: int, spec: NetSpec, dtype) -> dict[str, jax.Array]:
    """Ascending eigenvalues of every matrix of one cell and seed."""
    return _spectra(*draw_cell(seed, spec, dtype), spec)


def summarise(spectra: dict[str, np.ndarray], **keys) -> list[dict]:
    """λ_max, λ_min, κ rows of one cell's spectra ([seeds, N·H] per matrix)."""
    rows = []
    for matrix, eig in spectra.items():
        for i, seed_eig in enumerate(eig):
            rows.append({**keys, "seed_index": i, "matrix": matrix, "lambda_max": float(seed_eig[-1]),
                         "lambda_min": float(seed_eig[0]), "cond": float(condition_number(seed_eig))})
    return rows


def precision_check(spec: NetSpec, seed: int, dtype, low: dict | None = None) -> dict:
    """Errors of the ``dtype`` spectra against float64 for one cell (needs jax_enable_x64);
    ``low``: the ``dtype`` spectra of that cell and seed if already computed."""
    low = cell_spectra(seed, spec, dtype) if low is None else low
    high = cell_spectra(seed, spec, jnp.float64)
    row = {"size": spec.width * spec.n_hidden, "width": spec.width, "n_hidden": spec.n_hidden, "seed": seed,
           "dtype": jnp.dtype(dtype).name}
    for matrix in low:
        lo, hi = np.asarray(low[matrix], np.float64), np.asarray(high[matrix])
        scale = np.max(np.abs(hi))
        row[f"{matrix}_max_abs_err_rel_to_norm"] = float(np.max(np.abs(lo - hi)) / scale)
        row[f"{matrix}_lambda_min_rel_err"] = float(abs(lo[0] - hi[0]) / abs(hi[0]))
        row[f"{matrix}_cond_rel_err"] = float(abs(condition_number(lo) - condition_number(hi)) / condition_number(hi))
    return row


def analyse(setting: str, act_fn: str, widths, n_hiddens, seeds, *, dtype="float32", check_size: int = 0,
            log: Callable[[str], None] = print) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame]:
    """Spectra of every (N, H) cell for one setting and activation.

    Returns (eigenvalues keyed ``"{matrix}/N{N}_H{H}"`` as [seeds, N·H] arrays, a summary table
    with λ_max, λ_min and κ per cell, matrix and seed, and the precision-check table)."""
    dtype = jnp.dtype(dtype)
    arrays, rows = {}, []
    cells = sorted(((w, h) for w in widths for h in n_hiddens), key=lambda c: c[0] * c[1])
    for width, n_hidden in cells:
        spec = cell_spec(setting, act_fn, width, n_hidden)
        t0 = time.perf_counter()
        per_seed = [jax.tree.map(np.asarray, cell_spectra(int(s), spec, dtype)) for s in seeds]
        spectra = {m: np.stack([d[m] for d in per_seed]) for m in per_seed[0]}
        for matrix, eig in spectra.items():
            arrays[f"{matrix}/N{width}_H{n_hidden}"] = eig
        rows += summarise(spectra, setting=setting, act_fn=act_fn, width=width, n_hidden=n_hidden)
        log(f"[{setting} {act_fn}] N={width} H={n_hidden} (H_z {width * n_hidden}²): "
            f"{len(seeds)} seeds in {time.perf_counter() - t0:.2f} s, "
            f"κ(num) = {np.mean([condition_number(e) for e in spectra['num']]):.4g}")
    checks = []
    if check_size and dtype != jnp.float64:
        fitting = [c for c in cells if c[0] * c[1] <= check_size]
        if fitting:
            width, n_hidden = fitting[-1]
            first_seed = {m: arrays[f"{m}/N{width}_H{n_hidden}"][0] for m in matrices_for(act_fn)}
            checks.append({"setting": setting, "act_fn": act_fn,
                           **precision_check(cell_spec(setting, act_fn, width, n_hidden), int(seeds[0]), dtype,
                                             low=first_seed)})
            log(f"[{setting} {act_fn}] {dtype.name} vs float64 at N={width} H={n_hidden}: {checks[-1]}")
    return arrays, pd.DataFrame(rows), pd.DataFrame(checks)
