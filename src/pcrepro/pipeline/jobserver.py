"""A fork server for the workflow's local jobs: imported once, forked per job.

Every job of a local run is a fresh Python process that imports JAX, pandas, plotly and the
science before it does anything (1–3 s a job on the 2-core machine; about a fifth of the quick
preset's job time). The Snakefile's ``onstart`` starts one server per local run
(:func:`start`): it imports those modules once, without starting a JAX backend, and waits on a
Unix socket. A job's adapter calls :func:`delegate` first; the job then sends the server its
script, working directory, environment and standard streams, and the server forks a child that
runs the script exactly as the job would have (a fresh fork for every job: nothing one job does
reaches another). The job process waits for the child's exit status and exits with it; a signal
sent to the job (Snakemake stopping it, Ctrl-C) is passed on to the child, and a child whose job
process is gone kills itself.

A job runs itself, as before, wherever the server cannot stand in exactly: no server (a dry
run, a cluster job, ``compute.job_server: false``), a job that will claim a GPU (one declaring
a GPU on a machine that has one), another interpreter (``--sdm conda``), another copy of the
package, or JAX or BLAS-thread settings in its environment that differ from the server's. Code changed during a run reaches only jobs started after the next run's server.

The server also starts the run's shared export browsers when a figure job asks for one
(:mod:`pcrepro.plots.export_pool`), so that they outlive the job and end with the run.
"""

from __future__ import annotations

import atexit
import os
import pickle
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SOCKET_ENV = "PCREPRO_JOB_SERVER"  # the socket path; set in the environment of a run's jobs
EXPORT_POOL_ENV = "PCREPRO_EXPORT_POOL"  # the folder of the run's shared export browsers (plots.export_pool)
GPU_JOBS_ENV = "PCREPRO_JOB_SERVER_GPU_JOBS"  # "1": this machine has no GPU, so GPU jobs run on the CPU
# "0": no job server; every job runs as an ordinary process (for a debugger, print or profiler)
OFF_ENV = "PCREPRO_JOBSERVER"
_CHILD_ENV = "PCREPRO_JOB_SERVER_CHILD"  # set in a forked job, so that its delegate() returns

# Thread counts of the linear-algebra libraries, which they read once, when loaded: Snakemake
# sets them to a job's `threads` (1 for every rule here), and the server loads them with that.
THREAD_ENV = ("OMP_NUM_THREADS", "GOTO_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

# What the adapters import. Only modules that start no JAX backend when imported (checked).
PRELOAD = (
    "numpy", "scipy.linalg", "pandas", "pyarrow.parquet", "jax", "jax.numpy", "matplotlib.pyplot",
    "plotly.graph_objects", "kaleido", "snakemake.script",
    "pcrepro.pipeline.runner", "pcrepro.pipeline.results", "pcrepro.claims", "pcrepro.plots.common",
    "pcrepro.plots.mupc", "pcrepro.plots.mupc_analysis", "pcrepro.studies.chains",
    "pcrepro.studies.dln_hessian", "pcrepro.studies.error_optim", "pcrepro.studies.double_descent",
    "pcrepro.studies.mupc_analysis.activity_spectra", "pcrepro.studies.mupc_analysis.forward_pass",
    "pcrepro.studies.mupc_analysis.energy_theory",
)


def wanted(setting: bool) -> bool:
    """Whether a local run starts a job server: ``compute.job_server``, unless the environment
    says ``PCREPRO_JOBSERVER=0``."""
    return bool(setting) and os.environ.get(OFF_ENV) != "0"


# ---- job side ---------------------------------------------------------------------------------

def delegate(snakemake) -> None:
    """Run this job's script in the run's job server and exit with its status, if a server
    serves this job; otherwise return, and the script goes on in this process."""
    path = os.environ.get(SOCKET_ENV)
    if not path or os.environ.get(_CHILD_ENV) or os.environ.get(OFF_ENV) == "0":
        return
    if getattr(snakemake.resources, "gpu", 0) and os.environ.get(GPU_JOBS_ENV) != "1":
        return  # it will claim a GPU: its JAX must start a GPU backend, which the server's cannot
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(path)
    except OSError:
        return  # no server here (it ended, or this job runs on another machine): run ourselves
    import pcrepro

    request = {"script": os.path.abspath(sys.argv[0]), "argv": sys.argv, "cwd": os.getcwd(),
               "environ": dict(os.environ), "sys_path": sys.path, "executable": sys.executable,
               "package": pcrepro.__file__}
    with connection:
        try:
            socket.send_fds(connection, [_frame(pickle.dumps(request))], [0, 1, 2])
            reply = _read_exactly(connection, 1)
        except OSError:
            reply = b""
        if reply != b"P":  # declined (b"D") or the server went away before forking: run ourselves
            return
        (child,) = struct.unpack("!q", _read_exactly(connection, 8))
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, lambda sig, frame: _kill_quietly(child, sig))
        try:
            status = _read_exactly(connection, 5)
        except OSError:
            status = b""
    if len(status) == 5 and status[:1] == b"S":
        os._exit(struct.unpack("!i", status[1:])[0])
    sys.stderr.write(f"job server: the forked job (pid {child}) ended without an exit status "
                     "(killed by a signal?)\n")
    sys.stderr.flush()
    os._exit(1)


