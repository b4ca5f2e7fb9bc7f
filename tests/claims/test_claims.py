"""pcrepro.claims: every claim's verdict on hand-made result files — one set that reproduces the
finding, one that does not, and one with the claim's files missing — plus stand-in data and
unreadable files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pcrepro.claims import (
    CLAIMS,
    FAILED,
    NEEDS_PAPER_SCALE,
    NOT_BUILT,
    NOT_REPRODUCED,
    REPRODUCED,
    SYNTHETIC,
    claim_files,
    evaluate,
    summary_line,
)
from pcrepro.claims.seed000 import escape_iteration
from pcrepro.data import REAL, STANDIN

GRIDS = {
    "chains": {"trained": [{"n_hidden": 1}, {"n_hidden": 2}], "hessian_depths": [2, 3]},
    "dln_hessian": {"configs": {"toy_gaussian": [[2, 3]], "MNIST": [[1, 4]]}, "other_saddle_depths": []},
    "mupc_forward_pass": {"act_fns": ["relu"], "optims": ["adam"]},
    "mupc_hp_transfer": {"width_sweep": {"n_hidden": 32, "widths": [16, 32, 64]},
                         "depth_sweep": {"width": 64, "n_hiddens": [32, 48, 64]}, "test_every": 50,
                         "activity_lrs": [0.05, 1, 50], "weight_lrs": [0.01, 0.1]},
    "mupc_energy_theory": {"phase": {"param_types": ["sp", "mupc"]}, "width_study": {"param_types": ["sp", "mupc"]}},
    "error_optim": {"dataset": "MNIST"},
    "double_descent": {"kappa": 10.0},
}


def _npz(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


def _parquet(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path)


def _chain(root, good, source):
    for h in (1, 2):  # PC reaches the far weights at step 3, BP at 6 (good) or PC never (bad)
        far = np.full(h + 1, 1.0)
        bp = np.stack([np.full(h + 1, 0.01)] * 6 + [far] * 3)
        pc = np.stack([np.full(h + 1, 0.01)] * 3 + [far] * 6) if good else np.stack([np.full(h + 1, 0.01)] * 9)
        _npz(root / f"chains/depth_{h}.npz", n_hidden=h, bp_weights=bp[None], pc_weights=pc[None])


def _chain_hessian(root, good, source):
    for h in (2, 3):
        theory = np.diag([-1.0] + [0.0] * h)
        energy = np.stack([np.zeros_like(theory), theory * (0.99 if good else 0.5)])
        _npz(root / f"chains/depth_{h}.npz", n_hidden=h, hessian_energy=energy, hessian_theory=theory,
             hessian_loss=np.zeros_like(theory))


def _dln(root, good, source):
    for name in ("toy_gaussian_H2_N3_origin", "MNIST_H1_N4_origin"):
        energy = np.array([[0.0, 1.0], [-0.5, 1.0], [-0.99 if good else -0.5, 1.0]])
        _npz(root / f"dln_hessian/{name}.npz", steps=np.array([0, 1, 20]), energy_eigenvalues=energy,
             theory_eigenvalues=np.array([-1.0, 1.0]), loss_eigenvalues=np.array([0.0, 0.0 if good else 0.3]),
             source=np.array(source))


def _kappa(root, good, source):
    rows = [{"matrix": "num", "width": n, "n_hidden": h,
             "cond": (1 / np.tan(np.pi / (2 * (h + 1))) ** 2) * (1 if good else 1.1)} for n in (2, 4) for h in (2, 4)]
    _parquet(root / "mupc_activity_hessian/sp_orthogonal/linear.parquet", rows)


def _forward(root, good, source):
    rows = []
    for width in (16, 64):
        for depth in (4, 16):
            rows.append({"setting": "depth_mup_skips", "value": 0.5 if good else 10.0 ** -depth})
            rows.append({"setting": "sp", "value": 10.0 ** -depth})
    _parquet(root / "mupc_forward_pass/relu_adam.parquet",
             [{**r, "step": 0, "metric": "activity_l2", "layer": "L", "data_source": source} for r in rows])


def _transfer(root, good, source, grids=GRIDS):
    """Every lr pair of every shape, one seed; a shape's best pair has the lowest minimum batch
    loss. Good: μPC's best pair is the same everywhere and sp's net stays at chance (every run
    stopped) at the deepest depth; bad: μPC's best activity lr moves over the whole grid."""
    g = grids["mupc_hp_transfer"]
    shapes = [(n, g["width_sweep"]["n_hidden"]) for n in g["width_sweep"]["widths"]] + \
             [(g["depth_sweep"]["width"], h) for h in g["depth_sweep"]["n_hiddens"]]
    deepest = max(g["depth_sweep"]["n_hiddens"])
    chosen, runs = [], []
    for i, (width, n_hidden) in enumerate(shapes):
        best = {"mupc": (0.1, 1 if good else g["activity_lrs"][i % 3]), "sp": (0.01, g["activity_lrs"][i % 3])}
        for param, (best_w, best_a) in best.items():
            fails = param == "sp" and good and n_hidden == deepest
            for w in g["weight_lrs"]:
                for a in g["activity_lrs"]:
                    runs.append({"param_type": param, "width": width, "n_hidden": n_hidden, "test_every": 50,
                                 "cell": f"{param}_{width}_{n_hidden}", "seed": 0, "activity_lr": a, "weight_lr": w,
                                 "activity_decay": 0.0, "status": "no_learning" if fails else "ok",
                                 "run_train_loss_min": 0.1 if (w, a) == (best_w, best_a) else 0.3,
                                 "data_source": source})
            chosen.append({"param_type": param, "width": width, "n_hidden": n_hidden, "test_every": 50,
                           "selected": True, "activity_lr": best_a, "weight_lr": best_w,
                           "score_mean": 10.0 if fails else 90.0})
    path = root / "mupc_hp_transfer/selection.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(chosen).to_csv(path, index=False)
    _parquet(root / "mupc_hp_transfer/runs.parquet", runs)


