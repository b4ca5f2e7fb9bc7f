"""pcrepro.plots.export: static export is bounded; a hung browser is retried, then reported; no browser outlives its job."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import plotly.graph_objects as go
import psutil
import pytest

from pcrepro.plots.export import BoundedExporter, ExportTimeout

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _figure():
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2]), layout=dict(width=300, height=200))


def _standin(tmp_path: Path, hang_first_n: int) -> Path:
    """A browser that hangs on its first ``hang_first_n`` launches (counted in a file), then
    starts the real Chromium."""
    script = tmp_path / "browser.sh"
    script.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        count=$(cat {tmp_path}/launches 2>/dev/null || echo 0)
        echo $((count + 1)) > {tmp_path}/launches
        if [ "$count" -lt {hang_first_n} ]; then exec sleep 3600; fi
        exec {CHROMIUM or "false"} "$@"
        """))
    script.chmod(0o755)
    return script


def _standin_processes(tmp_path: Path) -> list:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(tmp_path) in cmdline or cmdline == "sleep 3600":
            found.append(proc)
    return found


def _chromium_processes() -> set:
    found = set()
    for proc in psutil.process_iter(["name", "cmdline"]):
        if "chrom" in (proc.info["name"] or "") or "chrom" in " ".join(proc.info["cmdline"] or [])[:200]:
            found.add(proc.pid)
    return found


@pytest.fixture
def browser(tmp_path, monkeypatch):
    def use(hang_first_n):
        monkeypatch.setenv("BROWSER_PATH", str(_standin(tmp_path, hang_first_n)))
    return use


@pytest.mark.slow
def test_a_browser_that_never_answers_is_retried_then_reported_within_the_bound(tmp_path, browser):
    browser(hang_first_n=99)
    out = tmp_path / "figs" / "never.pdf"
    log = []
    timeout, retries = 3.0, 1
    started = time.monotonic()
    with pytest.raises(ExportTimeout) as err:
        with BoundedExporter(timeout_s=timeout, retries=retries, log=log.append) as exporter:
            exporter.write(_figure(), out)
    elapsed = time.monotonic() - started
    message = str(err.value)
    assert str(out) in message and "3 s" in message and "figures.export_timeout_s" in message
    assert elapsed < (retries + 1) * (timeout + 6)  # each try: its bound plus the kill
    assert int((tmp_path / "launches").read_text()) == retries + 1  # a fresh browser for every try
    assert len(log) == retries + 1 and "starting a fresh one" in log[0]
    assert not out.exists() and list(out.parent.iterdir()) == []  # no partial or temporary file
    time.sleep(0.5)
    assert _standin_processes(tmp_path) == []


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_a_figure_is_written_by_the_fresh_browser_when_the_first_one_hangs(tmp_path, browser):
    browser(hang_first_n=1)
    chromium_before = _chromium_processes()
    out = tmp_path / "figs" / "second.pdf"
    already = tmp_path / "figs" / "already.pdf"
    already.parent.mkdir()
    already.write_bytes(b"%PDF-1.4 an earlier figure")
    with BoundedExporter(timeout_s=20.0, retries=2, log=lambda m: None) as exporter:
        exporter.write(_figure(), out)
        assert int((tmp_path / "launches").read_text()) == 2
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_size > 1000
    assert already.read_bytes() == b"%PDF-1.4 an earlier figure"  # the ones already written stay
    assert sorted(p.name for p in out.parent.iterdir()) == ["already.pdf", "second.pdf"]
    time.sleep(0.5)
    assert _standin_processes(tmp_path) == []
    assert _chromium_processes() <= chromium_before  # the real browser went with its worker


