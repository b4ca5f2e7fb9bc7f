# Helpers shared by every study: preset paths, the cell registry, and the
# generic train / aggregate / select rules that every study's cells go through.

from pcrepro.config import preset_config

PRESET = config["preset"]
GRIDS = preset_config(config)  # the chosen preset's study grids
RESULTS = f"results/{PRESET}"
FIGURES = f"figures/{PRESET}"
DATA_DIR = config["data"]["cache_dir"]
# Small CPU runs are dominated by XLA compile time (one program per shape): the quick
# preset asks for XLA's cheapest pipeline (pcrepro.runtime.fast_compile) in every compute job.
FAST_COMPILE = PRESET == "quick"

# study -> {cell id -> cell dict}; each study's .smk registers its cells here.
CELLS = {}
# study -> keys over which select picks one best learning rate each.
SELECT_BY = {}
# study -> the learning rate it selects (activity_lr unless the study says otherwise).
SELECT_LR = {}


def prepared_dataset(name):
    return f"{DATA_DIR}/prepared/{name}.npz"


def study_runs(wildcards):
    return expand(f"{RESULTS}/{wildcards.study}/runs/{{cell}}.parquet", cell=sorted(CELLS[wildcards.study]))


wildcard_constraints:
    cell=r"[A-Za-z0-9_.\-]+",


def train_cell_inputs(wildcards):
    """The cell's prepared dataset, and the selection table it takes its lrs from, if any."""
    cell = CELLS[wildcards.study][wildcards.cell]
    inputs = {"dataset": prepared_dataset(cell["dataset"])}
    source = cell["runs"].get("lrs_from")
    if source:
        inputs["selection"] = f"{RESULTS}/{source['study']}/selection.csv"
    return inputs


rule train_cell:
    """One grid cell: all its runs (seeds x learning rates x decays) vmapped in one job."""
    input:
        unpack(train_cell_inputs),
    output:
        f"{RESULTS}/{{study}}/runs/{{cell}}.parquet",
    params:
        cell=lambda wc: CELLS[wc.study][wc.cell],
        max_runs_per_program=config["compute"]["max_runs_per_program"],
        fast_compile=FAST_COMPILE,
    resources:
        gpu=1,
    log:
        f"logs/{PRESET}/{{study}}/{{cell}}.log",
    script:
        "../workflow_scripts/train_cell.py"


rule aggregate:
    """Concatenate a study's per-cell tables into one tidy table."""
    input:
        study_runs,
    output:
        f"{RESULTS}/{{study}}/runs.parquet",
    localrule: True
    script:
        "../workflow_scripts/aggregate.py"


rule select:
    """Best learning rate per selection group, by the rule in config.yaml (selection)."""
    input:
        f"{RESULTS}/{{study}}/runs.parquet",
    output:
        f"{RESULTS}/{{study}}/selection.csv",
    params:
        selection=config["selection"],
        group_by=lambda wc: SELECT_BY[wc.study],
        lr_key=lambda wc: SELECT_LR.get(wc.study, "activity_lr"),
    localrule: True
    script:
        "../workflow_scripts/select.py"
