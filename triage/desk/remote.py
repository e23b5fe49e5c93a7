"""Remote checks and actions for the walk: the demo provider, a real provider's plug, and running a step.

The trees name remote systems (``line_test``, ``router_status``, ``box_status``, ``refresh_box``,
``reboot_router``); a :class:`~triage.walk.systems.Systems` registry maps each name to a call. Which registry
:func:`provider_systems` gives:

* **the demo provider** (default): checks read the simulated status the ``remote_status`` table holds for
  the session's ``customer_id`` fact, else the row for every customer (``*``), waiting the row's
  ``delay_seconds`` first (so a timeout can be shown); actions answer ``sent``. Staff set the status with
  ``triage remote set CUSTOMER SYSTEM VALUE``; the demo data seeds it.
* **a real provider**: set ``TRIAGE_SYSTEMS=package.module:factory``. ``factory(store)`` is called with the
  :class:`~triage.records.store.Store` and returns a :class:`~triage.walk.systems.Systems` (or a mapping of
  name -> call); each call takes the session's facts and returns the result value, e.g.::

      def systems(store):
          return Systems({"line_test": lambda facts: network.line_test(facts["customer_id"])})

  A call may take as long as it likes and may raise: the walk's timeout and manual fallback deal with both.

:func:`run_remote` runs the current step's system through the stored session, so what it gives is written
like an answer.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from triage.errors import NotFound, Refused
from triage.records.remote import (
    EVERYONE,
    RemoteStatusView,
    delete_status,
    find_status,
    list_status,
    set_status,
)
from triage.records.sessions import StoredSession
from triage.records.store import Store
from triage.walk.systems import SystemCall, SystemResult, Systems, system_name

__all__ = [
    "DEMO_ACTIONS",
    "DEMO_CHECKS",
    "ENV_SYSTEMS",
    "EVERYONE",
    "RemoteStatusView",
    "demo_systems",
    "provider_systems",
    "remote_status",
    "remove_remote_status",
    "run_remote",
    "set_remote_status",
]

DEMO_CHECKS: dict[str, tuple[str, ...]] = {
    "line_test": ("ok", "fault", "no_sync"),
    "router_status": ("online", "offline"),
    "box_status": ("online", "offline", "updating"),
    "account_status": ("active", "suspended", "reconnecting"),
    "app_platform_status": ("ok", "down"),
    "wifi_status": ("ok", "congested", "weak_signal", "off"),
    "voice_status": ("registered", "unregistered"),
    "mobile_status": ("ok", "data_cap_reached", "not_registered", "barred"),
}
"""The demo provider's checks and the results each can give."""

DEMO_ACTIONS = (
    "refresh_box",
    "reboot_router",
    "reset_line_profile",
    "optimise_wifi",
    "reprovision_service",
    "reset_voice_port",
    "refresh_mobile_network",
)
"""The demo provider's remote actions (each answers ``sent``)."""

ENV_SYSTEMS = "TRIAGE_SYSTEMS"
"""The setting naming a real provider's factory, ``package.module:function``."""


def _check(store: Store, system: str) -> SystemCall:
    def call(facts: Mapping[str, Any]) -> str:
        customer = facts.get("customer_id")
        row = find_status(store, str(customer) if customer else None, system)
        if row is None:
            raise NotFound(f"the demo provider has no {system} status for this customer")
        if row.delay_seconds > 0:
            time.sleep(row.delay_seconds)  # simulated latency: a slow line test, so timeouts can be seen
        return row.value

    return call


def _sent(facts: Mapping[str, Any]) -> str:
    return "sent"


def demo_systems(store: Store) -> Systems:
    """The demo provider: checks read ``remote_status``, actions answer ``sent``."""
    systems = Systems({name: _check(store, name) for name in DEMO_CHECKS})
    for name in DEMO_ACTIONS:
        systems.register(name, _sent)
    return systems


def _factory(setting: str) -> Callable[[Store], Any]:
    module_name, sep, attr = setting.strip().partition(":")
    hint = f"set {ENV_SYSTEMS} to package.module:function, a function taking the store and returning Systems"
    if not sep or not module_name or not attr:
        raise Refused(f"{ENV_SYSTEMS}={setting!r} names no function; {hint}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise Refused(f"{ENV_SYSTEMS}={setting!r}: cannot import {module_name!r} ({exc}); {hint}") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise Refused(f"{ENV_SYSTEMS}={setting!r}: {module_name} has no function {attr!r}; {hint}")
    return factory  # type: ignore[no-any-return]


def provider_systems(store: Store, setting: str | None = None) -> Systems:
    """The registry the walk uses: the provider ``TRIAGE_SYSTEMS`` (or ``setting``) names, else the demo one."""
    setting = os.environ.get(ENV_SYSTEMS, "") if setting is None else setting
    if not setting.strip():
        return demo_systems(store)
    made = _factory(setting)(store)
    if isinstance(made, Systems):
        return made
    if isinstance(made, Mapping) and all(isinstance(k, str) and callable(v) for k, v in made.items()):
        return Systems(made)
    raise Refused(
        f"{ENV_SYSTEMS}={setting!r} gave a {type(made).__name__}; the function must return Systems "
        "or a mapping of name -> call"
    )


def run_remote(store: Store, stored: StoredSession, systems: Systems | None = None) -> SystemResult | None:
    """Run the current step's remote check or action and write what it gave; ``None`` if the step has none."""
    if system_name(stored.session) is None:
        return None
    return stored.run_system(systems if systems is not None else provider_systems(store))


def remote_status(store: Store, customer_id: str | None = None) -> list[RemoteStatusView]:
    """The demo provider's simulated status (everyone's, or one customer's)."""
    return list_status(store, customer_id)


def set_remote_status(
    store: Store, customer_id: str, system: str, value: str, *, detail: str = "", delay_seconds: float = 0.0
) -> RemoteStatusView:
    """Set what one of the demo provider's checks answers: one of the results the trees route on."""
    known = DEMO_CHECKS.get(system)
    if known is None:
        said = "always answers sent" if system in DEMO_ACTIONS else "is not one of the demo provider's checks"
        raise Refused(f"{system!r} {said}; status is kept for {', '.join(DEMO_CHECKS)}")
    if value not in known:
        raise Refused(f"{system} gives {', '.join(known)} (got {value!r})")
    return set_status(store, customer_id, system, value, detail=detail, delay_seconds=delay_seconds)


def remove_remote_status(store: Store, customer_id: str, system: str) -> None:
    """Remove one simulated result: the customer gets the row for everyone again."""
    delete_status(store, customer_id, system)
