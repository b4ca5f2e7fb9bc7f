# Reproduction workflow for the predictive-coding notebooks (see README.md).
#
#   snakemake --cores all                          # quick preset (config.yaml default)
#   snakemake --cores all --config preset=paper    # the notebooks' grids (GPU)
#   snakemake --cores all mupc_sweeps              # one figure family, by its id
#   snakemake --cores all claims                   # which findings the results reproduce
#
# Data flow: prepare_dataset -> train_cell (one job per grid cell, runs vmapped)
#            -> aggregate -> select (best learning rates) -> figure rules.

import os
from pathlib import Path

from snakemake.utils import min_version

from pcrepro.pipeline.config import validate_config
from pcrepro.pipeline.runtime import compilation_cache_env

min_version("8.20")  # as pyproject.toml asks

# Jobs in an environment of their own (--sdm conda) import the science from this checkout.
# (Set, not required: no envvars directive; update() also keeps the linter from reading it as one.)
os.environ.update(PYTHONPATH=os.pathsep.join(
    p for p in (str(Path(workflow.basedir) / "src"), os.environ.get("PYTHONPATH")) if p
))

# The workflow's own config.yaml, also when run with --directory elsewhere; more
# --configfile files are merged over it.
configfile: str(Path(workflow.basedir) / "config.yaml")


# Fail at parse time, naming the offending key, before any job runs.
validate_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")


# The static-export bound of every figure job (pcrepro.plots.export): through the environment,
# not as rule params, so that changing it reruns nothing.
os.environ.update(
    PCREPRO_EXPORT_TIMEOUT_S=str(config.get("figures", {}).get("export_timeout_s", 60)),
    PCREPRO_EXPORT_RETRIES=str(config.get("figures", {}).get("export_retries", 2)),
)
# JAX's persistent compilation cache of every job (config compute.compilation_cache), likewise.
os.environ.update(compilation_cache_env(config["compute"].get("compilation_cache"), Path.cwd()))


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/train.smk"
include: "rules/data.smk"
include: "rules/mupc_analysis.smk"
include: "rules/mupc.smk"
include: "rules/chains.smk"
include: "rules/dln_hessian.smk"
include: "rules/error_optim.smk"
include: "rules/double_descent.smk"
include: "rules/claims.smk"
include: "rules/bundle.smk"


rule all:
    default_target: True
    input:
        rules.mupc.input,
        rules.chains.input,
        rules.dln_hessian.input,
        rules.error_optim.input,
        rules.double_descent.input,
        rules.claims.output,


onstart:
    # Fail fast: a dataset that cannot be obtained, or a corrupt prepared dataset or result table,
    # stops the run here, once, before any job (with keep-going, the other jobs would otherwise run
    # for minutes and bury the message, and every job reading a corrupt file would lose its outputs).
    _problems = input_problems(workflow.dag) if hasattr(workflow, "dag") else []  # Snakemake's DAG of this run
    if _problems:
        raise SystemExit("\n\n".join(_problems))
    # One process that has imported the science forks every local job (pcrepro.pipeline.jobserver).
    from pcrepro.pipeline.jobserver import wanted as _job_server_wanted

    if _job_server_wanted(config["compute"].get("job_server", True)) and workflow.local_exec and not workflow.remote_exec:
        from pcrepro.pipeline.devices import visible_gpus
        from pcrepro.pipeline.jobserver import start as _start_job_server

        _start_job_server(".snakemake/pcrepro/job_server.log", visible_gpus(config["compute"].get("gpu_devices", "auto")))


onsuccess:
    # the run ends by saying which findings it reproduced (when it built the claims table)
    _claims = Path(f"results/{config['preset']}/claims.csv")
    if _claims.exists():
        import pandas as _pd
        from pcrepro.claims import summary_line

        print(f"Claims ({_claims}): {summary_line(_pd.read_csv(_claims))}")