def _kill_quietly(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def _frame(payload: bytes) -> bytes:
    return struct.pack("!q", len(payload)) + payload


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        try:
            chunk = connection.recv(size - len(data))
        except InterruptedError:
            continue
        if not chunk:
            break
        data += chunk
    return data


def start_export_worker(address: str) -> bool:
    """Ask this run's server to start a shared export worker listening on ``address`` (a slot
    of the run's export pool). False where no server answers."""
    path = os.environ.get(SOCKET_ENV)
    if not path:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(path)
            connection.sendall(_frame(pickle.dumps({"export_worker": address})))
            return _read_exactly(connection, 1) == b"W"
    except OSError:
        return False


# ---- server side ------------------------------------------------------------------------------

def start(log_path: str | Path, gpus: list[str]) -> subprocess.Popen | None:
    """Start this run's job server (from the Snakefile's ``onstart``) and put its socket in the
    environment the run's jobs inherit. ``gpus``: the GPUs the run's jobs may claim
    (:func:`pcrepro.pipeline.devices.visible_gpus`); where there are none, jobs declaring a GPU
    run on the CPU and are forked too. Returns the server process; it ends with the run."""
    remove_leftovers()
    run_id = f"{os.getuid()}-{os.getpid()}-{time.time_ns()}"
    path = Path(tempfile.gettempdir()) / f"pcrepro-jobs-{run_id}.sock"
    export_pool = Path(tempfile.mkdtemp(prefix=f"pcrepro-export-{run_id}-"))  # private to this user
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
                   **{name: "1" for name in THREAD_ENV})
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "pcrepro.pipeline.jobserver", str(path),
                                   str(os.getpid()), str(export_pool)], stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT, env=environ)
    deadline = time.monotonic() + 30
    while not path.exists():  # bound before it imports: from then on jobs queue on it
        if server.poll() is not None or time.monotonic() > deadline:
            shutil.rmtree(export_pool, ignore_errors=True)
            return None  # jobs run themselves; the log says why
        time.sleep(0.02)
    os.environ[SOCKET_ENV] = str(path)
    os.environ[GPU_JOBS_ENV] = "0" if gpus else "1"
    os.environ[EXPORT_POOL_ENV] = str(export_pool)
    return server


