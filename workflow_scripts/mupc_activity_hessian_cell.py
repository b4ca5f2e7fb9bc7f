"""Adapter: activity-Hessian spectra of one (setting, activation) over the N x H grid
(rule mupc_activity_hessian_cell). Outside Snakemake: benchmarks/speed/bench_mupc_analysis.py."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.provenance import finished, from_snakemake
from pcrepro.pipeline.runtime import start_job

sm = snakemake  # noqa: F821 (injected by Snakemake)
# before JAX starts its backend: XLA flags, and one GPU of its own for a GPU job
start_job(sm.params.fast_compile, getattr(sm.resources, "gpu", 0), sm.config["compute"], sm.log[0])
prov = from_snakemake(sm, dtype=sm.params.grid["eigen_dtype"])  # this job's provenance record, started now

import jax

jax.config.update("jax_enable_x64", True)  # for the float64 precision check; the spectra use eigen_dtype


from pcrepro.data import save_npz_atomic
from pcrepro.pipeline.progress import log_to
from pcrepro.pipeline.results import write_table
from pcrepro.studies.mupc_analysis.activity_spectra import analyse

grid = sm.params.grid
with log_to(sm.log[0]) as log:
    arrays, summary, precision = analyse(
        sm.wildcards.setting, sm.wildcards.act, grid["widths"], grid["n_hiddens"], grid["seeds"],
        dtype=grid["eigen_dtype"], check_size=grid["precision_check_size"], log=log)
    write_table(precision, sm.output.precision, finished(prov))
    write_table(summary, sm.output.summary, finished(prov))
    save_npz_atomic(sm.output.spectra, finished(prov), **arrays)
