# Reproduction workflow for the predictive-coding notebooks (see README.md).
#
#   snakemake --cores all                          # quick preset (config.yaml default)
#   snakemake --cores all --config preset=paper    # the notebooks' grids (GPU)
#   snakemake --cores all mupc_sweeps              # one figure family, by its id in FIGURES.md
#
# Data flow: prepare_dataset -> train_cell (one job per grid cell, runs vmapped)
#            -> aggregate -> select (best learning rates) -> figure rules.

from pathlib import Path

from pcrepro.config import validate_config

# The workflow's own config.yaml, also when run with --directory elsewhere; more
# --configfile files are merged over it.
configfile: str(Path(workflow.basedir) / "config.yaml")


# Fail at parse time, naming the offending key, before any job runs.
validate_config(config, Path(workflow.basedir) / "schemas" / "config.schema.yaml")


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/mupc_analysis.smk"
include: "rules/mupc.smk"
include: "rules/chains.smk"
include: "rules/dln.smk"
include: "rules/error_optim.smk"
include: "rules/double_descent.smk"


rule all:
    default_target: True
    input:
        rules.mupc.input,
        rules.chains.input,
        rules.dln_hessian.input,
        rules.error_optim.input,
        rules.double_descent.input,
