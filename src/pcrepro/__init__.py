"""pcrepro: the science behind the predictive-coding reproduction workflow.

One numerical core (JAX) for PC, muPC and BP training, energies, Hessians and
closed forms. Nothing in this package imports Snakemake: the workflow's rules
and ``workflow_scripts/`` are thin adapters around it.
"""

__version__ = "0.1.0"
