"""The install the README gives: every dependency pinned in constraints.txt at a version
pyproject.toml allows, and the README's commands and CI's test command using it."""

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def _pins(repo) -> dict[str, str]:
    pins = {}
    for line in (repo / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_constraints_pin_every_dependency_at_a_version_pyproject_allows(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    pins = _pins(repo)
    extras = project["optional-dependencies"]
    requirements = [Requirement(r) for r in project["dependencies"] + extras["test"] + extras.get("slurm", [])]
    for req in requirements:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"constraints.txt pins {req.name}=={pins[name]}, " \
                                                                      f"outside pyproject's {req.specifier}"


def test_readme_installs_with_the_constraints_and_ci_runs_the_readmes_test_command(repo):
    readme = (repo / "README.md").read_text()
    installs = re.findall(r"pip install -e [^&]*", readme.split("## ")[0])
    assert len(installs) == 2 and all("-c constraints.txt" in i for i in installs), installs
    ci = re.search(r'^TEST_COMMAND="(.*)"$', (repo / ".ci" / "run").read_text(), re.M).group(1)
    assert ci in readme and "-c constraints.txt" in ci
