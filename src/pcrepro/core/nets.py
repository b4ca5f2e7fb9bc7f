"""Fully connected nets with stacked hidden layers.

A net with ``H`` hidden layers of width ``N`` has ``L = H + 1`` weight matrices,
no biases, and layer ℓ predicts

    pred_ℓ = a_ℓ W_ℓ φ(z_{ℓ−1})  (+ z_{ℓ−1} for hidden-to-hidden layers with skips),

with z_0 = x and φ the identity on the first layer. The hidden-to-hidden
matrices W_2 … W_H all have shape [N, N] and are stored stacked as one array
``w_hidden`` of shape [H−1, N, N], so that every operation on all hidden layers
is one batched matmul, whatever the depth. Matrices are [out, in] (rows are
output units), and activities are batched as rows: pred = a φ(z) Wᵀ.

Parameterisations (forward scalings a_ℓ):
  * ``sp``: a_ℓ = 1.
  * ``mupc`` (and ``depth_mup`` for BP, the same scalings): a_1 = 1/√D,
    hidden a_ℓ = 1/√(N·L), a_L = 1/N.
  * without skips, hidden a_ℓ = 1/√N (jpc's μPC init, ``jpc/_core/_init.py`` at 20e91f3, and the
    μPC forward-pass script: the 1/√L factor only makes sense on a residual branch, without
    skips it would shrink the signal by √L at every layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

Params = dict  # {"w_in": [N, D], "w_hidden": [H-1, N, N], "w_out": [d_y, N]}

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "linear": lambda v: v,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
}
PARAM_TYPES = ("sp", "mupc", "depth_mup")
INITS = ("standard", "standard_gauss", "one_over_N", "orthogonal", "zeros")


class Scalings(NamedTuple):
    """Forward multipliers a_1 (input layer), a_ℓ (hidden layers), a_L (output)."""

    a_in: float
    a_hidden: float
    a_out: float


@dataclass(frozen=True)
class NetSpec:
    """Static description of a net: shapes and code paths (hashable, jit-static)."""

    input_dim: int
    width: int
    n_hidden: int
    output_dim: int
    act_fn: str = "linear"
    param_type: str = "sp"
    skips: bool = False
    init: str = "standard"
    init_gain: float = 1.0  # scale of the ``orthogonal`` init (:func:`reference_init_gain`)

    def __post_init__(self) -> None:
        if self.n_hidden < 1:
            raise ValueError(f"n_hidden must be >= 1, got {self.n_hidden}")
        if self.act_fn not in ACTIVATIONS:
            raise ValueError(f"act_fn {self.act_fn!r} not in {sorted(ACTIVATIONS)}")
        if self.param_type not in PARAM_TYPES:
            raise ValueError(f"param_type {self.param_type!r} not in {PARAM_TYPES}")
        if self.init not in INITS:
            raise ValueError(f"init {self.init!r} not in {INITS}")

    @property
    def n_layers(self) -> int:
        """L = H + 1 weight matrices."""
        return self.n_hidden + 1

    @property
    def phi(self) -> Callable[[jax.Array], jax.Array]:
        return ACTIVATIONS[self.act_fn]

    @property
    def scalings(self) -> Scalings:
        if self.param_type == "sp":
            return Scalings(1.0, 1.0, 1.0)
        # mupc and depth_mup share the scalings; 1/√L only on a residual branch (module docstring)
        residual_depth = self.n_layers if self.skips else 1
        return Scalings(
            a_in=1.0 / math.sqrt(self.input_dim),
            a_hidden=1.0 / math.sqrt(self.width * residual_depth),
            a_out=1.0 / self.width,
        )


def init_matrix(key: jax.Array, shape: tuple[int, int], init: str, dtype, gain: float = 1.0) -> jax.Array:
    """One [out, in] matrix; ``fan_in`` is its number of columns; ``gain`` scales ``orthogonal``."""
    fan_in = shape[1]
    if init == "standard":  # the default of torch / equinox Linear layers
        bound = 1.0 / math.sqrt(fan_in)
        return jax.random.uniform(key, shape, dtype, -bound, bound)
    if init == "standard_gauss":
        return jax.random.normal(key, shape, dtype)
    if init == "one_over_N":
        return jax.random.normal(key, shape, dtype) / math.sqrt(fan_in)
    if init == "orthogonal":
        return jax.nn.initializers.orthogonal(scale=gain)(key, shape, dtype)
    if init == "zeros":
        return jnp.zeros(shape, dtype)
    raise ValueError(f"unknown init {init!r}")


def reference_init_gain(init: str, act_fn: str) -> float:
    """The gain of the μPC reference scripts: 1.05 for an orthogonal init of a tanh net (so
    that the saturating activation does not shrink the signal with depth), 1 otherwise."""
    return 1.05 if (init == "orthogonal" and act_fn == "tanh") else 1.0


def resolve_init_gain(setting: float | str, init: str, act_fn: str) -> float:
    """A config's ``init_gain``: a number, or "reference" (:func:`reference_init_gain`)."""
    return reference_init_gain(init, act_fn) if setting == "reference" else float(setting)


