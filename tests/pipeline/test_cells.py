"""pcrepro.pipeline.cells and budget: the paper grids expand to the notebooks' cells; the budget model."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from pcrepro.core.nets import NetSpec
from pcrepro.core.training import TrainSpec
from pcrepro.pipeline.cells import study_cells, training_cells


def _config(preset: str) -> dict:
    """The repository's config.yaml at ``preset``."""
    return {**yaml.safe_load((Path(__file__).parents[2] / "config.yaml").read_text()), "preset": preset}


def cell_id_of(cell):
    from pcrepro.pipeline.cells import cell_id

    return cell_id(cell)


def test_budget_model_reproduces_the_measured_steps_and_counts_runs():
    from pcrepro.pipeline.budget import (
        MEASURED_STEPS,
        seconds_per_run_step,
        step_flops,
        training_budget,
    )
    from pcrepro.pipeline.cells import train_spec

    for (h, n, t), measured in MEASURED_STEPS:
        spec = TrainSpec(NetSpec(784, n, h, 10, "relu", "mupc", True, "standard_gauss"), "pc", n_infer_steps=t)
        assert seconds_per_run_step(step_flops(spec)) == pytest.approx(measured, rel=1e-9)
    cfg = {"dataset": "MNIST", "act_fns": ["relu"], "depth_sweep": {"width": 32, "n_hiddens": [2, 4]},
           "width_sweep": {"n_hidden": 2, "widths": [16]}, "param_type": "mupc", "skips": True,
           "init": "standard_gauss", "n_infer_steps": "depth", "activity_optim": "gd", "activity_lrs": [1.0, 0.1],
           "weight_optim": "adam", "weight_lrs": [0.1], "activity_decays": [0.0], "batch_size": 64, "epochs": 2,
           "test_every": 100, "seeds": [0, 1, 2], "select_by": ["act_fn"]}
    row = training_budget("s", study_cells("mupc_sweeps", {"mupc_sweeps": cfg}), train_spec, {"MNIST": 6400})
    assert (row["cells"], row["runs"], row["run_epochs"]) == (3, 18, 36)
    assert row["gpu_hours"] > 0


def test_budget_charges_measured_stopped_cells_up_to_their_stop_only():
    """Standard PC at H = 128, N = 512 (ReLU) was measured to stop every run by its first
    evaluation: its paper cell is charged test_every steps per run, the μPC cell of the same shape
    every step; the paper shape's step is the measured full-float32 one."""
    from pcrepro.pipeline.budget import (
        COMPILE_SECONDS_PER_CELL,
        PAPER_STEP_SECONDS,
        cell_seconds,
        charged_steps,
        seconds_per_run_step,
        step_flops,
    )
    from pcrepro.pipeline.cells import n_runs, train_spec, training_cells

    config = _config("paper")
    cells = {(c["net"]["param_type"], c["net"]["act_fn"]): c for c in training_cells("mupc_hp_transfer", config).values()
             if (c["net"]["n_hidden"], c["net"]["width"], c["dataset"]) == (128, 512, "MNIST")}
    sp, mupc, sp_tanh = (train_spec(cells[k]) for k in (("sp", "relu"), ("mupc", "relu"), ("sp", "tanh")))
    all_steps = 60000 // 64
    assert (charged_steps(sp, 60000), charged_steps(mupc, 60000), charged_steps(sp_tanh, 60000)) == (100, all_steps, all_steps)
    assert seconds_per_run_step(step_flops(mupc)) == pytest.approx(PAPER_STEP_SECONDS, rel=1e-9)
    compile_s = COMPILE_SECONDS_PER_CELL
    ratio = ((cell_seconds(cells[("sp", "relu")], sp, 60000) - compile_s)
             / (cell_seconds(cells[("mupc", "relu")], mupc, 60000) - compile_s))
    assert ratio == pytest.approx(n_runs(cells[("sp", "relu")]) * 100 / (n_runs(cells[("mupc", "relu")]) * all_steps))


def test_only_small_quick_cells_ask_for_the_fast_compile():
    """XLA's cheapest pipeline pays only where compiling dominates: the quick preset's shallow
    narrow cells take it, its deepest and widest cells (H = 32: 4.6e11 FLOPs of training) are fully optimised."""
    from pcrepro.pipeline.budget import (
        FAST_COMPILE_MAX_FLOPS,
        fast_compile_pays,
        n_runs,
        step_flops,
    )
    from pcrepro.pipeline.cells import train_spec, training_cells

    config = _config("quick")
    cells = training_cells("mupc_hp_transfer", config) | training_cells("mupc_pc_sweeps", config)
    for cell in cells.values():
        spec = train_spec(cell)
        work = n_runs(cell) * spec.max_steps_per_epoch * step_flops(spec)
        assert fast_compile_pays(cell) == (work < FAST_COMPILE_MAX_FLOPS)
    pays = {(c["net"]["n_hidden"], c["net"]["width"]): fast_compile_pays(c) for c in cells.values()}
    assert pays[(2, 16)] and pays[(4, 16)] and pays[(8, 16)]
    assert not pays[(32, 32)] and not pays[(16, 32)] and not pays[(8, 64)]


