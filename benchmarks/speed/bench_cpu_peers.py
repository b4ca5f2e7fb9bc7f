"""Benchmark: this project's μPC training step side by side with the reference library's, in one process.

One training step of a μPC ReLU ResNet (784 → H hidden layers of width N → 10, skips, no biases):
the feedforward init, T = H gradient-descent inference steps at activity lr 0.5, then an Adam step
on the weights. Timed, interleaved round by round so that every implementation sees the same
machine load:

  * ``project``    — :func:`pcrepro.core.training.train_step` (stacked hidden layers), jitted, every
                     run vmapped on one device (a GPU's layout); its inference computes only the
                     layers the errors have reached (``skip_unreached_layers``);
  * ``project-all-layers`` — the same with inference on every layer at every step, as the peers
                     compute it;
  * ``project-split`` — a CPU training cell's layout (``pipeline.devices.cell_layout``, with
                     ``compute.cpu_devices: auto`` on ≥ 2 cores): programs of one run per device, one
                     after another, or one run's batch split over the devices;
  * ``jpc-fused``  — jpc's own functions (``init_activities_with_ffwd``, ``update_pc_activities``,
                     ``update_pc_params``) fused under one ``eqx.filter_jit`` with a ``fori_loop``
                     over inference steps (``eqx.filter_vmap`` over runs);
  * ``jpc-script`` — jpc as the μPC paper's training script calls it: a Python loop of jitted
                     activity updates, then the weight update (one run at a time);
  * ``pcx``        — pcx (PyPI) as its own examples train: an ``EnergyModule`` of ``Vode`` s, the
                     inference steps in ``pxf.scan``, the whole step under ``pxf.jit`` (one run:
                     its stateful modules are not vmapped over runs here).

Before timing, every implementation's energy at the same weights and activities is checked against
the project's (float32 round-off); pcx's energy after the step's T inference steps from the same
weights. pcx sums its energy over the batch where the project and jpc average it, so its activity
lr is divided by the batch size and its weight gradient scaled by 1/B (Adam's ε makes it not quite
scale-free): the same arithmetic, the same dynamics. A peer that cannot be imported is skipped with
the reason.
jpc is not on PyPI: clone https://github.com/thebuckleylab/jpc and give the checkout with ``--jpc``
(its dependencies: ``pip install equinox diffrax jaxtyping``). This checkout's ``jpc/__init__``
reads its installed version and its ``_utils`` imports a jaxlib module that newer jaxlibs dropped;
both are shimmed here, for the import only. pcx pins jax < 0.5 and equinox < 0.12 but runs on the
current ones: ``pip install --no-deps pcx`` (0.6.3 measured), or unpack its wheel somewhere and give
that folder with ``--pcx``.

    python benchmarks/speed/bench_cpu_peers.py --jpc ~/src/jpc --pcx ~/src/pcx-wheel  # H = 16, 64; N = 128; 1 and 8 runs
    python benchmarks/speed/bench_cpu_peers.py --jpc ~/src/jpc --out benchmarks/results/cpu_peers_<date>.jsonl
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import types
from pathlib import Path
from typing import Callable

from pcrepro.pipeline.devices import host_devices

# one CPU device per core, before JAX starts (PCREPRO_CPU_DEVICES=1: a single device)
HOST_DEVICES = host_devices(os.environ.get("PCREPRO_CPU_DEVICES", "auto"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from pcrepro.core.energy import pc_energy  # noqa: E402
from pcrepro.core.nets import NetSpec, forward  # noqa: E402
from pcrepro.core.training import RunHyper, TrainSpec, init_run, train_step  # noqa: E402
from pcrepro.core.periods import over_runs  # noqa: E402
from pcrepro.pipeline.devices import (  # noqa: E402
    batch_sharding,
    cell_layout,
    device_mesh,
    split_runs,
)
from pcrepro.pipeline.runner import spec_with_error_front  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: the shared timing
from timing import time_interleaved  # noqa: E402

ACTIVITY_LR, WEIGHT_LR = 0.5, 0.1


def import_jpc(path: str | None):
    """jpc from a checkout of its repository (None: whatever is importable); the module or the reason."""
    if path:
        sys.path.insert(0, os.path.abspath(os.path.expanduser(path)))
    if "jaxlib.xla_extension" not in sys.modules:
        try:
            import jaxlib.xla_extension  # noqa: F401  (older jaxlibs have it)
        except ImportError:  # jpc._utils imports PjitFunction from it for a type hint only
            shim = types.ModuleType("jaxlib.xla_extension")
            shim.PjitFunction = object
            sys.modules["jaxlib.xla_extension"] = shim
    version = importlib.metadata.version
    importlib.metadata.version = lambda name: "checkout" if name == "jpc" else version(name)
    try:
        import jpc
        return jpc, None
    except Exception as err:  # noqa: BLE001 — any import failure makes the peer unavailable
        return None, f"{type(err).__name__}: {err} (give a jpc checkout with --jpc; pip install equinox diffrax jaxtyping)"
    finally:
        importlib.metadata.version = version


def import_pcx(path: str | None):
    """pcx's modules (a namespace of ``pxc``, ``pxnn``, ``pxf``, ``pxu``, ``px``) or the reason why not."""
    if path:
        sys.path.insert(0, os.path.abspath(os.path.expanduser(path)))
    try:
        import pcx
        import pcx.functional as pxf
        import pcx.nn as pxnn
        import pcx.predictive_coding as pxc
        import pcx.utils as pxu
        return types.SimpleNamespace(px=pcx, pxc=pxc, pxnn=pxnn, pxf=pxf, pxu=pxu), None
    except Exception as err:  # noqa: BLE001 — any import failure makes the peer unavailable
        return None, f"{type(err).__name__}: {err} (pip install --no-deps pcx, or give an unpacked wheel with --pcx)"


