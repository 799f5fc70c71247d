"""The worker process's side of pool.py: started through our own entry, it never runs the caller's script.

multiprocessing's spawn start re-executes the parent's `__main__` file in every worker, so a plain
script that calls `run_batch` without `if __name__ == "__main__":` ran itself again in each worker
(which took the output lock and failed every render). pool.py instead starts
`python -c BOOTSTRAP PACKAGE_ROOT FD PARENT_PID`: the worker imports only what the requests it
receives need, with the parent's `sys.path` so their functions import.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

PARENT_CHECK_S = 0.2
# argv: the folder holding the caller's apsim_batch (so the worker runs the very same code), our end
# of the socket pair, the parent's pid.
BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from apsim_batch.batch.worker import main; main()"


def _kill_group_when_orphaned(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent_pid:
            _kill_own_group()


def _kill_own_group() -> None:
    if hasattr(os, "killpg"):
        with contextlib.suppress(OSError):
            os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(1)


def serve(conn: Connection, parent_pid: int) -> None:
    """Serve (fn, item) requests until told to stop; the first message is the parent's sys.path."""
    if hasattr(os, "setpgrp") and os.getpgrp() != os.getpid():
        os.setpgrp()  # our own group: the terminal's Ctrl-C goes to the parent, which decides
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_kill_group_when_orphaned, args=(parent_pid,), daemon=True).start()
    try:
        sys.path[:] = conn.recv()
    except (EOFError, OSError):
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # a request that cannot be unpickled here, e.g. a function in __main__
            conn.send(("error", f"{type(exc).__name__}: {exc} (functions run in workers must be importable)"))
            continue
        if request is None:
            return
        fn, item = request
        try:
            reply: tuple[str, Any] = ("ok", fn(item))
        except BaseException as exc:  # report, never die silently: the parent turns it into a failure
            reply = ("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        try:
            conn.send(reply)
        except OSError:  # BrokenPipeError: the parent is gone (SIGKILL); nobody is left to tell
            return


def main() -> None:
    """Entry of a worker started by pool.py: `... PACKAGE_ROOT FD PARENT_PID` (FD: our end of a socket pair)."""
    fd, parent_pid = int(sys.argv[2]), int(sys.argv[3])
    serve(Connection(fd), parent_pid)
