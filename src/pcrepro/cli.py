"""Command line for the parts that must run without Snakemake (e.g. on a bare GPU box).

  pcrepro prepare-dataset MNIST --out data/prepared/MNIST.npz [--mirror DIR] [--standin]
  pcrepro cells --study mupc_sweeps --preset paper --out cells/      # one JSON per cell
  pcrepro train-cell --cell cells/<id>.json --dataset data/prepared/MNIST.npz --out <id>.parquet
  pcrepro budget [--preset paper]                                  # runs, run-epochs, GPU hours
  pcrepro compare-selection --study mupc_pc_sweeps --selection results/paper/mupc_pc_sweeps/selection.csv
  pcrepro error-optim --preset paper --dataset data/prepared/EMNIST.npz --out results/paper/error_optim/EMNIST.npz
  pcrepro double-descent --preset paper --init constant --out results/paper/double_descent/constant.npz
  pcrepro claims --preset quick [--results results]                # which findings the results reproduce
  pcrepro claims --preset quick --record benchmarks/results/claims_quick.json --machine "…" --wall-s 300
  pcrepro claims-page [--record benchmarks/results/claims_quick.json]  # writes docs/claims.md
  pcrepro provenance results/quick/mupc_sweeps/runs.parquet   # which code, versions, device made a result
  pcrepro bundle create --preset paper --out paper-results.zip     # share computed results
  pcrepro bundle verify paper-results.zip
  pcrepro preset quick [--study mupc_sweeps]                       # the grids a preset runs, overlays merged
  pcrepro job-times --preset quick                                 # where a finished run's minutes went
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pcrepro.pipeline.cells import training_cells
from pcrepro.pipeline.config import load_config, preset_config
from pcrepro.pipeline.progress import log_to
from pcrepro.pipeline.results import write_table
from pcrepro.pipeline.runner import run_cell
from pcrepro.studies.mupc_training import STUDIES as TRAINING_STUDIES

from .data import FetchOptions, prepare_image_dataset

REPO = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pcrepro", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare-dataset", help="obtain, verify and cache an image dataset")
    p.add_argument("name")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--raw-dir", type=Path, default=Path("data/raw"))
    p.add_argument("--mirror", default=None, help="offline mirror: directory or file:// URL with <Name>/raw/")
    p.add_argument("--no-download", action="store_true")
    p.add_argument("--standin", action="store_true", help="allow a labelled synthetic stand-in")

    p = sub.add_parser("cells", help="write the cells of a study as JSON files")
    p.add_argument("--study", choices=sorted(TRAINING_STUDIES), required=True)
    p.add_argument("--preset", required=True, help="a preset of the config: quick, paper, or your own")
    p.add_argument("--config", type=Path, default=REPO / "config.yaml")
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser("train-cell", help="train every run of one cell")
    p.add_argument("--cell", type=Path, required=True)
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--max-runs-per-program", type=int, default=16, help="on a GPU: runs vmapped in one program")
    p.add_argument("--cpu-devices", default="auto",
                   help="on a CPU: devices to split it into, one run each (compute.cpu_devices)")
    p.add_argument("--split-batch", action="store_true",
                   help="on a CPU: split a one-run cell's batch over the devices (compute.cpu_split_batch)")
    p.add_argument("--log", type=Path, default=None)
    p.add_argument("--selection", type=Path, default=None,
                   help="selection.csv of the sweep a cell takes its lrs from (cells with runs.lrs_from)")
    p.add_argument("--checkpoint-every-s", type=float, default=300.0,
                   help="save the runs' states to <out>.checkpoint.npz this often; a rerun resumes from it")

    p = sub.add_parser("compare-selection", help="selected activity lrs beside the ones seed 002 hard-codes")
    p.add_argument("--study", choices=["mupc_sweeps", "mupc_pc_sweeps"], required=True)
    p.add_argument("--selection", type=Path, required=True, help="the study's selection.csv")
    p.add_argument("--out", type=Path, default=None, help="also write the table as CSV")

    p = sub.add_parser("budget", help="runs, run-epochs and estimated GPU hours per study")
    p.add_argument("--preset", default="paper", help="a preset of the config (default paper)")
    p.add_argument("--config", type=Path, default=REPO / "config.yaml")

    p = sub.add_parser("error-optim", help="study error_optim (seed 003): EO vs SO on one batch")
    p.add_argument("--preset", required=True, help="a preset of the config: quick, paper, or your own")
    p.add_argument("--config", type=Path, default=REPO / "config.yaml")
    p.add_argument("--dataset", type=Path, required=True, help="the prepared dataset the preset names")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--log", type=Path, default=None)

    p = sub.add_parser("double-descent", help="study double_descent (seed 004): one init, network and reduced dynamics")
    p.add_argument("--preset", required=True, help="a preset of the config: quick, paper, or your own")
    p.add_argument("--config", type=Path, default=REPO / "config.yaml")
    p.add_argument("--init", choices=["constant", "rank_one"], required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--log", type=Path, default=None)

    p = sub.add_parser("claims", help="which findings of the seeds the results reproduce (a verdict per claim)")
    p.add_argument("--preset", required=True, help="a preset of the config: quick, paper, or your own")
    p.add_argument("--config", type=Path, default=REPO / "config.yaml")
    p.add_argument("--results", type=Path, default=Path("results"), help="holds <preset>/<study>/… (default ./results)")
    p.add_argument("--csv", type=Path, default=None, help="also write the table as CSV")
    p.add_argument("--record", type=Path, default=None,
                   help="also write the table as a record with its provenance (docs/claims.md is made from it)")
    p.add_argument("--machine", default="", help="the machine the results were computed on (for --record)")
    p.add_argument("--data", default="real MNIST", help="what the data were (for --record)")
    p.add_argument("--wall-s", type=float, default=float("nan"), help="the workflow's wall time (for --record)")
    p = sub.add_parser("claims-page", help="write docs/claims.md from the registry, a claims record and the history")
    p.add_argument("--record", type=Path, default=REPO / "benchmarks" / "results" / "claims_quick.json")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "claims.md")

    p = sub.add_parser("provenance", help="print a result file's provenance record (code, versions, device, precision)")
    p.add_argument("file", type=Path, help="a result: .parquet, .npz, or a .csv / .json with its .provenance.json")
    p.add_argument("--inputs", action="store_true", help="also list the records of the jobs it was made from")

    p = sub.add_parser("preset", help="print the study grids a preset runs, its overlays merged (YAML)")
    p.add_argument("name", help="a preset of the config (quick, paper, or one of your own)")
    p.add_argument("--study", default=None, help="only this study's grid")
    p.add_argument("--config", type=Path, default=REPO / "config.yaml")

    p = sub.add_parser("job-times", help="where a finished run's compute minutes went (its jobs' benchmark files)")
    p.add_argument("--preset", required=True)
    p.add_argument("--logs", type=Path, default=Path("logs"), help="holds <preset>/ and data/ (default ./logs)")

    p = sub.add_parser("bundle", help="pack a finished run's computed results to share them, or check a bundle")
    bundle_sub = p.add_subparsers(dest="bundle_command", required=True)
    b = bundle_sub.add_parser("create", help="pack results/<preset>/ (not figures or claims) with a SHA-256 manifest")
    b.add_argument("--preset", required=True)
    b.add_argument("--results", type=Path, default=Path("results"), help="holds <preset>/ (default ./results)")
    b.add_argument("--out", type=Path, required=True, help="the bundle to write (.zip)")
    b = bundle_sub.add_parser("verify", help="check a bundle's manifest and every file's checksum")
    b.add_argument("file", type=Path)
    b.add_argument("--sha256", default=None, help="the whole file's expected SHA-256")

    return parser


def _prepare_dataset(args) -> None:
    """`pcrepro prepare-dataset`: Download (or read from a mirror), verify and prepare one image dataset."""
    opts = FetchOptions(mirror=args.mirror, download=not args.no_download)
    prepare_image_dataset(args.name, args.out, args.raw_dir, opts, synthetic_standin_allowed=args.standin)


def _cells(args) -> None:
    """`pcrepro cells`: Write a study's training cells at a preset, one JSON file each."""
    config = load_config(args.config, REPO / "schemas" / "config.schema.yaml", {"preset": args.preset})
    cells = training_cells(args.study, config)
    args.out.mkdir(parents=True, exist_ok=True)
    for cid, cell in cells.items():
        (args.out / f"{cid}.json").write_text(json.dumps(cell, indent=1))
    print(f"{len(cells)} cells written to {args.out}")