# ----------------------------------------------------------------------------- the project


def project_step(spec: TrainSpec, n_runs: int, n_devices: int = 1, batch_devices: int = 1):
    """(step, state, place) with step(state, x, y) -> state; ``n_runs`` runs vmapped, split over
    ``n_devices`` devices, or their batch over ``batch_devices``; ``place`` lays a batch
    [runs, B, ·] out on the devices as the step expects it (a cell gathers its batches where they
    are computed: no transfer per step)."""
    seeds = jnp.arange(n_runs, dtype=jnp.uint32)
    hyper = RunHyper(seeds, jnp.full(n_runs, ACTIVITY_LR), jnp.full(n_runs, WEIGHT_LR), jnp.zeros(n_runs))
    states = jax.vmap(lambda s: init_run(s, spec))(seeds)
    sharding = batch_sharding(batch_devices)

    def one_run(st, h, xb, yb):
        if sharding is not None:  # as pcrepro.core.periods.train_period lays out a cell's batches
            xb, yb = (jax.lax.with_sharding_constraint(a, sharding) for a in (xb, yb))
        return train_step(st, h, xb, yb, 1, spec)[0]

    vstep = over_runs(one_run)
    step = jax.jit(split_runs(vstep, n_devices, 4), donate_argnums=(0,))
    P = jax.sharding.PartitionSpec
    if n_devices > 1:
        layout = jax.sharding.NamedSharding(device_mesh(n_devices, "runs"), P("runs"))
    elif sharding is not None:
        layout = jax.sharding.NamedSharding(sharding.mesh, P(None, "batch"))
    else:
        layout = jax.local_devices()[0]
    return (lambda st, x, y: step(st, hyper, x, y)), states, lambda a: jax.device_put(a, layout)


# ----------------------------------------------------------------------------- jpc


def jpc_model(jpc, params: dict, net: NetSpec):
    """jpc's μPC MLP and skip model carrying the project's weights ([out, in] both)."""
    import equinox as eqx

    model = jpc.make_mlp(jax.random.PRNGKey(0), net.input_dim, net.width, net.n_layers, net.output_dim,
                         net.act_fn, param_type="mupc")
    weights = [params["w_in"], *params["w_hidden"], params["w_out"]]
    model = eqx.tree_at(lambda m: [layer.layers[1].weight for layer in m], model, weights)
    return model, jpc.make_skip_model(net.n_layers)


def jpc_fused_step(jpc, net: NetSpec, n_infer: int):
    """One step of one run, jpc's functions under one filter_jit (fori_loop over inference)."""
    import equinox as eqx
    import optax

    activity_optim, weight_optim = optax.sgd(ACTIVITY_LR), optax.adam(WEIGHT_LR)

    def step(model, skips, weight_state, x, y):
        activities = jpc.init_activities_with_ffwd(model, x, skip_model=skips, param_type="mupc")

        def infer(_, carry):
            z, state = carry
            out = jpc.update_pc_activities((model, skips), z, activity_optim, state, y, input=x, param_type="mupc")
            return out["activities"], out["opt_state"]

        activities, _ = jax.lax.fori_loop(0, n_infer, infer, (activities, activity_optim.init(activities)))
        out = jpc.update_pc_params((model, skips), activities, weight_optim, weight_state, y, input=x,
                                   param_type="mupc")
        return out["model"], out["opt_state"]

    return eqx.filter_jit(step), weight_optim


