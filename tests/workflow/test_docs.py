"""The documentation site builds strictly (a broken link or a missing page fails), and the README stays short."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _build(project: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(project / "mkdocs.yml"),
                           "-d", str(site)], capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1",
                                                                                  "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def mkdocs():
    pytest.importorskip("mkdocs", reason="pip install -e '.[docs]' (the test extra includes it)")
    pytest.importorskip("material", reason="pip install -e '.[docs]' (mkdocs-material)")


def test_the_docs_build_strictly_and_every_page_is_in_the_navigation(mkdocs, tmp_path):
    result = _build(REPO, tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    for page in (REPO / "docs").glob("*.md"):
        assert (tmp_path / "site" / (page.stem if page.stem != "index" else "") / "index.html").exists(), page.name


def test_a_broken_link_fails_the_build(mkdocs, tmp_path):
    """The check above can fail: the same site with one link to a page that does not exist."""
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    # what the generated parts are rendered from
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(REPO / "benchmarks" / "results", tmp_path / "benchmarks" / "results")
    with open(tmp_path / "docs" / "theory.md", "a") as f:
        f.write("\nSee [a page that is not there](no-such-page.md).\n")
    result = _build(tmp_path, tmp_path / "site")
    assert result.returncode != 0 and "no-such-page.md" in result.stdout + result.stderr


def test_the_readme_fits_on_a_screen_and_links_only_to_files_that_exist():
    import re

    text = (REPO / "README.md").read_text()
    assert len(text.encode()) <= 8 * 1024
    for target in re.findall(r"\]\(([^)#:]+)\)", text):
        assert (REPO / target).exists(), target
    for stem in ("FIGURES", "THEORY", "ARCHITECTURE"):  # the pages before docs/ existed
        assert f"{stem}.md" not in text
