"""Sign-in: the server's routes (through httpx's ASGI transport: the real routes, no browser) and the pages in
Streamlit's AppTest.

Routes: a wrong password or a throttled account gets the form again with one message and the name kept; the
right one a signed, HttpOnly, SameSite=Lax cookie and a 303 to the page asked for (on this site only) or the
person's own page; a post from another site is refused; sign-out ends one browser or all. Pages: a signed-out
visit to a staff page's address shows the sign-in form that returns there; the identity is re-read on every
run (a demoted or deactivated person loses the page at once); an admin deactivates, reactivates and signs a
user out everywhere.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from libraries import shipped
from starlette.applications import Starlette
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from triage.desk import staff
from triage.records import audit
from triage.records.accounts import Accounts, Identity
from triage.records.store import Store
from triage.ui import server
from triage.ui.common import boot

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://triage.test"
KEY = "a-test-key-that-is-long-enough-0123456789"


@pytest.fixture
def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The app's own SQLite database with the shipped trees published, an admin, an agent (ann), tier 2 (tom)."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", url)
    monkeypatch.setenv("TRIAGE_ADMIN_PASSWORD", "admin-password-1")
    monkeypatch.setenv("TRIAGE_SECRET_KEY", KEY)
    staff.secret_key.cache_clear()
    st = Store(url)
    st.sync(shipped())
    Accounts(st).create("admin", "admin-password-1", ["admin"], "Administrator")
    Accounts(st).create("ann", "ann-password", ["agent"], "Ann")
    Accounts(st).create("tom", "tom-password", ["tier2"], "Tom")
    boot.clear()
    yield st
    boot.clear()
    staff.secret_key.cache_clear()
    st.dispose()


def request(method: str, path: str, **kwargs: object) -> httpx.Response:
    """One request to the server's routes, as a browser on this site sends it (``Origin`` is the site)."""
    headers = {"Origin": SITE, **kwargs.pop("headers", {})}  # type: ignore[dict-item]

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=Starlette(routes=server.routes()))
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as client:
            return await client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]

    # a thread of its own: when the browser tests ran first in this process, Playwright's sync API has left an
    # event loop running in the main thread, where asyncio.run refuses to start another
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(go())).result()


def post_sign_in(username: str, password: str, next_path: str = "", **kwargs: object) -> httpx.Response:
    fields = {"username": username, "password": password, "next": next_path, **kwargs.pop("fields", {})}  # type: ignore[dict-item]
    return request("POST", "/staff/sign-in", data=fields, **kwargs)


def cookie(token: str) -> dict[str, str]:
    """The ``Cookie`` header of a browser holding ``token``'s sign-in cookie."""
    return {"Cookie": f"{staff.COOKIE}={staff.cookie_value(token)}"}


def token_of(response: httpx.Response) -> str:
    token = staff.token_from_cookie(response.cookies.get(staff.COOKIE))
    assert token is not None
    return token


def test_a_wrong_password_gets_the_form_again_with_the_name_kept(app_store: Store) -> None:
    """401, the one message, the name typed still there, the page to return to kept; no cookie."""
    r = post_sign_in("ann", "not-her-password", "/queue?case=5")
    assert r.status_code == 401
    assert "Wrong username or password." in r.text
    assert 'name="username" value="ann"' in r.text
    assert 'name="next" value="/queue?case=5"' in r.text
    assert "set-cookie" not in r.headers
    assert "Traceback" not in r.text


def test_throttled_sign_in_says_how_long_to_wait_whoever_the_user(app_store: Store) -> None:
    """After five failures the page says "Too many attempts; try again in 2 s", for a real or an unknown name."""
    for name in ("ann", "nobody"):
        for _ in range(5):
            assert post_sign_in(name, "wrong-password").status_code == 401
        r = post_sign_in(name, "ann-password")
        assert r.status_code == 429
        assert "Too many attempts; try again in 2 s" in r.text
        assert "set-cookie" not in r.headers
    assert [e.event for e in audit.entries(app_store, limit=2)] == ["throttled", "sign_in_failed"]


def test_signing_in_sets_a_signed_httponly_cookie_and_returns_to_the_page(app_store: Store) -> None:
    """303 to the exact page and query asked for; the cookie is signed, HttpOnly, SameSite=Lax, 12 hours."""
    r = post_sign_in("ANN", "ann-password", "/queue?case=K7P-4QX")
    assert r.status_code == 303
    assert r.headers["location"] == "/queue?case=K7P-4QX"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{staff.COOKIE}=")
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/", "Max-Age=43200"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain HTTP here; over HTTPS the cookie is Secure
    assert staff.identity_for_token(app_store, token_of(r)) == Identity("ann", "Ann", ("agent",))
    assert audit.entries(app_store, username="ann")[0].event == "signed_in"