def jpc_script_step(jpc, n_infer: int):
    """One step of one run as the μPC training script drives jpc: a Python loop of jitted updates."""
    import optax

    activity_optim, weight_optim = optax.sgd(ACTIVITY_LR), optax.adam(WEIGHT_LR)

    def step(model, skips, weight_state, x, y):
        activities = jpc.init_activities_with_ffwd(model, x, skip_model=skips, param_type="mupc")
        state = activity_optim.init(activities)
        for _ in range(n_infer):
            out = jpc.update_pc_activities((model, skips), activities, activity_optim, state, y, input=x,
                                           param_type="mupc")
            activities, state = out["activities"], out["opt_state"]
        out = jpc.update_pc_params((model, skips), activities, weight_optim, weight_state, y, input=x,
                                   param_type="mupc")
        return out["model"], out["opt_state"]

    return step, weight_optim


def pcx_step(pcx, params: dict, net: NetSpec, n_infer: int, batch: int):
    """(step, model) for one run in pcx, carrying the project's weights: step(x, y) trains the
    model in place (pcx's modules are stateful) and returns the energy after inference (summed
    over the batch, pcx's convention)."""
    import optax

    px, pxc, pxnn, pxf, pxu = pcx.px, pcx.pxc, pcx.pxnn, pcx.pxf, pcx.pxu
    scales = tuple(float(a) for a in (net.scalings.a_in, net.scalings.a_hidden, net.scalings.a_out))

    class MuPCResNet(pxc.EnergyModule):
        def __init__(self):
            super().__init__()
            self.scales = px.static(scales)
            self.layers = []
            for weight in [params["w_in"], *params["w_hidden"], params["w_out"]]:
                layer = pxnn.Linear(weight.shape[1], weight.shape[0], bias=False)
                layer.nn.weight.set(weight)
                self.layers.append(layer)
            self.vodes = [pxc.Vode() for _ in self.layers]
            self.vodes[-1].h.frozen = True  # the target

        def __call__(self, x, y=None):
            a_in, a_hidden, a_out = self.scales.get()
            z = self.vodes[0](a_in * self.layers[0](x))
            for layer, vode in zip(self.layers[1:-1], self.vodes[1:-1]):
                z = vode(a_hidden * layer(jax.nn.relu(z)) + z)
            self.vodes[-1](a_out * self.layers[-1](jax.nn.relu(z)))
            if y is not None:
                self.vodes[-1].set("h", y)
            return self.vodes[-1].get("u")

    per_example = pxu.M(pxc.VodeParam | pxc.VodeParam.Cache).to((None, 0))

    @pxf.vmap(per_example, in_axes=(0, 0), out_axes=0)
    def feedforward(x, y, *, model):
        return model(x, y)

    @pxf.vmap(per_example, in_axes=(0,), out_axes=(None, 0), axis_name="batch")
    def energy(x, *, model):
        y_hat = model(x, None)
        return jax.lax.psum(model.energy(), "batch"), y_hat

    free_activities = pxu.M_hasnot(pxc.VodeParam, frozen=True)

    @pxf.jit()
    def step(x, y, *, model, weight_optim, activity_optim):
        model.train()
        with pxu.step(model, (pxc.STATUS.INIT, None), clear_params=pxc.VodeParam.Cache):
            feedforward(x, y, model=model)
        activity_optim.init(pxu.M(free_activities)(model))

        def infer(_, *, model, activity_optim):
            with pxu.step(model, clear_params=pxc.VodeParam.Cache):
                _, grads = pxf.value_and_grad(pxu.M(free_activities).to([False, True]), has_aux=True)(energy)(
                    x, model=model)
            activity_optim.step(model, grads["model"])
            return (), None

        pxf.scan(infer, length=n_infer)(model=model, activity_optim=activity_optim)
        with pxu.step(model, clear_params=pxc.VodeParam.Cache):
            (value, _), grads = pxf.value_and_grad(pxu.M(pxnn.LayerParam).to([False, True]), has_aux=True)(energy)(
                x, model=model)
        weight_optim.step(model, grads["model"], scale_by=1.0 / batch)
        return value

    model = MuPCResNet()
    activity_optim = pxu.Optim(lambda: optax.sgd(ACTIVITY_LR / batch))
    weight_optim = pxu.Optim(lambda: optax.adam(WEIGHT_LR), pxu.M(pxnn.LayerParam)(model))
    return (lambda x, y: step(x, y, model=model, weight_optim=weight_optim, activity_optim=activity_optim)), model


