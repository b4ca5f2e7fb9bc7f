# Datasets, each prepared once into DATA_DIR/prepared/<name>.npz.


rule prepare_dataset:
    """MNIST / FashionMNIST / EMNIST: offline mirror or download, checksums, cache."""
    output:
        f"{DATA_DIR}/prepared/{{dataset}}.npz",
    wildcard_constraints:
        dataset="MNIST|FashionMNIST|EMNIST",
    params:
        code=code_version("prepare_dataset.py"),
        # Only what decides the content: where the raw files come from (data.mirror, download,
        # retries, timeout_s) is read from the config by the script, so changing the route does
        # not rerun anything built from the same verified (checksummed) files.
        synthetic_standin=config["data"]["synthetic_standin"],
    benchmark:
        "logs/data/{dataset}.benchmark.tsv",
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
    params:
        code=code_version("prepare_mnist1d.py"),
    benchmark:
        "logs/data/MNIST-1D.benchmark.tsv",
    log:
        "logs/data/MNIST-1D.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/prepare_mnist1d.py"
