"""Worker of :mod:`pcrepro.plots.export`: one headless browser, one figure per request.

    python -m pcrepro.plots._export_worker REPLY_FD PARENT_PID

Requests arrive on stdin as JSON lines ``{"fig": <plotly figure dict>, "path": …, "format": …}``
(``{"quit": true}`` ends it); each gets one JSON line on the file descriptor REPLY_FD
(``{"ready": true}`` once the browser runs, then ``{"ok": true}`` or ``{"error": …}``), so
that nothing the browser prints can be taken for an answer. A thread watches the parent:
once it is gone, the worker kills its browser and itself.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
import time
import warnings

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


def main(reply_fd: int, parent_pid: int) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    replies = os.fdopen(reply_fd, "w", buffering=1)

    def answer(**message) -> None:
        replies.write(json.dumps(message) + "\n")

    import kaleido

    _reload_page_every(int(os.environ.get(RELOAD_ENV, RELOAD_EVERY)))
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