def _train_cell(args) -> None:
    """`pcrepro train-cell`: Train one cell from its JSON file; its table as parquet."""
    from pcrepro.pipeline.devices import host_devices

    host_devices(args.cpu_devices if args.cpu_devices == "auto" else int(args.cpu_devices))  # before JAX starts
    import jax

    cell = json.loads(args.cell.read_text())
    jax.config.update("jax_enable_x64", cell["train"].get("dtype") == "float64")  # compute.dtype
    with log_to(args.log) as log:
        table = run_cell(cell, args.dataset, max_runs_per_program=args.max_runs_per_program,
                         split_batch=args.split_batch, log=log,
                         selection_path=args.selection, checkpoint=f"{args.out}.checkpoint.npz",
                         checkpoint_every_s=args.checkpoint_every_s)
    write_table(table, args.out)


def _budget(args) -> None:
    """`pcrepro budget`: Runs, run-epochs and estimated GPU hours of a preset, per study."""
    from pcrepro.pipeline.budget import paper_budget

    config = load_config(args.config, REPO / "schemas" / "config.schema.yaml", {"preset": args.preset})
    table = paper_budget(preset_config(config))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"\ntotal: {table['gpu_hours'].sum():.2f} GPU-hours on one H100/H200-class GPU (estimate; studies not yet "
          "implemented are not counted)")


