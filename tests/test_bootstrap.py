"""Start-up: one broken tree file never stops the others, the app, or start-up itself; the first admin's
password is told once; demo history can be written in the background."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from libraries import MINI
from sqlalchemy import func, select

from triage import bootstrap as bootstrap_module
from triage.bootstrap import Bootstrap, bootstrap
from triage.errors import StoreError, StoreUnavailable
from triage.records.accounts import Accounts
from triage.records.schema import SessionRow
from triage.records.store import Store
from triage.trees import library as trees_library

MINI_TEXT = (MINI / "mini.yaml").read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tree folder holding the two good mini trees (``mini`` calls the ``router-restart`` procedure)."""
    trees = tmp_path / "trees"
    trees.mkdir()
    for name in ("mini.yaml", "router-restart.yaml"):
        shutil.copy(MINI / name, trees / name)
    monkeypatch.setenv("TRIAGE_TREES", str(trees))
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-pass-1")
    monkeypatch.delenv("TRIAGE_DEMO", raising=False)
    return trees


def start(tmp_path: Path) -> Bootstrap:
    return bootstrap(f"sqlite:///{tmp_path / 'boot.db'}")


def offered(boot: Bootstrap) -> set[str]:
    return {t.id for t in boot.store.library(boot.store.latest_ids()).offered()}


def left_out(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and "is left out" in r.getMessage()
    ]


def test_broken_files_are_reported_and_left_out_while_the_good_ones_are_published(
    folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A condition nested 600 deep and a file that is not YAML: both reported, the good trees published and
    offered, and a session runs on them."""
    deep = "(" * 600 + "lights == 0" + ")" * 600
    (folder / "deep.yaml").write_text(
        MINI_TEXT.replace("id: mini", "id: deep", 1).replace('"lights == 0"', f'"{deep}"'), encoding="utf-8"
    )
    (folder / "garbage.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="triage"):
        boot = start(tmp_path)
    with boot.store:
        assert sorted(boot.published) == ["mini", "router-restart"]
        assert offered(boot) == {"mini"}
        assert sorted(Path(p).name for p in boot.files.broken) == ["deep.yaml", "garbage.yaml"]
        logged = left_out(caplog)
        assert len(logged) == 2
        assert any(str(folder / "deep.yaml") in m for m in logged), logged
        assert any(str(folder / "garbage.yaml") in m for m in logged), logged
        stored = boot.store.start_session("mini")
        assert stored.view().node_id == "smell"


def test_a_file_whose_checks_crash_is_found_and_left_out(
    folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks that fail in a way nobody foresaw (here a RecursionError) stop only the file that caused it."""
    check_tree = trees_library.check_tree

    def crashing(tree, library, **kwargs):  # type: ignore[no-untyped-def]
        if tree.id == "crash":
            raise RecursionError("maximum recursion depth exceeded")
        # the real checks, with whatever the loader passes (media folder, known systems)
        return check_tree(tree, library, **kwargs)

    monkeypatch.setattr(trees_library, "check_tree", crashing)
    (folder / "crash.yaml").write_text(MINI_TEXT.replace("id: mini", "id: crash", 1), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="triage"):
        boot = start(tmp_path)
    with boot.store:
        assert sorted(boot.published) == ["mini", "router-restart"]
        assert offered(boot) == {"mini"}
        (broken,) = boot.files.broken.values()
        assert broken.path == str(folder / "crash.yaml")
        assert [(d.code, d.message) for d in broken.errors] == [
            (
                "unchecked",
                "the checks could not finish on this file (RecursionError: maximum recursion depth exceeded)",
            )
        ]
        (logged,) = left_out(caplog)
        assert logged.startswith(f"tree file {folder / 'crash.yaml'} is left out")


def test_a_tree_the_database_refuses_is_left_out_and_the_others_published(
    folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tree the database refuses is logged and not published; the other trees still are."""
    sync = Store.sync

    def refusing(self: Store, library, author="sync", only=None):  # type: ignore[no-untyped-def]
        if only and any(p.endswith("router-restart.yaml") for p in only):
            raise StoreError("the database refused the change: value too long; nothing was saved")
        return sync(self, library, author=author, only=only)

    monkeypatch.setattr(Store, "sync", refusing)
    with caplog.at_level(logging.ERROR, logger="triage"):
        boot = start(tmp_path)
    with boot.store:
        assert boot.published == ["mini"]
        assert any("tree router-restart" in r.getMessage() for r in caplog.records)


def test_an_unreachable_database_stops_start_up_with_a_clear_error(folder: Path) -> None:
    """No database is a StoreUnavailable naming it (password hidden), for the start-up page to show."""
    with pytest.raises(StoreUnavailable) as exc:
        bootstrap("postgresql+psycopg://triage:secret@127.0.0.1:9/triage")
    assert str(exc.value).startswith(
        "cannot open the database at postgresql+psycopg://triage:***@127.0.0.1:9/triage"
    )


def test_demo_staff_come_first_and_the_history_follows_in_the_background(
    folder: Path, tmp_path: Path
) -> None:
    """With ``background`` start-up returns with the demo staff accounts made; the history is written by a
    child process, once: a second start finds it there and leaves it alone."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    boot = bootstrap(url, demo=True, background=True)
    with boot.store:
        names = {u.username for u in Accounts(boot.store).users()}
        assert {"admin", "agent", "tier2", "dispatcher", "author"} <= names
        assert boot.demo is not None
        assert boot.demo.wait(timeout=300)
        assert not boot.demo.filling
        written = sessions(boot.store)
        assert written > 100
    again = bootstrap(url, demo=True, background=True)
    with again.store:
        assert again.demo is not None
        assert again.demo.wait(timeout=300)
        assert sessions(again.store) == written  # the store already had its history


def sessions(store: Store) -> int:
    with store.tx() as db:
        return int(db.scalar(select(func.count()).select_from(SessionRow)) or 0)


def test_a_generated_admin_password_is_logged_and_kept_for_the_owner_only(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without TRIAGE_ADMIN_PASSWORD the first start makes one, says it in the log and writes it to
    var/admin-password.txt (mode 600); it signs in."""
    monkeypatch.delenv("TRIAGE_ADMIN_PASSWORD")
    monkeypatch.setattr(bootstrap_module, "DEFAULT_DB_PATH", tmp_path / "var" / "triage.db")
    with caplog.at_level(logging.WARNING, logger="triage"):
        boot = start(tmp_path)
    with boot.store:
        assert boot.admin_password is not None
        note = tmp_path / "var" / "admin-password.txt"
        assert note.read_text(encoding="utf-8") == f"username: admin\npassword: {boot.admin_password}\n"
        assert note.stat().st_mode & 0o777 == 0o600
        assert any(boot.admin_password in r.getMessage() for r in caplog.records)
        assert Accounts(boot.store).authenticate("admin", boot.admin_password).roles == ("admin",)