@pytest.mark.parametrize(
    ("user", "password", "next_path", "lands"),
    [
        ("tom", "tom-password", "", "/queue"),
        ("ann", "ann-password", "", "/agent"),
        ("ann", "ann-password", "//evil.example/x", "/agent"),
        ("ann", "ann-password", "https://evil.example/", "/agent"),
    ],
)
def test_without_a_safe_page_to_return_to_sign_in_opens_the_persons_own_page(
    app_store: Store, user: str, password: str, next_path: str, lands: str
) -> None:
    """Tier 2 lands on the queue, an agent on the console; another site is never a destination."""
    r = post_sign_in(user, password, next_path)
    assert (r.status_code, r.headers["location"]) == (303, lands)


def test_the_persons_language_goes_along(app_store: Store) -> None:
    """A German form answers in German and returns to the German page."""
    wrong = post_sign_in("ann", "nope-nope-nope", fields={"locale": "de"})
    assert "Benutzername oder Passwort falsch." in wrong.text
    assert '<html lang="de">' in wrong.text
    right = post_sign_in("ann", "ann-password", "/outages", fields={"locale": "de"})
    assert right.headers["location"] == "/outages?lang=de"


@pytest.mark.parametrize("origin", ["http://evil.example", "null", None])
def test_a_sign_in_posted_from_another_site_is_refused(app_store: Store, origin: str | None) -> None:
    """Another site's page (or one that hides where it is) cannot sign anyone in: 403, no session, no cookie."""
    headers = {"Origin": origin} if origin is not None else {"Origin": ""}
    r = post_sign_in("ann", "ann-password", headers=headers)
    assert r.status_code == 403
    assert "did not come from this site's own sign-in page" in html.unescape(r.text)
    assert "set-cookie" not in r.headers
    assert staff.open_sessions(app_store, "ann") == 0


def test_an_oversized_form_is_refused_without_reading_it(app_store: Store) -> None:
    """A "sign-in" of a megabyte gets 413 and a message, not a password check."""
    r = post_sign_in("ann", "x" * 1_000_000)
    assert r.status_code == 413
    assert "sent too much data" in r.text
    assert [e.event for e in audit.entries(app_store, username="ann")] == ["user_added"]  # no sign-in tried


def test_get_shows_the_form_alone(app_store: Store) -> None:
    """The page of its own: the three labels, the page to return to, readable on a phone."""
    r = request("GET", "/staff/sign-in?next=/studio&lang=de")
    assert r.status_code == 200
    for text in ('for="triage-user">Benutzername<', 'for="triage-password">Passwort<', ">Anmelden</button>"):
        assert text in r.text
    assert 'name="next" value="/studio"' in r.text
    assert 'name="viewport"' in r.text
    assert not re.search(r"https?://", r.text)  # nothing fetched from elsewhere


def test_sign_out_ends_this_browser_and_clears_the_cookie(app_store: Store) -> None:
    """The sign-out route revokes the cookie's session, expires the cookie and opens the sign-in page."""
    first, second = (
        token_of(post_sign_in("ann", "ann-password")),
        token_of(post_sign_in("ann", "ann-password")),
    )
    r = request("POST", "/staff/sign-out", data={}, headers=cookie(first))
    assert (r.status_code, r.headers["location"]) == (303, "/signin")
    assert re.search(rf'{staff.COOKIE}=""; .*Max-Age=0', r.headers["set-cookie"])
    assert staff.identity_for_token(app_store, first) is None
    assert staff.identity_for_token(app_store, second) is not None


def test_sign_out_everywhere_ends_every_browser(app_store: Store) -> None:
    """With ``everywhere=1`` both of Ann's browsers are signed out; Tom stays signed in."""
    anns = [token_of(post_sign_in("ann", "ann-password")) for _ in range(2)]
    toms = token_of(post_sign_in("tom", "tom-password"))
    request("POST", "/staff/sign-out", data={"everywhere": "1", "locale": "de"}, headers=cookie(anns[0]))
    assert [staff.identity_for_token(app_store, t) for t in anns] == [None, None]
    assert staff.identity_for_token(app_store, toms) is not None


