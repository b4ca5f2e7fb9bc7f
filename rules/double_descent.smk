# Study "double_descent" (seed 004): two-layer linear net vs its reduced (u, z) dynamics.
#   double_descent_simulate: one job per init (constant, rank_one): GD on the net and the reduced dynamics
#   double_descent_figures: draws the six figure families (docs/figures.md), whose ids
#   dd_training, dd_jacobian, dd_alignment, dd_rank_one, dd_theory, dd_vector_fields are target rules

from pcrepro.studies.double_descent import INITS as DD_INITS
from pcrepro.plots.double_descent import FAMILIES as DD_FAMILIES, dd_files

DD = GRIDS["double_descent"]
DD_FILES = dd_files(DD)


rule double_descent_simulate:
    """Full-batch GD of the two-layer net from one init, and the reduced dynamics from the same point."""
    output:
        f"{RESULTS}/double_descent/{{init}}.npz",
    wildcard_constraints:
        init="|".join(DD_INITS),
    threads: COMPUTE_THREADS
    params:
        code=code_version("double_descent_simulate.py"),
        grid=DD,
        fast_compile=FAST_COMPILE,
    benchmark:
        f"logs/{PRESET}/double_descent/{{init}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/double_descent/{{init}}.log",
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/double_descent_simulate.py"


rule double_descent_figures:
    """All six figure families from both inits' results (one job: one browser start for the export)."""
    input:
        expand(f"{RESULTS}/double_descent/{{init}}.npz", init=DD_INITS),
    output:
        [f for family, files in DD_FILES.items() for f in figures(family, files)],
    params:
        code=code_version("plot_double_descent.py"),
        files=DD_FILES,
        plot_points=DD["plot_points"],
        vector_fields=DD["vector_fields"],
        preset=PRESET,
        figures_root=under(FIGURES),
    log:
        f"logs/{PRESET}/figures/double_descent.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/plot_double_descent.py"


for _family in DD_FAMILIES:

    rule:
        name: _family
        input:
            [f"{FIGURES}/{path}" for path in DD_FILES[_family]],
        localrule: True


rule double_descent:
    """Study double_descent: the six figure families of seed 004."""
    input:
        [f"{FIGURES}/{path}" for files in DD_FILES.values() for path in files],
