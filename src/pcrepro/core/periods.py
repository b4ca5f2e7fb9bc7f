"""One evaluation period of a cell's runs: the vmapped train steps in one scan, then the
evaluation and the stopping rule it applies.

At each evaluation a run whose test accuracy is below ``no_learning_acc`` is frozen and marked
``no_learning`` (divergence is caught at every step by :func:`pcrepro.core.training.train_step`).
With ``record_condition_number`` the evaluation also records κ(H_z) = |λ_max|/|λ_min| of the
activity Hessian at the post-inference activities of the first example of the period's last
batch, with the updated weights (as the μPC scripts do); :func:`initial_condition_numbers` gives
κ at step 0 at the feedforward activities of each run's first example.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .hessian import activity_hessian, condition_number
from .nets import NetSpec, forward, predict
from .training import NO_LEARNING, RUNNING, RunHyper, RunState, TrainSpec, train_step


def accuracy(params, x, y, net: NetSpec, matmul_precision: str = "highest") -> jax.Array:
    """Test accuracy (%) of the feedforward pass, at the training step's matmul precision."""
    with jax.default_matmul_precision(matmul_precision):
        return 100.0 * jnp.mean(jnp.argmax(predict(params, x, net), -1) == jnp.argmax(y, -1))


def _batch_indices(order, step, steps_per_epoch, batch_size):
    epoch, pos = step // steps_per_epoch, step % steps_per_epoch
    return jax.lax.dynamic_slice(order[epoch], (pos * batch_size,), (batch_size,))


def activity_condition_number(params, z, x, y, net: NetSpec, activity_decay) -> jax.Array:
    """κ(H_z) for one example: activities [H, 1, N], x [1, D], y [1, d_y]. Full float32 matmul
    precision: with the GPU's default TF32, λ_min of a large H_z is off by percents."""
    with jax.default_matmul_precision("highest"):
        return condition_number(jnp.linalg.eigvalsh(activity_hessian(params, z, x, y, net, activity_decay)))


def _condition_numbers(params, probes, hypers, net: NetSpec) -> jax.Array:
    """κ for every run, one run at a time (``lax.map``: an H_z is up to (H·N)² floats)."""
    return jax.lax.map(lambda a: activity_condition_number(*a[:4], net, a[4]),
                       (params, *probes, hypers.activity_decay))


def initial_condition_numbers(states, hypers, orders, x_train, y_train, spec: TrainSpec) -> jax.Array:
    """κ at step 0: initial weights, feedforward activities of each run's first example."""
    first = orders[:, 0, :1]  # [runs, 1]
    x, y = x_train[first], y_train[first]
    z = jax.vmap(lambda p, xi: forward(p, xi, spec.net)[0])(states.params, x)
    return _condition_numbers(states.params, (z, x, y), hypers, spec.net)


def over_runs(fn):
    """``fn`` of one run, vmapped over the leading (runs) axis of its arguments: the runs a device
    holds (a chunk on a GPU; one on a CPU, pcrepro.pipeline.devices.cell_layout)."""
    return jax.vmap(fn)


def train_period(states: RunState, hypers: RunHyper, orders: jax.Array, data, start_step, *, n_steps: int,
                 evaluate: bool, spec: TrainSpec, steps_per_epoch: int,
                 batch_sharding: jax.sharding.Sharding | None = None):
    """``n_steps`` train steps of every run (one ``lax.scan`` each; the runs vmapped:
    :func:`over_runs`), then, with ``evaluate``, the test
    accuracy of each run (NaN for stopped runs), κ(H_z) when the cell records it, and the
    no-learning rule. Returns (states, losses [runs, n_steps], energies, accuracy, κ).

    ``batch_sharding``: where each step's batch [B, ·] is laid out, e.g. its examples spread over
    devices. The maths is that of one device: XLA partitions the step and sums the weight
    gradients' per-device parts (pcrepro.pipeline.devices.cell_layout, ``split_batch``)."""
    x_train, y_train, x_test, y_test = data
    b = spec.batch_size
    record = evaluate and spec.record_condition_number

    def run(state, hyper, order):
        def body(carry, t):
            st = carry[0] if record else carry
            step = start_step + t
            idx = _batch_indices(order, step, steps_per_epoch, b)
            x, y = x_train[idx], y_train[idx]
            if batch_sharding is not None:
                x, y = (jax.lax.with_sharding_constraint(a, batch_sharding) for a in (x, y))
            st, (loss, energy, probe) = train_step(st, hyper, x, y, step + 1, spec)
            # keep only the last step's probe in the carry (nothing is stacked over steps)
            return ((st, (probe, x[:1], y[:1])) if record else st), (loss, energy)

        if not record:
            return jax.lax.scan(body, state, jnp.arange(n_steps, dtype=jnp.int32))
        net, d_y = spec.net, y_train.shape[1]
        empty = (jnp.zeros((net.n_hidden, 1, net.width), x_train.dtype),
                 jnp.zeros((1, x_train.shape[1]), x_train.dtype), jnp.zeros((1, d_y), y_train.dtype))
        return jax.lax.scan(body, (state, empty), jnp.arange(n_steps, dtype=jnp.int32))

    carry, (losses, energies) = over_runs(run)(states, hypers, orders)
    states, probes = carry if record else (carry, None)
    if not evaluate:
        return states, losses, energies, None, None
    eval_step = start_step + n_steps
    acc = jax.vmap(lambda p: accuracy(p, x_test, y_test, spec.net, spec.matmul_precision))(states.params)
    running = states.status == RUNNING
    cond = None
    if record:
        cond = jnp.where(running, _condition_numbers(states.params, probes, hypers, spec.net), jnp.nan)
    stop = running & (acc < spec.no_learning_acc)
    states = states._replace(
        status=jnp.where(stop, NO_LEARNING, states.status),
        stop_step=jnp.where(stop, eval_step, states.stop_step),
    )
    return states, losses, energies, jnp.where(running, acc, jnp.nan), cond
