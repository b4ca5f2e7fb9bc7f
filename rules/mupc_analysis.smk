# Study "mupc" (seed 002), analysis families: no PC training runs, one job per static cell.
#   mupc_activity_hessian_cell: spectra of the activity Hessian at init, one job per
#                               (setting, activation) over the whole N x H grid
#   mupc_forward_pass_cell:     BP forward-pass norms, one job per (activation, optimiser)
#   mupc_energy_theory_phase / _width: training on the equilibrated energy
#   mupc_activity_hessian, mupc_forward_pass, mupc_energy_theory: the figure families

from pcrepro.pipeline.budget import ANALYSIS_MINUTES
from pcrepro.plots.mupc_analysis import activity_hessian_files, energy_theory_files, forward_pass_files

ACTIVITY_HESSIAN = GRIDS["mupc_activity_hessian"]
FORWARD_PASS = GRIDS["mupc_forward_pass"]
ENERGY_THEORY = GRIDS["mupc_energy_theory"]


wildcard_constraints:
    act=r"linear|tanh|relu",
    setting=r"[a-z_]+",
    optim=r"sgd|adam",
    param_type=r"sp|mupc",


rule mupc_activity_hessian_cell:
    """Eigenvalues of H_z (and of the theory, D and O for linear nets) over N x H, seeds looped."""
    output:
        spectra=f"{RESULTS}/mupc_activity_hessian/{{setting}}/{{act}}.npz",
        summary=f"{RESULTS}/mupc_activity_hessian/{{setting}}/{{act}}.parquet",
        precision=f"{RESULTS}/mupc_activity_hessian/{{setting}}/{{act}}_precision.csv",
    threads: COMPUTE_THREADS
    params:
        code=code_version("mupc_activity_hessian_cell.py"),
        grid=config_slice(ACTIVITY_HESSIAN, "widths", "n_hiddens", "seeds", "eigen_dtype", "precision_check_size"),
        fast_compile=FAST_COMPILE,
    resources:
        gpu=1,
        runtime=runtime_minutes(ANALYSIS_MINUTES["mupc_activity_hessian"]),
        mem_mb=memory_mb(16000),
    benchmark:
        f"logs/{PRESET}/mupc_activity_hessian/{{setting}}_{{act}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/mupc_activity_hessian/{{setting}}_{{act}}.log",
    conda:
        COMPUTE_ENV
    script:
        "../workflow_scripts/mupc_activity_hessian_cell.py"


rule mupc_activity_hessian:
    """Figure family mupc_activity_hessian (docs/figures.md)."""
    input:
        expand(f"{RESULTS}/mupc_activity_hessian/{{setting}}/{{act}}.{{ext}}",
               setting=ACTIVITY_HESSIAN["settings"], act=ACTIVITY_HESSIAN["act_fns"], ext=["npz", "parquet"]),
    output:
        figures("mupc_activity_hessian", activity_hessian_files(ACTIVITY_HESSIAN)),
        precision=f"{FIGURES}/mupc_activity_hessian/precision_check.csv",
    params:
        code=code_version("plot_mupc_activity_hessian.py"),
        grid=ACTIVITY_HESSIAN,
        results=under(f"{RESULTS}/mupc_activity_hessian", of="input"),
        figures_root=under(FIGURES),
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_activity_hessian.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_activity_hessian.py"


rule mupc_forward_pass_cell:
    """Activity and weight norms over the first BP steps, every setting x width x depth."""
    input:
        dataset=prepared_dataset(FORWARD_PASS["dataset"]),
    output:
        f"{RESULTS}/mupc_forward_pass/{{act}}_{{optim}}.parquet",
    threads: COMPUTE_THREADS
    params:
        code=code_version("mupc_forward_pass_cell.py"),
        grid=config_slice(FORWARD_PASS, "settings", "widths", "depths", "lr", "batch_size", "n_steps", "seed"),
        normalisation=normalisation(FORWARD_PASS["dataset"]),
        fast_compile=FAST_COMPILE,
    resources:
        gpu=1,
        runtime=runtime_minutes(ANALYSIS_MINUTES["mupc_forward_pass"]),
        mem_mb=memory_mb(16000),
    benchmark:
        f"logs/{PRESET}/mupc_forward_pass/{{act}}_{{optim}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/mupc_forward_pass/{{act}}_{{optim}}.log",
    conda:
        COMPUTE_ENV
    script:
        "../workflow_scripts/mupc_forward_pass_cell.py"


