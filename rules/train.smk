# The generic training path every sweep goes through (cells registered in CELLS by the
# study files): train_cell -> aggregate -> select.


wildcard_constraints:
    cell=r"[A-Za-z0-9_.\-]+",


rule train_cell:
    """One grid cell: all its runs (seeds x learning rates x decays) vmapped in one job."""
    input:
        unpack(train_cell_inputs),
    output:
        f"{RESULTS}/{{study}}/runs/{{cell}}.parquet",
    threads: COMPUTE_THREADS
    params:
        code=code_version("train_cell.py"),
        cell=lambda wc: CELLS[wc.study][wc.cell],
        max_runs_per_program=config["compute"]["max_runs_per_program"],
        # changes a one-run cell's float32 bits (compute.cpu_split_batch); the device count does not
        split_batch=config["compute"].get("cpu_split_batch", False),
        # XLA's cheapest pipeline only where compiling, not training, dominates the job
        fast_compile=lambda wc: FAST_COMPILE and fast_compile_pays(CELLS[wc.study][wc.cell]),
    resources:
        gpu=1,
        runtime=runtime_minutes(cell_minutes),
        mem_mb=memory_mb(16000),
    benchmark:
        f"logs/{PRESET}/{{study}}/{{cell}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/{{study}}/{{cell}}.log",
    conda:
        COMPUTE_ENV
    script:
        "../workflow_scripts/train_cell.py"


rule aggregate:
    """Concatenate a study's per-cell tables into one tidy table."""
    input:
        study_runs,
    output:
        f"{RESULTS}/{{study}}/runs.parquet",
    params:
        code=code_version("aggregate.py"),
    log:
        f"logs/{PRESET}/{{study}}/aggregate.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/aggregate.py"


rule select:
    """Best learning rate per selection group, by the rule in config.yaml (selection)."""
    input:
        f"{RESULTS}/{{study}}/runs.parquet",
    output:
        f"{RESULTS}/{{study}}/selection.csv",
    params:
        code=code_version("select.py"),
        selection=config["selection"],
        group_by=lambda wc: SELECT_BY[wc.study],
        lr_key=lambda wc: SELECT_LR.get(wc.study, "activity_lr"),
    log:
        f"logs/{PRESET}/{{study}}/select.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/select.py"
