"""Adapter: figure family mupc_activity_hessian (rule mupc_activity_hessian)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pathlib import Path

import numpy as np
import pandas as pd

from pcrepro.pipeline.results import read_table, write_table
from pcrepro.plots.common import FigureWriter
from pcrepro.plots.mupc_analysis import draw_activity_hessian

sm = snakemake  # noqa: F821 (injected by Snakemake)
grid, results = sm.params.grid, Path(sm.params.results)
checks = []
with FigureWriter(sm.params.figures_root, footer=f"preset: {sm.params.preset} · seed 002") as writer:
    for setting in grid["settings"]:
        for act in grid["act_fns"]:
            summary = read_table(results / setting / f"{act}.parquet")
            with np.load(results / setting / f"{act}.npz") as f:
                draw_activity_hessian(writer, setting, act, {k: f[k] for k in f.files}, summary, grid)
            try:
                checks.append(pd.read_csv(results / setting / f"{act}_precision.csv"))
            except pd.errors.EmptyDataError:  # float64 spectra, or no cell small enough: nothing to check
                pass
write_table(pd.concat(checks, ignore_index=True) if checks else pd.DataFrame(), sm.output.precision)
writer.check([Path(p) for p in sm.output if not p.endswith(".csv")])