def check_pcx_energy(pcx, spec: TrainSpec, x, y) -> float:
    """Relative gap between pcx's energy after one step's inference and the project's, from the
    same weights (pcx's sum over the batch divided by B)."""
    state = init_run(jnp.uint32(0), spec)
    step, _ = pcx_step(pcx, state.params, spec.net, spec.n_infer_steps, x.shape[0])
    theirs = float(step(x, y)) / x.shape[0]
    hyper = RunHyper(jnp.uint32(0), jnp.float32(ACTIVITY_LR), jnp.float32(WEIGHT_LR), jnp.float32(0))
    _, (_, ours, _) = jax.jit(lambda s: train_step(s, hyper, x, y, 1, spec))(state)
    return abs(theirs - float(ours)) / abs(float(ours))


def check_energies(jpc, spec: TrainSpec, x, y) -> float:
    """Largest relative gap between jpc's energy and the project's, at the feedforward activities
    and at activities moved off them (so that every layer's error counts)."""
    net = spec.net
    params = init_run(jnp.uint32(0), spec).params
    model, skips = jpc_model(jpc, params, net)
    z, y_hat = forward(params, x, net)
    gaps = []
    for shift in (0.0, 0.1):
        z_moved = z + shift * jax.random.normal(jax.random.PRNGKey(1), z.shape)
        ours = float(pc_energy(params, z_moved, x, y, net))
        activities = [*z_moved, y_hat]
        theirs = float(jpc.pc_energy_fn((model, skips), activities, y, x=x, param_type="mupc"))
        gaps.append(abs(theirs - ours) / abs(ours))
    return max(gaps)


