"""Loss vs energy Hessians of deep linear networks at saddles (seed 001).

One configuration = (dataset, H hidden layers of width N, init type). For one batch of
64 examples it computes the loss Hessian, the energy Hessian after each listed number
of Euler inference steps (through the unrolled steps), their spectra, the closed form at
the origin, and — where asked — the loss and energy projected on the Hessians' extreme
eigenvectors. Matrices are in :mod:`pcrepro.core.hessian`'s vectorisation order.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from pcrepro.core.hessian import (
    eigenvalues,
    eigh,
    energy_hessians,
    flatten_weights,
    hessian_products,
    loss_hessian,
    pooled_for_display,
)
from pcrepro.core.landscape import projected_energy, projected_loss
from pcrepro.core.nets import NetSpec, Params, init_matrix
from pcrepro.core.theory import origin_energy_hessian
from pcrepro.data import REAL, load_prepared

INIT_TYPES = ("origin", "other_saddle")
DATASETS = ("toy_gaussian", "MNIST", "MNIST-1D")


@dataclass(frozen=True)
class DLNConfig:
    dataset: str
    n_hidden: int
    width: int
    init_type: str

    @property
    def id(self) -> str:
        return f"{self.dataset}_H{self.n_hidden}_N{self.width}_{self.init_type}"


def dln_configs(grid: dict) -> list[DLNConfig]:
    """Every configuration of the preset: each (H, N) of each dataset at the origin, and at
    the other saddle for the depths listed in ``other_saddle_depths``."""
    out = []
    for dataset, pairs in grid["configs"].items():
        for n_hidden, width in pairs:
            inits = ["origin"] + (["other_saddle"] if n_hidden in grid["other_saddle_depths"] else [])
            out += [DLNConfig(dataset, n_hidden, width, init) for init in inits]
    return out


def toy_sample(seed: int, n_hidden: int, batch_size: int, mean: float, std: float) -> tuple[np.ndarray, np.ndarray]:
    """Seed 001's toy batch, draw for draw (numpy legacy generator seeded with ``seed``): input
    dim 2 for H ≤ 2, else 3; y = −x, except for dim 3 and H = 4, where the second target row
    is an independent N(mean, std²) draw. Returned as [B, dim]."""
    rng = np.random.RandomState(seed)
    dim = 3 if n_hidden > 2 else 2
    x = rng.normal(mean, std, (dim, batch_size))
    y = -x
    if dim == 3 and n_hidden == 4:
        y[1, :] = rng.normal(mean, std, batch_size)
    return x.T.copy(), y.T.copy()


def image_sample(path: str | Path, seed: int, batch_size: int, normalise: dict | None) -> tuple[np.ndarray, np.ndarray, str]:
    """One shuffled training batch of a prepared dataset with one-hot targets; inputs in [0, 1]
    then, if given, (x − mean)/std (seed 001 normalises MNIST with 0.1307 / 0.3081 and leaves
    MNIST-1D as generated). The notebook shuffled with torch; here numpy's ``RandomState(seed)``."""
    data = load_prepared(Path(path))
    idx = np.random.RandomState(seed).permutation(len(data.x_train))[:batch_size]
    x = data.x_train[idx].astype(np.float64)
    if normalise:
        x = (x - normalise["mean"]) / normalise["std"]
    return x, data.y_train[idx].astype(np.float64), data.source


def init_dln(spec: NetSpec, init_type: str, seed: int) -> Params:
    """``origin``: every W = 0. ``other_saddle``: zero but the penultimate matrix W_{L−1},
    which keeps the standard uniform init U(±1/√fan_in) (seed 001)."""
    n = spec.width
    params = {"w_in": jnp.zeros((n, spec.input_dim)), "w_hidden": jnp.zeros((spec.n_hidden - 1, n, n)),
              "w_out": jnp.zeros((spec.output_dim, n))}
    if init_type == "origin":
        return params
    if init_type != "other_saddle":
        raise ValueError(f"init type {init_type!r} not in {INIT_TYPES}")
    if spec.n_hidden < 2:
        raise ValueError("other_saddle needs H >= 2 (its penultimate matrix is hidden-to-hidden)")
    w = init_matrix(jax.random.PRNGKey(seed), (n, n), "standard", params["w_in"].dtype)
    return {**params, "w_hidden": params["w_hidden"].at[-1].set(w)}