def test_another_site_cannot_sign_anyone_out(app_store: Store) -> None:
    """A cross-site post to sign-out changes nothing."""
    token = token_of(post_sign_in("ann", "ann-password"))
    headers = {**cookie(token), "Origin": "http://evil.example"}
    r = request("POST", "/staff/sign-out", data={"everywhere": "1"}, headers=headers)
    assert "set-cookie" not in r.headers
    assert staff.identity_for_token(app_store, token) is not None


# -- pages (AppTest) ----------------------------------------------------------------------------------------


def pages(at: AppTest) -> set[str]:
    return {str(info.get("url_pathname")) for info in at._registered_pages.values()}


def open_page(at: AppTest, path: str) -> AppTest:
    at._page_hash = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}[path]
    return at.run()


def test_signed_out_a_staff_address_shows_the_sign_in_form_that_returns_there(app_store: Store) -> None:
    """/queue?case=5, signed out: no "page not found", but the sign-in form posting to the server route and
    leading back to /queue?case=5; no staff page is in the menu."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["case"] = "5"
    at._page_hash = calc_hash("queue")  # what the browser asks for at /queue
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Staff sign-in"]
    assert [c.value for c in at.caption][0] == "Sign in to open this page; you come straight back to it."
    form = next(h.value for h in at.get("html") if "<form" in h.value)
    assert 'action="/staff/sign-in"' in form
    assert 'name="next" value="/queue?case=5"' in form
    # only the address asked for answers so (hidden from the menu); no staff page is registered
    assert pages(at) == {"", "signin", "queue"}


def test_the_sign_in_page_keeps_only_a_safe_next(app_store: Store) -> None:
    """?next= on the sign-in page goes into the form only when it is a path on this site."""
    for given, kept in (("/studio?tree=x", "/studio?tree=x"), ("//evil.example", "")):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.query_params["next"] = given
        open_page(at.run(), "signin")
        form = next(h.value for h in at.get("html") if "<form" in h.value)
        assert f'name="next" value="{kept}"' in form


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
    Accounts(app_store).deactivate("ann", actor="admin")
    at.run()
    assert "identity" not in at.session_state
    assert "signin" in pages(at)  # signed out: the sign-in page is back in the menu


def test_admin_deactivates_and_reactivates_a_user(app_store: Store) -> None:
    """On the Users page an admin deactivates ann (she cannot sign in) and reactivates her (she can)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = Identity("admin", "Administrator", ("admin",))
    open_page(at.run(), "users")
    at.selectbox(key="edit_user").select("ann").run()
    at.button(key="deactivate_ann").click().run()
    assert [s.value for s in at.success] == [
        "ann is deactivated: they cannot sign in, and lose access on their next page."
    ]
    assert list(at.dataframe[0].value["active"]) == [True, False, True]  # admin, ann, tom
    assert Accounts(app_store).current("ann") is None
    at.button(key="reactivate_ann").click().run()
    assert Accounts(app_store).authenticate("ann", "ann-password").username == "ann"
    assert [(e.event, e.actor) for e in audit.entries(app_store, username="ann", limit=3)][1:] == [
        ("reactivated", "admin"),
        ("deactivated", "admin"),
    ]


def test_admin_signs_a_user_out_everywhere(app_store: Store) -> None:
    """The Users page says where ann is signed in, and "Sign out everywhere" ends both her browsers."""
    tokens = [staff.start_session(app_store, Identity("ann", "Ann", ("agent",))) for _ in range(2)]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = Identity("admin", "Administrator", ("admin",))
    open_page(at.run(), "users")
    at.selectbox(key="edit_user").select("ann").run()
    assert "Signed in on 2 browsers now." in [c.value for c in at.caption]
    at.button(key="sign_out_everywhere_ann").click().run()
    assert [s.value for s in at.success] == ["ann is signed out on every browser (2 sign-ins ended)."]
    assert [staff.identity_for_token(app_store, t) for t in tokens] == [None, None]
    (line,) = audit.entries(app_store, username="ann", limit=1)
    assert (line.event, line.actor) == ("signed_out", "admin")


def test_admin_cannot_remove_the_last_admin(app_store: Store) -> None:
    """Taking the admin role from the only admin is refused with a message, and nothing changes."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["identity"] = Identity("admin", "Administrator", ("admin",))
    open_page(at.run(), "users")
    at.selectbox(key="edit_user").select("admin").run()
    at.multiselect(key="edit_roles_admin").set_value(["agent"])  # a form sends its fields with the submit
    next(b for b in at.button if b.label == "Save roles").click().run()
    assert [e.value for e in at.error] == ["'admin' is the last active admin; make someone else admin first"]
    assert Accounts(app_store).current("admin").roles == ("admin",)  # type: ignore[union-attr]
