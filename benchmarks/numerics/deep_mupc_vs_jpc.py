"""Does the deep μPC net train the same here and in jpc? Both from the same weights, on the same batches.

The GPU check (2026-11-30, H200) saw every run of the 128-layer μPC ReLU net (width 512, T = 128,
activity lr 0.5, Adam weight lr 0.1) diverge before step 100. This script trains one run of that
net for ``--steps`` steps on the real MNIST, batches in file order, from one draw of weights, in

  * ``project``          — :func:`pcrepro.core.training.train_step`, as a training cell (float32,
                           full-precision matmuls: ``TrainSpec.matmul_precision = "highest"``);
  * ``project-default``  — the same at the device's default matmul precision (TF32 on a GPU; what
                           the training step used before this check);
  * ``jpc``              — jpc's own functions (``benchmarks/speed/bench_cpu_peers.py``'s fused step),
                           the μPC paper's library, float32 at its default precision;

and prints each one's training loss (at the feedforward activities, before the update) at a few
steps and the first step where it is not finite. ``--x64`` trains the project in float64 instead
(a process of its own: x64 changes every default dtype).

    python benchmarks/numerics/deep_mupc_vs_jpc.py --jpc ~/src/jpc --mirror ../datasets --steps 100
    python benchmarks/numerics/deep_mupc_vs_jpc.py --jpc ~/src/jpc --mirror ../datasets --depth 4 --width 16 --steps 5  # CPU
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared modules and speed/
from speed import bench_cpu_peers as peers  # noqa: E402
from one_run import train_losses  # noqa: E402

from pcrepro.core.nets import NetSpec  # noqa: E402
from pcrepro.core.training import TrainSpec, init_run  # noqa: E402
from pcrepro.data import (  # noqa: E402
    REFERENCE_NORMALISATION,
    FetchOptions,
    load_prepared,
    prepare_image_dataset,
)

REPORT_AT = (1, 2, 5, 10, 20, 50, 100, 200, 500, 900)


def _summary(name: str, losses: list[float], wall: float) -> dict:
    bad = next((i + 1 for i, v in enumerate(losses) if not math.isfinite(v)), None)
    return {"impl": name, "first_nonfinite_step": bad, "wall_s": round(wall, 1),
            "loss_at": {s: losses[s - 1] for s in REPORT_AT if s <= len(losses)},
            "losses": [float(f"{v:.5g}") for v in losses]}


def train_project(spec: TrainSpec, batches, dtype, precision: str = "highest") -> list[float]:
    return train_losses(spec, batches, dtype, precision, peers.ACTIVITY_LR, peers.WEIGHT_LR)


def train_jpc(jpc, spec: TrainSpec, batches) -> list[float]:
    import equinox as eqx

    params = init_run(jnp.uint32(0), spec).params  # the project's first weights, into jpc's model
    model, skips = peers.jpc_model(jpc, params, spec.net)
    step, weight_optim = peers.jpc_fused_step(jpc, spec.net, spec.n_infer_steps)
    weight_state = weight_optim.init((eqx.filter(model, eqx.is_array), skips))
    loss_fn = eqx.filter_jit(lambda m, x, y: jpc.mse_loss(jpc.init_activities_with_ffwd(
        m, x, skip_model=skips, param_type="mupc")[-1], y))
    losses = []
    for x, y in batches:
        x, y = jnp.asarray(x), jnp.asarray(y)
        losses.append(float(loss_fn(model, x, y)))
        model, weight_state = step(model, skips, weight_state, x, y)
    return losses


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jpc", required=True, help="a checkout of github.com/thebuckleylab/jpc")
    p.add_argument("--mirror", type=Path, required=True, help="a folder holding MNIST/raw/<the four .gz files>")
    p.add_argument("--depth", type=int, default=128)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--x64", action="store_true", help="only the project, in float64")
    p.add_argument("--impls", nargs="+", default=["project", "project-default", "jpc"])
    p.add_argument("--out", type=Path, default=None, help="append the results as JSON lines")
    args = p.parse_args(argv)
    if args.x64:
        jax.config.update("jax_enable_x64", True)
    jpc, why = peers.import_jpc(args.jpc)
    if jpc is None:
        raise SystemExit(f"jpc is needed: {why}")
    path = Path(tempfile.mkdtemp(prefix="deep-mupc-")) / "MNIST.npz"
    prepare_image_dataset("MNIST", path, path.parent / "raw", FetchOptions(mirror=str(args.mirror), download=False))
    data = load_prepared(path, REFERENCE_NORMALISATION["MNIST"])
    b = 64
    batches = [(data.x_train[i * b:(i + 1) * b], data.y_train[i * b:(i + 1) * b]) for i in range(args.steps)]
    spec = TrainSpec(NetSpec(784, args.width, args.depth, 10, "relu", "mupc", True, "standard_gauss"), "pc",
                     n_infer_steps=args.depth, activity_optim="gd", weight_optim="adam", batch_size=b)
    device = jax.devices()[0]
    header = {"date": datetime.date.today().isoformat(), "device": getattr(device, "device_kind", str(device)),
              "jax": jax.__version__, "depth": args.depth, "width": args.width, "steps": args.steps,
              "activity_lr": peers.ACTIVITY_LR, "weight_lr": peers.WEIGHT_LR}
    runs = [("project", lambda: train_project(spec, batches, jnp.float32)),
            ("project-default", lambda: train_project(spec, batches, jnp.float32, "default")),
            ("jpc", lambda: train_jpc(jpc, spec, batches))]
    runs = [(name, run) for name, run in runs if name in args.impls]
    if args.x64:
        runs = [("project-float64", lambda: train_project(spec, batches, jnp.float64))]
    for name, run in runs:
        t0 = time.perf_counter()
        row = {**header, **_summary(name, run(), time.perf_counter() - t0)}
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
