# Study "chains" (seed 000): BP vs PC on scalar linear chains.
#   chains_depth: one job per depth (trained chains: BP and PC runs over seeds,
#                 landscapes of the showcase seed; every Hessian depth: Hessians at the origin)
#   chains_curves, chains_stats, chains_loss_landscape, chains_energy_landscape,
#   chains_predictions, chains_hessian: the figure families (docs/figures.md)

from pcrepro.studies.chains import depths as chain_depths
from pcrepro.plots.chains import FAMILIES as CHAINS_FAMILIES, chains_files

CHAINS = GRIDS["chains"]
CHAINS_FILES = chains_files(CHAINS)
TRAINED_CHAINS = [c["n_hidden"] for c in CHAINS["trained"]]
# which depth files each family reads
CHAINS_INPUTS = {
    family: expand(f"{RESULTS}/chains/depth_{{h}}.npz",
                   h=CHAINS["hessian_depths"] if family == "chains_hessian" else TRAINED_CHAINS)
    for family in CHAINS_FAMILIES
}


rule chains_depth:
    """Seed 000's computations for one chain depth, vmapped over seeds."""
    output:
        f"{RESULTS}/chains/depth_{{n_hidden}}.npz",
    wildcard_constraints:
        n_hidden=r"\d+",
    threads: COMPUTE_THREADS
    params:
        code=code_version("chains_depth.py"),
        grid=CHAINS,
        fast_compile=False,  # fully optimised XLA is faster here even at quick scale (41 s vs 54 s in all, 2-core CPU)
    benchmark:
        f"logs/{PRESET}/chains/depth_{{n_hidden}}.benchmark.tsv",
    log:
        f"logs/{PRESET}/chains/depth_{{n_hidden}}.log",
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/chains_depth.py"


for _family in CHAINS_FAMILIES:

    rule:
        name: _family
        input:
            CHAINS_INPUTS[_family],
        output:
            figures(_family, CHAINS_FILES[_family]),
        params:
            code=code_version("plot_chains.py"),
            family=_family,
            grid=CHAINS,
            figures_root=under(FIGURES),
            preset=PRESET,
        log:
            f"logs/{PRESET}/figures/{_family}.log",
        localrule: True
        conda:
            CPU_ENV
        script:
            "../workflow_scripts/plot_chains.py"


rule chains:
    """Study chains: all six figure families of seed 000."""
    input:
        [f"{FIGURES}/{path}" for files in CHAINS_FILES.values() for path in files],
