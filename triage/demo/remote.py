"""The demo provider's simulated status: every line and device fine, except a few customers worth showing.

:func:`seed_remote_status` writes the ``remote_status`` rows the demo provider (:mod:`triage.desk.remote`)
answers from: for everyone (``*``) the line tests ``ok`` and the router and TV box are ``online``;
:data:`LINE_FAULT` has a line fault, :data:`LINE_OK` a line explicitly fine, :data:`BOX_UPDATING` a TV box
that is updating and :data:`SLOW_LINE` a line test that takes longer than a check waits (a timeout to show).
"""

from __future__ import annotations

from triage.demo.history import DEMO_PREFIX
from triage.records.remote import EVERYONE, set_status
from triage.records.store import Store

__all__ = [
    "BOX_UPDATING",
    "DEMO_STATUS",
    "LINE_FAULT",
    "LINE_OK",
    "SLOW_LINE",
    "SUSPENDED",
    "seed_remote_status",
]

LINE_FAULT = f"{DEMO_PREFIX}cust-00001"
"""A demo customer whose line test finds a fault (the walk goes on to a visit, after the outage check)."""
LINE_OK = f"{DEMO_PREFIX}cust-00002"
"""A demo customer whose line tests fine (the fault is at home: the router, the wiring)."""
BOX_UPDATING = f"{DEMO_PREFIX}cust-00003"
"""A demo customer whose TV box is installing an update."""
SLOW_LINE = f"{DEMO_PREFIX}cust-00004"
"""A demo customer whose line test answers after 30 s, later than a check waits: the manual fallback shows."""
SUSPENDED = f"{DEMO_PREFIX}cust-00005"
"""A demo customer whose service is suspended for an unpaid bill (the billing tree sends them to billing)."""

DEMO_STATUS: tuple[tuple[str, str, str, str, float], ...] = (
    (EVERYONE, "line_test", "ok", "in sync at 100/40 Mbit/s", 0.0),
    (EVERYONE, "router_status", "online", "last seen a minute ago", 0.0),
    (EVERYONE, "box_status", "online", "firmware current", 0.0),
    (LINE_FAULT, "line_test", "fault", "no sync since 06:12; loop resistance high on the last segment", 0.0),
    (LINE_FAULT, "router_status", "offline", "not seen since 06:12", 0.0),
    (LINE_OK, "line_test", "ok", "in sync at 250/40 Mbit/s, no errors in 24 h", 0.0),
    (BOX_UPDATING, "box_status", "updating", "installing firmware 4.2 (about 10 minutes)", 0.0),
    (SLOW_LINE, "line_test", "ok", "the test head is busy", 30.0),
    (EVERYONE, "account_status", "active", "no open invoices", 0.0),
    (EVERYONE, "app_platform_status", "ok", "every partner app answering", 0.0),
    (EVERYONE, "wifi_status", "ok", "channel 36 and 6 clear; strongest device at -52 dBm", 0.0),
    (EVERYONE, "voice_status", "registered", "phone line registered 2 minutes ago", 0.0),
    (EVERYONE, "mobile_status", "ok", "attached to the network; 4.2 GB of 20 GB used", 0.0),
    (SUSPENDED, "account_status", "suspended", "invoice 2026-11 unpaid; reminder sent 3 weeks ago", 0.0),
)
"""(customer, system, value, detail, delay_seconds) of every seeded row."""


def seed_remote_status(store: Store) -> int:
    """Write the demo provider's status (replacing rows of the same customer and system); how many rows."""
    for customer, system, value, detail, delay in DEMO_STATUS:
        set_status(store, customer, system, value, detail=detail, delay_seconds=delay)
    return len(DEMO_STATUS)