def test_a_killed_job_leaves_no_browser_behind(tmp_path, browser):
    """A job SIGKILLed while its export hangs: its worker notices and kills its browser."""
    browser(hang_first_n=99)
    job = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        import plotly.graph_objects as go
        from pcrepro.plots.export import BoundedExporter
        BoundedExporter(timeout_s=600, retries=0).write(go.Figure(), {str(tmp_path / 'x.pdf')!r})
        """)], env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")})
    deadline = time.monotonic() + 60
    while not (tmp_path / "launches").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    assert _standin_processes(tmp_path), "the stand-in browser never started"
    os.kill(job.pid, signal.SIGKILL)
    job.wait()
    deadline = time.monotonic() + 10
    while _standin_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _standin_processes(tmp_path) == []
    assert not (tmp_path / "x.pdf").exists()


def _varied_figures() -> list:
    """Figures whose state could leak into the next one on a reused page: log axes, a colour
    bar, a 3-D scene, annotations, a size of its own."""
    import numpy as np

    grid = np.outer(np.linspace(1, 2, 12), np.linspace(-1, 1, 9))
    return [
        go.Figure(go.Scatter(y=[1, 10, 100]), layout=dict(yaxis_type="log", width=320, height=240, title="log")),
        go.Figure(go.Contour(z=grid, colorbar=dict(title="z")), layout=dict(width=300, height=260)),
        go.Figure(go.Surface(z=grid), layout=dict(width=340, height=300)),
        go.Figure(go.Bar(x=["a", "b"], y=[2, 3]), layout=dict(annotations=[dict(text="note", x=0, y=3)])),
        go.Figure(go.Heatmap(z=grid), layout=dict(width=280, height=220)),
    ]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_reusing_the_page_between_figures_draws_what_a_fresh_page_draws(tmp_path, monkeypatch):
    """The worker reloads kaleido's page only every RELOAD_EVERY figures (the speed-up); each
    figure, drawn after different ones on the reused page, must equal kaleido's own output
    with a reload after every figure."""
    from PIL import Image, ImageChops

    from pcrepro.plots._export_worker import RELOAD_ENV

    figures = _varied_figures()
    for reload_every in ("1", "1000"):
        monkeypatch.setenv(RELOAD_ENV, reload_every)
        with BoundedExporter(timeout_s=60, retries=0) as exporter:
            for round_ in range(2):  # each figure also follows every other kind once
                for i, fig in enumerate(figures if round_ == 0 else figures[::-1]):
                    exporter.write(fig, tmp_path / reload_every / f"{i}_{round_}.png")
    for png in sorted((tmp_path / "1").iterdir()):
        fresh, reused = (Image.open(tmp_path / d / png.name).convert("RGB") for d in ("1", "1000"))
        assert fresh.size == reused.size, png.name
        assert ImageChops.difference(fresh, reused).getbbox() is None, f"{png.name} differs on a reused page"


# ---- the export pool of a run served by a job server -------------------------------------------

@pytest.fixture
def run_with_pool(tmp_path, monkeypatch):
    """A job server as a local run starts it (with the stand-in browser in its environment, which
    its export workers inherit); yields the server process, checks on the way out that the
    run's browsers and pool end with it."""
    from pcrepro.pipeline import jobserver
    from pcrepro.plots.export_pool import POOL_ENV

    servers = []

    def start(hang_first_n):
        monkeypatch.setenv("BROWSER_PATH", str(_standin(tmp_path, hang_first_n)))
        for name in (jobserver.SOCKET_ENV, jobserver.GPU_JOBS_ENV, POOL_ENV):
            monkeypatch.delenv(name, raising=False)
        server = jobserver.start(tmp_path / "server.log", gpus=[])
        assert server is not None, (tmp_path / "server.log").read_text()
        for name in (jobserver.SOCKET_ENV, jobserver.GPU_JOBS_ENV, POOL_ENV):  # removed again on the way out
            monkeypatch.setenv(name, os.environ[name])
        servers.append(server)
        return server

    yield start
    for server in servers:
        pool = os.environ[POOL_ENV]
        server.terminate()
        server.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _standin_processes(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _standin_processes(tmp_path) == [], "a shared browser outlived its run"
        assert not Path(pool).exists()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_the_jobs_of_a_run_share_its_browsers_and_draw_what_their_own_would(tmp_path, run_with_pool):
    from PIL import Image, ImageChops

    from pcrepro.plots.export_pool import POOL_ENV

    figures = _varied_figures()
    pool = os.environ.pop(POOL_ENV, None)
    with BoundedExporter(timeout_s=60, retries=0) as own:  # outside a run: a worker of its own
        for i, fig in enumerate(figures):
            own.write(fig, tmp_path / "own" / f"{i}.png")
        assert own._lease is None and own._worker is not None
    if pool is not None:
        os.environ[POOL_ENV] = pool

    run_with_pool(hang_first_n=0)
    workers = []
    for i, fig in enumerate(figures):  # one job after another, each with an exporter of its own
        with BoundedExporter(timeout_s=60, retries=0) as job:
            job.write(fig, tmp_path / "shared" / f"{i}.png")
            workers.append(job._lease.worker_pid)
    assert len(set(workers)) == 1  # every job was served by the same worker,
    assert int((tmp_path / "launches").read_text()) == 1  # which started one browser
    for png in sorted((tmp_path / "own").iterdir()):
        own_png, shared_png = (Image.open(tmp_path / d / png.name).convert("RGB") for d in ("own", "shared"))
        assert own_png.size == shared_png.size, png.name
        assert ImageChops.difference(own_png, shared_png).getbbox() is None, f"{png.name} differs"

    first, second = BoundedExporter(timeout_s=60), BoundedExporter(timeout_s=60)  # two jobs at once
    first.prestart()
    second.prestart()
    assert first._lease.worker_pid == workers[0] and second._lease.worker_pid != workers[0]
    second.write(figures[0], tmp_path / "second.pdf")
    first.close()
    second.close()
    assert (tmp_path / "second.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_a_shared_browser_that_hangs_is_killed_and_replaced(tmp_path, run_with_pool):
    run_with_pool(hang_first_n=1)
    out = tmp_path / "figs" / "x.pdf"
    log = []
    with BoundedExporter(timeout_s=8.0, retries=1, log=log.append) as job:
        job.write(_figure(), out)
    assert int((tmp_path / "launches").read_text()) == 2
    assert len(log) == 1 and "killing the browser and starting a fresh one" in log[0]
    assert out.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.pdf"]  # no temporary file left
    assert [p for p in _standin_processes(tmp_path) if "sleep" in " ".join(p.cmdline())] == []


def test_a_job_that_finds_every_slot_taken_starts_its_own_worker(tmp_path, run_with_pool, monkeypatch):
    from pcrepro.plots import export_pool

    run_with_pool(hang_first_n=99)  # no browser ever answers: only the slot bookkeeping is tested
    monkeypatch.setattr(export_pool, "slot_count", lambda: 1)
    holder = export_pool.lease(timeout_s=30)
    assert holder is not None and psutil.Process(holder.worker_pid).ppid() != os.getpid()  # the server's child
    try:
        job = BoundedExporter(timeout_s=30, retries=0)
        job.prestart()
        assert job._lease is None and job._worker is not None
        job.close(kill=True)
    finally:
        holder.release()
    again = export_pool.lease(timeout_s=30)  # the slot is free again, with the same worker
    assert again is not None and again.worker_pid == holder.worker_pid
    again.release()