def candidates_for(spec: TrainSpec, n_runs: int, jpc, pcx, x, y) -> dict[str, Callable[[], object]]:
    """Zero-argument callables that advance each implementation's state by one training step."""
    import equinox as eqx

    xs, ys = jnp.broadcast_to(x, (n_runs, *x.shape)), jnp.broadcast_to(y, (n_runs, *y.shape))
    cell_spec = spec_with_error_front(spec, [0.0])  # the spec a training cell compiles here
    box, out = {}, {}

    def add_project(name, s, n_devices=1, batch_devices=1, per_program=None):
        """A candidate stepping every run: programs of ``per_program`` runs (default: all), one
        after another, as a training cell runs its chunks."""
        per = per_program or n_runs
        chunks = []
        for lo in range(0, n_runs, per):
            step, state, place = project_step(s, per, n_devices, batch_devices)
            chunks.append([step, state, place(xs[lo:lo + per]), place(ys[lo:lo + per])])

        def run():
            for chunk in chunks:
                chunk[1] = chunk[0](chunk[1], chunk[2], chunk[3])
            return [chunk[1].params for chunk in chunks]

        out[name] = run

    add_project("project", cell_spec)  # every run vmapped on one device (a GPU's layout)
    layout = cell_layout(cell_spec, n_runs, max_runs_per_program=n_runs, split_batch=n_runs == 1)
    if layout.run_devices > 1 or layout.batch_devices > 1:  # a CPU cell's layout: one run per device
        add_project("project-split", cell_spec, layout.run_devices, layout.batch_devices, layout.runs_per_program)
    if cell_spec != spec:
        add_project("project-all-layers", spec)
    if pcx is not None and n_runs == 1:
        pcx_train, _ = pcx_step(pcx, init_run(jnp.uint32(0), spec).params, spec.net, spec.n_infer_steps, x.shape[0])
        jax.block_until_ready(pcx_train(x, y))  # its first call initialises the optimiser's state: compiled again
        out["pcx"] = lambda: pcx_train(x, y)
    if jpc is None:
        return out
    params = init_run(jnp.uint32(0), spec).params
    model, skips = jpc_model(jpc, params, spec.net)
    fused, weight_optim = jpc_fused_step(jpc, spec.net, spec.n_infer_steps)
    if n_runs == 1:
        box["jpc-fused"] = (model, weight_optim.init((eqx.filter(model, eqx.is_array), skips)))
        box["jpc-script"] = box["jpc-fused"]
        script, _ = jpc_script_step(jpc, spec.n_infer_steps)

        def jpc_fused():
            box["jpc-fused"] = fused(box["jpc-fused"][0], skips, box["jpc-fused"][1], x, y)
            return box["jpc-fused"][0]

        def jpc_script():
            box["jpc-script"] = script(box["jpc-script"][0], skips, box["jpc-script"][1], x, y)
            return box["jpc-script"][0]

        out.update({"jpc-fused": jpc_fused, "jpc-script": jpc_script})
    else:
        models = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (n_runs, *a.shape)) if eqx.is_array(a) else a,
                                        model)
        vstep = eqx.filter_jit(eqx.filter_vmap(fused, in_axes=(eqx.if_array(0), None, eqx.if_array(0), 0, 0)))
        states = eqx.filter_vmap(lambda m: weight_optim.init((eqx.filter(m, eqx.is_array), skips)))(models)
        box["jpc-fused"] = (models, states)

        def jpc_fused_vmapped():
            box["jpc-fused"] = vstep(box["jpc-fused"][0], skips, box["jpc-fused"][1], xs, ys)
            return box["jpc-fused"][0]

        out["jpc-fused"] = jpc_fused_vmapped
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depths", type=int, nargs="+", default=[16, 64], help="hidden layers H (T = H)")
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--runs", type=int, nargs="+", default=[1, 8])
    p.add_argument("--rounds", type=int, default=7, help="timed calls of each implementation (median reported)")
    p.add_argument("--jpc", default=os.environ.get("JPC_PATH"), help="a checkout of github.com/thebuckleylab/jpc")
    p.add_argument("--pcx", default=os.environ.get("PCX_PATH"), help="a folder holding the pcx package (else the installed one)")
    p.add_argument("--out", default=None, help="append the results as JSON lines to this file")
    args = p.parse_args()

    jpc, why_not = import_jpc(args.jpc)
    pcx, why_not_pcx = import_pcx(args.pcx)
    device = jax.devices()[0]
    header = {"date": datetime.date.today().isoformat(), "device": getattr(device, "device_kind", str(device)),
              "platform": device.platform, "host": platform.node(), "cpus": os.cpu_count(),
              "cpu_devices": HOST_DEVICES, "jax": jax.__version__,
              "width": args.width, "batch": args.batch, "activity_lr": ACTIVITY_LR, "weight_lr": WEIGHT_LR}
    print(json.dumps(header))
    if jpc is None:
        print(f"jpc skipped: {why_not}")
    if pcx is None:
        print(f"pcx skipped: {why_not_pcx}")
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (args.batch, 784))
    y = jax.nn.one_hot(jax.random.randint(key, (args.batch,), 0, 10), 10)
    rows = []
    for depth in args.depths:
        spec = TrainSpec(NetSpec(784, args.width, depth, 10, "relu", "mupc", True, "standard_gauss"), "pc",
                         n_infer_steps=depth, activity_optim="gd", weight_optim="adam", batch_size=args.batch)
        if jpc is not None:
            gap = check_energies(jpc, spec, x, y)
            print(f"H = {depth}: jpc's energy vs the project's, largest relative gap {gap:.1e}")
            if gap > 1e-4:
                raise SystemExit(f"H = {depth}: the implementations disagree on the energy (gap {gap:.1e})")
        if pcx is not None:
            gap = check_pcx_energy(pcx, spec, x, y)
            print(f"H = {depth}: pcx's energy after inference vs the project's, relative gap {gap:.1e}")
            if gap > 1e-4:
                raise SystemExit(f"H = {depth}: pcx and the project disagree on the energy (gap {gap:.1e})")
        for n_runs in args.runs:
            times = time_interleaved(candidates_for(spec, n_runs, jpc, pcx, x, y), args.rounds)
            ms = {name: 1e3 * statistics.median(t) / n_runs for name, t in times.items()}
            fastest_peer = min((v for k, v in ms.items() if not k.startswith("project")), default=float("nan"))
            # the project as a cell runs it: on one device, or split (cpu_devices: auto), whichever is faster
            project = min(ms["project"], ms.get("project-split", float("inf")))
            row = {**header, "depth": depth, "infer_steps": depth, "runs": n_runs, "ms_per_step_per_run": ms,
                   "project_vs_fastest_peer": project / fastest_peer}
            rows.append(row)
            print(f"H = {depth:3d}, runs = {n_runs}: " + ", ".join(f"{k} {v:.1f}" for k, v in ms.items())
                  + f" ms per step per run; project / fastest peer = {row['project_vs_fastest_peer']:.2f}", flush=True)
    if args.out:
        with open(args.out, "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
