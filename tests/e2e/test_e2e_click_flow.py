"""In a real browser: a click on a customer's step redraws the step alone (the walk is a fragment), and the clicks
that leave the walk still open the page they lead to.

The session is started in the store and opened by its link; what the page should show next is read from the
store too, so the test does not depend on the words of the shipped tree.
"""

from __future__ import annotations

from e2e_helpers import rerun, wait_for_app
from playwright.sync_api import Page, expect

from triage.i18n import t
from triage.records.store import Store

PHONE = {"width": 375, "height": 667}
TREE = "no-internet"

# Records every element that turns stale (Streamlit fades what a run has not redrawn yet) and where it is: a
# whole-page run marks the title, the language picker and the sidebar stale until it reaches them; a run of the walk alone never does.
_WATCH_STALE = """() => {
    window.__staleOutside = [];
    const main = document.querySelector("[data-testid='stMain']");
    const title = main.querySelector("h1");
    title.__kept = true;
    new MutationObserver((changes) => {
        for (const change of changes) {
            const el = change.target;
            if (el.getAttribute("data-stale") !== "true") continue;
            if (el.closest("[data-testid='stSidebar']")) window.__staleOutside.push("sidebar");
            if (el.contains(title)) window.__staleOutside.push("title");
            if (el.querySelector("[data-testid='stSelectbox']")) window.__staleOutside.push("language");
        }
    }).observe(document.body, {subtree: true, attributes: true, attributeFilter: ["data-stale"]});
}"""
_SEEN = """() => [window.__staleOutside,
    document.querySelector("[data-testid='stMain'] h1").__kept === true]"""


def _open_walk(page: Page, app_url: str, app_db: str, locale: str = "en") -> tuple[str, str, str]:
    """A new customer session on the tree, opened by its link on a phone: (id, the step's text, its first answer)."""
    store = Store(app_db)
    try:
        stored = store.start_session(TREE, mode="self_service", locale=locale)
        view = stored.view()
    finally:
        store.dispose()
    assert view.options, f"{TREE} starts with a step that has no answer buttons"
    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/?s={stored.id}&lang={locale}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=view.text, exact=True)).to_be_visible()
    return stored.id, view.text, view.options[0].label


def _now_at(app_db: str, sid: str) -> str:
    return _step_now(app_db, sid)[0]


def _step_now(app_db: str, sid: str) -> tuple[str, int]:
    """Where the session stands in the store: the step's text and its number."""
    store = Store(app_db)
    try:
        view = store.load_session(sid).view()
        return view.text, view.step_number
    finally:
        store.dispose()


def test_an_answer_redraws_the_step_and_leaves_the_rest_of_the_page_alone(
    page: Page, app_url: str, app_db: str
) -> None:
    """The next step shows (its number, its own heading) while the title and the sidebar are never redrawn: nothing
    outside the walk fades (title, language picker, menu), the title is the same element, and the language
    picked stays picked."""
    sid, first, answer = _open_walk(page, app_url, app_db, locale="de")
    language = page.get_by_role("combobox").first  # the language picker: the step has only buttons
    expect(language).to_have_value("Deutsch")
    page.evaluate(_WATCH_STALE)

    rerun(page, page.get_by_role("button", name=answer, exact=True).click)

    step, number = _step_now(app_db, sid)
    assert step != first
    assert number > 1
    expect(page.get_by_role("heading", name=step, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=first, exact=True)).to_have_count(0)
    expect(page.get_by_text(t("ui.walk.step", "de", n=number), exact=True)).to_be_visible()
    stale_outside, title_kept = page.evaluate(_SEEN)
    assert stale_outside == []
    assert title_kept
    expect(page.get_by_role("heading", name=t("ui.self.title", "de"), level=1)).to_be_visible()
    expect(language).to_have_value("Deutsch")


def test_start_over_from_inside_the_walk_opens_the_list_of_problems(
    page: Page, app_url: str, app_db: str
) -> None:
    """ "Start again" is a click inside the walk that leaves it: the whole page runs again and shows the search
    and the list of problems, and the address no longer names the session."""
    sid, first, answer = _open_walk(page, app_url, app_db)
    rerun(page, page.get_by_role("button", name=answer, exact=True).click)
    expect(page.get_by_role("heading", name=_now_at(app_db, sid), exact=True)).to_be_visible()

    rerun(page, page.get_by_role("button", name=t("ui.self.start_over", "en"), exact=True).click)
    expect(page.get_by_label(t("ui.self.search", "en"), exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=first, exact=True)).to_have_count(0)
    assert "s=" not in page.url