def test_orthogonal_tanh_cells_train_with_the_reference_gain():
    """The μPC reference script inits orthogonal tanh nets with gain 1.05 (1 otherwise): the paper
    cells carry it, their hidden matrices are 1.05 × orthogonal, and the feedforward activity RMS
    at depth 128 equals an independent numpy forward pass — several times that of gain 1."""

    import jax
    import jax.numpy as jnp

    from pcrepro.core.nets import forward, init_params
    from pcrepro.pipeline.cells import train_spec, training_cells

    config = _config("paper")
    cells = list(training_cells("mupc_pc_sweeps", config).values())
    gains = {(c["labels"]["variant"], c["net"]["act_fn"]): c["net"]["init_gain"] for c in cells}
    assert gains[("orthogonal", "tanh")] == 1.05
    assert gains[("orthogonal", "relu")] == gains[("orthogonal", "linear")] == gains[("GD", "tanh")] == 1.0
    (cell,) = [c for c in cells if c["labels"]["variant"] == "orthogonal" and c["net"]["act_fn"] == "tanh"
               and c["net"]["n_hidden"] == 128 and c["dataset"] == "MNIST"]
    assert "_gain1.05" in cell_id_of(cell)

    x = np.random.default_rng(0).standard_normal((64, 784))
    rms = {}
    for gain in (1.05, 1.0):
        net = train_spec({**cell, "net": {**cell["net"], "init_gain": gain}}).net
        params = jax.tree_util.tree_map(np.asarray, init_params(jax.random.PRNGKey(0), net, jnp.float64))
        w_hidden = params["w_hidden"]
        np.testing.assert_allclose(w_hidden[5] @ w_hidden[5].T, gain**2 * np.eye(128), atol=1e-10)
        z = x @ params["w_in"].T  # sp, no skips: z_l = W_l tanh(z_{l-1})
        for w in w_hidden:
            z = np.tanh(z) @ w.T
        rms[gain] = float(np.sqrt(np.mean(z**2)))
        z_net, _ = forward(init_params(jax.random.PRNGKey(0), net, jnp.float64), jnp.asarray(x), net)
        assert float(jnp.sqrt(jnp.mean(z_net[-1] ** 2))) == pytest.approx(rms[gain], rel=1e-9)
    assert rms[1.05] > 3 * rms[1.0]


def test_paper_pc_sweeps_cells_follow_the_notebook_grid(repo):

    paper = yaml.safe_load((repo / "config.yaml").read_text())["presets"]["paper"]["mupc_pc_sweeps"]
    cells = list(study_cells("mupc_pc_sweeps", {"mupc_pc_sweeps": paper}).values())
    assert len(cells) == 80
    assert all(c["train"]["record_condition_number"] and c["train"]["n_infer_steps"] == 500 for c in cells)
    assert {len(c["runs"]["seeds"]) * len(c["runs"]["activity_lrs"]) for c in cells} == {9}
    ortho = {(c["net"]["act_fn"], c["net"]["n_hidden"]) for c in cells if c["labels"]["variant"] == "orthogonal"}
    assert ortho == {(a, h) for a in ("linear", "tanh") for h in (8, 16, 32, 64, 128)} | {
        ("relu", h) for h in (8, 16, 32)}
    adam = [c for c in cells if c["labels"]["variant"] == "Adam"]
    assert all(c["train"]["activity_optim"] == "adam" and not c["net"]["skips"] for c in adam)
    assert all(c["net"]["skips"] for c in cells if c["labels"]["variant"] == "GD_skips")


def test_paper_activity_decay_is_one_cell_of_54_vmapped_runs(repo):

    paper = yaml.safe_load((repo / "config.yaml").read_text())["presets"]["paper"]["mupc_activity_decay"]
    (cell,) = study_cells("mupc_activity_decay", {"mupc_activity_decay": paper}).values()
    runs = cell["runs"]
    assert len(runs["seeds"]) * len(runs["activity_lrs"]) * len(runs["activity_decays"]) == 54
    assert (cell["net"]["width"], cell["net"]["n_hidden"], cell["train"]["n_infer_steps"]) == (128, 8, 500)


