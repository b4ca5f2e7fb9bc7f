"""Figure families of study ``dln_hessian`` (seed 001), from the per-configuration results."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from pcrepro.studies.dln_hessian import DLNConfig, dln_configs, has_projections

from .common import FigureWriter
from .landscapes import (
    eigen_histogram,
    heatmap_series,
    hessian_heatmap,
    spectrum_overlay,
    surface_figure,
)

FAMILIES = ("dln_loss_hessian", "dln_energy_hessian", "dln_spectrum", "dln_projections")


def _domain(d: float) -> str:
    return f"{d:g}"


def dln_files(grid: dict) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {f: [] for f in FAMILIES}
    steps = sorted(grid["plot_steps"])
    for c in dln_configs(grid):
        files["dln_loss_hessian"] += [f"dln_loss_hessian/{c.id}/hessian_matrix.pdf",
                                      f"dln_loss_hessian/{c.id}/hessian_eigenvalues.pdf"]
        root = f"dln_energy_hessian/{c.id}"
        for kind in ("hessian_matrix", "log_hessian_matrix", "hessian_eigenvalues"):
            files["dln_energy_hessian"] += [f"{root}/{kind}_t{t}.pdf" for t in steps]
            files["dln_energy_hessian"].append(f"{root}/{kind}_inference.gif")
        files["dln_spectrum"].append(f"dln_spectrum/{c.id}.pdf")
        if has_projections(c, grid):
            root = f"dln_projections/{c.id}"
            for d in grid["projections"]["domains"]:
                files["dln_projections"].append(f"{root}/loss_surface_{_domain(d)}.pdf")
                files["dln_projections"] += [f"{root}/energy_surface_{_domain(d)}_t{t}.pdf" for t in steps]
                files["dln_projections"].append(f"{root}/energy_surface_{_domain(d)}_inference.gif")
    if not files["dln_projections"]:
        raise ValueError("dln_hessian.projections names no configuration of dln_hessian.configs")
    return files


def _standin(result: Mapping) -> bool:
    return str(result["source"]) != "real"


def draw_loss(w: FigureWriter, c: DLNConfig, r: Mapping) -> None:
    root = f"dln_loss_hessian/{c.id}"
    pool = int(r["heatmap_pool"])
    w.matplotlib(hessian_heatmap(r["loss_heatmap"], title=f"{c.id}: loss Hessian", pool=pool),
                 f"{root}/hessian_matrix.pdf", standin=_standin(r))
    w.plotly(eigen_histogram(r["loss_eigenvalues"], title="loss Hessian"), f"{root}/hessian_eigenvalues.pdf",
             standin=_standin(r))


def draw_energy(w: FigureWriter, c: DLNConfig, r: Mapping) -> None:
    root = f"dln_energy_hessian/{c.id}"
    steps = [int(t) for t in r["steps"]]
    titles = [f"Inference iteration = {t}" for t in steps]
    pool = int(r["heatmap_pool"])
    for kind, log in (("hessian_matrix", False), ("log_hessian_matrix", True)):
        heatmap_series(w, r["energy_heatmaps"], titles, [f"{root}/{kind}_t{t}.pdf" for t in steps],
                       f"{root}/{kind}_inference.gif", log=log, pool=pool)
    frames = []
    for t, values, title in zip(steps, r["energy_eigenvalues"], titles):
        fig = eigen_histogram(values, title=title)
        w.plotly(fig, f"{root}/hessian_eigenvalues_t{t}.pdf", standin=_standin(r))
        frames.append(fig)
    w.gif(frames, f"{root}/hessian_eigenvalues_inference.gif")


def draw_spectrum(w: FigureWriter, c: DLNConfig, r: Mapping) -> None:
    theory = r["theory_eigenvalues"] if "theory_eigenvalues" in r else None
    t = int(r["steps"][-1])
    fig, data = spectrum_overlay(r["loss_eigenvalues"], r["energy_eigenvalues"][-1], theory,
                                 title=f"{c.id}, t = {t}" + ("" if theory is not None else "<br><sup>no closed form here</sup>"))
    w.plotly(fig, f"dln_spectrum/{c.id}.pdf", data, standin=_standin(r))


def draw_projections(w: FigureWriter, c: DLNConfig, r: Mapping) -> None:
    root = f"dln_projections/{c.id}"
    steps = [int(t) for t in r["steps"]]
    labels = ("min eigvec", "max eigvec")
    for d, loss, energy in zip(r["projection_domains"], r["projection_loss"], r["projection_energy"]):
        axis = np.linspace(-d, d, loss.shape[0])
        w.matplotlib(surface_figure(axis, axis, loss, objective="ℒ", title=f"loss, domain {d:g}", labels=labels),
                     f"{root}/loss_surface_{_domain(d)}.pdf")
        z_max = float(energy.max()) * 2  # as the seed: one z range for every step
        frames = []
        for t in steps:
            fig = surface_figure(axis, axis, energy[..., t], objective="ℱ", z_max=z_max, labels=labels,
                                 title=f"Inference iteration: {t}")
            frames.append(w.matplotlib_frame(fig, f"{root}/energy_surface_{_domain(d)}_t{t}.pdf"))
        w.gif(frames, f"{root}/energy_surface_{_domain(d)}_inference.gif")
