"""Sign-in and the Users page in Streamlit's AppTest: the throttle message, the identity re-read on every run
(a demoted or deactivated person loses the page at once), and an admin deactivating and reactivating a user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from libraries import shipped
from streamlit.testing.v1 import AppTest

from triage.records import audit
from triage.records.accounts import Accounts, Identity
from triage.records.store import Store
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's own SQLite database with the shipped trees published, an admin and one agent, ann."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-password-1")
    st = Store(url)
    st.sync(shipped())
    Accounts(st).create("admin", "admin-password-1", ["admin"], "Administrator")
    Accounts(st).create("ann", "ann-password", ["agent"], "Ann")
    boot.clear()
    yield st
    boot.clear()
    st.dispose()


def pages(at: AppTest) -> set[str]:
    return {str(info.get("url_pathname")) for info in at._registered_pages.values()}


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in_user").input(username)
    at.text_input(key="sign_in_password").input(password)
    return next(b for b in at.button if b.label == "Sign in").click().run()


def sign_in_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    pages_by_path = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
    at._page_hash = pages_by_path["signin"]
    return at.run()


def test_throttled_sign_in_says_how_long_to_wait_whoever_the_user(app_store: Store) -> None:
    """After five failures the page says "Too many attempts; try again in 2 s", for a real or an unknown name."""
    for name in ("ann", "nobody"):
        at = sign_in_page()
        for _ in range(5):
            sign_in(at, name, "wrong-password")
            assert [e.value for e in at.error] == ["wrong username or password"]
        sign_in(at, name, "ann-password")
        assert [e.value for e in at.error] == ["Too many attempts; try again in 2 s"]
        assert "agent" not in pages(at)
    assert [e.event for e in audit.entries(app_store, limit=2)] == ["throttled", "sign_in_failed"]


def test_signing_in_opens_the_staff_pages(app_store: Store) -> None:
    """The right password signs in: the agent page is registered and the sign-in is in the audit log."""
    at = sign_in(sign_in_page(), "ANN", "ann-password")
    assert not at.error
    assert "agent" in pages(at)
    assert audit.entries(app_store, username="ann")[0].event == "signed_in"


def test_demoted_or_deactivated_user_loses_the_page_on_the_next_run(app_store: Store) -> None:
    """A role change or a deactivation between two runs takes the staff page away at once."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = Identity("ann", "Ann", ("agent",))
    assert "agent" in pages(at.run())
    Accounts(app_store).set_roles("ann", ["dispatcher"])
    at.run()
    assert "agent" not in pages(at)
    assert "dispatch" in pages(at)
    assert at.session_state["identity"].roles == ("dispatcher",)
    Accounts(app_store).deactivate("ann")
    at.run()
    assert pages(at) == {"", "signin"}  # self-service (the default page, at the root) and sign-in
    assert "identity" not in at.session_state


def test_admin_deactivates_and_reactivates_a_user(app_store: Store) -> None:
    """On the Users page an admin deactivates ann (she cannot sign in) and reactivates her (she can)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = Identity("admin", "Administrator", ("admin",))
    at.run()
    at._page_hash = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}["users"]
    at.run()
    at.selectbox(key="edit_user").select("ann").run()
    at.button(key="deactivate_ann").click().run()
    assert [s.value for s in at.success] == [
        "ann is deactivated: they cannot sign in, and lose access on their next page."
    ]
    assert list(at.dataframe[0].value["active"]) == [True, False]  # admin, ann
    assert Accounts(app_store).current("ann") is None
    at.button(key="reactivate_ann").click().run()
    assert Accounts(app_store).authenticate("ann", "ann-password").username == "ann"
    assert [(e.event, e.actor) for e in audit.entries(app_store, username="ann", limit=3)][1:] == [
        ("reactivated", "admin"),
        ("deactivated", "admin"),
    ]


def test_admin_cannot_remove_the_last_admin(app_store: Store) -> None:
    """Taking the admin role from the only admin is refused with a message, and nothing changes."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = Identity("admin", "Administrator", ("admin",))
    at.run()
    at._page_hash = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}["users"]
    at.run()
    at.selectbox(key="edit_user").select("admin").run()
    at.multiselect(key="edit_roles_admin").set_value(["agent"])  # a form sends its fields with the submit
    next(b for b in at.button if b.label == "Save roles").click().run()
    assert [e.value for e in at.error] == ["'admin' is the last active admin; make someone else admin first"]
    assert Accounts(app_store).current("admin").roles == ("admin",)  # type: ignore[union-attr]
