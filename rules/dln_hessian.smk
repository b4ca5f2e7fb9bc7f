# Study "dln_hessian" (seed 001): loss vs energy Hessians of deep linear nets at saddles.
#   dln_hessian_config: one job per (dataset, H, N, init) configuration
#   dln_loss_hessian, dln_energy_hessian, dln_spectrum, dln_projections: the figure
#   families (docs/figures.md)

from pcrepro.pipeline.budget import CPU_MEASURED_MINUTES
from pcrepro.studies.dln_hessian import dln_configs
from pcrepro.plots.dln_hessian import FAMILIES as DLN_FAMILIES, dln_files

DLN = GRIDS["dln_hessian"]
DLN_CONFIGS = {c.id: c for c in dln_configs(DLN)}
DLN_FILES = dln_files(DLN)
DLN_DATASET_FILES = {"MNIST": prepared_dataset("MNIST"), "MNIST-1D": prepared_dataset("MNIST-1D")}


rule dln_hessian_config:
    """Hessians and spectra of one configuration, on one batch."""
    input:
        unpack(lambda wc: {k: v for k, v in DLN_DATASET_FILES.items() if k == DLN_CONFIGS[wc.config].dataset}),
    output:
        f"{RESULTS}/dln_hessian/{{config}}.npz",
    threads: COMPUTE_THREADS
    params:
        code=code_version("dln_hessian_config.py"),
        grid=DLN,
        fast_compile=False,  # fully optimised XLA is faster here even at quick scale (86 s vs 98 s in all, 2-core CPU)
    resources:
        # dense Hessians and their eigenvalues: a GPU where there is one (on a CPU machine the
        # job runs on the CPU, with SciPy's LAPACK)
        gpu=1,
        runtime=runtime_minutes(CPU_MEASURED_MINUTES["dln_hessian"]),
        mem_mb=memory_mb(8000),
    benchmark:
        f"logs/{PRESET}/dln_hessian/{{config}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/dln_hessian/{{config}}.log",
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/dln_hessian_config.py"


for _family in DLN_FAMILIES:

    rule:
        name: _family
        input:
            expand(f"{RESULTS}/dln_hessian/{{config}}.npz", config=sorted(DLN_CONFIGS)),
        output:
            figures(_family, DLN_FILES[_family]),
        params:
            code=code_version("plot_dln_hessian.py"),
            family=_family,
            grid=DLN,
            results=under(f"{RESULTS}/dln_hessian", of="input"),
            figures_root=under(FIGURES),
            preset=PRESET,
        log:
            f"logs/{PRESET}/figures/{_family}.log",
        localrule: True
        conda:
            CPU_ENV
        script:
            "../workflow_scripts/plot_dln_hessian.py"


rule dln_hessian:
    """Study dln_hessian: all four figure families of seed 001."""
    input:
        [f"{FIGURES}/{path}" for files in DLN_FILES.values() for path in files],
