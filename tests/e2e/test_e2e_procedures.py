"""In a real browser, the steps of real vendor procedures (#10), on a phone (390x844) and on a desktop:

* a customer on ``laptop-wont-power-on``: a caution, pictures (loaded, with their alt text), a link, a wait's
  countdown skipped, several memory slots ticked, one module tested per round, then their contact and
  address (the form a customer fills before a parcel), and the part shipment to that address, with its
  readable reference;
* an agent on ``no-internet`` whose line test runs on the page through the demo provider (the demo customer
  with a line fault) and ends in a visit, booked;
* an outage declared on the Outages page: a customer in that region is told about it instead of being offered
  a visit, and leaves a phone number to hear when it is fixed.

Each decisive screen goes to ``procedures/procedure-<what>-<size>[-<language>].png`` in the ``screenshots``
folder, for a person to look at (UPDATE_SCREENSHOTS does not copy them to docs/).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import (
    READY,
    click,
    fill,
    give_contact,
    go_to,
    open_console,
    rerun,
    session_id,
    sign_in,
    skip_wait,
    wait_for_app,
)
from libraries import shipped
from outage_trees import LINE_DOWN
from playwright.sync_api import Browser, Locator, Page, expect

from triage.demo.remote import DEMO_STATUS, LINE_FAULT
from triage.desk import customers, fulfilment, outages
from triage.desk.remote import set_remote_status
from triage.i18n import t
from triage.records.store import Store
from triage.trees.model import localize
from triage.visits import Scheduler

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
EVERY_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SHIPMENT_REF = r"SHP-[A-Z0-9]{4}-[A-Z0-9]{4}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def snap(page: Page, folder: Path, name: str) -> Path:
    """The whole page, top to bottom, as ``name``.png (Streamlit scrolls inside the app, so the window is made
    as tall as the content for the picture, then put back)."""
    size = page.viewport_size
    assert size is not None
    tall = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('*'), (e) => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(int(tall), size["height"]), 6000)})
    wait_for_app(page)
    review = folder / "procedures"  # beside, not in, the pictures UPDATE_SCREENSHOTS copies to docs/
    review.mkdir(exist_ok=True)
    path = review / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def no_sideways_scroll(page: Page) -> None:
    """Nothing on the page is wider than the window (a phone must never scroll sideways)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def loaded_picture(page: Page, alt: str) -> Locator:
    """The picture with alt text ``alt``: shown, and its file really loaded (not a broken image)."""
    img = page.get_by_alt_text(alt, exact=True)
    expect(img).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("(img) => img.naturalWidth") > 0
    return img


class Words:
    """What a tree's step says, in the walk's language (read from the tree, as the page draws it)."""

    def __init__(self, tree_id: str, locale: str) -> None:
        self.tree = shipped().get_tree(tree_id)
        self.locale = locale

    def text(self, node: str, field: str = "text") -> str:
        return localize(getattr(self.tree.node(node), field), self.locale).strip()

    def option(self, node: str, value: str) -> str:
        (label,) = [o.label for o in self.tree.node(node).options if o.value == value]
        return localize(label, self.locale)

    def choice(self, node: str, value: str) -> str:
        return localize(self.tree.node(node).choice_labels[value], self.locale)

    def media(self, node: str, index: int, field: str = "alt") -> str:
        return localize(getattr(self.tree.node(node).media[index], field), self.locale)

    def ui(self, key: str, **params: Any) -> str:
        return t(key, self.locale, **params)


# -- a customer: laptop will not power on, to a part shipment ------------------------------------


def tick(page: Page, label: str) -> None:
    """Tick one box of a multi-select step (a checkbox draws no new step: just wait for the rerun)."""
    rerun(page, page.get_by_text(label, exact=True).click)
    expect(page.get_by_role("checkbox", name=label, exact=True)).to_be_checked()


