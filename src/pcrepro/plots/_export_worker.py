"""Worker of :mod:`pcrepro.plots.export`: one headless browser, one figure per request.

    python -m pcrepro.plots._export_worker REPLY_FD PARENT_PID      (one job's own worker)
    python -m pcrepro.plots._export_worker --listen SOCKET PARENT_PID   (a run's shared worker)

Requests are JSON lines ``{"fig": <plotly figure dict>, "path": …, "format": …}``
(``{"quit": true}`` ends a job's own worker); each gets one JSON line back (``{"ready": true}``
once the browser runs, then ``{"ok": true}`` or ``{"error": …}``). A job's own worker reads
stdin and answers on the file descriptor REPLY_FD, so that nothing the browser prints can be
taken for an answer. A shared worker (:mod:`pcrepro.plots.export_pool`) listens on a Unix
socket and serves one job's connection at a time, each as a session of its own; a figure whose
answer finds the job gone is deleted. A thread watches the parent (the job, or the run's job
server): once it is gone, the worker kills its browser and itself.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Callable

# kaleido reloads its page (and with it plotly.js, ≈ 0.3 s on the 2-core machine) after every
# figure, which made a figure cost ≈ 0.45 s where rendering takes ≈ 0.1 s. Our figures come
# from our own code and each is drawn on a fresh plot (kaleido's script purges the previous
# one), so the page is reloaded only every RELOAD_EVERY figures, which bounds what a long job
# could accumulate in it. tests/plots/test_export.py holds the output equal to kaleido's own.
RELOAD_EVERY = 50
RELOAD_ENV = "PCREPRO_EXPORT_RELOAD_EVERY"


def _watch_parent(parent_pid: int) -> None:
    import psutil

    from .export import kill_tree

    while os.getppid() == parent_pid:
        time.sleep(0.5)
    try:  # the parent died (killed job): take the browser down with us
        for child in psutil.Process().children():
            kill_tree(child.pid)
    finally:
        os._exit(1)


def _reload_page_every(figures: int) -> None:
    """Make kaleido reload its page after every ``figures``-th figure instead of after each.

    This replaces a private method of kaleido 1.x (``Kaleido._return_kaleido_tab``); if a
    later kaleido has no such method, it is left as it is: slower, never wrong."""
    from kaleido.kaleido import Kaleido

    reload_and_return = getattr(Kaleido, "_return_kaleido_tab", None)
    if reload_and_return is None or figures <= 1:
        return
    returned = itertools.count(1)

    async def return_tab(self, tab) -> None:
        if next(returned) % figures == 0:
            await reload_and_return(self, tab)
        else:
            await self.tabs_ready.put(tab)

    Kaleido._return_kaleido_tab = return_tab


def _warm_up(kaleido) -> None:
    """Render one empty figure before answering ready: the first export loads plotly.js into the
    page (≈ 2–3 s), which then happens while the parent still builds its figures. Rendered in
    memory, so that a worker killed meanwhile leaves no scratch folder behind."""
    kaleido.calc_fig_sync({"data": [], "layout": {}}, opts=dict(format="png"))


def _start_browser():
    import kaleido

    _reload_page_every(int(os.environ.get(RELOAD_ENV, RELOAD_EVERY)))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*kopts argument is ignored.*")
        kaleido.start_sync_server(n=1, silence_warnings=True)
    _warm_up(kaleido)
    return kaleido


def _answering(write: Callable[[str], object]) -> Callable[..., bool]:
    """``answer(**message)``: one JSON line through ``write``; False when the job is gone."""
    def answer(**message) -> bool:
        try:
            write(json.dumps(message) + "\n")
            return True
        except OSError:
            return False

    return answer


def _serve(kaleido, lines, answer) -> None:
    """Render the figure of every request line until ``{"quit": true}`` or the end of ``lines``.
    ``answer(**message)`` returns False when the job is no longer there to read it."""
    for line in lines:
        request = json.loads(line)
        if request.get("quit"):
            return
        try:
            kaleido.write_fig_from_object_sync([dict(fig=request["fig"], path=request["path"],
                                                     opts=dict(format=request["format"]))])
            delivered = answer(ok=True)
        except Exception as err:  # reported to the job, which raises it with the file's name
            delivered = answer(error=f"{type(err).__name__}: {err}")
        if not delivered:  # the job is gone (killed): leave none of its files behind
            Path(request["path"]).unlink(missing_ok=True)
            return


def main(reply_fd: int, parent_pid: int) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    answer = _answering(os.fdopen(reply_fd, "w", buffering=1).write)
    kaleido = _start_browser()
    answer(ready=True)
    _serve(kaleido, sys.stdin, answer)
    kaleido.stop_sync_server(silence_warnings=True)


def listen(socket_path: str, parent_pid: int) -> None:
    """Serve the jobs that connect to ``socket_path``, one connection at a time (a job holds its
    slot's lock while connected, see :mod:`pcrepro.plots.export_pool`)."""
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    Path(socket_path).unlink(missing_ok=True)  # left by a worker that was killed
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(8)  # bound before the browser starts: the first job waits in the backlog
    kaleido = _start_browser()
    while True:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            answer = _answering(lambda line: connection.sendall(line.encode()))
            if answer(ready=True):
                _serve(kaleido, lines, answer)


if __name__ == "__main__":
    if sys.argv[1] == "--listen":
        listen(sys.argv[2], int(sys.argv[3]))
    else:
        main(int(sys.argv[1]), int(sys.argv[2]))
