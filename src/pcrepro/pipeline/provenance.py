"""Which code made a result, and with what: provenance records, and code hashed by substance.

A workflow job runs an adapter script (``workflow_scripts/``) that imports package modules,
which import others. :func:`imported_modules` follows those imports through the package's own
source files (every ``import`` statement, at any depth of a function: a late import is still
code the job may run). :func:`code_hash` hashes each module's syntax tree with its docstrings
left out — comments never reach the tree — so a change of substance changes the hash and a
change of wording does not. The workflow gives each rule the hash of its script as a parameter,
so that Snakemake plans a job again when the science it runs changes, and only that job and
what depends on it.

Every result file carries a provenance record (:func:`job_provenance`): the package version
and git commit (with a dirty flag), the job's code hash, rule and wildcards, a hash of the
config slice it was given (its parameters), the preset, the Python / JAX / jaxlib / NumPy
versions, the device, the precision, the start date and the wall time. A parquet table holds it
in its schema metadata, an npz array file as the entry :data:`NPZ_KEY`, a CSV or JSON file in a
file beside it (:data:`SIDECAR`); :func:`read_provenance` reads any of them
(``pcrepro provenance <file>``). A file made from other result files (the aggregated runs, the
selection, the claims) lists its inputs' records under ``inputs``, so that :func:`summary` can
say when results of different code, commits or precision were put together.
"""

from __future__ import annotations

import ast
import datetime
import functools
import hashlib
import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from ..data.formats import PROVENANCE_KEY

PACKAGE = "pcrepro"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
PARQUET_KEY = b"pcrepro.provenance"
NPZ_KEY = PROVENANCE_KEY  # the entry of an npz result (pcrepro.data.save_npz_atomic)
SIDECAR = ".provenance.json"  # beside a CSV or JSON result: <file>.provenance.json


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