rule mupc_forward_pass:
    """Figure family mupc_forward_pass (docs/figures.md)."""
    input:
        expand(f"{RESULTS}/mupc_forward_pass/{{act}}_{{optim}}.parquet",
               act=FORWARD_PASS["act_fns"], optim=FORWARD_PASS["optims"]),
    output:
        figures("mupc_forward_pass", forward_pass_files(FORWARD_PASS)),
    params:
        code=code_version("plot_mupc_forward_pass.py"),
        grid=FORWARD_PASS,
        figures_root=under(FIGURES),
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_forward_pass.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_forward_pass.py"


_ENERGY_RUN_KEYS = ("seed", "batch_size", "max_steps")


rule mupc_energy_theory_phase:
    """Linear residual nets over N x H trained on F*, for one parameterisation."""
    input:
        dataset=prepared_dataset(ENERGY_THEORY["dataset"]),
    output:
        f"{RESULTS}/mupc_energy_theory/phase_{{param_type}}.parquet",
    threads: COMPUTE_THREADS
    params:
        code=code_version("mupc_energy_theory_cell.py"),
        run=config_slice(ENERGY_THEORY, *_ENERGY_RUN_KEYS),
        normalisation=normalisation(ENERGY_THEORY["dataset"]),
        grid=lambda wc: {"act_fns": ["linear"], "widths": ENERGY_THEORY["phase"]["widths"],
                         "n_hiddens": ENERGY_THEORY["phase"]["n_hiddens"],
                         "lr": ENERGY_THEORY["phase"]["lrs"][wc.param_type]},
        fast_compile=FAST_COMPILE,
    resources:
        gpu=1,
        runtime=runtime_minutes(ANALYSIS_MINUTES["mupc_energy_theory"]),
        mem_mb=memory_mb(16000),
    benchmark:
        f"logs/{PRESET}/mupc_energy_theory/phase_{{param_type}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/mupc_energy_theory/phase_{{param_type}}.log",
    conda:
        COMPUTE_ENV
    script:
        "../workflow_scripts/mupc_energy_theory_cell.py"


rule mupc_energy_theory_width:
    """Nets of fixed depth over widths trained on F*, every activation, for one parameterisation."""
    input:
        dataset=prepared_dataset(ENERGY_THEORY["dataset"]),
    output:
        f"{RESULTS}/mupc_energy_theory/width_{{param_type}}.parquet",
    threads: COMPUTE_THREADS
    params:
        code=code_version("mupc_energy_theory_cell.py"),
        run=config_slice(ENERGY_THEORY, *_ENERGY_RUN_KEYS),
        normalisation=normalisation(ENERGY_THEORY["dataset"]),
        grid={"act_fns": ENERGY_THEORY["width_study"]["act_fns"], "widths": ENERGY_THEORY["width_study"]["widths"],
              "n_hiddens": [ENERGY_THEORY["width_study"]["n_hidden"]], "lr": ENERGY_THEORY["width_study"]["lr"]},
        fast_compile=FAST_COMPILE,
    resources:
        gpu=1,
        runtime=runtime_minutes(ANALYSIS_MINUTES["mupc_energy_theory"]),
        mem_mb=memory_mb(16000),
    benchmark:
        f"logs/{PRESET}/mupc_energy_theory/width_{{param_type}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/mupc_energy_theory/width_{{param_type}}.log",
    conda:
        COMPUTE_ENV
    script:
        "../workflow_scripts/mupc_energy_theory_cell.py"


rule mupc_energy_theory:
    """Figure family mupc_energy_theory (docs/figures.md)."""
    input:
        phase=expand(f"{RESULTS}/mupc_energy_theory/phase_{{p}}.parquet", p=ENERGY_THEORY["phase"]["param_types"]),
        width=expand(f"{RESULTS}/mupc_energy_theory/width_{{p}}.parquet", p=ENERGY_THEORY["width_study"]["param_types"]),
    output:
        figures("mupc_energy_theory", energy_theory_files(ENERGY_THEORY)),
    params:
        code=code_version("plot_mupc_energy_theory.py"),
        grid=ENERGY_THEORY,
        figures_root=under(FIGURES),
        preset=PRESET,
    log:
        f"logs/{PRESET}/figures/mupc_energy_theory.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_mupc_energy_theory.py"
