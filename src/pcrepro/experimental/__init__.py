"""Unproven code, kept apart from the science: used by no training cell or study, only by the
benchmarks that measure it against what the cells use.

==============  =================================================================
``fused_grad``  a Pallas kernel for ∂F/∂z reading each hidden weight once per step
                (slower than XLA's two matmuls where measured; benchmarks/speed/bench_mupc_step.py)
==============  =================================================================
"""