def _bp(root, good, source):
    run = {"step": 100, "activity_lr": 0.5, "weight_lr": 0.1, "n_hidden": 128, "data_source": source, "epochs": 1}
    _parquet(root / "mupc_sweeps/runs.parquet",
             [{**run, "act_fn": "relu", "test_acc": 91.0 if good else 60.0, "seed": s} for s in (0, 1)])
    _parquet(root / "mupc_vs_pc_vs_bp/runs.parquet",
             [{**run, "algorithm": "bp", "test_acc": 94.0, "seed": s} for s in (0, 1)])


def _energy(root, good, source):
    for kind in ("phase", "width"):
        for p in ("sp", "mupc"):
            rows = [{"act_fn": "linear", "width": n, "n_hidden": h, "step": 0, "data_source": source,
                     "ratio": 1 + h / n if (good or p == "sp") else 1 + n / 100} for n in (1, 4, 16) for h in (1, 4)]
            rows.append({**rows[0], "step": 1, "ratio": 1.2 if good else 0.9})
            _parquet(root / f"mupc_energy_theory/{kind}_{p}.parquet", rows)


def _error_optim(root, good, source):
    so_final = 1e-8 if good else 1e-3
    eo = np.zeros((5, 3, 3)) + 1e-12
    so = np.zeros((9, 3, 3)) + so_final
    _npz(root / "error_optim/MNIST.npz", threshold=7e-5, error_distance_quantiles=eo, state_distance_quantiles=so,
         speedups=np.array([60.0, 55.0, 50.0]) if good else np.array([2.0, 3.0, 2.5]), dataset="MNIST",
         source=np.array(source))


def _double_descent(root, good, source):
    t = np.arange(1000)
    large = 1 - np.exp(-t / 10)
    small = 1 - np.exp(-t / (100 if good else 10))
    w_tot = np.stack([large, small], axis=1)
    for init in ("constant", "rank_one"):
        loss = np.exp(-t / 50)
        _npz(root / f"double_descent/{init}.npz", reduced_gap=1e-15 if good else 1e-3, net_loss=loss,
             reduced_loss=loss, net_w_tot=w_tot, large=np.array([True, False]))


WRITERS = {
    "000.pc_escapes_origin_faster": _chain, "000.energy_strict_saddle": _chain_hessian,
    "001.energy_hessian_tends_to_theory": _dln, "001.loss_hessian_zero_at_origin": _dln,
    "002.kappa_sp_orthogonal": _kappa, "002.mupc_forward_order_one": _forward,
    "002.mupc_trains_deep_pc_fails": _transfer, "002.mupc_lr_transfer": _transfer,
    "002.mupc_close_to_bp_at_depth_128": _bp, "002.loss_above_energy": _energy,
    "003.same_equilibrium": _error_optim, "003.eo_speedup": _error_optim,
    "004.reduced_dynamics_exact": _double_descent, "004.two_stage_learning": _double_descent,
}
BY_ID = {c.id: c for c in CLAIMS}


