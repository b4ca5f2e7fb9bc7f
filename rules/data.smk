# Datasets, each prepared once into DATA_DIR/prepared/<name>.npz.


rule prepare_dataset:
    """MNIST / FashionMNIST / EMNIST: offline mirror or download, checksums, cache."""
    output:
        f"{DATA_DIR}/prepared/{{dataset}}.npz",
    wildcard_constraints:
        dataset="MNIST|FashionMNIST|EMNIST",
    params:
        # Only what decides the content: where the raw files come from (data.mirror, download,
        # retries, timeout_s) is read from the config by the script, so changing the route does
        # not rerun anything built from the same verified (checksummed) files.
        synthetic_standin=config["data"]["synthetic_standin"],
    log:
        "logs/data/{dataset}.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/prepare_dataset.py"


rule prepare_mnist1d:
    """MNIST-1D, regenerated locally by the mnist1d package."""
    output:
        f"{DATA_DIR}/prepared/MNIST-1D.npz",
    log:
        "logs/data/MNIST-1D.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/prepare_mnist1d.py"



def data_problems(dag) -> list[str]:
    """What stops this run before any job starts (empty: nothing): an image dataset it must prepare
    that cannot be obtained, or a prepared file it would read that is corrupt. Checked first so
    that no job runs for minutes before failing on its data, and so that no result table is
    deleted by Snakemake for a job that is bound to fail (see the Snakefile's onstart)."""
    from pcrepro.data import FetchOptions, unobtainable, unreadable_prepared

    data, jobs = config["data"], list(dag.needrun_jobs())
    built = {str(f) for job in jobs for f in job.output}
    prepared = Path(DATA_DIR) / "prepared"
    read = sorted({str(f) for job in jobs for f in job.input if Path(f).parent == prepared and str(f) not in built})
    problems = [unreadable_prepared(Path(f)) for f in read if Path(f).exists()]
    if not data["synthetic_standin"]:  # else a missing dataset is replaced by its labelled stand-in
        names = sorted({job.wildcards["dataset"] for job in jobs if job.rule.name == "prepare_dataset"})
        options = FetchOptions(mirror=data["mirror"], download=data["download"], timeout_s=data.get("timeout_s", 60))
        problems += [unobtainable(name, Path(data["cache_dir"]) / "raw", options) for name in names]
    return [problem for problem in problems if problem]
