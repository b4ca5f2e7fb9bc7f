"""Seed 000 for one chain depth: BP and PC runs, their landscapes, Hessians at the origin."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...core.hessian import energy_hessians, loss_hessian
from ...core.theory import origin_energy_hessian
from .dynamics import (
    ChainSetup,
    NotebookStream,
    chain_params,
    chain_spec,
    train_bp,
    train_pc,
)
from .landscape import chain_landscape


def analyse_depth(n_hidden: int, *, setup: ChainSetup, seeds: list[int], bp_iterations: int | None,
                  pc_iterations: int | None, pc_stop_below_test_loss: float | None, landscape_seed: int | None,
                  landscape_domain: float | None, landscape_resolution: int | None, hessian_seed: int | None,
                  log=print) -> dict[str, np.ndarray]:
    """Everything seed 000 computes for one chain depth, as flat arrays for an npz.

    Trained depths (``bp_iterations`` given): BP and PC runs for ``seeds``, vmapped over
    seeds; the landscapes from ``landscape_seed``'s landscape batches and trajectories.
    Every depth with a ``hessian_seed``: loss and energy Hessians at the origin after
    t = 0 … ``setup.inference_steps`` steps, and the closed form."""
    n_layers = n_hidden + 1
    out: dict[str, np.ndarray] = {"n_hidden": np.array(n_hidden)}
    trained = bp_iterations is not None
    run_seeds = sorted(set(seeds) | {landscape_seed} - {None}) if trained else []
    if trained and hessian_seed is not None and hessian_seed not in run_seeds:
        raise ValueError(f"chains: the Hessian seed {hessian_seed} of a trained depth must be one of its runs")
    streams = {s: NotebookStream(s, setup) for s in set(run_seeds) | {hessian_seed} - {None}}
    if trained:
        w0 = np.stack([streams[s].weights(n_layers, setup.weight_scale) for s in run_seeds])
        bp_x = np.stack([streams[s].batches(bp_iterations)[0] for s in run_seeds])
        bp_land = [streams[s].batch() for s in run_seeds]
        # PC's batches: drawn up to its stopping iteration; the stream position after
        # that is found once the runs are done.
        rest = {s: streams[s].normals((pc_iterations + 1) * setup.batch_size + n_layers + setup.batch_size)
                for s in run_seeds}
        pc_x = np.stack([setup.inputs(rest[s][: pc_iterations * setup.batch_size]).reshape(pc_iterations, -1)
                         for s in run_seeds])
        log(f"training chains with {n_hidden} hidden unit(s): BP {bp_iterations} and PC {pc_iterations} "
            f"iterations x {len(run_seeds)} seeds (vmapped)")
        bp = jax.jit(jax.vmap(lambda w, x: train_bp(w, x, -x, setup.lr)))(w0, bp_x)
        pc = jax.jit(jax.vmap(lambda w, x: train_pc(w, x, -x, setup, pc_stop_below_test_loss)))(w0, pc_x)
        n_pc = np.asarray(pc.active).sum(axis=1)
        out.update({"seeds": np.array(run_seeds), "stats_seeds": np.array(sorted(seeds)), "pc_iterations_run": n_pc})
        out.update({f"bp_{k}": np.asarray(v) for k, v in bp._asdict().items()})
        out.update({f"pc_{k}": np.asarray(v) for k, v in pc._asdict().items()})
        out["bp_x"], out["pc_x"] = bp_x, pc_x
        # the stream after PC: landscape batch, zero weights (H+1 draws), Hessian batch
        after = {s: rest[s][n_pc[i] * setup.batch_size:] for i, s in enumerate(run_seeds)}
        if landscape_seed is not None:
            i = run_seeds.index(landscape_seed)
            x_bp = bp_land[i][0]
            x_pc = setup.inputs(after[landscape_seed][: setup.batch_size])
            log(f"landscapes of seed {landscape_seed}: {landscape_resolution}^{n_layers} grid")
            for tag, x in (("bp", x_bp), ("pc", x_pc)):
                land = chain_landscape(n_hidden, x, -x, landscape_domain, landscape_resolution,
                                       setup.inference_steps, setup.dt)
                out.update({f"landscape_{tag}_{k}": v for k, v in land._asdict().items()})
                out[f"landscape_{tag}_x"] = x
            out["landscape_seed"] = np.array(landscape_seed)
        if hessian_seed is not None:
            tail = after[hessian_seed][setup.batch_size + n_layers:]
            x_hess = setup.inputs(tail[: setup.batch_size])
    if hessian_seed is not None:
        if not trained:
            stream = streams[hessian_seed]
            stream.weights(n_layers, setup.weight_scale)  # drawn by the notebook, unused
            stream.weights(n_layers, 0.0)                 # the zero weights
            x_hess = stream.batch()[0]
        spec = chain_spec(n_hidden)
        x = jnp.asarray(x_hess)[:, None]
        zero = chain_params(jnp.zeros(n_layers, x.dtype))
        steps = list(range(setup.inference_steps + 1))
        log(f"Hessians at the origin (H = {n_hidden}, seed {hessian_seed}), t = 0 … {steps[-1]}")
        energy = energy_hessians(spec, zero, x, -x, steps, setup.dt)
        out.update({"hessian_seed": np.array(hessian_seed), "hessian_x": np.asarray(x_hess),
                    "hessian_loss": loss_hessian(spec, zero, x, -x),
                    "hessian_energy": np.stack([energy[t] for t in steps]),
                    "hessian_theory": np.asarray(origin_energy_hessian(x, -x, spec))})
    return out


def depths(grid: dict) -> list[int]:
    """Every depth with a result file: the trained chains and the Hessian depths."""
    return sorted({c["n_hidden"] for c in grid["trained"]} | set(grid["hessian_depths"]))


def depth_arguments(grid: dict, n_hidden: int) -> dict:
    """Keyword arguments of :func:`analyse_depth` for one depth of a preset's ``chains`` grid."""
    trained = {c["n_hidden"]: c for c in grid["trained"]}.get(n_hidden)
    in_hessian = n_hidden in grid["hessian_depths"]
    return dict(
        setup=ChainSetup(**grid["setup"]),
        seeds=list(grid["seeds"]) if trained else [],
        bp_iterations=trained["bp_iterations"] if trained else None,
        pc_iterations=grid["pc_iterations"] if trained else None,
        pc_stop_below_test_loss=trained["pc_stop_below_test_loss"] if trained else None,
        landscape_seed=trained["showcase_seed"] if trained else None,
        landscape_domain=trained["domain"] if trained else None,
        landscape_resolution=grid["landscape_resolution"] if trained else None,
        hessian_seed=(trained["showcase_seed"] if trained else grid["hessian_seed"]) if in_hessian else None,
    )
