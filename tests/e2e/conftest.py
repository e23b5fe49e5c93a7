"""Browser tests: a real `streamlit run app.py` server and Debian's Chromium driven by Playwright.

The server gets its own SQLite database with the shipped trees published and one account per role
(password ``pass-<role>-1``). Chromium is /usr/bin/chromium (installed by .ci/system-deps); nothing is
downloaded. Missing Chromium fails the run: it is never skipped.

Screenshots go to a temporary folder (the ``screenshots`` fixture). ``UPDATE_SCREENSHOTS=1`` copies them to
the tracked docs/screenshots/ at the end of a run in which no test failed, so a plain run never touches the
working tree.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import password, streamlit_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROLES = ("agent", "tier2", "dispatcher", "author", "admin")
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The folder browser tests save pictures in; copied to docs/screenshots/ on request (see above)."""
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and request.session.testsfailed == 0:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in sorted(folder.glob("*.png")):
            shutil.copyfile(shot, DOCS_SCREENSHOTS / shot.name)


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


@pytest.fixture(scope="session")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The app's database: shipped trees published, one account per role."""
    from libraries import shipped

    from triage.records.accounts import Accounts
    from triage.records.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'app.db'}"
    st = Store(url)
    st.sync(shipped())
    accounts = Accounts(st)
    for role in ROLES:
        accounts.create(role, password(role), [role], role.title())
    st.dispose()
    return url


@pytest.fixture(scope="session")
def app_url(app_db: str) -> Iterator[str]:
    """`streamlit run app.py` on a free local port, stopped at the end."""
    (ROOT / "var").mkdir(exist_ok=True)
    with streamlit_server({"TRIAGE_DATABASE_URL": app_db}, ROOT / "var") as base:
        yield base