def _study_run(args) -> None:
    """`pcrepro error-optim` and `pcrepro double-descent`: one run of seed 003's or 004's study, outside Snakemake."""
    import jax

    from pcrepro.data import save_npz_atomic

    config = load_config(args.config, REPO / "schemas" / "config.schema.yaml", {"preset": args.preset})
    study = args.command.replace("-", "_")
    grid = preset_config(config)[study]
    jax.config.update("jax_enable_x64", study == "double_descent" or grid["dtype"] == "float64")
    with log_to(args.log) as log:
        if study == "error_optim":
            from pcrepro.pipeline.config import dataset_normalisation
            from pcrepro.studies.error_optim import run_study

            grid = {**grid, "normalisation": dataset_normalisation(config, grid["dataset"])}
            result = run_study(grid, args.dataset, log=log)
        else:
            from pcrepro.studies.double_descent import run, setup_from_grid

            result = run(setup_from_grid(grid), args.init, tuple(grid["snapshots"]), log=log)
    save_npz_atomic(args.out, **result)


def _claims(args) -> None:
    """`pcrepro claims`: The claims table of a finished run; optionally its CSV and its record."""
    from pcrepro.claims import CLAIMS, evaluate
    from pcrepro.claims.tables import COLUMNS, to_text

    config = load_config(args.config, REPO / "schemas" / "config.schema.yaml", {"preset": args.preset})
    table = evaluate(CLAIMS, args.results / args.preset, preset_config(config))
    print(to_text(table))
    if args.csv:
        write_table(table[COLUMNS], args.csv)
    if args.record:
        import datetime

        from pcrepro.claims.page import make_record
        from pcrepro.pipeline.provenance import checkout_commit

        commit = checkout_commit(REPO)[0][:7]
        record = make_record(table, preset=args.preset, date=datetime.date.today().isoformat(), commit=commit,
                             machine=args.machine, data=args.data, wall_s=args.wall_s)
        args.record.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


