"""Adapter: obtain, verify and cache one image dataset (rule prepare_dataset)."""

from pcrepro.pipeline.jobserver import delegate

delegate(snakemake)  # noqa: F821 (forked from the run's job server if one serves this job)

from pcrepro.pipeline.progress import log_output

log_output(snakemake.log[0])  # noqa: F821 (this job's warnings and errors also go to its log)

from pathlib import Path

from pcrepro.data import FetchOptions, prepare_image_dataset
from pcrepro.pipeline.progress import log_to

cfg = snakemake.config["data"]  # noqa: F821 (the route to the raw files: not a param, see rules/data.smk)
with log_to(snakemake.log[0]) as log:  # noqa: F821
    prepare_image_dataset(
        snakemake.wildcards.dataset,  # noqa: F821
        Path(snakemake.output[0]),  # noqa: F821
        Path(cfg["cache_dir"]) / "raw",
        FetchOptions(mirror=cfg["mirror"], download=cfg["download"], timeout_s=cfg.get("timeout_s", 60),
                     retries=cfg.get("retries", 2), log=log),
        synthetic_standin_allowed=snakemake.params.synthetic_standin,  # noqa: F821
    )
