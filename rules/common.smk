# Helpers shared by every study: preset paths, the cell registry, conda environments,
# resources, and the report flag of the figures. Functions and constants only (the
# generic train / aggregate / select rules are in train.smk).

from pathlib import Path

from pcrepro.data import FetchOptions, unobtainable, unreadable_prepared
from pcrepro.pipeline.budget import fast_compile_pays, job_minutes
from pcrepro.pipeline.config import dataset_normalisation, preset_config
from pcrepro.pipeline.provenance import code_hash
from pcrepro.pipeline.results import unreadable_table
from pcrepro.plots.catalogue import load_catalogue, write_captions

PRESET = config["preset"]
GRIDS = preset_config(config)  # the chosen preset's study grids
RESULTS = f"results/{PRESET}"
FIGURES = f"figures/{PRESET}"
DATA_DIR = config["data"]["cache_dir"]
# Small CPU runs are dominated by XLA compile time (one program per shape): the quick
# preset asks for XLA's cheapest pipeline (pcrepro.pipeline.runtime.fast_compile) in its compute
# jobs, except training cells big enough that their steps dominate (budget.fast_compile_pays).
FAST_COMPILE = PRESET == "quick"
# CPU threads of every compute job (a cluster allocates them; compute.threads in config.yaml)
COMPUTE_THREADS = config["compute"].get("threads", 1)

# Environments for --sdm conda (paths relative to rules/): GPU jobs use the CPU or the CUDA
# build of JAX (compute.conda_env); CPU jobs, plotting, tables and data preparation the CPU one.
COMPUTE_ENV = f"../envs/jax-{config['compute'].get('conda_env', 'cpu')}.yaml"
CPU_ENV = "../envs/jax-cpu.yaml"

# study -> {cell id -> cell dict}; each study's .smk registers its cells here.
CELLS = {}
# study -> keys over which select picks one best learning rate each.
SELECT_BY = {}
# study -> the learning rate it selects (activity_lr unless the study says otherwise).
SELECT_LR = {}

# Report (snakemake --report): each figure family's caption is its figure-catalogue entry
# (CAPTIONS below), filed under its study's seed and title, also from the catalogue.
CATALOGUE = load_catalogue()


def code_version(script):
    """The hash of the code a rule's script runs: the script and the package modules it imports,
    without docstrings and comments (pcrepro.pipeline.provenance). Every scripted rule has it as
    a parameter, so that a change of substance in that code plans the job again (Snakemake's
    params trigger; `snakemake -n` gives the reason)."""
    checkout = Path(workflow.basedir) / "src" / "pcrepro"
    return code_hash(Path(workflow.basedir) / "workflow_scripts" / script, *([checkout] if checkout.is_dir() else []))


def prepared_dataset(name):
    return f"{DATA_DIR}/prepared/{name}.npz"


def normalisation(dataset):
    """The input normalisation {mean, std} of an image dataset (data.normalisation)."""
    return dataset_normalisation(config, dataset)


def study_runs(wildcards):
    return expand(f"{RESULTS}/{wildcards.study}/runs/{{cell}}.parquet", cell=sorted(CELLS[wildcards.study]))


def train_cell_inputs(wildcards):
    """The cell's prepared dataset, and the selection table it takes its lrs from, if any."""
    cell = CELLS[wildcards.study][wildcards.cell]
    inputs = {"dataset": prepared_dataset(cell["dataset"])}
    source = cell["runs"].get("lrs_from")
    if source:
        inputs["selection"] = f"{RESULTS}/{source['study']}/selection.csv"
    return inputs


def config_slice(grid, *keys):
    """The config keys a job uses (its params), so that a plot-only key does not rerun it."""
    return {k: grid[k] for k in keys}


# The report's caption of every figure family, written from the figure catalogue (the one source
# of captions and docs/figures.md) under .snakemake/ of the working directory when the workflow is parsed.
CAPTIONS = write_captions(CATALOGUE, Path(".snakemake/pcrepro/captions").resolve())


def figures(family, paths):
    """A family's figure files (relative to FIGURES), each marked for the report with its caption."""
    study = CATALOGUE["studies"][CATALOGUE["families"][family]["study"]]
    return [report(f"{FIGURES}/{path}", caption=str(CAPTIONS[family]), category=f"Seed {study['seed']} · {study['title']}",
                   subcategory=family, labels={"figure": Path(path).stem, "family": family})
            for path in paths]


def _cut(path, root):
    path = str(path)
    return path[: path.rindex(root) + len(root)]


def under(root, of="output"):
    """A params function giving ``root`` as the prefix of the job's first output (or input), not
    hard-coded, so that it follows the files wherever a storage plugin puts them."""

    def from_output(wildcards, output):
        return _cut(output[0], root)

    def from_input(wildcards, input):
        return _cut(input[0], root)

    return from_output if of == "output" else from_input


def runtime_minutes(minutes):
    """SLURM time limit: twice the estimate (at least 15 min), doubled on each retry."""

    def runtime(wildcards, attempt):
        estimate = minutes(wildcards) if callable(minutes) else minutes
        return max(15, int(2 * estimate) + 1) * 2 ** (attempt - 1)

    return runtime


def memory_mb(base_mb):
    """Host memory, scaled by the attempt (a job killed for memory gets more on its retry)."""

    def mem_mb(wildcards, attempt):
        return base_mb * attempt

    return mem_mb


def cell_minutes(wildcards):
    return job_minutes(CELLS[wildcards.study][wildcards.cell])


def input_problems(dag) -> list[str]:
    """What stops this run before any job starts (empty: nothing): an image dataset it must prepare
    that cannot be obtained, or a prepared dataset or result table it would read that is corrupt.
    Checked first so that no job runs for minutes before failing on its inputs, and so that
    Snakemake deletes no output of a job that is bound to fail (see the Snakefile's onstart)."""
    data, jobs = config["data"], list(dag.needrun_jobs())
    built = {str(f) for job in jobs for f in job.output}
    read = sorted({str(f) for job in jobs for f in job.input if str(f) not in built and Path(f).exists()})
    prepared = Path(DATA_DIR) / "prepared"
    problems = [unreadable_prepared(Path(f)) for f in read if Path(f).parent == prepared]
    problems += [unreadable_table(f) for f in read if f.endswith(".parquet")]
    if not data["synthetic_standin"]:  # else a missing dataset is replaced by its labelled stand-in
        names = sorted({job.wildcards["dataset"] for job in jobs if job.rule.name == "prepare_dataset"})
        options = FetchOptions(mirror=data["mirror"], download=data["download"], timeout_s=data.get("timeout_s", 60))
        problems += [unobtainable(name, Path(data["cache_dir"]) / "raw", options) for name in names]
    return [problem for problem in problems if problem]
