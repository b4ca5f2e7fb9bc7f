"""Check: float32 training with inference on the layers the errors have reached (the CPU's
default) and with the plain loop over every layer, each against float64, on the real MNIST.

From the feedforward activities the hidden errors are zero in exact arithmetic but of round-off
size in float32; the plain loop moves every layer by them, inference on the reached layers does
not. At a large activity lr, where inference amplifies round-off, the two float32 forms part; this
prints which one stays with float64 (in both forms). One μPC ReLU cell of the quick grid (N = 32, H = T = 16,
weight lr 0.1, seeds 0 and 1, 100 steps, evaluated every 50 on 2 000 test images):

    python benchmarks/numerics/front_precision.py --dataset data/prepared/MNIST.npz
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)  # float64 for the reference; the float32 cells stay float32

from pcrepro.core.nets import NetSpec  # noqa: E402
from pcrepro.core.training import TrainSpec  # noqa: E402
from pcrepro.data import REFERENCE_NORMALISATION, load_prepared  # noqa: E402
from pcrepro.pipeline import runner  # noqa: E402
from pcrepro.pipeline.cells import run_grid  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, help="the prepared MNIST.npz (data/prepared/ after a workflow run)")
    p.add_argument("--activity-lrs", type=float, nargs="+", default=[5.0, 50.0])
    args = p.parse_args()
    data = load_prepared(Path(args.dataset), REFERENCE_NORMALISATION["MNIST"], test_subset=2000)
    runs = run_grid([0, 1], args.activity_lrs, [0.1], [0.0])
    base = TrainSpec(NetSpec(784, 32, 16, 10, "relu", "mupc", True, "standard_gauss"), "pc", n_infer_steps=16,
                     batch_size=64, epochs=1, max_steps_per_epoch=100, test_every=50)
    tables = {}
    for name, dtype, reached_only in [("float64", "float64", True), ("float64 every layer", "float64", False),
                                      ("float32 reached layers", "float32", True),
                                      ("float32 every layer", "float32", False)]:
        spec = dataclasses.replace(base, dtype=dtype, skip_unreached_layers=reached_only)
        # train_cell's own choice is the reached layers on a CPU; keep the spec as given here
        choose, runner.spec_with_error_front = runner.spec_with_error_front, lambda s, _d: s
        try:
            table = runner.train_cell(spec, runs, data, log=None)
        finally:
            runner.spec_with_error_front = choose
        tables[name] = table.sort_values(["activity_lr", "seed", "step"]).reset_index(drop=True)
    out = tables["float64"][["activity_lr", "seed", "step"]].copy()
    for name, table in tables.items():
        out[f"test acc, {name}"] = table["test_acc"]
    print(f"{jax.devices()[0].platform}, JAX {jax.__version__}")
    print(out.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
