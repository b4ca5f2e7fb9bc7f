"""A throw-away one-node SLURM cluster on this machine (Debian's slurm-wlm and munge), for tests.

Everything the cluster writes (configuration, state, spool, logs) is in one temporary
directory; its own ports, picked free, keep it apart from any cluster the machine runs.
Daemons talk over 127.0.0.1, so the host name need not resolve. Commands reach it through ``SLURM_CONF``; slurmd takes its configuration from slurmctld
("configless" mode), which also hands it to the jobs, so that ``srun`` inside a batch job (as
Snakemake's job steps use it) finds this cluster and not the machine's /etc/slurm.
:func:`start` returns ``(env, stop)`` or raises :class:`Unavailable` with the exact reason the
cluster cannot run here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "munge", "unmunge", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")


class Unavailable(RuntimeError):
    """Why a SLURM cluster cannot be started on this machine."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _munge_works() -> bool:
    try:
        cred = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
        return cred.returncode == 0 and subprocess.run(["unmunge"], input=cred.stdout, capture_output=True,
                                                       timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _config(root: Path, cpus: int, memory_mb: int, port: int) -> str:
    host = socket.gethostname()
    return f"""\
ClusterName=pcrepro-test
SlurmctldParameters=enable_configless
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
SlurmctldPort={port}
SlurmdPort={_free_port()}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def start(root: Path, *, timeout_s: float = 60.0):
    """Start munge (if not running), slurmctld and slurmd; wait until the node is idle."""
    if os.geteuid() != 0:
        raise Unavailable("the test cluster's daemons run as root; this process is not root")
    missing = [d for d in DAEMONS if shutil.which(d) is None]
    if missing:
        raise Unavailable(f"not installed: {', '.join(missing)} (Debian: apt-get install slurm-wlm munge)")
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool"):
        (root / sub).mkdir(exist_ok=True)
    memory_mb = int(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 * 0.8)
    conf = root / "slurm.conf"
    port = _free_port()
    conf.write_text(_config(root, os.cpu_count() or 1, memory_mb, port))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    for key in [k for k in env if k.startswith("SLURM_") and k != "SLURM_CONF"]:
        del env[key]  # not inside another allocation

    started_munge = False
    if not _munge_works():
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["munged", "--force"], capture_output=True, text=True)
        started_munge = True
        if proc.returncode != 0 or not _munge_works():
            raise Unavailable(f"munged did not start: {proc.stderr.strip() or proc.stdout.strip()}")

    def stop():
        subprocess.run(["scontrol", "shutdown"], env=env, capture_output=True, timeout=30)
        for pid_file in ("slurmctld.pid", "slurmd.pid"):
            pid = root / pid_file
            if pid.exists():
                try:
                    os.kill(int(pid.read_text().strip()), 15)
                except (ProcessLookupError, ValueError):
                    pass
        if started_munge:
            subprocess.run(["munged", "--stop"], capture_output=True)

    slurmd_env = {k: v for k, v in env.items() if k != "SLURM_CONF"}
    for command, daemon_env in ((["slurmctld"], env),
                                (["slurmd", "--conf-server", f"127.0.0.1:{port}"], slurmd_env)):
        proc = subprocess.run(command, env=daemon_env, capture_output=True, text=True)
        if proc.returncode != 0:
            daemon = command[0]
            stop()
            raise Unavailable(f"{daemon} did not start ({proc.returncode}): {proc.stderr.strip()}")
    deadline = time.time() + timeout_s
    state = ""
    while time.time() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True).stdout.strip()
        if state == "idle":
            return env, stop
        time.sleep(0.5)
    log = (root / "slurmctld.log").read_text()[-2000:] if (root / "slurmctld.log").exists() else ""
    stop()
    raise Unavailable(f"the node did not become idle within {timeout_s:.0f} s (state {state!r}); slurmctld log:\n{log}")
