"""Browser tests: a real `streamlit run app.py` server and Debian's Chromium driven by Playwright.

The server gets its own SQLite database with the shipped trees published and one account per role
(password ``pass-<role>-1``). Chromium is /usr/bin/chromium (installed by .ci/system-deps); nothing is
downloaded. Missing Chromium fails the run: it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import password

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROLES = ("agent", "tier2", "dispatcher", "author", "admin")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `bash .ci/system-deps`")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The app's database: shipped trees published, one account per role."""
    from triage.auth import Accounts
    from triage.library import load_library
    from triage.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'app.db'}"
    st = Store(url)
    st.sync(load_library())
    accounts = Accounts(st)
    for role in ROLES:
        accounts.create(role, password(role), [role], role.title())
    st.dispose()
    return url


@pytest.fixture(scope="session")
def app_url(app_db: str) -> Iterator[str]:
    """`streamlit run app.py` on a free local port, stopped at the end."""
    port = _free_port()
    env = {
        **os.environ,
        "TRIAGE_DATABASE_URL": app_db,
        "TRIAGE_ADMIN_PASSWORD": password("admin"),
        "PYTHONPATH": str(ROOT),
    }
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    (ROOT / "var").mkdir(exist_ok=True)
    log_path = ROOT / "var" / f"e2e-streamlit-{port}.log"
    with log_path.open("w") as log:  # the server's output, for when a browser test fails
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().decode() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"streamlit did not start (exit {proc.poll()})")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
