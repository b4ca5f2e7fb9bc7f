"""pcrepro: the science behind the predictive-coding reproduction workflow.

One numerical core (JAX) for PC, muPC and BP training, energies, Hessians and
closed forms. Nothing in this package needs Snakemake (the job server of a local
run only preloads it for the jobs it forks): the workflow's rules and
``workflow_scripts/`` are thin adapters around it.
"""

__version__ = "0.1.0"
