"""One module (or small package) per study of the five seed notebooks, built on :mod:`pcrepro.core`.

=================  =====  ==========================================================
study              seed   what it computes
=================  =====  ==========================================================
``chains``         000    BP vs PC on scalar chains; landscapes; Hessians at the origin
``dln_hessian``    001    loss vs energy Hessians of deep linear nets
``mupc_analysis``  002    activity-Hessian spectra, forward pass, energy theory
``error_optim``    003    error-based vs state-based PC on a 20-layer linear net
``double_descent`` 004    two-layer linear net vs its reduced mode dynamics
=================  =====  ==========================================================

Seed 002's training sweeps have no module here: they are grids of training cells
(:mod:`pcrepro.pipeline.cells`) run by the vmapped trainer of :mod:`pcrepro.core.training`.
"""
