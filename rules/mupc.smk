# Study "mupc" (seed 002, the muPC paper): the training families, one rule per figure id
# (docs/figures.md). Every sweep trains through the generic train_cell rule (common.smk)
# and picks its best lrs with the select rule; every "best" figure reads that selection.
#   mupc_sweeps        muPC activity-lr sweeps, best accuracy vs width / depth, κ(H_z)
#   mupc_pc_sweeps     standard PC, four variants
#   mupc_activity_decay, mupc_bp_baseline, mupc_long_runs
#   mupc_hp_transfer   weight lr x activity lr contours (muPC and sp)
#   mupc_pc_baseline   standard PC best accuracy vs depth (reads mupc_hp_transfer)
#   mupc_vs_pc_vs_bp   the main figure (reads the sweeps above, trains BP and the deep PC runs)
# The analysis families (activity Hessian, forward pass, energy theory) are in mupc_analysis.smk.

from pcrepro.pipeline.cells import training_cells
from pcrepro.studies.mupc_training import transfer_interval
from pcrepro.plots import mupc as mupc_plots

SWEEPS = GRIDS["mupc_sweeps"]
CELLS["mupc_sweeps"] = training_cells("mupc_sweeps", config)
SELECT_BY["mupc_sweeps"] = SWEEPS["select_by"]
# κ(H_z) over training: cells of their own at the notebook's lr and evaluation interval
CELLS["mupc_condition_numbers"] = training_cells("mupc_condition_numbers", config)
KAPPA_TABLE = [f"{RESULTS}/mupc_condition_numbers/runs.parquet"] if CELLS["mupc_condition_numbers"] else []

MUPC_SWEEPS_FIGURES = {k: figures("mupc_sweeps", v) for k, v in mupc_plots.sweeps_files(SWEEPS).items()}


rule mupc_sweeps_figures:
    input:
        table=f"{RESULTS}/mupc_sweeps/runs.parquet",
        selection=f"{RESULTS}/mupc_sweeps/selection.csv",
        condition_numbers=KAPPA_TABLE,
    output:
        **MUPC_SWEEPS_FIGURES,
    params:
        code=code_version("plot_mupc_sweeps.py"),
        grid={k: SWEEPS.get(k) for k in ("act_fns", "depth_sweep", "width_sweep", "select_by", "condition_numbers")},
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_sweeps.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_sweeps.py"


rule mupc_sweeps:
    """Figure family mupc_sweeps (docs/figures.md)."""
    input:
        *[f for files in MUPC_SWEEPS_FIGURES.values() for f in files],
        f"{RESULTS}/mupc_sweeps/selection.csv",


PC_SWEEPS = GRIDS["mupc_pc_sweeps"]
CELLS["mupc_pc_sweeps"] = training_cells("mupc_pc_sweeps", config)
SELECT_BY["mupc_pc_sweeps"] = PC_SWEEPS["select_by"]


PC_SWEEPS_FIGURES = {k: figures("mupc_pc_sweeps", v) for k, v in mupc_plots.pc_sweeps_files(PC_SWEEPS).items()}


rule mupc_pc_sweeps_figures:
    input:
        table=f"{RESULTS}/mupc_pc_sweeps/runs.parquet",
        selection=f"{RESULTS}/mupc_pc_sweeps/selection.csv",
    output:
        **PC_SWEEPS_FIGURES,
    params:
        code=code_version("plot_mupc_pc_sweeps.py"),
        grid={k: PC_SWEEPS[k] for k in ("datasets", "act_fns", "width", "n_hiddens", "variants", "select_by",
                                          "condition_numbers")},
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_pc_sweeps.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_pc_sweeps.py"


rule mupc_pc_sweeps:
    """Figure family mupc_pc_sweeps (docs/figures.md): standard PC, four variants."""
    input:
        *[f for files in PC_SWEEPS_FIGURES.values() for f in files],
        f"{RESULTS}/mupc_pc_sweeps/selection.csv",


DECAY = GRIDS["mupc_activity_decay"]
CELLS["mupc_activity_decay"] = training_cells("mupc_activity_decay", config)
DECAY_FIGURES = figures("mupc_activity_decay", mupc_plots.activity_decay_files(DECAY))


rule mupc_activity_decay:
    """Figure family mupc_activity_decay (docs/figures.md): max test accuracy vs activity decay."""
    input:
        f"{RESULTS}/mupc_activity_decay/runs.parquet",
    output:
        DECAY_FIGURES,
    params:
        code=code_version("plot_mupc_activity_decay.py"),
        activity_lrs=DECAY["activity_lrs"],
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_activity_decay.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_activity_decay.py"


BP_BASELINE = GRIDS["mupc_bp_baseline"]
CELLS["mupc_bp_baseline"] = training_cells("mupc_bp_baseline", config)
SELECT_BY["mupc_bp_baseline"] = ["dataset", "epochs", "act_fn"]
SELECT_LR["mupc_bp_baseline"] = "weight_lr"
BP_BASELINE_FIGURES = figures("mupc_bp_baseline", mupc_plots.bp_baseline_files(BP_BASELINE))


rule mupc_bp_baseline:
    """Figure family mupc_bp_baseline (docs/figures.md): BP with Depth-muP, weight-lr sweep."""
    input:
        table=f"{RESULTS}/mupc_bp_baseline/runs.parquet",
        selection=f"{RESULTS}/mupc_bp_baseline/selection.csv",
    output:
        BP_BASELINE_FIGURES,
    params:
        code=code_version("plot_mupc_bp_baseline.py"),
        blocks=BP_BASELINE["blocks"],
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_bp_baseline.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_bp_baseline.py"