class HessianProgress:
    """Progress lines of a long Hessian job, at most every ``every_s`` seconds: products done
    of the total, elapsed time and the time left, estimated from the work done so far (a
    product after t inference steps costs about t + 1 times one of the loss).
    ``n_params``: the products per Hessian."""

    def __init__(self, label: str, n_params: int, steps: Sequence[int], log, every_s: float = 30.0):
        self.label, self.log, self.every_s = label, log, every_s
        self.n_params, self.steps = n_params, [int(t) for t in steps]
        self.total_products = n_params * (1 + len(self.steps))
        self.total_work = n_params * (1 + sum(t + 1 for t in self.steps))
        self.products = self.work = 0
        self.start = self.last = time.perf_counter()
        self.excluded = 0.0  # seconds spent on other work in between (eigen-decompositions)

    def exclude(self, seconds: float) -> None:
        """Leave ``seconds`` of other work out of the time-left estimate."""
        self.excluded += seconds

    def loss(self, done: int) -> None:
        self._advance(done, 1, base=0)

    def energy(self, t: int, done: int) -> None:
        i = self.steps.index(int(t))
        self._advance(done, int(t) + 1, base=self.n_params * (1 + i),
                      base_work=self.n_params * (1 + sum(s + 1 for s in self.steps[:i])))

    def _advance(self, done: int, weight: int, base: int, base_work: int = 0) -> None:
        self.products, self.work = base + done, base_work + weight * done
        now = time.perf_counter()
        if now - self.last < self.every_s and self.products < self.total_products:
            return
        self.last, elapsed = now, now - self.start
        left = (elapsed - self.excluded) * (self.total_work - self.work) / max(self.work, 1)
        self.log(f"{self.label}: {self.products}/{self.total_products} Hessian-vector products, "
                 f"{elapsed:.0f} s elapsed, about {left:.0f} s left")


