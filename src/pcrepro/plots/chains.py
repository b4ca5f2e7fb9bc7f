"""Figure families of study ``chains`` (seed 000), from the per-depth result files.

``chains_files`` names every file a family holds (the rules declare exactly these);
``draw_chains`` draws them. Paths are relative to the preset's figure folder.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from pcrepro.studies.chains import chain_equilibrated_energy, chain_loss

from .common import FigureWriter, subsample
from .landscapes import (
    ENERGY,
    LAYER_COLORS,
    LOSS,
    contour_figure,
    heatmap_series,
    hessian_heatmap,
    layer_names,
    lines_figure,
    predictions_gif,
    spectrum_overlay,
    stats_figure,
    surface_figure,
    volume_figure,
)

FAMILIES = ("chains_curves", "chains_stats", "chains_loss_landscape", "chains_energy_landscape",
            "chains_predictions", "chains_hessian")


def run_seeds(grid: dict, chain: dict) -> list[int]:
    return sorted(set(grid["seeds"]) | {chain["showcase_seed"]})


def chains_files(grid: dict) -> dict[str, list[str]]:
    """Every file of every chains family for this preset's grid."""
    files: dict[str, list[str]] = {f: [] for f in FAMILIES}
    steps = grid["landscape_steps"]
    for chain in grid["trained"]:
        h = chain["n_hidden"]
        for seed in run_seeds(grid, chain):
            for name in ("bp_losses", "bp_weights", "bp_gradients", "pc_losses", "pc_weights", "pc_gradients",
                         "pc_energies"):
                files["chains_curves"].append(f"chains_curves/H{h}/seed{seed}/{name}.pdf")
        files["chains_stats"] += [f"chains_stats/H{h}/{m}_stats.pdf" for m in ("train_loss", "test_loss", "gradient_norm")]
        loss, energy = f"chains_loss_landscape/H{h}", f"chains_energy_landscape/H{h}"
        if h == 1:
            files["chains_loss_landscape"] += [f"{loss}/{n}" for n in (
                "loss_surface_trajectory.pdf", "loss_contour.pdf", "loss_contour_trajectory.pdf",
                "loss_contour_training.gif")]
            files["chains_energy_landscape"] += [f"{energy}/energy_{kind}_t{t}.pdf" for t in steps
                                                 for kind in ("contour", "surface")]
            files["chains_energy_landscape"] += [f"{energy}/{n}" for n in (
                "energy_contour_inference.gif", "energy_surface_inference.gif",
                "equilibrium_energy_contour_trajectory.pdf", "equilibrium_energy_surface_trajectory.pdf",
                "equilibrium_energy_contour_training.gif")]
        elif h == 2:
            files["chains_loss_landscape"] += [f"{loss}/loss_volume_trajectory.pdf", f"{loss}/loss_volume_training.gif"]
            files["chains_energy_landscape"] += [f"{energy}/energy_volume_t{t}.pdf" for t in steps]
            files["chains_energy_landscape"] += [f"{energy}/energy_volume_inference.gif",
                                                 f"{energy}/equilibrium_energy_volume_trajectory.pdf"]
        else:
            raise ValueError(f"chains: landscapes are drawn for 1 or 2 hidden units, not {h}")
        files["chains_predictions"] += [f"chains_predictions/H{h}/bp_predictions_training.gif",
                                        f"chains_predictions/H{h}/pc_predictions_training_inference.gif"]
    n_steps = grid["setup"]["inference_steps"]
    for h in grid["hessian_depths"]:
        root = f"chains_hessian/H{h}"
        files["chains_hessian"] += [f"{root}/loss_hessian.pdf"]
        files["chains_hessian"] += [f"{root}/energy_hessian_t{t}.pdf" for t in range(n_steps + 1)]
        files["chains_hessian"] += [f"{root}/energy_hessian_inference.gif", f"{root}/hessian_eigenspectrum.pdf"]
    return files


def _active(result, seed_index: int) -> int:
    return int(result["pc_iterations_run"][seed_index])


