"""Single sign-on (OpenID Connect) beside local accounts: the settings, the claims, the account they give.

* **Settings.** :meth:`SsoConfig.from_env` reads the ``TRIAGE_OIDC_*`` variables (:data:`VARIABLES` lists
  them): none set means no single sign-on; some set but not enough is :class:`~triage.errors.SsoConfigError`
  naming the variable to set. :func:`streamlit_auth_secrets` turns them into the ``[auth]`` secrets
  Streamlit's ``st.login`` reads.
* **Claims to an account.** :func:`roles_from` maps the provider's role claim (a dotted path such as
  ``realm_access.roles`` for Keycloak) through ``TRIAGE_OIDC_ROLE_MAP``; :func:`identity_for` adds or updates the
  account (``auth='sso'``, no password) and refuses a person without a mapped role, from a domain not
  allowed, or whose account an admin deactivated (whatever the provider still says).
* **Staying signed in.** The browser keeps Streamlit's identity cookie; :func:`start` opens a staff session for
  it and :func:`session_identity` re-checks that session on every page run, so the idle and absolute time-outs
  and server-side revocation apply to single sign-on exactly as to a password sign-in.

Roles come from the provider at each sign-in; between sign-ins the store decides (an admin's demotion or
deactivation applies at the next click). A deactivation lasts; a demotion lasts until the provider grants the
role again at the next sign-in, so take a role away at the provider.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from triage.desk import staff
from triage.errors import AuthError, SsoConfigError
from triage.records.accounts import ROLES, Accounts, Identity
from triage.records.schema import StaffSession
from triage.records.staff_sessions import StaffSessions, token_hash
from triage.records.store import Store

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "PROVIDER",
    "VARIABLES",
    "SsoConfig",
    "claim",
    "end",
    "identity_for",
    "roles_from",
    "session_ended",
    "session_identity",
    "start",
    "streamlit_auth_secrets",
    "subject_of",
    "username_of",
]

PROVIDER = "oidc"
"""The provider's name in Streamlit's ``[auth]`` secrets (``st.login("oidc")``)."""

DEFAULT_REDIRECT_URI = "http://localhost:{port}/oauth2callback"
"""Where the provider sends the browser back when ``TRIAGE_OIDC_REDIRECT_URI`` is not set (Streamlit fills in
the port); fine on one's own machine, never behind a proxy."""

PREFIX = "TRIAGE_OIDC_"

VARIABLES: dict[str, str] = {
    "METADATA_URL": "the provider's discovery document (…/.well-known/openid-configuration)",
    "ISSUER": "instead of METADATA_URL: the issuer URL; /.well-known/openid-configuration is added",
    "CLIENT_ID": "the client (application) id registered at the provider",
    "CLIENT_SECRET": "that client's secret",
    "REDIRECT_URI": f"this app's …/oauth2callback as registered at the provider (default {DEFAULT_REDIRECT_URI})",
    "COOKIE_SECRET": "signs the sign-in cookie; default: derived from the client secret",
    "LABEL": 'the button reads "Sign in with <LABEL>" (default "SSO")',
    "ROLES_CLAIM": 'the claim holding the roles or groups, a dotted path allowed (default "roles")',
    "ROLE_MAP": '"claim-value=triage-role,…", e.g. "helpdesk-agents=agent,helpdesk-admins=admin"',
    "DEFAULT_ROLE": "a role everyone signed in gets (needs ALLOWED_DOMAINS), e.g. agent",
    "ALLOWED_DOMAINS": "only people whose e-mail address is in these domains (comma-separated)",
    "USERNAME_CLAIM": 'the claim giving the user name (default "preferred_username", then "email")',
}
"""Every ``TRIAGE_OIDC_<NAME>`` variable and what it holds."""

_MAIN = ("METADATA_URL", "ISSUER", "CLIENT_ID", "CLIENT_SECRET")


def _env(env: Mapping[str, str], name: str) -> str:
    return env.get(PREFIX + name, "").strip()


