"""Facts the docs state that can be checked mechanically: every repository path they name
exists, every config key they name is in the schema, every pcrepro command they name exists."""

import re
import subprocess
import sys

import yaml

PATH_ROOTS = ("src", "benchmarks", "tests", "rules", "workflow_scripts", "envs", "schemas", "profiles", "report")
# paths the docs name that are not in the repository: inside the report zip a run writes
NOT_IN_REPO = {"report/report.html"}
FILE_SUFFIXES = {"md", "csv", "zip", "yaml", "json", "html", "parquet", "npz", "txt", "py", "pdf"}


def _pages(repo):
    return {p.relative_to(repo).as_posix(): p.read_text()
            for p in [repo / "README.md", *sorted((repo / "docs").glob("*.md")), *sorted((repo / "envs").glob("*.yaml"))]}


def test_every_path_the_docs_name_exists(repo):
    pattern = re.compile(r"(?<![\w/.-])((?:" + "|".join(PATH_ROOTS) + r")/[\w./-]*[\w/])")
    missing = sorted({(page, m.group(1)) for page, text in _pages(repo).items() for m in pattern.finditer(text)
                      if m.group(1) not in NOT_IN_REPO and not (repo / m.group(1)).exists()})
    assert not missing, missing


def test_every_config_key_the_docs_name_is_in_the_schema(repo):
    schema = yaml.safe_load((repo / "schemas" / "config.schema.yaml").read_text())["properties"]
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(("compute", "data", "figures", "results", "selection"))
                         + r")\.([a-z_0-9]+)")
    unknown = sorted({(page, m.group(0)) for page, text in _pages(repo).items() for m in pattern.finditer(text)
                      if m.group(2) not in FILE_SUFFIXES and m.group(2) not in schema[m.group(1)]["properties"]})
    assert not unknown, unknown


def test_every_pcrepro_command_the_docs_name_exists(repo):
    usage = subprocess.run([sys.executable, "-m", "pcrepro.cli", "--help"], capture_output=True, text=True).stdout
    commands = set(re.findall(r"\{([a-z,-]+)\}", usage)[0].split(","))
    # in code: `pcrepro cmd …` inline, or a command line of a code block
    pattern = re.compile(r"(?:`|^\s*|&& )pcrepro ([a-z][a-z-]+)", re.M)
    named = {(page, c) for page, text in _pages(repo).items() for c in pattern.findall(text)}
    assert len(named) > 10
    assert {c for _, c in named} <= commands, sorted((p, c) for p, c in named if c not in commands)
