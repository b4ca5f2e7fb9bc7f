# Study "mupc" (seed 002, the muPC paper). Families implemented so far:
#   mupc_sweeps: muPC activity-lr sweep per activation and depth, then the
#                best-lr test accuracy vs width (H fixed) and vs depth (N fixed), and the
#                condition number of the activity Hessian over training (best lr).
# The analysis families (activity Hessian, forward pass, energy theory) are in mupc_analysis.smk.

from pcrepro.cells import (mupc_activity_decay_cells, mupc_bp_baseline_cells, mupc_long_runs_cells,
                           mupc_pc_sweeps_cells, mupc_sweeps_cells, variant_depths)

SWEEPS = GRIDS["mupc_sweeps"]
CELLS["mupc_sweeps"] = mupc_sweeps_cells(SWEEPS)
SELECT_BY["mupc_sweeps"] = SWEEPS["select_by"]

MUPC_SWEEPS_FIGURES = {
    "lr_sweep": expand(
        f"{FIGURES}/mupc_sweeps/test_accs_muPC_{{act}}_{{n_hidden}}_n_hidden.pdf",
        act=SWEEPS["act_fns"],
        n_hidden=SWEEPS["depth_sweep"]["n_hiddens"],
    ),
    "best_width": expand(f"{FIGURES}/mupc_sweeps/best_test_accs_width_muP_{{act}}.pdf", act=SWEEPS["act_fns"]),
    "best_depth": expand(f"{FIGURES}/mupc_sweeps/best_test_accs_depth_muP_{{act}}.pdf", act=SWEEPS["act_fns"]),
    "cond_nums": expand(f"{FIGURES}/mupc_sweeps/best_cond_nums_mupc_{{act}}.pdf",
                        act=SWEEPS["act_fns"] if SWEEPS.get("condition_numbers", {}).get("n_hiddens") else []),
}


rule mupc_sweeps_figures:
    input:
        table=f"{RESULTS}/mupc_sweeps/runs.parquet",
        selection=f"{RESULTS}/mupc_sweeps/selection.csv",
    output:
        **MUPC_SWEEPS_FIGURES,
    params:
        grid={k: SWEEPS.get(k) for k in ("act_fns", "depth_sweep", "width_sweep", "select_by", "condition_numbers")},
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    localrule: True
    script:
        "../workflow_scripts/plot_mupc_sweeps.py"


rule mupc_sweeps:
    """Figure family mupc_sweeps (FIGURES.md section 3)."""
    input:
        *[f for files in MUPC_SWEEPS_FIGURES.values() for f in files],
        f"{RESULTS}/mupc_sweeps/selection.csv",


PC_SWEEPS = GRIDS["mupc_pc_sweeps"]
CELLS["mupc_pc_sweeps"] = mupc_pc_sweeps_cells(PC_SWEEPS)
SELECT_BY["mupc_pc_sweeps"] = PC_SWEEPS["select_by"]


def _pc_sweeps_files(grid):
    """Per dataset and variant: the lr sweep per (activation, depth), the best-lr accuracy and
    κ(H_z) per activation (seed 002's file names, one pattern for every variant)."""
    files = {"lr_sweep": [], "best": [], "cond_nums": []}
    for dataset in grid["datasets"]:
        for name, variant in grid["variants"].items():
            for act in grid["act_fns"]:
                root = f"{FIGURES}/mupc_pc_sweeps/{dataset}"
                files["lr_sweep"] += [f"{root}/test_accs_{name}_{act}_{h}_n_hidden.pdf"
                                      for h in variant_depths(variant, act, grid["n_hiddens"])]
                files["best"].append(f"{root}/best_test_accs_{name}_{act}.pdf")
                if grid["condition_numbers"]:
                    files["cond_nums"].append(f"{root}/best_cond_nums_{name}_{act}.pdf")
    return files


PC_SWEEPS_FIGURES = _pc_sweeps_files(PC_SWEEPS)