def draw_curves(w: FigureWriter, h: int, result: Mapping) -> None:
    n_layers = h + 1
    for i, seed in enumerate(result["seeds"]):
        root = f"chains_curves/H{h}/seed{seed}"
        n_pc = _active(result, i)
        for method, n in (("bp", None), ("pc", n_pc)):
            cut = slice(None, n)
            fig, data = lines_figure({"train": result[f"{method}_train_loss"][i][cut],
                                      "test": result[f"{method}_test_loss"][i][cut]}, y_title=LOSS)
            w.plotly(fig, f"{root}/{method}_losses.pdf", data)
            weights = result[f"{method}_weights"][i][: None if n is None else n + 1]
            fig, data = lines_figure(dict(zip(layer_names("w", n_layers), weights.T)), y_title="Value",
                                     colors=LAYER_COLORS)
            w.plotly(fig, f"{root}/{method}_weights.pdf", data)
            fig, data = lines_figure(dict(zip(layer_names("∂w", n_layers), result[f"{method}_grads"][i][cut].T)),
                                     y_title="Value", colors=LAYER_COLORS)
            w.plotly(fig, f"{root}/{method}_gradients.pdf", data)
        energies = result["pc_layer_energies"][i][:n_pc]  # [T, t+1, L]
        series = dict(zip(layer_names(ENERGY, n_layers), energies.reshape(-1, n_layers).T))
        fig, data = lines_figure(series, y_title=ENERGY, x_title="Iteration (training × inference)", width=420)
        w.plotly(fig, f"{root}/pc_energies.pdf", data)


def draw_stats(w: FigureWriter, h: int, result: Mapping) -> None:
    seeds = list(result["seeds"])
    idx = [seeds.index(s) for s in result["stats_seeds"]]
    n_pc = min(_active(result, i) for i in idx)  # as the seed: cut to the shortest run
    grad_norm = {m: np.linalg.norm(result[f"{m}_grads"], axis=-1) for m in ("bp", "pc")}
    for name, bp, pc, title in (
            ("train_loss", result["bp_train_loss"], result["pc_train_loss"], f"{LOSS}<sub>train</sub>"),
            ("test_loss", result["bp_test_loss"], result["pc_test_loss"], f"{LOSS}<sub>test</sub>"),
            ("gradient_norm", grad_norm["bp"], grad_norm["pc"], "‖∂θ‖<sub>2</sub>")):
        fig, data = stats_figure(bp[idx], pc[idx][:, :n_pc], y_title=title)
        w.plotly(fig, f"chains_stats/H{h}/{name}_stats.pdf", data)


def draw_loss_landscape(w: FigureWriter, h: int, result: Mapping, max_frames: int | None) -> None:
    root = f"chains_loss_landscape/H{h}"
    seed_index = list(result["seeds"]).index(int(result["landscape_seed"]))
    axis, loss = result["landscape_bp_axis"], result["landscape_bp_loss"]
    x = result["landscape_bp_x"]
    trajectory = result["bp_weights"][seed_index]
    if h == 1:
        descent = result["landscape_bp_loss_descent"]
        along = np.array([chain_loss(wt, x, -x) for wt in trajectory])
        w.matplotlib(surface_figure(axis, axis, loss, objective="ℒ", title="BP",
                                    trajectory=np.column_stack([trajectory, along])), f"{root}/loss_surface_trajectory.pdf")
        w.plotly(contour_figure(axis, loss, descent, objective=LOSS, title="BP"), f"{root}/loss_contour.pdf")
        w.plotly(contour_figure(axis, loss, descent, objective=LOSS, title="BP", trajectory=trajectory),
                 f"{root}/loss_contour_trajectory.pdf")
        frames = [contour_figure(axis, loss, descent, objective=LOSS, title=f"BP, iteration {k}",
                                 trajectory=trajectory[: k + 1])
                  for k in subsample(range(len(trajectory)), max_frames)]
        w.gif(frames, f"{root}/loss_contour_training.gif", 300)
    else:
        w.matplotlib(volume_figure(axis, loss, title="BP: loss", trajectory=trajectory),
                     f"{root}/loss_volume_trajectory.pdf")
        frames = (volume_figure(axis, loss, title=f"BP, iteration {k}", trajectory=trajectory[: k + 1])
                  for k in subsample(range(len(trajectory)), max_frames))  # drawn and closed one by one
        w.gif(frames, f"{root}/loss_volume_training.gif", 300)


