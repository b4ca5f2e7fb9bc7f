"""The package's layers import only downward: core and data at the bottom, studies above them,
then the pipeline, the plots, and the command line on top."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pcrepro"

# layer -> the layers it may import (itself included)
ALLOWED = {
    "core": {"core"},
    "data": {"data"},
    "studies": {"core", "data", "studies"},
    "pipeline": {"core", "data", "studies", "pipeline"},
    "claims": {"core", "data", "studies", "pipeline", "claims"},
    "plots": {"core", "data", "studies", "pipeline", "plots"},
    "cli": {"core", "data", "studies", "pipeline", "claims", "plots", "cli"},
    # unproven code (benchmarks only): on the maths, imported by no layer
    "experimental": {"core", "data", "experimental"},
}


def layer_of(module: str) -> str:
    """``pcrepro.core.nets`` → ``core``; the top-level ``pcrepro.cli`` is its own layer."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "top"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every pcrepro module ``path`` imports (relative imports resolved), with its line;
    ``source``: the file's text, if not the one on disk."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source or path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "pcrepro"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "pcrepro":
                # `from pcrepro.x import y` may name a module y: count the deepest existing module
                found += [(node.lineno, f"{target}.{a.name}" if _is_module(f"{target}.{a.name}") else target)
                          for a in node.names]
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer():
    layers = {layer_of(module_name(p)) for p in MODULES if p.parent != PACKAGE}
    assert layers <= set(ALLOWED), layers - set(ALLOWED)
    top = {p.name for p in MODULES if p.parent == PACKAGE}
    assert top == {"__init__.py", "cli.py"}, f"modules outside the layers: {top - {'__init__.py', 'cli.py'}}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_go_only_downward(path):
    module = module_name(path)
    own = "cli" if module == "pcrepro.cli" else layer_of(module)
    if own == "top":  # pcrepro/__init__.py
        return
    upward = [f"line {line}: {target}" for line, target in imported_modules(path)
              if layer_of(target) != "top" and layer_of(target) not in ALLOWED[own]]
    assert not upward, f"{module} ({own}) imports a layer above it:\n  " + "\n  ".join(upward)


def test_the_checker_sees_an_upward_import():
    """The rule can fail: a core module that imports the pipeline is caught."""
    nets = PACKAGE / "core" / "nets.py"
    targets = [t for _, t in imported_modules(nets, nets.read_text() + "\nfrom ..pipeline import cells\n")]
    assert "pcrepro.pipeline.cells" in targets
    assert layer_of("pcrepro.pipeline.cells") not in ALLOWED["core"]


def test_no_layer_imports_experimental_code():
    users = [module_name(p) for p in MODULES if layer_of(module_name(p)) != "experimental"
             and any(layer_of(t) == "experimental" for _, t in imported_modules(p))]
    assert not users, users


def test_the_job_servers_preload_names_modules_the_jobs_import():
    """The job server imports :data:`jobserver.PRELOAD` by name (strings the import rule cannot
    see): each package module there exists and is one a job imports, never the command line or
    experimental code."""
    from pcrepro.pipeline import jobserver
    from pcrepro.pipeline.provenance import imported_modules as job_imports

    scripts = sorted((PACKAGE.parents[1] / "workflow_scripts").glob("*.py"))
    imported_by_jobs = set().union(*(job_imports(s) for s in scripts))
    ours = [m for m in jobserver.PRELOAD if m.split(".")[0] == "pcrepro"]
    assert ours and all(_is_module(m) for m in ours), ours
    assert set(ours) <= imported_by_jobs, set(ours) - imported_by_jobs


def test_compute_jobs_import_no_plotting_code():
    """A compute job's code hash (and so its reruns) must not follow the figures' code."""
    from pcrepro.pipeline.provenance import imported_modules as job_imports

    scripts = [s for s in sorted((PACKAGE.parents[1] / "workflow_scripts").glob("*.py"))
               if not s.name.startswith("plot_")]
    plotting = {s.name: [m for m in job_imports(s) if layer_of(m) == "plots"] for s in scripts}
    assert not any(plotting.values()), {k: v for k, v in plotting.items() if v}