LONG_RUNS = GRIDS["mupc_long_runs"]
CELLS["mupc_long_runs"] = training_cells("mupc_long_runs", config)
LONG_RUNS_FIGURES = figures("mupc_long_runs", mupc_plots.long_runs_files(LONG_RUNS))


rule mupc_long_runs:
    """Figure family mupc_long_runs (docs/figures.md): deep ReLU muPC trained for several epochs."""
    input:
        f"{RESULTS}/mupc_long_runs/runs.parquet",
    output:
        LONG_RUNS_FIGURES,
    params:
        code=code_version("plot_mupc_long_runs.py"),
        blocks=LONG_RUNS["blocks"],
        n_hidden=LONG_RUNS["n_hidden"],
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_long_runs.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_long_runs.py"


TRANSFER = GRIDS["mupc_hp_transfer"]
CELLS["mupc_hp_transfer"] = training_cells("mupc_hp_transfer", config)
SELECT_BY["mupc_hp_transfer"] = TRANSFER["select_by"]
SELECT_LR["mupc_hp_transfer"] = ["weight_lr", "activity_lr"]


TRANSFER_CONTOURS = mupc_plots.transfer_contours(TRANSFER)


rule mupc_hp_transfer:
    """Figure family mupc_hp_transfer (docs/figures.md): weight lr x activity lr contours."""
    input:
        table=f"{RESULTS}/mupc_hp_transfer/runs.parquet",
        selection=f"{RESULTS}/mupc_hp_transfer/selection.csv",
    output:
        figures("mupc_hp_transfer", [row[-1] for row in TRANSFER_CONTOURS]),
    params:
        code=code_version("plot_mupc_hp_transfer.py"),
        contours=[row[:-1] for row in TRANSFER_CONTOURS],
        select_by=TRANSFER["select_by"],
        failed_if=TRANSFER["failed_if"],
        stopped_points=TRANSFER["stopped_points"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_hp_transfer.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_hp_transfer.py"


PC_BASELINE_FIGURES = figures("mupc_pc_baseline", mupc_plots.pc_baseline_files(TRANSFER))


rule mupc_pc_baseline:
    """Figure family mupc_pc_baseline (docs/figures.md): standard PC (sp, skips) at the
    (weight lr, activity lr) that mupc_hp_transfer selected per depth; no training of its own."""
    input:
        table=f"{RESULTS}/mupc_hp_transfer/runs.parquet",
        selection=f"{RESULTS}/mupc_hp_transfer/selection.csv",
    output:
        PC_BASELINE_FIGURES,
    params:
        code=code_version("plot_mupc_pc_baseline.py"),
        dataset=TRANSFER["dataset"],
        act_fns=TRANSFER["act_fns"],
        width=TRANSFER["depth_sweep"]["width"],
        n_hiddens=TRANSFER["depth_sweep"]["n_hiddens"],
        test_every=transfer_interval(TRANSFER, "depth_sweep"),
        select_by=TRANSFER["select_by"],
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_pc_baseline.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_pc_baseline.py"


VS = GRIDS["mupc_vs_pc_vs_bp"]
CELLS["mupc_vs_pc_vs_bp"] = training_cells("mupc_vs_pc_vs_bp", config)
MUPC_VS_PC_VS_BP_FIGURES = {k: figures("mupc_vs_pc_vs_bp", v)
                            for k, v in mupc_plots.vs_pc_vs_bp_files(VS, LONG_RUNS).items()}


rule mupc_vs_pc_vs_bp:
    """Figure family mupc_vs_pc_vs_bp (docs/figures.md): the muPC paper's main figure, the deep
    ReLU comparison and the colour legends. Reads the selected runs of mupc_sweeps (muPC),
    mupc_hp_transfer (standard PC) and mupc_long_runs; BP and the deep PC runs are its own cells."""
    input:
        own=f"{RESULTS}/mupc_vs_pc_vs_bp/runs.parquet",
        mupc=f"{RESULTS}/mupc_sweeps/runs.parquet",
        mupc_selection=f"{RESULTS}/mupc_sweeps/selection.csv",
        pc=f"{RESULTS}/mupc_hp_transfer/runs.parquet",
        pc_selection=f"{RESULTS}/mupc_hp_transfer/selection.csv",
        long_runs=f"{RESULTS}/mupc_long_runs/runs.parquet",
    output:
        **MUPC_VS_PC_VS_BP_FIGURES,
    params:
        code=code_version("plot_mupc_vs_pc_vs_bp.py"),
        grid={k: VS[k] for k in ("dataset", "epochs", "act_fns", "width", "n_hiddens", "bp_n_hiddens", "comparison")},
        blocks=LONG_RUNS["blocks"],
        mupc_select_by=SWEEPS["select_by"],
        pc_select_by=TRANSFER["select_by"],
        pc_test_every=transfer_interval(TRANSFER, "depth_sweep"),
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_vs_pc_vs_bp.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_vs_pc_vs_bp.py"


rule mupc:
    """Study mupc: every implemented family of seed 002."""
    input:
        rules.mupc_hp_transfer.output,
        rules.mupc_pc_baseline.output,
        rules.mupc_vs_pc_vs_bp.output,
        rules.mupc_sweeps.input,
        rules.mupc_pc_sweeps.input,
        rules.mupc_activity_decay.output,
        rules.mupc_bp_baseline.output,
        rules.mupc_long_runs.output,
        rules.mupc_activity_hessian.output,
        rules.mupc_forward_pass.output,
        rules.mupc_energy_theory.output,