@pytest.mark.parametrize(
    ("size", "locale"),
    [pytest.param(PHONE, "de", id="phone-de"), pytest.param(DESKTOP, "en", id="desktop-en")],
)
def test_customer_ships_a_memory_module_after_the_laptop_procedure(
    page: Page, app_url: str, app_db: str, screenshots: Path, size: dict[str, int], locale: str
) -> None:
    """Safety question, the charger's light (a picture), a hard reset (a link), 30 s holding the button (a
    skipped countdown), what lights up (two ticks), memory slots (a caution, a picture, two ticks), one module
    per round: the second starts it, so a module is shipped; the customer gives name, number and address first,
    and the parcel goes to that address."""
    w, tag = Words("laptop-wont-power-on", locale), f"{size['width']}-{locale}"
    page.set_viewport_size(size)
    page.goto(f"{app_url}/?lang={locale}")
    wait_for_app(page)
    fill(page, w.ui("ui.self.search"), "Laptop")
    click(page, localize(w.tree.title, locale), then=w.text("hazard"))
    sid = session_id(page)

    click(page, w.option("hazard", "none"), then=w.text("charger_led"))
    loaded_picture(page, w.media("charger_led", 0))
    expect(page.get_by_text(w.media("charger_led", 0, "caption"), exact=True)).to_be_visible()
    snap(page, screenshots, f"procedure-picture-{tag}")

    click(page, w.option("charger_led", "lit"), then=w.text("hard_reset"))
    guide = page.get_by_role("link", name=w.media("hard_reset", 0, "label"))
    expect(guide).to_have_attribute("href", w.tree.node("hard_reset").media[0].link or "")
    click(page, w.ui("instruction.done"), then=w.text("hold_power"))
    loaded_picture(page, w.media("hold_power", 0))
    expect(page.get_by_role("button", name=w.ui("wait.ready"), exact=True)).to_have_count(
        0
    )  # not before the time
    snap(page, screenshots, f"procedure-countdown-{tag}")
    skip_wait(page, w.text("hold_power", "check"), locale)
    expect(page.get_by_text(w.ui("ui.walk.try", n=1, of=2), exact=True)).to_be_visible()
    click(page, w.ui("wait.ready"), then=w.text("reconnect"))
    click(page, w.ui("action.not_fixed"), then=w.text("signs"))

    expect(page.get_by_text(w.ui("ui.walk.choose_many"), exact=True)).to_be_visible()
    tick(page, w.choice("signs", "power_light"))
    tick(page, w.choice("signs", "fan"))
    snap(page, screenshots, f"procedure-multi-{tag}")
    click(page, w.ui("ui.walk.next"), then=w.text("memory_cover"))
    click(page, w.option("memory_cover", "cover"), then=w.text("memory_slots"))

    expect(page.get_by_test_id("stAlert").filter(has_text=w.text("memory_slots", "caution"))).to_be_visible()
    loaded_picture(page, w.media("memory_slots", 0))
    tick(page, w.choice("memory_slots", "slot_a"))
    tick(page, w.choice("memory_slots", "slot_b"))
    snap(page, screenshots, f"procedure-caution-{tag}")
    click(page, w.ui("ui.walk.next"), then=w.text("remove_modules"))
    click(page, w.ui("instruction.done"), then=w.text("test_module"))

    # the repeat: the same test once per fitted module; the step number moves on each round
    first = page.get_by_text(re.compile(rf"^{w.ui('ui.walk.step', n=0)[:-1]}\d+$")).inner_text()
    expect(page.get_by_text(w.ui("ui.walk.round", n=1, total=2), exact=True)).to_be_visible()
    click(page, w.option("test_module", "dead"), then=w.text("test_module"))
    expect(page.get_by_text(first, exact=True)).to_have_count(0)
    expect(page.get_by_text(w.ui("ui.walk.round", n=2, total=2), exact=True)).to_be_visible()
    snap(page, screenshots, f"procedure-repeat-{tag}")
    click(page, w.option("test_module", "starts"), then=w.text("memory_model"))
    # the model before the part: the module that fits depends on it
    page.get_by_label(w.ui("ui.walk.your_answer"), exact=True).fill("Lenovo IdeaPad 5 15ALC05")
    click(page, w.ui("ui.walk.next"), then=w.text("ship_memory"))

    expect(page.get_by_role("heading", name=w.ui("ui.self.ship_title"))).to_be_visible()
    # a parcel needs someone to send it to: the contact and address first, then the swap and the shipment
    expect(page.get_by_text(w.text("ship_memory", "instructions"))).to_have_count(0)
    snap(page, screenshots, f"procedure-contact-{tag}")
    give_contact(
        page, locale, name="Anna Muster", phone="+49 30 1234567", address=("Hauptstr. 1", "10115", "Berlin")
    )
    expect(
        page.get_by_text(w.ui("ui.contact.saved_phone", phone="+49 30 1234567", reference="")[:-2])
    ).to_be_visible()
    expect(page.get_by_text(w.text("ship_memory", "instructions"))).to_be_visible()
    requested = t("ui.fulfilment.shipment_status.requested", locale)
    shown = page.get_by_text(re.compile(rf"{SHIPMENT_REF}: {requested}$"))
    expect(shown).to_be_visible()
    reference = re.search(SHIPMENT_REF, shown.inner_text())
    assert reference is not None
    # the address given in the form is where the parcel goes, confirmed: nobody types it twice (its lines joined
    # by commas; the page may leave a space before each comma)
    goes_to = w.ui("ui.shipment.goes_to", address="Hauptstr. 1, 10115 Berlin")
    expect(page.get_by_text(re.compile("^" + re.escape(goes_to).replace(",", r"\s*,") + "$"))).to_be_visible()
    snap(page, screenshots, f"procedure-shipment-{tag}")
    no_sideways_scroll(page)

    store = Store(app_db)
    try:
        facts = store.load_session(sid).session.facts
        shipment = fulfilment.session_fulfilment(store, sid).shipment
        contact = customers.contact_for(store, sid)
    finally:
        store.dispose()
    assert (facts["signs"], facts["memory_slots"]) == (["power_light", "fan"], ["slot_a", "slot_b"])
    assert contact is not None
    assert (contact.name, contact.phone, contact.region) == ("Anna Muster", "+49 30 1234567", "berlin")
    assert shipment is not None
    address = "Hauptstr. 1\n10115 Berlin"
    assert (shipment.reference, shipment.address, shipment.address_confirmed) == (reference[0], address, True)
    assert [(p["part"], p["quantity"]) for p in shipment.parts] == [("laptop-memory-module", 1)]


