"""A real, throw-away PostgreSQL server for the tests (the binaries are on the machine).

``TRIAGE_TEST_PG_URL`` wins if set (CI's ``.ci/run`` starts one server for the whole run); otherwise a
cluster is created in a temporary folder, started on a free local port, and removed at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_DIRS = [Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for d in BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    raise FileNotFoundError(f"PostgreSQL's {name!r} is not installed (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; run it as the `postgres` system user then
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a PostgreSQL server; yield its SQLAlchemy URL; stop and delete it afterwards."""
    env_url = os.environ.get("TRIAGE_TEST_PG_URL")
    if env_url:
        yield env_url
        return
    base = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    data = base / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    os.chmod(base, 0o700)
    try:
        subprocess.run(
            _as_postgres([_bin("initdb"), "-D", str(data), "-U", "triage", "--auth=trust", "-E", "UTF8"]),
            check=True,
            capture_output=True,
        )
        opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_postgres(
                [_bin("pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-o", opts, "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        url = f"postgresql+psycopg://triage@127.0.0.1:{port}/postgres"
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(base, ignore_errors=True)
