# Study "error_optim" (seed 003): error-based vs state-based PC on a deep linear net.
#   error_optim_compare: one job (pre-training, exact equilibrium, EO/SO lr sweeps, logged runs)
#   error_optim_figures: draws the three figure families (docs/figures.md), whose ids
#   eo_convergence, eo_grad_cosine, eo_grad_norms are target rules

from pcrepro.pipeline.budget import CPU_MEASURED_MINUTES
from pcrepro.plots.error_optim import FAMILIES as EO_FAMILIES, error_optim_files

EO = GRIDS["error_optim"]
EO_FILES = error_optim_files(EO)
EO_RESULT = f"{RESULTS}/error_optim/{EO['dataset']}.npz"


rule error_optim_compare:
    """Pre-train the net with BP, then relax one batch by EO and SO against the exact equilibrium."""
    input:
        dataset=prepared_dataset(EO["dataset"]),
    output:
        EO_RESULT,
    threads: COMPUTE_THREADS
    params:
        code=code_version("error_optim_compare.py"),
        grid={**EO, "normalisation": normalisation(EO["dataset"])},
        fast_compile=FAST_COMPILE,
    resources:
        gpu=1,
        runtime=runtime_minutes(CPU_MEASURED_MINUTES["error_optim"]),
        mem_mb=memory_mb(16000),
    benchmark:
        f"logs/{PRESET}/error_optim/compare.benchmark.tsv",
    log:
        f"logs/{PRESET}/error_optim/compare.log",
    conda:
        COMPUTE_ENV
    script:
        "../workflow_scripts/error_optim_compare.py"


rule error_optim_figures:
    """All three figure families from the comparison (one job: one browser start for the export)."""
    input:
        EO_RESULT,
    output:
        [f for family, files in EO_FILES.items() for f in figures(family, files)],
    params:
        code=code_version("plot_error_optim.py"),
        files=EO_FILES,
        layers=EO["plot_layers"],
        preset=PRESET,
        figures_root=under(FIGURES),
    log:
        f"logs/{PRESET}/figures/error_optim.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_error_optim.py"


for _family in EO_FAMILIES:

    rule:
        name: _family
        input:
            [f"{FIGURES}/{path}" for path in EO_FILES[_family]],
        localrule: True


rule error_optim:
    """Study error_optim: the three figure families of seed 003."""
    input:
        [f"{FIGURES}/{path}" for files in EO_FILES.values() for path in files],
