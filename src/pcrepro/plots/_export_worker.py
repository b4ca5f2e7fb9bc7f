"""Worker of :mod:`pcrepro.plots.export`: one headless browser, one figure per request.

    python -m pcrepro.plots._export_worker REPLY_FD PARENT_PID

Requests arrive on stdin as JSON lines ``{"fig": <plotly figure dict>, "path": …, "format": …}``
(``{"quit": true}`` ends it); each gets one JSON line on the file descriptor REPLY_FD
(``{"ready": true}`` once the browser runs, then ``{"ok": true}`` or ``{"error": …}``), so
that nothing the browser prints can be taken for an answer. A thread watches the parent:
once it is gone, the worker kills its browser and itself.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import warnings


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


def _warm_up(kaleido) -> None:
    """Render one empty figure before answering ready: the first export loads plotly.js into the
    page (≈ 2–3 s), which then happens while the parent still builds its figures."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kaleido-warm-up-") as tmp:
        kaleido.write_fig_from_object_sync([dict(fig={"data": [], "layout": {}}, path=os.path.join(tmp, "w.pdf"),
                                                 opts=dict(format="pdf"))])


def main(reply_fd: int, parent_pid: int) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    replies = os.fdopen(reply_fd, "w", buffering=1)

    def answer(**message) -> None:
        replies.write(json.dumps(message) + "\n")

    import kaleido

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*kopts argument is ignored.*")
        kaleido.start_sync_server(n=1, silence_warnings=True)
    _warm_up(kaleido)
    answer(ready=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        try:
            kaleido.write_fig_from_object_sync([dict(fig=request["fig"], path=request["path"],
                                                     opts=dict(format=request["format"]))])
            answer(ok=True)
        except Exception as err:  # reported to the parent, which raises it with the file's name
            answer(error=f"{type(err).__name__}: {err}")
    kaleido.stop_sync_server(silence_warnings=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
