"""Start-up of an app instance: open the store, publish the shipped trees, make sure there is an admin.

Everything here is plain Python so the app, the CLI and the tests share one start-up path. The store it
opens tells the escalation queue about decisions (the records package subscribes the queue to every
store), so an escalation becomes a case however the store was opened.

One tree file never stops the others, or the app: a file that fails to parse or check is logged and left
out (:func:`load_trees`; ``Bootstrap.files.broken`` keeps why, for the studio), even when its checks fail in
a way nobody foresaw, and a tree the database refuses is logged and left unpublished (:func:`publish_trees`).
What does stop start-up (the database unreachable) is a :class:`~triage.errors.StoreError` with a message
that says so; the app shows it as a page, not a traceback.

The web app starts up when its server starts (before the first visitor), and fills the demo history in the
background (:class:`DemoFill`, a child process), so the first page is quick and the admin password is in the
log at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from triage.desk.customers import purge_expired
from triage.errors import Diagnostic, Severity, StoreUnavailable
from triage.records.accounts import Accounts
from triage.records.schema import DEFAULT_DB_PATH
from triage.records.store import Store
from triage.trees.library import DEFAULT_TREES, Library
from triage.trees.loader import LoadedTree, find_tree_files
from triage.walk.scenarios import load_library

__all__ = ["Bootstrap", "DemoFill", "bootstrap", "fill_demo", "load_trees", "publish_trees", "trees_dir"]

log = logging.getLogger("triage")

DEMO_PASSWORD = "demo-{role}-pass"
"""Passwords of the demo staff accounts (created only in demo mode; never use demo mode in production)."""


def trees_dir() -> Path:
    """The tree folder the app publishes from: ``TRIAGE_TREES`` or the shipped ``trees/``."""
    return Path(os.environ.get("TRIAGE_TREES") or DEFAULT_TREES)


class DemoFill:
    """The demo history of a fresh store, written beside the app so that it answers meanwhile.

    In the background it is a child process, not a thread: the simulation is pure Python, and a thread would
    hold the interpreter lock the first pages need (it doubled their time). The child opens the same
    database; the staff pages say while it runs (:attr:`filling`).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._child: subprocess.Popen[bytes] | None = None

    def start(self) -> DemoFill:
        """Start writing in a child process; returns at once."""
        package_root = str(Path(__file__).resolve().parents[1])  # this very triage, wherever it was started
        path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "TRIAGE_DATABASE_URL": self.store.url, "PYTHONPATH": path}  # not in argv: `ps`
        self._child = subprocess.Popen([sys.executable, "-c", _CHILD], env=env)
        return self

    def run(self) -> DemoFill:
        """Write the history here and now (for the CLI and the tests)."""
        fill_demo(self.store)
        return self

    @property
    def filling(self) -> bool:
        """Whether the history is still being written (the staff pages say so)."""
        return self._child is not None and self._child.poll() is None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the history (at most ``timeout`` seconds); whether it is done."""
        if self._child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._child.wait(timeout)
        return not self.filling

    def stop(self) -> None:
        """Stop writing (the server is stopping); the history is one transaction per step, never half a row."""
        if self.filling and self._child is not None:
            self._child.terminate()
            self._child.wait(10)


_CHILD = "from triage.bootstrap import fill_demo; fill_demo()"


def fill_demo(store: Store | None = None) -> int | None:
    """Fill an empty store (``TRIAGE_DATABASE_URL`` without one) with demo history; how many sessions, if any.

    A history that cannot be written is logged, never raised: the app runs without it.
    """
    from triage.demo import ensure_demo  # only demo mode pays for the simulator's imports

    own = store is None
    store = store or Store(migrate=False)
    try:
        report = ensure_demo(store)
    except Exception:  # noqa: BLE001 - a demo that cannot be written must not take the app down
        log.exception("demo: the simulated history could not be written; the app runs without it")
        return None
    finally:
        if own:
            store.dispose()
    if report is None:
        return None
    log.warning("demo: filled the store with %s sessions of simulated history", report.sessions)
    return report.sessions


@dataclass
class Bootstrap:
    """What start-up made: the store, the tree files, the trees it published, a generated admin password, and
    the demo history being written (demo mode only)."""

    store: Store
    files: Library
    published: list[str]
    admin_password: str | None
    demo: DemoFill | None = None


def bootstrap(url: str | None = None, *, demo: bool | None = None, background: bool = False) -> Bootstrap:
    """Open (create, migrate) the store, publish changed tree files, and create the first admin if none.

    The first admin's password comes from ``TRIAGE_ADMIN_PASSWORD``; without it one is generated, logged
    once, and written to ``var/admin-password.txt`` (readable by the owner only).
    With ``demo`` (default: ``TRIAGE_DEMO=1``) there are demo staff accounts, and an empty store is filled
    with demo history: here, or with ``background`` in a thread while start-up returns (``Bootstrap.demo``).
    """
    store = Store(url)
    files = load_trees(trees_dir())
    published = publish_trees(store, files)
    purge_expired(store)  # contacts past TRIAGE_CONTACT_RETENTION_DAYS go at every start, as well as by cron
    accounts = Accounts(store)
    generated = accounts.ensure_admin(os.environ.get("TRIAGE_ADMIN_PASSWORD"))
    if generated:
        _tell_admin_password(generated)
    if demo is None:
        demo = os.environ.get("TRIAGE_DEMO", "") in ("1", "true", "yes")
    fill = None
    if demo:
        # the accounts first: staff can sign in while the history is still being written
        for role in ("agent", "tier2", "dispatcher", "author"):
            if role not in {u.username for u in accounts.users()}:
                accounts.create(role, DEMO_PASSWORD.format(role=role), [role], f"Demo {role}")
        fill = DemoFill(store)
        if background:
            fill.start()
        else:
            fill.run()
    return Bootstrap(store, files, published, generated, fill)


def _tell_admin_password(password: str) -> None:
    note = DEFAULT_DB_PATH.parent / "admin-password.txt"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(f"username: admin\npassword: {password}\n", encoding="utf-8")
    note.chmod(0o600)
    log.warning("first start: created user 'admin' with password %s (also in %s)", password, note)


def load_trees(folder: Path) -> Library:
    """Every tree file under ``folder``, checked; each broken file is logged and left out (``broken`` says why).

    A file whose checks fail in a way nobody foresaw (any exception) is found by loading the files one by one,
    then kept in ``broken`` with an error naming the exception, like any other broken file.
    """
    try:
        files = load_library([folder])
    except Exception:  # noqa: BLE001 - one tree file must never stop start-up: find it and leave it out
        log.exception(
            "loading the trees in %s failed; loading them one by one to leave the culprit out", folder
        )
        files = _one_by_one(folder)
    for path, f in sorted(files.broken.items()):
        first = f.errors[0] if f.errors else "it has errors"
        log.error("tree file %s is left out (%s more error(s)): %s", path, len(f.errors) - 1, first)
    return files


def _one_by_one(folder: Path) -> Library:
    """The library of the files that load on their own; each file that cannot is kept in ``broken``."""
    paths = find_tree_files([folder])
    failed: dict[Path, Exception] = {}
    for path in paths:
        try:
            load_library([path])
        except Exception as exc:  # noqa: BLE001 - whatever it is, it is this file's fault: leave it out
            failed[path] = exc
    try:
        files = load_library([p for p in paths if p not in failed])
    except Exception:  # noqa: BLE001 - the rest fails only together: start with no new trees, say so
        log.exception("the trees in %s cannot be loaded together; none is published", folder)
        files = Library()
    for path, err in failed.items():
        files.files[str(path)] = _crashed(path, err)
    return files


def _crashed(path: Path, exc: Exception) -> LoadedTree:
    """A file whose checks could not finish, as a broken file."""
    what = f"{type(exc).__name__}: {exc}"
    return LoadedTree(
        path=str(path),
        text="",
        tree=None,
        diagnostics=[
            Diagnostic(
                severity=Severity.ERROR,
                code="unchecked",
                message=f"the checks could not finish on this file ({what[:200]})",
                path=str(path),
                hint="make the file smaller or simpler; run `triage validate` on it",
            )
        ],
    )


def publish_trees(store: Store, files: Library) -> list[str]:
    """Publish each changed valid tree; a tree the database refuses is logged and left out. The ids published.

    :class:`~triage.errors.StoreUnavailable` (the database went away) stops start-up: that is no tree's fault.
    """
    published: list[str] = []
    for tree_id, source in sorted(files.sources.items()):
        try:
            published += [v.tree_id for v in store.sync(files, author="startup", only={source.path})]
        except StoreUnavailable:
            raise
        except Exception:  # noqa: BLE001 - one tree must never stop the others from being published
            log.exception("tree %s (%s) could not be published; it is left out", tree_id, source.path)
    return published
