"""The activity learning rates seed 002 hard-codes after looking at its sweeps, transcribed
(with the notebook line each comes from) so that the pipeline's own selection can be set beside
them (``pcrepro compare-selection``). Keys: study, variant (the notebook's file prefix), dataset
(None: the study has one dataset), activation, depth (None: one lr for every depth)."""

from __future__ import annotations

NOTEBOOK = "shared/seeds/002 (plotting notebook)"

# (study, variant, dataset, act_fn, n_hidden, activity_lr, notebook line)
HARD_CODED_LRS = (
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'linear', 8, 0.5, 763),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'linear', 16, 0.05, 765),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'linear', 32, 0.05, 767),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'tanh', 8, 0.5, 771),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'tanh', 16, 0.05, 773),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'tanh', 32, 0.05, 775),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'relu', 8, 0.5, 779),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'relu', 16, 0.5, 781),
    ('mupc_pc_sweeps', 'GD', 'MNIST', 'relu', 32, 0.05, 783),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'linear', 8, 0.5, 788),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'linear', 16, 0.05, 790),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'linear', 32, 0.05, 792),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'tanh', 8, 0.5, 796),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'tanh', 16, 0.05, 798),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'tanh', 32, 0.05, 800),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'relu', 8, 0.1, 804),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'relu', 16, 0.5, 806),
    ('mupc_pc_sweeps', 'GD', 'FashionMNIST', 'relu', 32, 0.05, 808),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'linear', 8, 0.05, 968),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'linear', 16, 0.5, 970),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'linear', 32, 0.1, 972),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'tanh', 8, 0.5, 976),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'tanh', 16, 0.05, 978),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'tanh', 32, 0.1, 980),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'relu', 8, 0.1, 984),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'relu', 16, 0.1, 986),
    ('mupc_pc_sweeps', 'Adam', 'MNIST', 'relu', 32, 0.5, 988),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'linear', 8, 0.05, 993),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'linear', 16, 0.5, 995),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'linear', 32, 0.5, 997),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'tanh', 8, 0.5, 1001),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'tanh', 16, 0.05, 1003),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'tanh', 32, 0.1, 1005),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'relu', 8, 0.1, 1009),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'relu', 16, 0.5, 1011),
    ('mupc_pc_sweeps', 'Adam', 'FashionMNIST', 'relu', 32, 0.05, 1013),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'linear', 8, 0.5, 1173),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'linear', 16, 0.5, 1175),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'linear', 32, 0.1, 1177),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'tanh', 8, 0.05, 1181),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'tanh', 16, 0.5, 1183),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'tanh', 32, 0.5, 1185),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'relu', 8, 0.05, 1189),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'relu', 16, 0.05, 1191),
    ('mupc_pc_sweeps', 'GD_skips', 'MNIST', 'relu', 32, 0.5, 1193),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'linear', 8, 0.5, 1198),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'linear', 16, 0.1, 1200),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'linear', 32, 0.5, 1202),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'tanh', 8, 0.05, 1206),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'tanh', 16, 0.05, 1208),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'tanh', 32, 0.5, 1210),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'relu', 8, 0.05, 1214),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'relu', 16, 0.05, 1216),
    ('mupc_pc_sweeps', 'GD_skips', 'FashionMNIST', 'relu', 32, 0.5, 1218),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'linear', 8, 0.05, 1387),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'linear', 16, 0.05, 1389),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'linear', 32, 0.1, 1391),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'linear', 64, 0.1, 1393),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'linear', 128, 0.1, 1395),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'tanh', 8, 0.05, 1399),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'tanh', 16, 0.05, 1401),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'tanh', 32, 0.05, 1403),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'tanh', 64, 0.05, 1405),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'tanh', 128, 0.5, 1407),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'relu', 8, 0.5, 1411),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'relu', 16, 0.5, 1413),
    ('mupc_pc_sweeps', 'orthogonal', 'MNIST', 'relu', 32, 0.05, 1415),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'linear', 8, 0.05, 1420),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'linear', 16, 0.1, 1422),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'linear', 32, 0.1, 1424),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'linear', 64, 0.05, 1426),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'linear', 128, 0.05, 1428),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'tanh', 8, 0.05, 1432),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'tanh', 16, 0.05, 1434),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'tanh', 32, 0.05, 1436),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'tanh', 64, 0.05, 1438),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'tanh', 128, 0.5, 1440),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'relu', 8, 0.1, 1444),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'relu', 16, 0.05, 1446),
    ('mupc_pc_sweeps', 'orthogonal', 'FashionMNIST', 'relu', 32, 0.05, 1448),
    ('mupc_sweeps', None, None, 'linear', None, 1.0, 1884),
    ('mupc_sweeps', None, None, 'tanh', None, 1.0, 1886),
    ('mupc_sweeps', None, None, 'relu', None, 0.5, 1888),
    ('mupc_pc_baseline', None, None, 'linear', None, 0.01, 2597),
    ('mupc_pc_baseline', None, None, 'tanh', 8, 0.01, 2602),
    ('mupc_pc_baseline', None, None, 'tanh', 16, 0.01, 2605),
    ('mupc_pc_baseline', None, None, 'tanh', 32, 0.1, 2608),
    ('mupc_pc_baseline', None, None, 'tanh', 64, 0.1, 2611),
    ('mupc_pc_baseline', None, None, 'tanh', 128, 0.1, 2614),
    ('mupc_pc_baseline', None, None, 'relu', 8, 0.1, 2619),
    ('mupc_pc_baseline', None, None, 'relu', 16, 0.01, 2622),
    ('mupc_pc_baseline', None, None, 'relu', 32, 0.01, 2625),
    ('mupc_pc_baseline', None, None, 'relu', 64, 0.01, 2628),
)

KEYS = ("variant", "dataset", "act_fn", "n_hidden")


def compare_with_notebook(selection, study: str):
    """The selected activity lr of every selection group of ``study`` beside the notebook's.

    ``selection``: the select rule's table (a row per group × candidate, ``selected`` marking the
    winner). A notebook entry whose key is None (one lr for every depth, or one dataset) matches
    every group. Returns a table with ``selected_lr``, ``notebook_lr``, ``agrees`` and
    ``notebook_lr_in_grid`` (False when the preset's sweep never tried the notebook's lr)."""
    import pandas as pd

    chosen = selection[selection["selected"]]
    candidates = selection.groupby([k for k in KEYS if k in selection.columns], dropna=False)["activity_lr"]
    tried = {key: set(values) for key, values in candidates}
    rows = []
    for _, row in chosen.iterrows():
        group = {k: row[k] for k in KEYS if k in selection.columns}
        matches = [entry for entry in HARD_CODED_LRS if entry[0] == study and all(
            value is None or k not in group or group[k] == value for k, value in zip(KEYS, entry[1:5]))]
        notebook = matches[0] if matches else None
        key = tuple(group.values()) if len(group) > 1 else next(iter(group.values()))
        rows.append({**group, "selected_lr": row["activity_lr"], "score_mean": row["score_mean"],
                     "notebook_lr": notebook[5] if notebook else None,
                     "notebook_line": notebook[6] if notebook else None,
                     "agrees": bool(notebook) and abs(notebook[5] - row["activity_lr"]) <= 1e-12 * notebook[5],
                     "notebook_lr_in_grid": bool(notebook) and notebook[5] in tried.get(key, set())})
    return pd.DataFrame(rows)