# -- an agent: the line test runs on the page, then a visit ----------------------------------------


@pytest.fixture(scope="module")
def line_fault_customer(app_db: str) -> str:
    """The demo provider's customer whose line test finds a fault (only that customer's rows are written: the
    other tests' customers keep a provider that has no status for them)."""
    store = Store(app_db)
    try:
        for customer, system, value, detail, delay in DEMO_STATUS:
            if customer == LINE_FAULT:
                set_remote_status(store, customer, system, value, detail=detail, delay_seconds=delay)
    finally:
        store.dispose()
    return LINE_FAULT


def technician_in(app_db: str, region: str, skill: str, name: str | None = None) -> None:
    store = Store(app_db)
    try:
        who = name or f"Tech {region}"
        Scheduler(store).add_technician(who, [skill], [region], hours=EVERY_DAY, timezone="UTC")
    finally:
        store.dispose()


@pytest.mark.parametrize("size", [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def test_agent_runs_the_line_test_on_the_page_and_books_a_visit(
    page: Page, app_url: str, app_db: str, screenshots: Path, size: dict[str, int], line_fault_customer: str
) -> None:
    """For the demo customer with a line fault: the line test runs by itself and says "Line fault"; then the
    restart (an instruction, two waits answered at once with the time shown), the cables for a DSL line, a
    remote line reset, and the second line test, by itself again, still finds the fault: the visit is booked."""
    w, tag = Words("no-internet", "en"), f"{size['width']}"
    region = unique("e2e-line")
    tech = f"Tech {region}"
    technician_in(app_db, "berlin", "broadband-line", tech)  # the region of the postcode the agent types
    page.set_viewport_size(size)
    sign_in(page, app_url, "agent")
    open_console(page)
    fill(page, "Search by symptom, title, tag or category", "no internet")
    click(page, "No internet connection", then="Start: No internet connection")
    fill(page, "Customer id (optional)", line_fault_customer)
    fill(page, "Region (optional)", region)
    click(page, "Start session", then=w.text("all_devices"))
    sid = session_id(page)
    click(page, w.option("all_devices", "all"), then=w.text("account_check"))
    # the demo customer has no account status: the check gives no result and the agent picks it by hand
    click(page, "Active", then=w.text("smell_check"))
    click(page, "No", then=w.text("power_light"))
    click(page, "Yes", then=re.compile(r"^Unplug the router's power cable"))  # the line test ran: a fault
    click(
        page,
        "Done",
        then="Leave the router (and the modem or fibre box, if you have one) unplugged for 30 seconds.",
    )
    # an agent waits with the customer on the line: the time passed, and the answers at once
    expect(page.get_by_text(re.compile(r"^Shown \d+:\d\d ago \(wait 0:30\)$"))).to_be_visible()
    snap(page, screenshots, f"procedure-agent-wait-{tag}")
    click(page, READY, then=re.compile(r"^If you have a separate modem or fibre box, plug it in first"))
    click(page, READY, then="Now try the internet again on the device that had the problem.")
    click(page, "No", then=w.text("connection_type"))
    click(page, w.option("connection_type", "dsl"), then=re.compile(r"^Check the grey or white line cable"))
    click(page, "No", then=w.text("reset_profile"))
    click(page, "No", then=w.text("line_fault"))

    expect(page.get_by_text("Line test: Line fault", exact=True).first).to_be_visible()
    snap(page, screenshots, f"procedure-agent-line-test-{tag}")
    booking_form = page.locator(
        "[data-testid='stForm']:not([data-testid='stExpanderDetails'] [data-testid='stForm'])"
    )
    for label, value in (
        ("Your name", "Jana Weiß"),
        ("Phone number", "+49 30 1234567"),
        ("Street and house number", "Ring 1"),
        ("Postcode", "10115"),
        ("Town", "Berlin"),
    ):  # the booking panel's form, not the contact panel's folded away above
        booking_form.get_by_label(label, exact=True).fill(value)
    rerun(page, booking_form.get_by_role("button", name="Save contact").click)
    expect(page.get_by_text("Day of the visit")).to_be_visible()
    page.get_by_test_id("stRadio").get_by_text(re.compile(rf"· {tech}$")).first.click()
    wait_for_app(page)
    click(page, "Book this time", then=re.compile(rf"^Visit booked: .* · {tech}$"))
    snap(page, screenshots, f"procedure-agent-visit-{tag}")

    store = Store(app_db)
    try:
        facts = store.load_session(sid).session.facts
        (booking,) = Scheduler(store).bookings(session_id=sid)
    finally:
        store.dispose()
    assert facts["line_result"] == "fault"
    assert (booking.skill, booking.status, booking.customer_id) == ("broadband-line", "booked", LINE_FAULT)
    assert (booking.contact_name, booking.address) == ("Jana Weiß", "Ring 1, 10115 Berlin")
    expect(page.get_by_text(re.compile(rf"^Visit reference: {booking.reference} "))).to_be_visible()


# -- an outage: declared by staff, told to the customer ------------------------------------------


@pytest.fixture(scope="module")
def line_down(app_db: str) -> dict[str, str]:
    """A small tree of the ``internet`` service that ends in a line visit (tests/outage_trees.py): the shipped
    internet trees stop at their own outage step first, so this one shows what the policy does to a visit."""
    store = Store(app_db)
    try:
        if "line-down" not in store.latest_ids():
            store.publish(LINE_DOWN, author="tests", check_base=False)
    finally:
        store.dispose()
    return {"en": "The line is down", "de": "Die Leitung ist tot"}


def open_board(page: Page, app_url: str, *, signed_in: bool = False) -> None:
    """Sign in as a supervisor (tier 2) on a desktop and open the Outages page; ``signed_in``: the browser
    already is (the sign-in lasts), so the app is just opened again."""
    page.set_viewport_size(DESKTOP)
    if signed_in:
        page.goto(app_url)
        wait_for_app(page)
        expect(page.get_by_text("Signed in as Tier2")).to_be_visible()
    else:
        sign_in(page, app_url, "tier2")
    go_to(page, "Outages")
    expect(page.get_by_role("heading", name="Declare an outage")).to_be_visible()


def declare(page: Page, region: str, message_en: str, message_de: str) -> int:
    """On the Outages page: declare an internet outage in ``region`` until further notice; its id."""
    page.get_by_label("Region", exact=True).fill(region)
    page.get_by_label("Service", exact=True).fill("internet")
    page.get_by_label("Message to customers (English, required)", exact=True).fill(message_en)
    page.get_by_label("Message to customers (German)", exact=True).fill(message_de)
    declared = re.compile(rf"^Outage (\d+) declared: internet in {re.escape(region)}\.$")
    click(page, "Declare outage", then=declared)
    found = declared.search(page.get_by_text(declared).inner_text())
    assert found is not None
    return int(found[1])


@pytest.fixture
def customer(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A second browser, the customer's, at the size the test is run at."""
    size = request.node.callspec.params["size"]
    context = browser.new_context(viewport=size)
    try:
        yield context.new_page()
    finally:
        context.close()


def choose_region(page: Page, label: str, region: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    if box.filter(has_text=region).count():  # kept from the walk before "start over"
        return
    box.click()
    page.keyboard.type(region)  # the list grows with every test's regions and draws only what is in view
    page.get_by_role("option", name=region, exact=True).click()
    wait_for_app(page)


@pytest.mark.parametrize(
    ("size", "locale"),
    [pytest.param(PHONE, "de", id="phone-de"), pytest.param(DESKTOP, "en", id="desktop-en")],
)
def test_customer_in_a_declared_outage_is_told_and_leaves_a_number(
    page: Page,
    customer: Page,
    app_url: str,
    app_db: str,
    screenshots: Path,
    size: dict[str, int],
    locale: str,
    line_down: dict[str, str],
) -> None:
    """Staff declare an internet outage for a region; a customer there on "no internet" hears of it at once (no
    visit), and on a line that would need a technician is told instead and leaves a phone number to hear back."""
    w, tag = Words("no-internet", locale), f"{size['width']}-{locale}"
    region = unique("Nordstadt")
    technician_in(app_db, region, "broadband-line")  # a visit could be booked there, but for the outage
    open_board(page, app_url)
    board = {
        "en": "Fibre cut near the exchange; repairs under way.",
        "de": "Glasfaser an der Vermittlung durchtrennt.",
    }
    outage_id = declare(page, region, board["en"], board["de"])

    customer.goto(f"{app_url}/?lang={locale}")
    wait_for_app(customer)
    choose_region(customer, w.ui("ui.self.region"), region)
    fill(customer, w.ui("ui.self.search"), "Internet")
    click(customer, localize(w.tree.title, locale), then=w.text("known_outage"))
    expect(customer.get_by_role("heading", name=w.ui("ui.self.visit_title"))).to_have_count(0)
    expect(customer.get_by_text(w.text("known_outage", "customer_next_step"))).to_be_visible()
    snap(customer, screenshots, f"procedure-outage-shipped-{tag}")

    rerun(customer, customer.get_by_role("button", name=w.ui("ui.self.start_over")).click)
    choose_region(customer, w.ui("ui.self.region"), region)
    fill(customer, w.ui("ui.self.search"), {"en": "line", "de": "Leitung"}[locale])
    click(customer, line_down[locale], then=re.compile("DSL"))
    sid = session_id(customer)
    click(customer, "No" if locale == "en" else "Nein", then=board[locale])
    expect(customer.get_by_role("heading", name=w.ui("ui.self.visit_title"))).to_have_count(0)
    expect(customer.get_by_role("button", name=w.ui("ui.walk.book"))).to_have_count(0)
    expect(customer.get_by_role("heading", name=w.ui("ui.notice.title"))).to_be_visible()
    snap(customer, screenshots, f"procedure-outage-told-{tag}")
    customer.get_by_label(w.ui("ui.notice.contact"), exact=True).fill("+49 30 1234567")
    click(customer, w.ui("ui.notice.submit"), then=w.ui("ui.notice.done", contact="+49 30 1234567"))
    snap(customer, screenshots, f"procedure-outage-notice-{tag}")
    no_sideways_scroll(customer)

    open_board(page, app_url, signed_in=True)  # drawn afresh: the board counts the customer who asked
    entry = page.get_by_test_id("stExpander").filter(has_text=f"Outage {outage_id}: internet in {region}")
    expect(entry.get_by_text("Customers waiting to hear when it is fixed: 1", exact=True)).to_be_visible()
    snap(page, screenshots, f"procedure-outage-board-{tag}")
    rerun(page, entry.get_by_text("Yes, this outage is over", exact=True).click)
    rerun(page, entry.get_by_role("button", name="End outage", exact=True).click)
    expect(page.get_by_text(f"Outage {outage_id} ended; 1 customer to notify.", exact=True)).to_be_visible()
    # no SMS gateway: staff copy the number to tell, with the customer's language and session
    expect(page.get_by_text(re.compile(rf"^\+49 30 1234567\s+{locale}\s+{sid}\s*$"))).to_be_visible()
    store = Store(app_db)
    try:
        notices = outages.notices(store, outage_id)
    finally:
        store.dispose()
    assert [(n.contact, n.session_id, n.locale) for n in notices] == [("+49 30 1234567", sid, locale)]
    assert notices[0].sent_at is not None  # ended: moved to "to notify"


def test_customer_on_the_shipped_tree_can_ask_to_hear_when_the_outage_ends(
    page: Page, app_url: str, app_db: str
) -> None:
    """The shipped "no internet" in a declared outage says "we can tell you when it is back": the form to
    leave a number must be there too."""
    region = unique("Suedstadt")
    technician_in(app_db, region, "broadband-line")  # a region the customer can pick
    store = Store(app_db)
    try:
        outages.declare(store, region, "internet", who="tests", message={"en": "Exchange fault."})
    finally:
        store.dispose()
    page.set_viewport_size(PHONE)
    page.goto(app_url)
    wait_for_app(page)
    choose_region(page, "Your town / region", region)
    fill(page, "What's the problem?", "internet")
    click(page, "No internet connection", then=Words("no-internet", "en").text("known_outage"))
    expect(page.get_by_text("Exchange fault.", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Tell me when it's fixed")).to_be_visible()
