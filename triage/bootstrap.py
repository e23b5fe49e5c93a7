"""Start-up of an app instance: open the store, publish the shipped trees, make sure there is an admin.

Everything here is plain Python so the app, the CLI and the tests share one start-up path. The store it
opens tells the escalation queue about decisions (the records package subscribes the queue to every
store), so an escalation becomes a case however the store was opened.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from triage.records.accounts import Accounts
from triage.records.schema import DEFAULT_DB_PATH
from triage.records.store import Store
from triage.trees.library import DEFAULT_TREES, Library
from triage.walk.scenarios import load_library

__all__ = ["Bootstrap", "bootstrap", "trees_dir"]

log = logging.getLogger("triage")

DEMO_PASSWORD = "demo-{role}-pass"
"""Passwords of the demo staff accounts (created only in demo mode; never use demo mode in production)."""


def trees_dir() -> Path:
    """The tree folder the app publishes from: ``TRIAGE_TREES`` or the shipped ``trees/``."""
    return Path(os.environ.get("TRIAGE_TREES") or DEFAULT_TREES)


@dataclass
class Bootstrap:
    """What start-up made: the store, the tree files, the trees it published, a generated admin password."""

    store: Store
    files: Library
    published: list[str]
    admin_password: str | None


def bootstrap(url: str | None = None, *, demo: bool | None = None) -> Bootstrap:
    """Open (create, migrate) the store, publish changed tree files, and create the first admin if none.

    The first admin's password comes from ``TRIAGE_ADMIN_PASSWORD``; without it one is generated, logged
    once, and written to ``var/admin-password.txt`` (readable by the owner only).
    With ``demo`` (default: ``TRIAGE_DEMO=1``) an empty store is filled with demo history and demo staff.
    """
    store = Store(url)
    files = load_library([trees_dir()])
    published = [v.tree_id for v in store.sync(files, author="startup")]
    accounts = Accounts(store)
    generated = accounts.ensure_admin(os.environ.get("TRIAGE_ADMIN_PASSWORD"))
    if generated:
        note = DEFAULT_DB_PATH.parent / "admin-password.txt"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(f"username: admin\npassword: {generated}\n", encoding="utf-8")
        note.chmod(0o600)
        log.warning("first start: created user 'admin' with password %s (also in %s)", generated, note)
    if demo is None:
        demo = os.environ.get("TRIAGE_DEMO", "") in ("1", "true", "yes")
    if demo:
        from triage.demo import ensure_demo

        report = ensure_demo(store)
        if report is not None:
            log.warning("demo: filled the store with %s sessions of simulated history", report.sessions)
        for role in ("agent", "tier2", "dispatcher", "author"):
            if role not in {u.username for u in accounts.users()}:
                accounts.create(role, DEMO_PASSWORD.format(role=role), [role], f"Demo {role}")
    return Bootstrap(store, files, published, generated)