def test_paper_trains_the_reference_float64_studies_in_float64_and_the_rest_as_compute_dtype():
    """jpc's paper-era main script (20e91f3, train_pcn_no_metrics.py) enabled x64: the paper preset's
    μPC sweeps, long runs and transfer cells train in float64; the κ(H_z) cells (train_pcn.py, no
    x64) and the other studies in compute.dtype; the quick preset all in float32."""
    paper = _config("paper")
    dtypes = {s: {c["train"]["dtype"] for c in training_cells(s, paper).values()}
              for s in ("mupc_sweeps", "mupc_long_runs", "mupc_hp_transfer", "mupc_condition_numbers",
                        "mupc_pc_sweeps")}
    assert dtypes == {"mupc_sweeps": {"float64"}, "mupc_long_runs": {"float64"}, "mupc_hp_transfer": {"float64"},
                      "mupc_condition_numbers": {"float32"}, "mupc_pc_sweeps": {"float32"}}
    quick = _config("quick")
    assert {c["train"]["dtype"] for s in dtypes for c in training_cells(s, quick).values()} == {"float32"}


def test_deep_transfer_cells_take_their_own_seeds_and_lrs_and_never_a_sweep_depth():
    quick = _config("quick")
    deep = quick["presets"]["quick"]["mupc_hp_transfer"]["deep"]
    cells = [c for c in training_cells("mupc_hp_transfer", quick).values() if c["net"]["n_hidden"] in deep["n_hiddens"]]
    assert sorted(c["net"]["param_type"] for c in cells) == ["mupc", "sp"]
    for cell in cells:
        own = deep[cell["net"]["param_type"]]
        assert cell["runs"]["seeds"] == deep["seeds"] and cell["runs"]["weight_lrs"] == own["weight_lrs"]
        assert cell["runs"]["activity_lrs"] == own["activity_lrs"] and cell["train"]["test_every"] == 100
    clash = {**quick["presets"]["quick"]["mupc_hp_transfer"], "deep": {**deep, "n_hiddens": [32]}}
    with pytest.raises(ValueError, match="depth_sweep.n_hiddens"):
        study_cells("mupc_hp_transfer", {"mupc_hp_transfer": {**_config("paper")["presets"]["paper"]["mupc_hp_transfer"], **clash}})


def test_cells_command_writes_the_cells_the_workflow_trains(tmp_path):
    """``pcrepro cells`` (training outside Snakemake) writes exactly the preset's cells, one JSON each."""
    import json

    from pcrepro.cli import main

    main(["cells", "--study", "mupc_bp_baseline", "--preset", "quick", "--out", str(tmp_path)])
    expected = training_cells("mupc_bp_baseline", _config("quick"))
    written = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    assert written == json.loads(json.dumps(expected))


def test_budget_charges_the_error_front_and_float64():
    """The error front's share is the hidden matmuls its phases compute (each phase leaves out the
    layers below its first, in the energy's forward and in ∂F/∂z), a decayed cell pays every
    layer, and a float64 cell FLOAT64_STEP_FACTOR times its float32 step."""
    import dataclasses

    from pcrepro.core.inference import error_front_phases
    from pcrepro.pipeline.budget import FLOAT64_STEP_FACTOR, computed_flops, run_step_seconds, step_flops

    net = NetSpec(784, 512, 16, 10, "relu", "mupc", True, "standard_gauss")
    spec = TrainSpec(net, "pc", n_infer_steps=16, batch_size=64)
    front = dataclasses.replace(spec, skip_unreached_layers=True)
    hidden, first_layer = 2 * 64 * 512**2, 2 * 64 * 784 * 512
    phases = error_front_phases(16, 16)
    # the energy's forward and ∂F/∂z over the layers a phase runs on, by hand: z_f … z_H, predicted
    # from z_{f−1} … z_{H−1} (H − f hidden matmuls each way, no input layer), and the output layer
    out = 2 * 64 * 512 * 10
    inference = sum(steps * (2 * (16 - first) * hidden + 2 * out) if first else steps * (first_layer + 2 * 15 * hidden
                                                                                           + 2 * out)
                    for first, steps in phases)
    fwd = first_layer + 15 * hidden + out
    by_hand = fwd + inference + 2 * fwd
    assert computed_flops(front) == by_hand and computed_flops(spec) == step_flops(spec)
    assert 0.4 < by_hand / step_flops(spec) < 0.7  # about half at T = H
    cell = {"runs": {"activity_decays": [0.0]}}
    decayed = {"runs": {"activity_decays": [0.0, 0.1]}}
    assert run_step_seconds(cell, spec) == pytest.approx(run_step_seconds(decayed, spec) * by_hand / step_flops(spec))
    f64 = dataclasses.replace(spec, dtype="float64")
    assert run_step_seconds(cell, f64) == pytest.approx(FLOAT64_STEP_FACTOR * run_step_seconds(cell, spec))
    bp = TrainSpec(net, "bp")
    assert run_step_seconds(cell, bp) == run_step_seconds(decayed, bp)  # BP has no inference to skip