def _url(env: Mapping[str, str], name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SsoConfigError(f"{PREFIX}{name} must be an http(s) URL (got {value!r})")
    return value


def _role_map(text: str) -> dict[str, tuple[str, ...]]:
    """``"a=agent,b=tier2,b=agent"`` -> ``{"a": ("agent",), "b": ("tier2", "agent")}``."""
    mapped: dict[str, tuple[str, ...]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        value, sep, role = (s.strip() for s in item.rpartition("="))
        if not sep or not value:
            raise SsoConfigError(
                f"{PREFIX}ROLE_MAP: {item!r} is not claim-value=role "
                '(e.g. "helpdesk-agents=agent,helpdesk-admins=admin")'
            )
        if role not in ROLES:
            raise SsoConfigError(
                f"{PREFIX}ROLE_MAP: {role!r} in {item!r} is not a role; roles are: {', '.join(ROLES)}"
            )
        mapped[value] = (*mapped.get(value, ()), role)
    return mapped


def _cookie_secret(env: Mapping[str, str], client_secret: str) -> tuple[str, bool]:
    given = _env(env, "COOKIE_SECRET")
    if given:
        if len(given) < 32:
            raise SsoConfigError(f"{PREFIX}COOKIE_SECRET must be at least 32 characters (got {len(given)})")
        return given, False
    # every instance sharing the client secret derives the same key, so several instances need no extra setting
    derived = hmac.new(client_secret.encode(), b"triage sign-in cookie", hashlib.sha256).hexdigest()
    return derived, True


@dataclass(frozen=True)
class SsoConfig:
    """Single sign-on settings (see :data:`VARIABLES`)."""

    metadata_url: str
    client_id: str
    client_secret: str
    redirect_uri: str = DEFAULT_REDIRECT_URI
    cookie_secret: str = ""
    cookie_secret_derived: bool = False
    label: str = "SSO"
    roles_claim: str = "roles"
    role_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_role: str | None = None
    allowed_domains: tuple[str, ...] = ()
    username_claim: str = "preferred_username"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SsoConfig | None:
        """The settings in ``env`` (the process environment by default); ``None`` when none is set."""
        env = os.environ if env is None else env
        if not any(_env(env, name) for name in _MAIN):
            return None
        metadata = _env(env, "METADATA_URL")
        if not metadata and (issuer := _env(env, "ISSUER")):
            metadata = issuer.rstrip("/") + "/.well-known/openid-configuration"
        secret = _env(env, "CLIENT_SECRET")
        for name, value in (
            ("METADATA_URL", metadata),
            ("CLIENT_ID", _env(env, "CLIENT_ID")),
            ("CLIENT_SECRET", secret),
        ):
            if not value:
                also = f" (or {PREFIX}ISSUER)" if name == "METADATA_URL" else ""
                raise SsoConfigError(
                    f"single sign-on is half-configured: set {PREFIX}{name}{also}, or unset every {PREFIX}* "
                    "variable to use local accounts only"
                )
        cookie_secret, derived = _cookie_secret(env, secret)
        return cls(
            metadata_url=_url(env, "METADATA_URL", metadata),
            client_id=_env(env, "CLIENT_ID"),
            client_secret=secret,
            redirect_uri=_url(env, "REDIRECT_URI", _env(env, "REDIRECT_URI") or DEFAULT_REDIRECT_URI),
            cookie_secret=cookie_secret,
            cookie_secret_derived=derived,
            label=_env(env, "LABEL") or "SSO",
            roles_claim=_env(env, "ROLES_CLAIM") or "roles",
            **_who_gets_in(env),
            username_claim=_env(env, "USERNAME_CLAIM") or "preferred_username",
        )


def _who_gets_in(env: Mapping[str, str]) -> dict[str, Any]:
    role_map = _role_map(_env(env, "ROLE_MAP"))
    default = _env(env, "DEFAULT_ROLE") or None
    domains = tuple(
        d.strip().lower().lstrip("@") for d in _env(env, "ALLOWED_DOMAINS").split(",") if d.strip()
    )
    if default is not None and default not in ROLES:
        raise SsoConfigError(f"{PREFIX}DEFAULT_ROLE={default!r} is not a role; roles are: {', '.join(ROLES)}")
    if default is not None and not domains:
        raise SsoConfigError(
            f"{PREFIX}DEFAULT_ROLE gives a role to everyone the provider signs in: "
            f"set {PREFIX}ALLOWED_DOMAINS too (e.g. example.com)"
        )
    if not role_map and default is None:
        raise SsoConfigError(
            f"single sign-on is half-configured: set {PREFIX}ROLE_MAP (e.g. helpdesk-agents=agent), "
            "or nobody it signs in gets a role"
        )
    return {"role_map": role_map, "default_role": default, "allowed_domains": domains}


def streamlit_auth_secrets(cfg: SsoConfig) -> dict[str, Any]:
    """The ``[auth]`` secrets Streamlit's ``st.login(PROVIDER)`` reads, as ``st.App(secrets=...)`` takes them."""
    return {
        "auth": {
            "redirect_uri": cfg.redirect_uri,
            "cookie_secret": cfg.cookie_secret,
            PROVIDER: {
                "client_id": cfg.client_id,
                "client_secret": cfg.client_secret,
                "server_metadata_url": cfg.metadata_url,
                "client_kwargs": {"scope": "openid email profile"},
            },
        }
    }


# -- claims ------------------------------------------------------------------------------------------------------


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """The claim at ``path`` (``"realm_access.roles"`` walks into objects), or ``None``.

    >>> claim({"realm_access": {"roles": ["a"]}}, "realm_access.roles")
    ['a']
    """
    value: Any = claims
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _values(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Sequence):
        return [v for v in raw if isinstance(v, str)]
    return []


def roles_from(cfg: SsoConfig, claims: Mapping[str, Any]) -> list[str]:
    """The triage roles the claims give: mapped from ``cfg.roles_claim`` (unknown values ignored), plus the default.

    >>> cfg = SsoConfig("https://id.example", "c", "s", role_map={"helpdesk-admins": ("admin",)})
    >>> roles_from(cfg, {"roles": ["helpdesk-admins", "staff"]})
    ['admin']
    """
    roles = [r for v in _values(claim(claims, cfg.roles_claim)) for r in cfg.role_map.get(v, ())]
    if cfg.default_role is not None:
        roles.append(cfg.default_role)
    return list(dict.fromkeys(roles))


def subject_of(claims: Mapping[str, Any]) -> str:
    """``"issuer|sub"``: who the person is for good (a name or address may change, this never does)."""
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not isinstance(sub, str) or not iss or not sub:
        raise AuthError("the identity provider did not say who you are (no iss or sub claim); try again")
    return f"{iss}|{sub}"


def username_of(cfg: SsoConfig, claims: Mapping[str, Any]) -> str:
    """The user name: ``cfg.username_claim``, else the e-mail address, else the subject."""
    for key in (cfg.username_claim, "email", "sub"):
        value = claim(claims, key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise AuthError("the identity provider gave no user name; try again")


def _domain_allowed(cfg: SsoConfig, claims: Mapping[str, Any]) -> bool:
    if not cfg.allowed_domains:
        return True
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is False:
        return False
    return email.rpartition("@")[2].lower() in cfg.allowed_domains


def identity_for(
    store: Store, cfg: SsoConfig, claims: Mapping[str, Any], *, client: str | None = None
) -> Identity:
    """The staff identity for the person these ID-token claims describe, their account added or updated.

    :class:`~triage.errors.AuthError` (in the audit log too) for no mapped role, a deactivated account, a user
    name another account has, or an e-mail address outside ``cfg.allowed_domains``.
    """
    subject = subject_of(claims)
    roles = roles_from(cfg, claims) if _domain_allowed(cfg, claims) else []
    name = username_of(cfg, claims)
    shown = claims.get("name")
    return Accounts(store).sso_sign_in(
        subject, name, shown if isinstance(shown, str) else "", roles, client=client
    )


# -- staying signed in -----------------------------------------------------------------------------------------


def start(
    store: Store, cfg: SsoConfig, claims: Mapping[str, Any], token: str, *, client: str | None = None
) -> Identity:
    """A first page run with a new provider sign-in: the account (:func:`identity_for`) and a staff session.

    ``token`` stands for this sign-in in this browser (a hash of the provider's cookie); later runs pass it to
    :func:`session_identity`.
    """
    ident = identity_for(store, cfg, claims, client=client)
    StaffSessions(store).open(ident.username, "sso", client=client, token=token)
    return ident


def session_identity(store: Store, token: str) -> Identity | None:
    """Who holds the single sign-on session ``token`` now (roles re-read), within the staff time-outs."""
    return staff.identity_for_token(store, token)


def session_ended(store: Store, token: str) -> bool:
    """Whether ``token`` had a staff session that has ended (timed out, signed out, revoked): not a new sign-in."""
    with store.tx() as db:
        found = db.scalar(select(StaffSession.id).where(StaffSession.token_hash == token_hash(token)))
    return found is not None


def end(store: Store, token: str) -> None:
    """Sign this browser's single sign-on session out (nothing if it has already ended)."""
    staff.sign_out(store, token)
