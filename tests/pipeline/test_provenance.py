"""pcrepro.pipeline.provenance: which package code a job runs, hashed by substance."""

from pcrepro.pipeline.provenance import code_hash, imported_modules, source_hash


def test_code_hash_follows_imports_and_ignores_wording(tmp_path):
    package = tmp_path / "pcrepro"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("from .maths import f\n")
    (package / "core" / "maths.py").write_text('"""Doc."""\n\ndef f(x):\n    """Doc."""\n    return x + 1  # one\n')
    (package / "core" / "unused.py").write_text("VALUE = 1\n")
    script = tmp_path / "job.py"
    script.write_text("def main():\n    from pcrepro.core import f\n    return f(1)\n")
    assert sorted(imported_modules(script, package)) == ["pcrepro", "pcrepro.core", "pcrepro.core.maths"]
    before = code_hash(script, package)
    (package / "core" / "maths.py").write_text('"""Other words."""\n\ndef f(x):\n    return x + 1\n')
    (package / "core" / "unused.py").write_text("VALUE = 2\n")  # not imported by the job
    code_hash.cache_clear()
    assert code_hash(script, package) == before
    (package / "core" / "maths.py").write_text('def f(x):\n    return x + 2\n')
    code_hash.cache_clear()
    assert code_hash(script, package) != before
    assert source_hash(package / "core" / "maths.py") != source_hash(package / "core" / "unused.py")
