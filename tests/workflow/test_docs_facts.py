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


def _generated(repo):
    """The docs hook that renders the generated numbers, loaded as mkdocs loads it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generated_docs", repo / "docs" / "hooks" / "generated.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_page_states_a_generated_number_other_than_its_source(repo):
    """The paper preset's GPU-hours (the budget model) and the quick preset's latest time and
    verdicts (its record) are rendered into the docs; where the README or a page states one in
    words, it states the same value."""
    numbers = _generated(repo).latest_numbers(repo)
    hours = numbers["paper_gpu_hours"]
    stated = [(page, float(m.group(1))) for page, text in _pages(repo).items()
              for m in re.finditer(r"(\d+(?:\.\d+)?)\**\s*GPU[- ]hours", text)]
    assert stated and all(value in (hours, round(hours)) for _, value in stated), (hours, stated)
    readme = (repo / "README.md").read_text()
    quick = re.search(r"Quick preset from a fresh clone.*?(\d+) jobs in (\d+(?:\.\d+)?) min, \*\*(\d+) of (\d+) findings "
                      r"reproduced\*\*.*?\*\*(\d+) of (\d+) consistency checks hold\*\*", readme, re.S)
    assert quick, "the README's quick-preset line changed form"
    assert float(quick.group(2)) == numbers["quick_minutes"]
    summary = numbers["quick_summary"]
    assert summary.startswith(f"{quick.group(3)} of {quick.group(4)} findings reproduced")
    assert f"{quick.group(5)} of {quick.group(6)} checks hold" in summary
    assert f"({numbers['quick_minutes']} min measured" in readme


def test_every_setting_of_config_yaml_is_described_in_the_reference(repo):
    from pcrepro.pipeline.config_reference import documented_keys

    keys = [(key, note) for key, _, note in documented_keys((repo / "config.yaml").read_text())
            if not key.startswith("presets") and (key.count(".") == 1 or key == "preset")]
    assert len(keys) > 20
    assert [key for key, note in keys if not note] == []
    schema = yaml.safe_load((repo / "schemas" / "config.schema.yaml").read_text())["properties"]
    listed = {key for key, _ in keys}
    for section in ("data", "compute", "results", "figures", "selection"):
        in_file = {k for k in schema[section]["properties"] if f"{section}.{k}" in listed}
        assert in_file == {k for k in schema[section]["properties"]
                           if k in yaml.safe_load((repo / "config.yaml").read_text())[section]}, section