# ------------------------------------------------------------------ provenance records


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def checkout_commit(checkout: Path = PACKAGE_DIR.parents[1]) -> tuple[str, bool]:
    """The git commit of the checkout the package runs from, and whether tracked files differ
    from it; ("unknown", False) outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=checkout, capture_output=True, text=True, timeout=30).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return "unknown", False
    return (commit or "unknown"), bool(commit) and dirty


def device() -> dict:
    """The compute device: JAX's devices where this process started JAX (a job that never
    imported it ran on the CPU), and the CPU model."""
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    record = {"cpu": cpu}
    if "jax" in sys.modules:
        devices = sys.modules["jax"].devices()
        record.update(platform=devices[0].platform, kind=getattr(devices[0], "device_kind", str(devices[0])),
                      count=len(devices))
    else:
        record.update(platform="cpu", kind=cpu, count=1)
    return record


def config_hash(params: dict) -> str:
    """A short hash of the config slice a job was given (its parameters, less its code hash)."""
    text = json.dumps({k: v for k, v in params.items() if k != "code"}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def job_provenance(*, rule: str, params: dict, wildcards: dict, preset: str | None, **extra) -> dict:
    """A job's provenance record, started now (:func:`finished` completes it). ``extra``:
    what the job knows of its own computation (``dtype``, ``matmul_precision``, ``inputs``)."""
    commit, dirty = checkout_commit()
    return {"package": PACKAGE, "version": _version(PACKAGE), "commit": commit, "dirty": dirty,
            "rule": rule, "wildcards": dict(wildcards), "code": params.get("code"), "config": config_hash(params),
            "preset": preset, "python": platform.python_version(), "jax": _version("jax"),
            "jaxlib": _version("jaxlib"), "numpy": _version("numpy"),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "started_unix": time.time(), **extra}


def from_snakemake(sm, **extra) -> dict:
    """:func:`job_provenance` of the Snakemake job ``sm`` (the object a rule's script is given)."""
    params = {k: v for k, v in sm.params.items()}
    return job_provenance(rule=sm.rule, params=params, wildcards=dict(sm.wildcards.items()),
                          preset=sm.config.get("preset"), **extra)


def finished(record: dict, **extra) -> dict:
    """``record`` as the job writes a result: with its wall time so far, the device it computed
    on (known once JAX has started) and ``extra``."""
    return {**record, "device": device(), "wall_s": round(time.time() - record["started_unix"], 3), **extra}


def read_provenance(path: str | Path) -> dict | None:
    """The provenance record of a result file (parquet, npz, or a CSV / JSON with its sidecar),
    None where it has none."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
        return json.loads(meta[PARQUET_KEY]) if PARQUET_KEY in meta else None
    if path.suffix == ".npz":
        import numpy as np

        with np.load(path) as f:
            return json.loads(str(f[NPZ_KEY])) if NPZ_KEY in f.files else None
    sidecar = path.with_name(path.name + SIDECAR)
    return json.loads(sidecar.read_text()) if sidecar.exists() else None


def write_sidecar(path: str | Path, record: dict) -> None:
    """The provenance of a CSV or JSON result, beside it."""
    from ..data.atomic import write_atomic

    sidecar = Path(path).with_name(Path(path).name + SIDECAR)
    write_atomic(sidecar, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1, sort_keys=True)))


def leaves(records: list[dict | None]) -> list[dict]:
    """The records of the jobs that computed results: each record's ``inputs``, recursively, or
    the record itself."""
    out = []
    for r in records:
        if r is None:
            continue
        out += leaves(r["inputs"]) if r.get("inputs") else [r]
    return out


def _readable_provenance(path) -> dict | None:
    try:
        return read_provenance(path)
    except Exception:  # an unreadable result is reported by whatever reads its content
        return None


def inputs_of(paths) -> list[dict]:
    """The computing jobs' records behind ``paths`` (each distinct job once; an unreadable file
    has none)."""
    seen, out = set(), []
    for r in leaves([_readable_provenance(p) for p in paths]):
        key = json.dumps({k: v for k, v in r.items() if k != "inputs"}, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def summary(records: list[dict]) -> str:
    """One line on the results behind a claim: the jobs, commit and precision when they agree;
    else MIXED, saying what differs: commits, or within one rule its code, dtype or matmul
    precision (different rules computing at different precisions is by design)."""
    records = leaves(records)
    if not records:
        return "no provenance (results written before provenance was recorded)"
    commits = sorted({(r.get("commit") or "unknown")[:10] + (" (dirty)" if r.get("dirty") else "") for r in records})
    mixed = [f"commits {' / '.join(commits)}"] if len(commits) > 1 else []
    by_rule: dict[str, list[dict]] = {}
    for r in records:
        by_rule.setdefault(r.get("rule") or "?", []).append(r)
    for rule, rs in sorted(by_rule.items()):
        for key, label in (("code", "code versions"), ("dtype", "dtypes"), ("matmul_precision", "matmul precisions")):
            values = sorted({str(r[key]) for r in rs if r.get(key) is not None})
            if len(values) > 1:
                mixed.append(f"rule {rule}: {len(values)} {label} ({' / '.join(values)})")
    jobs = f"{len(records)} job{'s' if len(records) > 1 else ''}"
    if mixed:
        return f"MIXED: {'; '.join(mixed)} ({jobs})"
    precision = sorted({f"{r['dtype']}" + (f"/{r['matmul_precision']}" if r.get("matmul_precision") else "")
                        for r in records if r.get("dtype")})
    return f"{jobs}, commit {commits[0]}" + (f", {', '.join(precision)}" if precision else "")


__all__ = ["code_hash", "imported_modules", "module_file", "source_hash", "checkout_commit", "device",
           "config_hash", "job_provenance", "from_snakemake", "finished", "read_provenance", "write_sidecar",
           "leaves", "inputs_of", "summary", "PARQUET_KEY", "NPZ_KEY", "SIDECAR"]
