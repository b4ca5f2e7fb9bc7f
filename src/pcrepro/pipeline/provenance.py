"""Which code made a result: the package modules a job runs, hashed by substance.

A workflow job runs an adapter script (``workflow_scripts/``) that imports package modules,
which import others. :func:`imported_modules` follows those imports through the package's own
source files (every ``import`` statement, at any depth of a function: a late import is still
code the job may run). :func:`code_hash` hashes each module's syntax tree with its docstrings
left out — comments never reach the tree — so a change of substance changes the hash and a
change of wording does not. The workflow gives each rule the hash of its script as a parameter,
so that Snakemake plans a job again when the science it runs changes, and only that job and
what depends on it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

PACKAGE = "pcrepro"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def module_file(name: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The source file of module ``name`` (``pcrepro.core.energy``) under ``package_dir``, or None
    where the name is not a module of the package (an attribute imported from one, say)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path, package_dir: Path) -> str:
    rel = path.relative_to(package_dir).with_suffix("")
    parts = [PACKAGE, *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, module: str | None, is_package: bool) -> set[str]:
    """Module names an AST imports (absolute, relative resolved against ``module``), with each
    imported name also tried as a submodule (``from pcrepro.core import energy``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if module is None:
                    continue
                parts = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    # importing pcrepro.a.b runs pcrepro/__init__ and pcrepro/a/__init__ first
    parents = {".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 1)}
    return names | parents


def imported_modules(script: Path, package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Every package module ``script`` imports, directly or through other package modules:
    {module name: source file}."""
    found: dict[str, Path] = {}
    queue = [(None, Path(script), False)]
    while queue:
        module, path, is_package = queue.pop()
        tree = ast.parse(path.read_text(), filename=str(path))
        for name in sorted(_imports(tree, module, is_package)):
            if name in found:
                continue
            file = module_file(name, package_dir)
            if file is not None:
                found[name] = file
                queue.append((name, file, file.name == "__init__.py"))
    return dict(sorted(found.items()))


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def source_hash(path: Path) -> str:
    """SHA-256 of a Python file's syntax tree without docstrings (comments and layout never
    reach the tree)."""
    tree = _without_docstrings(ast.parse(Path(path).read_text(), filename=str(path)))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


@functools.cache
def code_hash(script: str | Path, package_dir: str | Path = PACKAGE_DIR) -> str:
    """A short hash of the code a job runs: ``script`` and every package module it imports,
    each by :func:`source_hash`."""
    script, package_dir = Path(script), Path(package_dir)
    digest = hashlib.sha256(source_hash(script).encode())
    for name, path in imported_modules(script, package_dir).items():
        digest.update(f"{name}:{source_hash(path)}".encode())
    return digest.hexdigest()[:16]


__all__ = ["code_hash", "imported_modules", "module_file", "source_hash"]
