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


def _record(**kw):
    from pcrepro.pipeline.provenance import finished, job_provenance

    return finished(job_provenance(rule=kw.pop("rule", "train_cell"), params={"code": kw.pop("code", "c1"), "grid": 1},
                                   wildcards={"cell": "x"}, preset="quick", **kw))


def test_every_result_format_carries_its_record(tmp_path):
    import numpy as np
    import pandas as pd

    from pcrepro.data import save_npz_atomic
    from pcrepro.data.formats import load_prepared
    from pcrepro.pipeline.provenance import read_provenance
    from pcrepro.pipeline.results import read_table, write_table

    record = _record(dtype="float32", matmul_precision="highest")
    assert record["preset"] == "quick" and record["python"] and record["numpy"] and record["wall_s"] >= 0
    assert record["device"]["count"] >= 1 and record["config"] and record["commit"]
    df = pd.DataFrame({"a": [1.0, 2.0]})
    for name in ("t.parquet", "t.csv"):
        write_table(df, tmp_path / name, record)
        assert read_provenance(tmp_path / name) == record
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), df)  # the table itself unchanged
    assert pd.read_csv(tmp_path / "t.csv").equals(df)
    save_npz_atomic(tmp_path / "d.npz", record, x_train=np.zeros((2, 4), np.uint8), y_train=np.zeros(2, np.int64),
                    x_test=np.zeros((1, 4), np.uint8), y_test=np.zeros(1, np.int64), name=np.array("d"),
                    source=np.array("real"))
    assert read_provenance(tmp_path / "d.npz") == record
    assert load_prepared(tmp_path / "d.npz").x_train.shape == (2, 4)  # readers never see the record
    write_table(df, tmp_path / "bare.parquet")
    assert read_provenance(tmp_path / "bare.parquet") is None


def test_summary_says_when_results_mix_code_commits_or_precision():
    from pcrepro.pipeline.provenance import summary

    a = _record(dtype="float32", matmul_precision="highest")
    assert summary([a, {**a, "wildcards": {"cell": "y"}}]).startswith("2 jobs, commit ")
    assert summary([a]).startswith("1 job, commit ") and summary([a]).endswith("float32/highest")
    assert summary([a, {**a, "matmul_precision": "default"}]) == \
        "MIXED: rule train_cell: 2 matmul precisions (default / highest) (2 jobs)"
    assert "rule train_cell: 2 code versions (c1 / c2)" in summary([a, {**a, "code": "c2"}])
    assert summary([a, {**a, "commit": "other"}]).startswith("MIXED: commits ")
    nested = {**_record(rule="aggregate"), "inputs": [a, {**a, "dtype": "float64"}]}
    assert summary([nested]).startswith("MIXED: rule train_cell: 2 dtypes (float32 / float64)")
    # different rules at different precisions: by design, not mixed
    assert not summary([a, {**a, "rule": "chains_depth", "dtype": "float64", "code": "c9"}]).startswith("MIXED")
    assert summary([]).startswith("no provenance")


def test_provenance_command_prints_a_files_record(tmp_path, capsys):
    import pandas as pd
    import pytest

    from pcrepro.cli import main
    from pcrepro.pipeline.results import write_table

    inputs = [_record(dtype="float32", matmul_precision="highest")]
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "runs.parquet", {**_record(rule="aggregate"), "inputs": inputs})
    main(["provenance", str(tmp_path / "runs.parquet")])
    out = capsys.readouterr().out
    assert '"rule": "aggregate"' in out and "made from 1 jobs: 1 job, commit" in out
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "bare.parquet")
    with pytest.raises(SystemExit, match="no provenance record"):
        main(["provenance", str(tmp_path / "bare.parquet")])
