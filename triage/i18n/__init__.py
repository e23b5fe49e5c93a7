"""Interface strings in the user's language.

Every string the engine, CLI or app shows (not tree content, which carries its own
translations) goes through :func:`t`. Add a language by adding a catalog below; a key
missing from a catalog falls back to English, never to an error.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LANGUAGES", "add_catalog", "t"]

_EN: dict[str, str] = {
    "action.fixed": "Yes",
    "action.not_fixed": "No",
    "action.could_not": "I could not do this",
    "result.fixed": "fixed it",
    "result.not_fixed": "did not fix it",
    "result.could_not": "could not be done",
    "result.tried": "already tried by the customer before; did not fix it",
    "result.skipped": "(skipped)",
    "action.check": "Did that fix it?",
    "yesno.yes": "Yes",
    "yesno.no": "No",
    "answer.invalid_option": "{answer!r} is not one of the options; choose one of: {options}",
    "answer.required": "an answer is required",
    "answer.not_number": "{answer!r} is not a number",
    "answer.too_small": "{answer} is below the minimum of {min}",
    "answer.too_large": "{answer} is above the maximum of {max}",
    "answer.pattern": "{answer!r} does not have the expected format",
    "answer.not_yesno": "{answer!r} is not yes or no",
    "answer.not_choice": "{answer!r} is not one of: {options}",
    "policy.safety": "Safety: {reason}. Self-help stops here.",
    "policy.safety.message": "For your safety, please stop now: switch the device off at the wall and do not use it. "
    "A specialist will contact you.",
    "policy.performer": "Step {node!r} may only be done by {who}, and this session is {mode}.",
    "policy.budget": "The session reached the step budget of {budget} steps for {mode} sessions without a fix.",
    "policy.repeat": "The customer has contacted us {count} times about this problem recently.",
    "policy.uncovered": "A home visit is needed ({skill}), but the customer's plan does not cover visits.",
    "policy.customer_request": "The customer asked for a person: the self-help steps did not help.",
    "policy.agent_request": "The agent escalated by hand.",
    "decision.resolved": "Resolved",
    "decision.escalate": "Escalate",
    "decision.visit": "Home visit",
    "message.escalate": "We are passing this to a specialist team, with everything you told us.",
    "message.visit": "A technician needs to visit. Please pick a time that suits you.",
    "message.resolved": "Great, the problem is solved.",
    "message.person": "A member of our team will take over from here, with everything you told us.",
    "next.safety": "Call the customer back urgently; make sure the device stays unplugged.",
    "next.performer.agent": "An agent performs step {node!r} and continues the session from there.",
    "next.performer.technician": "Book a technician with skill {skill!r}.",
    "next.budget": "Review the steps tried and continue diagnosis at tier 2.",
    "next.repeat": "Tier 2 takes over: the usual steps have not lasted for this customer.",
    "next.uncovered": "Offer a paid visit or an upgrade that covers visits, then book it.",
    "next.customer_request": "Call the customer and continue from the step they reached.",
    "handoff.title": "Hand-off",
    "ui.nav.self_service": "Get help",
    "ui.nav.sign_in": "Staff sign-in",
    "ui.nav.agent": "Agent console",
    "ui.nav.queue": "Escalation queue",
    "ui.nav.dispatch": "Dispatch",
    "ui.nav.studio": "Author studio",
    "ui.nav.analytics": "Analytics",
    "ui.nav.users": "Users",
    "ui.nav.customers": "Help",
    "ui.nav.staff": "Staff",
    "ui.language": "Language",
    "ui.signed_in_as": "Signed in as {name} ({roles})",
    "ui.sign_out": "Sign out",
    "ui.not_allowed": "This page is for signed-in staff with the right role.",
    "ui.unexpected": "Something went wrong on our side. Your work is saved; please try again.",
    "ui.sign_in.title": "Staff sign-in",
    "ui.sign_in.caption": "Agents, tier 2, dispatchers, authors and admins sign in here. Customers need no account.",
    "ui.sign_in.username": "Username",
    "ui.sign_in.password": "Password",
    "ui.sign_in.submit": "Sign in",
    "ui.users.add": "Add a user",
    "ui.users.display_name": "Display name",
    "ui.users.roles": "Roles",
    "ui.users.create": "Create user",
    "ui.users.created": "User {name} created.",
}

_DE: dict[str, str] = {
    "action.fixed": "Ja",
    "action.not_fixed": "Nein",
    "action.could_not": "Das konnte ich nicht tun",
    "result.fixed": "hat geholfen",
    "result.not_fixed": "hat nicht geholfen",
    "result.could_not": "war nicht möglich",
    "result.tried": "vom Kunden bereits vorher versucht; hat nicht geholfen",
    "result.skipped": "(übersprungen)",
    "action.check": "Hat das geholfen?",
    "yesno.yes": "Ja",
    "yesno.no": "Nein",
    "answer.required": "Bitte geben Sie eine Antwort ein",
    "answer.not_number": "{answer!r} ist keine Zahl",
    "answer.too_small": "{answer} liegt unter dem Minimum von {min}",
    "answer.too_large": "{answer} liegt über dem Maximum von {max}",
    "answer.pattern": "{answer!r} hat nicht das erwartete Format",
    "answer.not_yesno": "{answer!r} ist weder Ja noch Nein",
    "answer.invalid_option": "{answer!r} ist keine der Antworten; wählen Sie eine von: {options}",
    "answer.not_choice": "{answer!r} ist keine von: {options}",
    "policy.safety.message": "Bitte hören Sie zu Ihrer Sicherheit sofort auf: Gerät an der Steckdose ausschalten "
    "und nicht mehr benutzen. Ein Spezialist meldet sich bei Ihnen.",
    "decision.resolved": "Gelöst",
    "decision.escalate": "Weitergeleitet",
    "decision.visit": "Technikerbesuch",
    "message.escalate": "Wir geben das mit allen Ihren Angaben an ein Fachteam weiter.",
    "message.visit": "Ein Techniker muss vorbeikommen. Bitte wählen Sie einen passenden Termin.",
    "message.resolved": "Prima, das Problem ist gelöst.",
    "message.person": "Ein Mitarbeiter übernimmt ab hier, mit allem, was Sie uns gesagt haben.",
    "ui.nav.self_service": "Hilfe",
    "ui.nav.sign_in": "Anmeldung für Mitarbeiter",
    "ui.nav.customers": "Hilfe",
    "ui.nav.staff": "Mitarbeiter",
    "ui.language": "Sprache",
    "ui.not_allowed": "Diese Seite ist nur für angemeldete Mitarbeiter mit der passenden Rolle.",
    "ui.unexpected": "Bei uns ist etwas schiefgegangen. Ihre Angaben sind gespeichert; bitte versuchen Sie es erneut.",
    "ui.sign_in.title": "Anmeldung für Mitarbeiter",
    "ui.sign_in.username": "Benutzername",
    "ui.sign_in.password": "Passwort",
    "ui.sign_in.submit": "Anmelden",
    "ui.sign_out": "Abmelden",
}

_CATALOGS: dict[str, dict[str, str]] = {"en": _EN, "de": _DE}
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}


def t(key: str, locale: str = "en", **params: Any) -> str:
    """The interface string ``key`` in ``locale`` (falling back to English), formatted with ``params``."""
    lang = locale.split("-")[0].split("_")[0]
    catalog = _CATALOGS.get(locale) or _CATALOGS.get(lang) or _EN
    template = catalog.get(key) or _EN.get(key) or key
    return template.format(**params) if params else template


def add_catalog(locale: str, strings: dict[str, str]) -> None:
    """Add interface strings for ``locale`` (a page module registers its own words at import)."""
    _CATALOGS.setdefault(locale, {}).update(strings)