def _preset(args) -> None:
    """`pcrepro preset`: Print the grids a preset runs, its overlays merged."""
    import yaml

    config = load_config(args.config, REPO / "schemas" / "config.schema.yaml")
    if args.name not in config["presets"]:
        raise SystemExit(f"no preset {args.name!r} in {args.config} (presets: {', '.join(config['presets'])})")
    grids = preset_config(config, args.name)
    if args.study is not None:
        if args.study not in grids:
            raise SystemExit(f"preset {args.name} has no study {args.study!r} (studies: {', '.join(grids)})")
        grids = {args.study: grids[args.study]}
    print(yaml.safe_dump(grids, sort_keys=False, allow_unicode=True), end="")


def _job_times(args) -> None:
    """`pcrepro job-times`: Where a finished run's compute minutes went: its jobs' benchmark files, per study."""
    import pandas as pd

    from pcrepro.pipeline.progress import job_times

    tables = [job_times(d) for d in (args.logs / args.preset, args.logs / "data") if d.is_dir()]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if table.empty:
        raise SystemExit(f"no job benchmark files (*.benchmark.tsv) under {args.logs / args.preset}: run the "
                         f"workflow at preset {args.preset} first")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print(f"total: {table['jobs'].sum()} compute jobs, {table['total_s'].sum():.0f} job-seconds")


def _bundle(args) -> None:
    """`pcrepro bundle`: Pack a finished run's computed results, or check a bundle."""
    from pcrepro.pipeline.bundle import BundleError, create, verify

    try:
        if args.bundle_command == "create":
            create(args.results / args.preset, args.preset, args.out)
        else:
            manifest = verify(args.file, args.sha256)
            print(f"{args.file}: a valid bundle of preset {manifest['preset']}, {len(manifest['files'])} files, "
                  f"made at commit {manifest['commit'][:10]}{' (dirty)' if manifest['dirty'] else ''} on "
                  f"{manifest['created']}")
    except BundleError as err:
        raise SystemExit(str(err)) from None


def _provenance(args) -> None:
    """`pcrepro provenance`: Print a result file's provenance record."""
    from pcrepro.pipeline.provenance import leaves, read_provenance, summary

    if not args.file.exists():
        raise SystemExit(f"{args.file}: no such file")
    record = read_provenance(args.file)
    if record is None:
        raise SystemExit(f"{args.file} has no provenance record (written before provenance was recorded, or not "
                         "a result of the workflow): run its job again to get one")
    inputs = record.pop("inputs", None)
    print(json.dumps(record, indent=1, sort_keys=True))
    if inputs:
        print(f"made from {len(leaves(inputs))} jobs: {summary(inputs)}")
        if args.inputs:
            print(json.dumps(inputs, indent=1, sort_keys=True))


def _claims_page(args) -> None:
    """`pcrepro claims-page`: Write docs/claims.md from the registry, a claims record and the history."""
    from pcrepro.claims.page import default_page

    args.out.write_text(default_page(args.record))


def _compare_selection(args) -> None:
    """`pcrepro compare-selection`: Selected activity lrs beside those seed 002 hard-codes."""
    import pandas as pd

    from pcrepro.pipeline.notebook_lrs import compare_with_notebook

    table = compare_with_notebook(pd.read_csv(args.selection), args.study)
    print(table.to_string(index=False))
    print(f"\n{int(table['agrees'].sum())} of {len(table)} selected lrs agree with the notebook's")
    if args.out:
        write_table(table, args.out)


COMMANDS = {
    "prepare-dataset": _prepare_dataset,
    "cells": _cells,
    "train-cell": _train_cell,
    "budget": _budget,
    "error-optim": _study_run,
    "double-descent": _study_run,
    "claims": _claims,
    "preset": _preset,
    "job-times": _job_times,
    "bundle": _bundle,
    "provenance": _provenance,
    "claims-page": _claims_page,
    "compare-selection": _compare_selection,
}


def main(argv: list[str] | None = None) -> None:
    """The command line (module docstring): parse ``argv`` and run its command."""
    args = _parser().parse_args(argv)
    COMMANDS[args.command](args)


if __name__ == "__main__":
    main()
