"""Checkpoints and logs: a killed cell resumes exactly, atomic writes, progress and tracebacks in job logs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import SPEC, blobs

from pcrepro.data.atomic import write_atomic
from pcrepro.pipeline import checkpoint as ckpt
from pcrepro.pipeline.cells import run_grid
from pcrepro.pipeline.runner import train_cell


class Killed(Exception):
    pass


def _killer(after_periods: int, lines: list):
    """A log that records lines and 'kills' the job once ``after_periods`` periods are logged."""
    def log(message):
        lines.append(message)
        if "(period " in message and len([m for m in lines if "(period " in m]) >= after_periods:
            raise Killed
    return log


RUNS = [*run_grid([0, 1], [2.0, 0.5], [0.05], [0.0]),
        {"seed": 3, "activity_lr": 1e200, "weight_lr": 0.05, "activity_decay": 0.0}]  # diverges at step 1


def _cell(data, **kw):
    return train_cell(SPEC, RUNS, data, max_runs_per_program=2, label="t", **kw)


@pytest.mark.slow
def test_a_killed_cell_resumes_from_its_checkpoint_and_equals_an_uninterrupted_run(tmp_path):
    data = blobs()
    uninterrupted = _cell(data, log=None)
    path = tmp_path / "cell.parquet.checkpoint.npz"

    lines = []
    with pytest.raises(Killed):
        _cell(data, log=_killer(2, lines), checkpoint=path, checkpoint_every_s=0, log_every_s=0)
    assert path.exists()  # saved after period 2, before the log line that killed the job
    resumed_lines = []
    resumed = _cell(data, log=resumed_lines.append, checkpoint=path, checkpoint_every_s=0, log_every_s=0)

    assert any("resuming from checkpoint" in m and "step 10/" in m for m in resumed_lines), resumed_lines
    # it trained only what was left: its first period is the third, and the run-steps it counts
    # (those before the kill, restored, plus its own) are the uninterrupted run's
    n_periods = 640 // 32 // SPEC.test_every
    assert "(period 3/" in [m for m in resumed_lines if "(period " in m][0]
    assert resumed.attrs["run_steps_computed"] == uninterrupted.attrs["run_steps_computed"]
    assert not path.exists()  # removed once the cell is done
    pd.testing.assert_frame_equal(resumed, uninterrupted)  # bit for bit, the stopped run included
    assert (resumed.loc[resumed["activity_lr"] == 1e200, "status"] == "diverged").all()
    assert len(resumed) == len(RUNS) * n_periods


@pytest.mark.slow
def test_a_checkpoint_of_other_runs_or_data_is_ignored_not_resumed(tmp_path):
    data = blobs()
    path = tmp_path / "c.npz"
    with pytest.raises(Killed):
        _cell(data, log=_killer(2, []), checkpoint=path, checkpoint_every_s=0, log_every_s=0)
    other_data = blobs(seed=1)
    lines = []
    table = _cell(other_data, log=lines.append, checkpoint=path, checkpoint_every_s=0, log_every_s=0)
    assert any("ignoring checkpoint" in m for m in lines) and not any("resuming" in m for m in lines)
    pd.testing.assert_frame_equal(table, _cell(other_data, log=None))


@pytest.mark.slow
def test_progress_lines_count_runs_done_and_steps_per_second():
    lines = []
    _cell(blobs(), log=lines.append, log_every_s=0)
    periods = [m for m in lines if "(period " in m]
    assert len(periods) == 640 // 32 // SPEC.test_every
    assert "runs done 1/5" in periods[0]  # the diverged run stopped at step 1
    assert "runs done 5/5" in periods[-1] and "steps/s" in periods[-1]
    quiet = []
    _cell(blobs(), log=quiet.append, log_every_s=3600)  # a long interval: only the last period is logged
    assert len([m for m in quiet if "(period " in m]) == 1


def test_checkpoint_roundtrip_refuses_another_structure(tmp_path):
    tree = {"w": np.arange(6.0).reshape(2, 3), "b": np.zeros(2, np.float32)}
    ckpt.save(tmp_path / "k.npz", "key", tree, extra=np.array(3))
    loaded, arrays = ckpt.load(tmp_path / "k.npz", "key", tree)
    np.testing.assert_array_equal(loaded["w"], tree["w"])
    assert loaded["b"].dtype == np.float32 and int(arrays["extra"]) == 3
    assert ckpt.load(tmp_path / "k.npz", "other key", tree) is None
    assert ckpt.load(tmp_path / "k.npz", "key", {"w": tree["w"]}) is None
    assert ckpt.load(tmp_path / "k.npz", "key", {"w": tree["w"], "b": np.zeros(3, np.float32)}) is None


def test_a_writer_that_dies_leaves_neither_a_partial_file_nor_a_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old complete content\n")

    def dies_half_way(tmp):
        Path(tmp).write_text("half of the new")
        raise KeyboardInterrupt  # as when the job is killed while writing

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, dies_half_way)
    assert target.read_text() == "old complete content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failing_job_leaves_its_progress_once_and_its_traceback_in_its_log(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "logs" / "job.log"
    code = (f"from pcrepro.pipeline.progress import log_output, log_to\nlog_output({str(log)!r})\nlog_output({str(log)!r})\n"
            f"with log_to({str(log)!r}) as log:\n    log('period 1/2')\n"
            "raise ValueError('unknown dataset EMNST')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1 and "period 1/2" in proc.stderr
    text = log.read_text()
    assert text.count("period 1/2") == 1
    assert "Traceback" in text and "ValueError: unknown dataset EMNST" in text


def test_a_corrupt_checkpoint_is_named_in_a_warning_and_the_job_starts_over(tmp_path):
    tree = {"w": np.arange(6.0).reshape(2, 3)}
    path = tmp_path / "k.npz"
    ckpt.save(path, "key", tree)
    path.write_bytes(path.read_bytes()[:100])  # a checkpoint cut short by a full disk
    with pytest.warns(UserWarning, match=r"checkpoint .*k\.npz cannot be read .*starts from its beginning"):
        assert ckpt.load(path, "key", tree) is None
    ckpt.save(path, "key", tree)  # and it is simply overwritten
    np.testing.assert_array_equal(ckpt.load(path, "key", tree)[0]["w"], tree["w"])


def test_a_truncated_result_table_is_named_with_what_to_do(tmp_path):
    from pcrepro.pipeline.results import (
        UnreadableTable,
        read_table,
        unreadable_table,
        write_table,
    )

    path = tmp_path / "cell.parquet"
    table = pd.DataFrame({"step": [1, 2], "test_acc": [50.0, 60.0]})
    write_table(table, path)
    assert unreadable_table(path) is None
    pd.testing.assert_frame_equal(read_table(path), table)
    path.write_bytes(path.read_bytes()[:-20])  # its footer gone
    assert "cell.parquet cannot be read" in unreadable_table(path) and "delete the file" in unreadable_table(path)
    with pytest.raises(UnreadableTable, match=r"cell\.parquet cannot be read .*delete the file"):
        read_table(path)