def remove_leftovers() -> None:
    """Remove this user's server sockets and export pools of runs whose Snakemake is gone.

    A server removes its own when it ends, but not when it is SIGKILLed together with its run
    (a crash, ``kill -9`` of the process group). Their names carry the user and the run's pid."""
    for leftover in Path(tempfile.gettempdir()).glob(f"pcrepro-*-{os.getuid()}-*"):
        parts = leftover.name.split("-")
        if parts[1] not in ("jobs", "export") or len(parts) < 5 or not parts[3].isdigit():
            continue
        try:
            os.kill(int(parts[3]), 0)
            continue  # its run is alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def serve(path: str, parent: int, export_pool: str) -> None:
    """Bind ``path``, import :data:`PRELOAD`, then fork a child per job request (and start an
    export worker per request for one, in the folder ``export_pool``) until the process
    ``parent`` (the run's Snakemake) is gone."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o077)  # only this user may hand jobs to it
    try:
        listener.bind(path)
    finally:
        os.umask(old_umask)
    listener.listen(128)
    server = os.getpid()
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))  # ends through the finally below
    try:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")  # it serves CPU jobs only (see delegate)
        started = time.monotonic()
        for name in PRELOAD:
            try:
                __import__(name)
            except Exception as error:  # an optional dependency: its jobs import it themselves
                print(f"job server: not preloaded: {name} ({error!r})", flush=True)
        from jax._src import xla_bridge

        if xla_bridge._backends:  # forking a live backend's threads could deadlock a job
            print("job server: a JAX backend started during the imports; jobs run themselves", flush=True)
            return
        print(f"job server: ready in {time.monotonic() - started:.1f} s, pid {server}", flush=True)
        loaded_with = _import_time_settings(os.environ)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
        listener.settimeout(1.0)
        served = 0
        while os.getppid() == parent:
            try:
                connection, _ = listener.accept()
            except (socket.timeout, InterruptedError):
                continue
            connection.settimeout(None)
            request, streams = _receive(connection)
            if request and "export_worker" in request:
                _send(connection, b"W" if _start_export_worker(request["export_worker"], export_pool) else b"N")
                connection.close()
                continue
            refusal = _refusal(request, loaded_with)
            if refusal:
                print(f"job server: {request and request.get('script')} runs itself: {refusal}", flush=True)
                _send(connection, b"D")
                connection.close()
                for fd in streams:
                    os.close(fd)
                continue
            sys.stdout.flush()
            child = os.fork()
            if child == 0:
                listener.close()
                _run_child(connection, request, streams)  # raises SystemExit, never returns
            served += 1
            print(f"job server: {Path(request['script']).name} forked as pid {child}", flush=True)
            connection.close()
            for fd in streams:
                os.close(fd)
        print(f"job server: the run ended; served {served} jobs", flush=True)
    finally:
        if os.getpid() == server:
            listener.close()
            Path(path).unlink(missing_ok=True)
            shutil.rmtree(export_pool, ignore_errors=True)  # its workers follow the server out


def _start_export_worker(address: str, export_pool: str) -> bool:
    """Start a shared export worker on ``address``, a slot of this run's pool, as the server's
    child: it ends when the server does."""
    if Path(address).parent != Path(export_pool):
        print(f"job server: refused an export worker outside the run's pool: {address}", flush=True)
        return False
    sys.stdout.flush()
    subprocess.Popen([sys.executable, "-m", "pcrepro.plots._export_worker", "--listen", address,
                      str(os.getpid())], stdin=subprocess.DEVNULL, stdout=sys.stdout, stderr=subprocess.STDOUT)
    print(f"job server: started an export worker on {Path(address).name}", flush=True)
    return True


def _import_time_settings(environ) -> dict[str, str]:
    """The settings JAX and the linear-algebra libraries read from the environment when they
    are loaded (later changes are not seen by the server's copies)."""
    return {k: v for k, v in environ.items()
            if (k.startswith("JAX_") and k != "JAX_PLATFORMS") or k in THREAD_ENV}


def _receive(connection: socket.socket) -> tuple[dict | None, list[int]]:
    try:
        data, streams, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        (size,) = struct.unpack("!q", data[:8])
        payload = data[8:]
        while len(payload) < size:
            chunk = connection.recv(size - len(payload))
            if not chunk:
                return None, streams
            payload += chunk
        return pickle.loads(payload), streams
    except (OSError, struct.error, pickle.UnpicklingError, EOFError):
        return None, []


def _refusal(request: dict | None, loaded_with: dict[str, str]) -> str | None:
    """Why this server cannot run the job exactly as the job's own process would (None: it can)."""
    import pcrepro

    if request is None:
        return "unreadable request"
    if os.path.realpath(request["executable"]) != os.path.realpath(sys.executable):
        return f"another interpreter ({request['executable']})"
    if request["package"] != pcrepro.__file__:
        return f"another copy of pcrepro ({request['package']})"
    platforms = request["environ"].get("JAX_PLATFORMS", "cpu")
    if platforms != "cpu" or _import_time_settings(request["environ"]) != loaded_with:
        return "JAX or thread settings in its environment differ from the server's"
    return None


def _send(connection: socket.socket, data: bytes) -> None:
    try:
        connection.sendall(data)
    except OSError:
        pass


def _run_child(connection: socket.socket, request: dict, streams: list[int]) -> None:
    """In the forked child: become the job (streams, directory, environment, path, argv), run its
    script as ``__main__``, and report the exit status to the job process as the last act of
    the interpreter's shutdown (after the script's own exit handlers have flushed its logs)."""
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["environ"], **{_CHILD_ENV: "1"})
    sys.path[:] = request["sys_path"]
    sys.argv[:] = request["argv"]
    tempfile.tempdir = None  # found again from this job's TMPDIR
    import numpy as np

    np.random.seed()  # a fresh process would not share the server's global NumPy stream
    _send(connection, b"P" + struct.pack("!q", os.getpid()))
    status = [1]
    atexit.register(_report, connection, status)  # registered first, so it runs last
    threading.Thread(target=_die_with_job, args=(connection,), daemon=True).start()

    import runpy

    try:
        runpy.run_path(request["script"], run_name="__main__")
        status[0] = 0
    except SystemExit as exit_:
        code = exit_.code
        status[0] = code if isinstance(code, int) else (0 if code is None else 1)
        if not isinstance(code, (int, type(None))):
            print(code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    raise SystemExit(status[0])


def _report(connection: socket.socket, status: list[int]) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    _send(connection, b"S" + struct.pack("!i", status[0]))


def _die_with_job(connection: socket.socket) -> None:
    """The job process never writes after its request: end of file means it is gone."""
    try:
        while connection.recv(1):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
