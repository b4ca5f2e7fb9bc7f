# Study "mupc" (seed 002, the muPC paper). Families implemented so far:
#   mupc_sweeps: muPC activity-lr sweep per activation and depth, then the
#                best-lr test accuracy vs width (H fixed) and vs depth (N fixed), and the
#                condition number of the activity Hessian over training (best lr).
# The analysis families (activity Hessian, forward pass, energy theory) are in mupc_analysis.smk.

from pcrepro.cells import mupc_sweeps_cells

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


rule mupc:
    """Study mupc: every implemented family of seed 002."""
    input:
        rules.mupc_sweeps.input,
        rules.mupc_activity_hessian.output,
        rules.mupc_forward_pass.output,
        rules.mupc_energy_theory.output,