def layer_shapes(spec: NetSpec) -> list[tuple[int, int]]:
    """[out, in] shape of W_1 … W_L."""
    n = spec.width
    return [(n, spec.input_dim)] + [(n, n)] * (spec.n_hidden - 1) + [(spec.output_dim, n)]


def init_params(key: jax.Array, spec: NetSpec, dtype=None) -> Params:
    """Initial weights; hidden-to-hidden matrices stacked as [H−1, N, N]."""
    dtype = dtype or jnp.zeros(()).dtype  # float64 when x64 is enabled
    k_in, k_hidden, k_out = jax.random.split(key, 3)
    n = spec.width
    hidden_keys = jax.random.split(k_hidden, spec.n_hidden - 1)
    def init(k, shape):
        return init_matrix(k, shape, spec.init, dtype, spec.init_gain)

    w_hidden = jax.vmap(lambda k: init(k, (n, n)))(hidden_keys)
    return {
        "w_in": init(k_in, (n, spec.input_dim)),
        "w_hidden": w_hidden.reshape(spec.n_hidden - 1, n, n),
        "w_out": init(k_out, (spec.output_dim, n)),
    }


@partial(jax.jit, static_argnums=(1, 2, 3, 4))
def _draw_matrix(key: jax.Array, shape: tuple[int, int], init: str, dtype, gain: float) -> jax.Array:
    return init_matrix(key, shape, init, dtype, gain)


@partial(jax.jit, static_argnums=1)
def _split(key: jax.Array, num: int) -> jax.Array:
    return jax.random.split(key, num)


def draw_params(key: jax.Array, spec: NetSpec, dtype=None) -> Params:
    """:func:`init_params` bit for bit, computed outside ``jit`` by programs that depend on one
    matrix's shape only (one per matrix, looped over the hidden layers).

    Compiling the random draws (threefry) is most of the cost of a small study cell on a CPU
    (≈ 1 s each; eagerly, op by op, up to ≈ 2.5 s). Programs of one matrix's shape are shared
    by every depth within a job and, through the persistent compilation cache, by every job."""
    dtype = jnp.dtype(dtype or jnp.zeros(()).dtype)
    k_in, k_hidden, k_out = _split(key, 3)
    n = spec.width

    def draw(k, shape):
        return _draw_matrix(k, shape, spec.init, dtype, float(spec.init_gain))

    hidden = [draw(k, (n, n)) for k in _split(k_hidden, spec.n_hidden - 1)] if spec.n_hidden > 1 else []
    return {
        "w_in": draw(k_in, (n, spec.input_dim)),
        "w_hidden": jnp.stack(hidden) if hidden else jnp.zeros((0, n, n), dtype),
        "w_out": draw(k_out, (spec.output_dim, n)),
    }


def hidden_predictions(params: Params, z: jax.Array, spec: NetSpec) -> jax.Array:
    """pred_ℓ for ℓ = 2 … H from the activities z_1 … z_{H−1}, all layers at once.

    ``z`` is the stacked activity array [H, B, N]; returns [H−1, B, N].
    """
    a = spec.scalings.a_hidden
    pred = a * jnp.einsum("lbi,loi->lbo", spec.phi(z[:-1]), params["w_hidden"])
    return pred + z[:-1] if spec.skips else pred


def input_prediction(params: Params, x: jax.Array, spec: NetSpec) -> jax.Array:
    """pred_1 = a_1 W_1 x (no nonlinearity on the input)."""
    return spec.scalings.a_in * x @ params["w_in"].T


def output_prediction(params: Params, z_last: jax.Array, spec: NetSpec) -> jax.Array:
    """ŷ = a_L W_L φ(z_H)."""
    return spec.scalings.a_out * spec.phi(z_last) @ params["w_out"].T


def _hidden_layer(params_hidden_w: jax.Array, z_prev: jax.Array, spec: NetSpec) -> jax.Array:
    pred = spec.scalings.a_hidden * spec.phi(z_prev) @ params_hidden_w.T
    return pred + z_prev if spec.skips else pred


def forward(params: Params, x: jax.Array, spec: NetSpec) -> tuple[jax.Array, jax.Array]:
    """Feedforward pass: the stacked activities z_1 … z_H [H, B, N] and ŷ [B, d_y]."""
    z1 = input_prediction(params, x, spec)

    def layer(z_prev, w):
        z = _hidden_layer(w, z_prev, spec)
        return z, z

    z_last, z_rest = jax.lax.scan(layer, z1, params["w_hidden"])
    z = jnp.concatenate([z1[None], z_rest], axis=0)
    return z, output_prediction(params, z_last, spec)


def predict(params: Params, x: jax.Array, spec: NetSpec) -> jax.Array:
    """ŷ only, without keeping the hidden activities (for evaluation)."""
    z1 = input_prediction(params, x, spec)
    z_last, _ = jax.lax.scan(lambda z, w: (_hidden_layer(w, z, spec), None), z1, params["w_hidden"])
    return output_prediction(params, z_last, spec)