def analyse(config: DLNConfig, x: np.ndarray, y: np.ndarray, *, seed: int, plot_steps: Sequence[int], dt: float,
            heatmap_max_size: int, chunk_size: int, projections: dict | None = None, log=print,
            progress_every_s: float = 30.0) -> dict[str, np.ndarray]:
    """Hessians, spectra and (optionally) projections of one configuration, as arrays for an npz.
    Eigenvectors are computed only for the projections; the log ends with the time spent in
    dense eigen-decompositions against the whole."""
    started = time.perf_counter()
    x, y = jnp.asarray(x), jnp.asarray(y)
    spec = NetSpec(input_dim=x.shape[1], width=config.width, n_hidden=config.n_hidden, output_dim=y.shape[1])
    params = init_dln(spec, config.init_type, seed)
    n_params = int(flatten_weights(params).shape[0])
    steps = sorted(int(t) for t in plot_steps)
    out: dict[str, np.ndarray] = {"n_params": np.array(n_params), "steps": np.array(steps)}
    products = hessian_products(params, spec, x, y)
    progress = HessianProgress(config.id, products, steps, log, progress_every_s)
    eigen = {"seconds": 0.0, "done": 0}

    n_eigen = len(steps) + 1 + (config.init_type == "origin")
    heartbeat = getattr(log, "heartbeat", lambda message: contextlib.nullcontext())

    def timed(solver, matrix):
        """An eigen-decomposition, timed; one LAPACK call holds the GIL for up to minutes, so a
        separate process logs that it is running (the products' time-left estimate leaves it out)."""
        t0 = time.perf_counter()
        with heartbeat(f"{config.id}: eigen-decomposition {eigen['done'] + 1}/{n_eigen} of a {len(matrix)}² matrix"):
            result = solver(matrix)
        seconds = time.perf_counter() - t0
        eigen["seconds"] += seconds
        eigen["done"] += 1
        progress.exclude(seconds)
        return result

    log(f"{config.id}: {n_params} weights ({products} Hessian-vector products per Hessian); the loss Hessian, "
        f"then energy Hessians at t = {steps}")
    loss = loss_hessian(spec, params, x, y, chunk_size, on_chunk=progress.loss)
    if projections:
        out["loss_eigenvalues"], loss_vectors = timed(eigh, loss)
    else:
        out["loss_eigenvalues"] = timed(eigenvalues, loss)
    out["loss_heatmap"], out["heatmap_pool"] = pooled_for_display(loss, heatmap_max_size)
    del loss
    energy = energy_hessians(spec, params, x, y, steps, dt, chunk_size, on_chunk=progress.energy)
    log(f"{config.id}: eigenvalues of {n_eigen} Hessians of {n_params}x{n_params}")
    heatmaps, spectra = [], []
    for t in steps:
        heatmaps.append(pooled_for_display(energy[t], heatmap_max_size)[0])
        if projections and t == steps[-1]:
            values, energy_vectors = timed(eigh, energy[t])
            spectra.append(values)
        else:
            spectra.append(timed(eigenvalues, energy[t]))
    out["energy_heatmaps"], out["energy_eigenvalues"] = np.stack(heatmaps), np.stack(spectra)
    if config.init_type == "origin":
        theory = np.asarray(origin_energy_hessian(x, y, spec))
        out["theory_eigenvalues"] = timed(eigenvalues, theory)
        out["theory_max_abs_error"] = np.abs(energy[steps[-1]] - theory).max()
    if projections:
        w0 = flatten_weights(params)
        # Eigenvectors are the *columns* of eigh's result: the notebook took rows 0 and −1.
        loss_dirs = jnp.asarray(np.stack([loss_vectors[:, 0], loss_vectors[:, -1]]))
        energy_dirs = jnp.asarray(np.stack([energy_vectors[:, 0], energy_vectors[:, -1]]))
        domains, resolution = projections["domains"], projections["resolution"]
        log(f"{config.id}: projections on {len(domains)} domains, {resolution}^2 points")
        out["projection_domains"] = np.array(domains, dtype=float)
        out["projection_loss"] = np.stack([projected_loss(spec, w0, loss_dirs, x, y, d, resolution) for d in domains])
        out["projection_energy"] = np.stack([projected_energy(spec, w0, energy_dirs, x, y, d, resolution, steps[-1], dt)
                                             for d in domains])
    total = time.perf_counter() - started
    log(f"{config.id}: done in {total:.1f} s, of which {eigen['seconds']:.1f} s in dense eigen-decompositions "
        f"(whole / eigen = {total / max(eigen['seconds'], 1e-9):.2f})")
    return out


def load_sample(config: DLNConfig, grid: dict, prepared: dict[str, str]) -> tuple[np.ndarray, np.ndarray, str]:
    """The batch a configuration is analysed on, and whether it is real or a stand-in."""
    if config.dataset == "toy_gaussian":
        toy = grid["toy"]
        x, y = toy_sample(grid["seed"], config.n_hidden, grid["batch_size"], toy["data_mean"], toy["data_std"])
        return x, y, REAL
    normalise = grid["normalise"].get(config.dataset)
    return image_sample(prepared[config.dataset], grid["seed"], grid["batch_size"], normalise)


def has_projections(config: DLNConfig, grid: dict) -> bool:
    """Whether ``config`` is the one configuration whose landscapes are projected (``grid["projections"]``)."""
    p = grid["projections"]
    return bool(p) and (config.dataset, config.n_hidden, config.width) == (p["dataset"], p["n_hidden"], p["width"])