def draw_energy_landscape(w: FigureWriter, h: int, result: Mapping, steps: list[int], max_frames: int | None) -> None:
    root = f"chains_energy_landscape/H{h}"
    seed_index = list(result["seeds"]).index(int(result["landscape_seed"]))
    axis, energy = result["landscape_pc_axis"], result["landscape_pc_energy"]
    equilibrium = result["landscape_pc_equilibrium"]
    x = result["landscape_pc_x"]
    trajectory = result["pc_weights"][seed_index][: _active(result, seed_index) + 1]
    if h == 1:
        descent = result["landscape_pc_energy_descent"]
        contours, surfaces = [], []
        z_max = float(energy[..., steps].max())
        for t in steps:
            c = contour_figure(axis, energy[..., t], descent[..., t, :], objective=ENERGY, title=f"PC, t = {t}")
            w.plotly(c, f"{root}/energy_contour_t{t}.pdf")
            contours.append(c)
            surface = surface_figure(axis, axis, energy[..., t], objective="ℱ", title=f"PC, t = {t}", z_max=z_max)
            surfaces.append(w.matplotlib_frame(surface, f"{root}/energy_surface_t{t}.pdf"))
        w.gif(contours, f"{root}/energy_contour_inference.gif")
        w.gif(surfaces, f"{root}/energy_surface_inference.gif")
        eq_descent = result["landscape_pc_equilibrium_descent"]
        title = "PC, equilibrated energy ℱ*"
        w.plotly(contour_figure(axis, equilibrium, eq_descent, objective=ENERGY + "*", title=title,
                                trajectory=trajectory), f"{root}/equilibrium_energy_contour_trajectory.pdf")
        along = np.array([chain_equilibrated_energy(wt, x, -x) for wt in trajectory])
        w.matplotlib(surface_figure(axis, axis, equilibrium, objective="ℱ*", title=title,
                                    trajectory=np.column_stack([trajectory, along])),
                     f"{root}/equilibrium_energy_surface_trajectory.pdf")
        frames = [contour_figure(axis, equilibrium, eq_descent, objective=ENERGY + "*", title=f"PC, iteration {k}",
                                 trajectory=trajectory[: k + 1]) for k in subsample(range(len(trajectory)), max_frames)]
        w.gif(frames, f"{root}/equilibrium_energy_contour_training.gif", 300)
    else:
        volumes = []
        for t in steps:
            volume = volume_figure(axis, energy[..., t], title=f"PC, t = {t}")
            volumes.append(w.matplotlib_frame(volume, f"{root}/energy_volume_t{t}.pdf"))
        w.gif(volumes, f"{root}/energy_volume_inference.gif")
        w.matplotlib(volume_figure(axis, equilibrium, title="PC, equilibrated energy ℱ*", trajectory=trajectory),
                     f"{root}/equilibrium_energy_volume_trajectory.pdf")


def draw_predictions(w: FigureWriter, h: int, result: Mapping, max_frames: int | None) -> None:
    root = f"chains_predictions/H{h}"
    i = list(result["seeds"]).index(int(result["landscape_seed"]))
    bp_x = result["bp_x"][i]
    frames = [(-bp_x[k], result["bp_predictions"][i][k], f"BP, training iteration {k + 1}")
              for k in subsample(range(len(bp_x)), max_frames)]
    predictions_gif(w, frames, f"{root}/bp_predictions_training.gif")
    n_steps = result["pc_predictions"].shape[2] - 1
    pc_x, n_pc = result["pc_x"][i], _active(result, i)
    pairs = [(k, t) for k in range(n_pc) for t in (0, n_steps // 2, n_steps)]
    frames = [(-pc_x[k], result["pc_predictions"][i][k, t], f"PC, training iteration {k + 1}, t = {t}")
              for k, t in subsample(pairs, max_frames)]
    predictions_gif(w, frames, f"{root}/pc_predictions_training_inference.gif")


def draw_hessian(w: FigureWriter, h: int, result: Mapping) -> None:
    root = f"chains_hessian/H{h}"
    w.matplotlib(hessian_heatmap(result["hessian_loss"], title="Loss Hessian at the origin"), f"{root}/loss_hessian.pdf")
    steps = range(len(result["hessian_energy"]))
    heatmap_series(w, result["hessian_energy"], [f"Inference iteration = {t}" for t in steps],
                   [f"{root}/energy_hessian_t{t}.pdf" for t in steps], f"{root}/energy_hessian_inference.gif")
    eig = np.linalg.eigvalsh
    fig, data = spectrum_overlay(eig(result["hessian_loss"]), eig(result["hessian_energy"][-1]),
                                 eig(result["hessian_theory"]), title=f"H = {h}, t = {len(result['hessian_energy']) - 1}")
    w.plotly(fig, f"{root}/hessian_eigenspectrum.pdf", data)