rule mupc_pc_sweeps_figures:
    input:
        table=f"{RESULTS}/mupc_pc_sweeps/runs.parquet",
        selection=f"{RESULTS}/mupc_pc_sweeps/selection.csv",
    output:
        **PC_SWEEPS_FIGURES,
    params:
        grid={k: PC_SWEEPS[k] for k in ("datasets", "act_fns", "width", "n_hiddens", "variants", "select_by",
                                          "condition_numbers")},
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    localrule: True
    script:
        "../workflow_scripts/plot_mupc_pc_sweeps.py"


rule mupc_pc_sweeps:
    """Figure family mupc_pc_sweeps (FIGURES.md section 3): standard PC, four variants."""
    input:
        *[f for files in PC_SWEEPS_FIGURES.values() for f in files],
        f"{RESULTS}/mupc_pc_sweeps/selection.csv",


DECAY = GRIDS["mupc_activity_decay"]
CELLS["mupc_activity_decay"] = mupc_activity_decay_cells(DECAY)
DECAY_FIGURES = expand(f"{FIGURES}/mupc_activity_decay/max_test_accs_per_activity_decay_lr_{{lr}}.pdf",
                       lr=DECAY["activity_lrs"])


rule mupc_activity_decay:
    """Figure family mupc_activity_decay (FIGURES.md section 3): max test accuracy vs activity decay."""
    input:
        f"{RESULTS}/mupc_activity_decay/runs.parquet",
    output:
        DECAY_FIGURES,
    params:
        activity_lrs=DECAY["activity_lrs"],
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    localrule: True
    script:
        "../workflow_scripts/plot_mupc_activity_decay.py"


BP_BASELINE = GRIDS["mupc_bp_baseline"]
CELLS["mupc_bp_baseline"] = mupc_bp_baseline_cells(BP_BASELINE)
SELECT_BY["mupc_bp_baseline"] = ["dataset", "epochs", "act_fn"]
SELECT_LR["mupc_bp_baseline"] = "weight_lr"
BP_BASELINE_FIGURES = [f"{FIGURES}/mupc_bp_baseline/{b['dataset']}/{act}_best_test_accs_{b['epochs']}_epochs.pdf"
                       for b in BP_BASELINE["blocks"] for act in b["act_fns"]]


rule mupc_bp_baseline:
    """Figure family mupc_bp_baseline (FIGURES.md section 3): BP with Depth-muP, weight-lr sweep."""
    input:
        table=f"{RESULTS}/mupc_bp_baseline/runs.parquet",
        selection=f"{RESULTS}/mupc_bp_baseline/selection.csv",
    output:
        BP_BASELINE_FIGURES,
    params:
        blocks=BP_BASELINE["blocks"],
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    localrule: True
    script:
        "../workflow_scripts/plot_mupc_bp_baseline.py"


LONG_RUNS = GRIDS["mupc_long_runs"]
CELLS["mupc_long_runs"] = mupc_long_runs_cells(LONG_RUNS)
LONG_RUNS_FIGURES = [f"{FIGURES}/mupc_long_runs/mupc_{LONG_RUNS['n_hidden']}_{b['dataset']}_acc_{b['epochs']}_epochs.pdf"
                     for b in LONG_RUNS["blocks"]]


rule mupc_long_runs:
    """Figure family mupc_long_runs (FIGURES.md section 3): deep ReLU muPC trained for several epochs."""
    input:
        f"{RESULTS}/mupc_long_runs/runs.parquet",
    output:
        LONG_RUNS_FIGURES,
    params:
        blocks=LONG_RUNS["blocks"],
        n_hidden=LONG_RUNS["n_hidden"],
        stopped_run_score=config["selection"]["stopped_run_score"],
        preset=PRESET,
    localrule: True
    script:
        "../workflow_scripts/plot_mupc_long_runs.py"


rule mupc:
    """Study mupc: every implemented family of seed 002."""
    input:
        rules.mupc_sweeps.input,
        rules.mupc_pc_sweeps.input,
        rules.mupc_activity_decay.output,
        rules.mupc_bp_baseline.output,
        rules.mupc_long_runs.output,
        rules.mupc_activity_hessian.output,
        rules.mupc_forward_pass.output,
        rules.mupc_energy_theory.output,
