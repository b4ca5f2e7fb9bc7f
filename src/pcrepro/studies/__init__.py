"""One module (or small package) per study of the five seed notebooks, built on :mod:`pcrepro.core`.

==================  =====  =========================================================
study               seed   what it computes
==================  =====  =========================================================
``chains``          000    BP vs PC on scalar chains; landscapes; Hessians at the origin
``dln_hessian``     001    loss vs energy Hessians of deep linear nets
``mupc_training``   002    the μPC paper's training sweeps: which nets, on which grids
``mupc_analysis``   002    activity-Hessian spectra, forward pass, energy theory
``error_optim``     003    error-based vs state-based PC on a 20-layer linear net
``double_descent``  004    two-layer linear net vs its reduced mode dynamics
==================  =====  =========================================================

``mupc_training`` names the networks of eight training studies (one Snakemake study id each,
``mupc_sweeps`` … ``mupc_vs_pc_vs_bp``); the pipeline runs them as training cells
(:mod:`pcrepro.pipeline.cells`) through the vmapped trainer of :mod:`pcrepro.core.training`.
"""