def _verdict(tmp_path, claim_id, good=True, source=REAL, preset="paper"):
    WRITERS[claim_id](tmp_path, good, source)
    return evaluate([BY_ID[claim_id]], tmp_path, GRIDS, preset).iloc[0]


def test_every_claim_of_the_registry_is_tested_here():
    assert set(WRITERS) == set(BY_ID)
    assert {c.seed for c in CLAIMS} == {"000", "001", "002", "003", "004"}


@pytest.mark.parametrize("claim_id", sorted(WRITERS))
def test_a_claim_is_reproduced_by_results_that_show_it(tmp_path, claim_id):
    row = _verdict(tmp_path, claim_id, good=True)
    assert row["verdict"] == REPRODUCED, row["measured"]
    assert row["measured"] and row["rule"]


@pytest.mark.parametrize("claim_id", sorted(WRITERS))
def test_a_claim_is_not_reproduced_by_results_that_contradict_it(tmp_path, claim_id):
    row = _verdict(tmp_path, claim_id, good=False)
    assert row["verdict"] == NOT_REPRODUCED, row["measured"]


@pytest.mark.parametrize("claim_id", sorted(WRITERS))
def test_a_claim_whose_results_are_missing_is_not_built(tmp_path, claim_id):
    row = evaluate([BY_ID[claim_id]], tmp_path, GRIDS, "paper").iloc[0]
    assert row["verdict"] == NOT_BUILT
    assert "missing" in row["measured"]


def test_stand_in_data_are_never_called_a_reproduction(tmp_path):
    for claim_id in ("001.energy_hessian_tends_to_theory", "002.mupc_forward_order_one", "002.mupc_lr_transfer",
                     "003.eo_speedup"):
        assert _verdict(tmp_path / claim_id, claim_id, source=STANDIN)["verdict"] == SYNTHETIC


def test_a_preset_without_a_rule_or_too_small_a_grid_needs_paper_scale(tmp_path):
    assert _verdict(tmp_path, "002.mupc_close_to_bp_at_depth_128", preset="quick")["verdict"] == NEEDS_PAPER_SCALE
    shallow = {**GRIDS, "mupc_hp_transfer": {**GRIDS["mupc_hp_transfer"],
                                             "depth_sweep": {"width": 64, "n_hiddens": [4, 8, 16]}}}
    _transfer(tmp_path, True, REAL, shallow)
    row = evaluate([BY_ID["002.mupc_trains_deep_pc_fails"]], tmp_path, shallow, "quick").iloc[0]
    assert row["verdict"] == NEEDS_PAPER_SCALE and "H = 16" in row["measured"]


def test_an_unreadable_result_is_a_verdict_not_a_crash(tmp_path):
    path = tmp_path / "error_optim/MNIST.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz")
    table = evaluate([BY_ID["003.eo_speedup"], BY_ID["003.same_equilibrium"]], tmp_path, GRIDS, "quick")
    assert list(table["verdict"]) == [FAILED, FAILED]
    assert "seed003.py" in table["measured"].iloc[0]
    assert summary_line(table) == "0 of 2 claims reproduced (2 measurement failed)"


def test_escape_iteration_is_the_first_step_half_way_to_a_balanced_solution():
    w = np.array([[0.1, 0.1], [0.5, 0.5], [0.8, 0.7], [1.0, 1.0]])  # half-way: norm ≥ 0.5·√2 ≈ 0.707
    assert escape_iteration(w) == 1.0 and escape_iteration(w[:1]) == np.inf


def test_the_claims_rule_reads_every_file_the_claims_of_a_study_need():
    assert claim_files("chains", GRIDS) == ["chains/depth_1.npz", "chains/depth_2.npz", "chains/depth_3.npz"]
    assert claim_files("mupc_hp_transfer", GRIDS) == ["mupc_hp_transfer/selection.csv", "mupc_hp_transfer/runs.parquet"]


def test_the_docs_list_every_claim_with_its_rules(repo):
    """docs/claims.md is written from the registry: every claim, statement and rule appear there."""
    text = (repo / "docs" / "claims.md").read_text()
    for claim in CLAIMS:
        assert f"`{claim.id}`" in text and claim.statement in text
        assert all(rule.text in text for rule in claim.rules.values()), claim.id
