"""Single sign-on: the TRIAGE_OIDC_* settings, roles from a claim, and the account a sign-in adds or updates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from triage.desk import sso, staff
from triage.desk.sso import SsoConfig
from triage.errors import AuthError, SsoConfigError
from triage.records import audit
from triage.records.accounts import Accounts
from triage.records.schema import User
from triage.records.store import Store

ISSUER = "https://login.example.test/realms/helpdesk"
BASE = {
    "TRIAGE_OIDC_ISSUER": ISSUER,
    "TRIAGE_OIDC_CLIENT_ID": "triage",
    "TRIAGE_OIDC_CLIENT_SECRET": "s3cret-from-the-provider",
    "TRIAGE_OIDC_ROLE_MAP": "helpdesk-agents=agent, helpdesk-tier2=tier2,helpdesk-admins=admin,helpdesk-tier2=agent",
}


def config(**env: str) -> SsoConfig:
    cfg = SsoConfig.from_env({**BASE, **{f"TRIAGE_OIDC_{k.upper()}": v for k, v in env.items()}})
    assert cfg is not None
    return cfg


def claims(sub: str = "a1b2", roles: Any = ("helpdesk-tier2",), **more: Any) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "sub": sub,
        "preferred_username": "ana.lima",
        "email": "ana.lima@example.com",
        "name": "Ana Lima",
        "roles": list(roles),
        **more,
    }


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty migrated store (SQLite, and a real PostgreSQL server: the subject column is unique there too)."""
    st = Store(store_url)
    yield st
    st.dispose()


# -- settings -----------------------------------------------------------------------------------------------------


def test_no_variable_means_no_single_sign_on() -> None:
    """Without any TRIAGE_OIDC_* variable, local accounts only (and unrelated variables do not count)."""
    assert SsoConfig.from_env({}) is None
    assert SsoConfig.from_env({"TRIAGE_OIDC_LABEL": "Contoso", "PATH": "/bin"}) is None


def test_issuer_gives_the_discovery_document_and_defaults_apply() -> None:
    """The issuer gets /.well-known/openid-configuration; label, claims and redirect have their defaults."""
    cfg = config()
    assert cfg.metadata_url == ISSUER + "/.well-known/openid-configuration"
    assert cfg.label == "SSO"
    assert cfg.roles_claim == "roles"
    assert cfg.username_claim == "preferred_username"
    assert cfg.redirect_uri == "http://localhost:{port}/oauth2callback"
    assert cfg.role_map == {
        "helpdesk-agents": ("agent",),
        "helpdesk-tier2": ("tier2", "agent"),
        "helpdesk-admins": ("admin",),
    }


def test_metadata_url_wins_over_the_issuer() -> None:
    """An explicit discovery URL is used as it is."""
    url = "https://login.microsoftonline.com/contoso/v2.0/.well-known/openid-configuration"
    assert config(metadata_url=url).metadata_url == url


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (
            "TRIAGE_OIDC_CLIENT_SECRET",
            "single sign-on is half-configured: set TRIAGE_OIDC_CLIENT_SECRET, or unset every TRIAGE_OIDC_* "
            "variable to use local accounts only",
        ),
        (
            "TRIAGE_OIDC_CLIENT_ID",
            "single sign-on is half-configured: set TRIAGE_OIDC_CLIENT_ID, or unset every TRIAGE_OIDC_* "
            "variable to use local accounts only",
        ),
        (
            "TRIAGE_OIDC_ISSUER",
            "single sign-on is half-configured: set TRIAGE_OIDC_METADATA_URL (or TRIAGE_OIDC_ISSUER), or unset "
            "every TRIAGE_OIDC_* variable to use local accounts only",
        ),
        (
            "TRIAGE_OIDC_ROLE_MAP",
            "single sign-on is half-configured: set TRIAGE_OIDC_ROLE_MAP (e.g. helpdesk-agents=agent), or nobody "
            "it signs in gets a role",
        ),
    ],
)
def test_a_half_configured_setup_names_the_variable(drop: str, message: str) -> None:
    """One variable missing: the error names it and says how to turn single sign-on off instead."""
    env = {k: v for k, v in BASE.items() if k != drop}
    with pytest.raises(SsoConfigError) as caught:
        SsoConfig.from_env(env)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"role_map": "helpdesk-agents"}, "TRIAGE_OIDC_ROLE_MAP: 'helpdesk-agents' is not claim-value=role"),
        (
            {"role_map": "staff=boss"},
            "TRIAGE_OIDC_ROLE_MAP: 'boss' in 'staff=boss' is not a role; roles are: agent",
        ),
        (
            {"redirect_uri": "localhost:8501/oauth2callback"},
            "TRIAGE_OIDC_REDIRECT_URI must be an http(s) URL",
        ),
        ({"issuer": "login.example.test"}, "TRIAGE_OIDC_METADATA_URL must be an http(s) URL"),
        ({"cookie_secret": "short"}, "TRIAGE_OIDC_COOKIE_SECRET must be at least 32 characters (got 5)"),
        (
            {"default_role": "agent"},
            "TRIAGE_OIDC_DEFAULT_ROLE gives a role to everyone the provider signs in",
        ),
        (
            {"default_role": "chief", "allowed_domains": "x.test"},
            "TRIAGE_OIDC_DEFAULT_ROLE='chief' is not a role",
        ),
    ],
)
def test_malformed_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    """A malformed value is refused with the variable's name and what it should look like."""
    with pytest.raises(SsoConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        config(**env)


def test_cookie_secret_derived_from_the_client_secret_unless_given() -> None:
    """Without TRIAGE_OIDC_COOKIE_SECRET every instance derives the same one (and says it did); a given one is used."""
    a, b = config(), config()
    assert a.cookie_secret == b.cookie_secret
    assert a.cookie_secret_derived
    assert a.cookie_secret != BASE["TRIAGE_OIDC_CLIENT_SECRET"]
    assert len(a.cookie_secret) == 64
    assert config(client_secret="another").cookie_secret != a.cookie_secret
    given = config(cookie_secret="x" * 40)
    assert given.cookie_secret == "x" * 40
    assert not given.cookie_secret_derived


def test_streamlit_auth_secrets() -> None:
    """The [auth] section st.login reads: shared keys on top, the provider's under its name."""
    cfg = config(redirect_uri="https://help.example.com/oauth2callback", cookie_secret="c" * 32)
    assert sso.streamlit_auth_secrets(cfg) == {
        "auth": {
            "redirect_uri": "https://help.example.com/oauth2callback",
            "cookie_secret": "c" * 32,
            "oidc": {
                "client_id": "triage",
                "client_secret": "s3cret-from-the-provider",
                "server_metadata_url": ISSUER + "/.well-known/openid-configuration",
                "client_kwargs": {"scope": "openid email profile"},
            },
        }
    }


# -- roles from claims ---------------------------------------------------------------------------------------------


def test_roles_map_through_the_table_and_unknown_values_are_ignored() -> None:
    """Each claim value gives its roles, in order, once; values not in the map give nothing."""
    cfg = config()
    assert sso.roles_from(cfg, claims(roles=["staff", "helpdesk-tier2", "helpdesk-agents"])) == [
        "tier2",
        "agent",
    ]
    assert sso.roles_from(cfg, claims(roles=["staff"])) == []
    assert sso.roles_from(cfg, {"roles": "helpdesk-admins"}) == ["admin"]  # one value, not a list
    assert sso.roles_from(cfg, {"roles": 7}) == []
    assert sso.roles_from(cfg, {}) == []


def test_a_dotted_claim_walks_into_objects() -> None:
    """Keycloak puts realm roles at realm_access.roles."""
    cfg = config(roles_claim="realm_access.roles")
    keycloak = {
        "realm_access": {"roles": ["offline_access", "helpdesk-admins"]},
        "roles": ["helpdesk-agents"],
    }
    assert sso.roles_from(cfg, keycloak) == ["admin"]
    assert sso.roles_from(cfg, {"realm_access": ["helpdesk-admins"]}) == []


def test_default_role_for_allowed_domains() -> None:
    """Google has no role claim: a default role, given only to verified addresses of the allowed domains."""
    cfg = config(role_map="", default_role="agent", allowed_domains="Example.com, @partner.test")
    assert cfg.allowed_domains == ("example.com", "partner.test")
    assert sso.roles_from(cfg, {"email": "bo@example.com"}) == ["agent"]


def test_user_name_from_the_claim_then_the_address() -> None:
    """preferred_username first (Entra, Keycloak), the e-mail address next (Google), the subject last."""
    cfg = config()
    assert sso.username_of(cfg, claims()) == "ana.lima"
    assert sso.username_of(cfg, {"email": "bo@example.com", "sub": "1"}) == "bo@example.com"
    assert sso.username_of(cfg, {"sub": "1"}) == "1"
    assert (
        sso.username_of(config(username_claim="upn"), {"upn": "cy@contoso.com", "email": "x@y.z"})
        == "cy@contoso.com"
    )


# -- the account -----------------------------------------------------------------------------------------------


def test_first_sign_in_adds_an_sso_account_without_a_password(store: Store) -> None:
    """The account is marked sso with issuer|subject; no password signs in to it; the audit log has both lines."""
    ident = sso.identity_for(store, config(), claims(), client="203.0.113.9")
    assert (ident.username, ident.display_name, ident.roles) == ("ana.lima", "Ana Lima", ("tier2", "agent"))
    accounts = Accounts(store)
    assert accounts.current("ana.lima") == ident
    with pytest.raises(AuthError, match="wrong username or password"):
        accounts.authenticate("ana.lima", Accounts.SSO_NO_PASSWORD)
    lines = [(e.event, e.actor, e.client, e.detail) for e in audit.entries(store, username="ana.lima")]
    assert lines == [  # newest first
        ("sign_in_failed", None, None, "wrong password"),
        ("signed_in", None, "203.0.113.9", "single sign-on"),
        ("user_added", "single sign-on", None, "roles: tier2, agent"),
    ]
    with store.tx() as db:
        row = db.scalars(select(User).where(User.username == "ana.lima")).one()
        assert (row.auth, row.sso_subject) == ("sso", f"{ISSUER}|a1b2")


def test_an_sso_account_gets_no_local_password(store: Store) -> None:
    """Setting a password on an SSO account is refused: it would be a second way in past the provider."""
    sso.identity_for(store, config(), claims())
    with pytest.raises(AuthError, match="signs in with single sign-on"):
        Accounts(store).set_password("ana.lima", "a-long-local-password")
    with pytest.raises(AuthError, match="wrong username or password"):
        Accounts(store).authenticate("ana.lima", "a-long-local-password")


def test_the_next_sign_in_finds_the_account_by_subject_and_applies_the_providers_roles(store: Store) -> None:
    """A changed name or address at the provider keeps the account; roles taken away there are gone here."""
    sso.identity_for(store, config(), claims(roles=["helpdesk-admins", "helpdesk-tier2"]))
    again = sso.identity_for(
        store, config(), claims(roles=["helpdesk-agents"], preferred_username="ana.silva", name="Ana Silva")
    )
    assert (again.username, again.display_name, again.roles) == ("ana.lima", "Ana Silva", ("agent",))
    assert Accounts(store).current("ana.lima") == again
    changed = [e.detail for e in audit.entries(store, username="ana.lima") if e.event == "roles_changed"]
    assert changed == ["admin, tier2, agent -> agent"]


def test_a_person_without_a_mapped_role_is_refused_and_no_account_is_made(store: Store) -> None:
    """Signed in at the provider but in no mapped group: refused, logged, and nobody added."""
    with pytest.raises(AuthError, match="^your single sign-on account has no role here"):
        sso.identity_for(store, config(), claims(roles=["staff"]))
    assert Accounts(store).users() == []
    assert [(e.event, e.detail) for e in audit.entries(store, username="ana.lima")] == [
        ("sign_in_failed", "single sign-on: no role")
    ]


def test_a_deactivated_account_stays_refused_whatever_the_provider_says(store: Store) -> None:
    """An admin's deactivation wins over the provider's yes, every time, until an admin reactivates."""
    sso.identity_for(store, config(), claims())
    Accounts(store).deactivate("ana.lima", actor="admin")
    for _ in range(2):
        with pytest.raises(AuthError, match="^this account has been deactivated"):
            sso.identity_for(store, config(), claims(roles=["helpdesk-admins"]))
    assert Accounts(store).current("ana.lima") is None
    Accounts(store).reactivate("ana.lima", actor="admin")
    assert sso.identity_for(store, config(), claims()).roles == ("tier2", "agent")


def test_a_local_account_of_the_same_name_is_never_taken_over(store: Store) -> None:
    """Someone whose provider name matches a local account is refused; the local account is untouched."""
    Accounts(store).create("ana.lima", "local-password-1", ["dispatcher"], "Ana (local)")
    with pytest.raises(AuthError, match="^the user name 'ana.lima' belongs to another account"):
        sso.identity_for(store, config(), claims())
    assert Accounts(store).authenticate("ana.lima", "local-password-1").roles == ("dispatcher",)


def test_an_email_address_is_a_user_name_and_the_domain_is_checked(store: Store) -> None:
    """Google: the address names the account; an unverified or foreign address gets no role."""
    cfg = config(role_map="", default_role="agent", allowed_domains="example.com")
    google = {
        "iss": "https://accounts.google.com",
        "sub": "1099",
        "email": "Bo@Example.com",
        "email_verified": True,
    }
    assert sso.identity_for(store, cfg, google).username == "bo@example.com"
    with pytest.raises(AuthError, match="no role"):
        sso.identity_for(store, cfg, {**google, "sub": "2", "email": "eve@elsewhere.test"})
    with pytest.raises(AuthError, match="no role"):
        sso.identity_for(
            store, cfg, {**google, "sub": "3", "email": "mal@example.com", "email_verified": False}
        )


def test_claims_without_issuer_or_subject_are_refused(store: Store) -> None:
    """No iss or sub: nobody to recognise next time, so no account."""
    with pytest.raises(AuthError, match="did not say who you are"):
        sso.identity_for(store, config(), {**claims(), "sub": ""})
    assert Accounts(store).users() == []


# -- staying signed in -------------------------------------------------------------------------------------------


def test_a_sign_in_opens_a_staff_session_that_ends_like_a_password_one(store: Store) -> None:
    """The browser's token is new, then signed in, then, once signed out, ended (not new again)."""
    token = "f" * 64
    assert sso.session_identity(store, token) is None
    assert not sso.session_ended(store, token)
    ident = sso.start(store, config(), claims(), token, client="198.51.100.7")
    assert sso.session_identity(store, token) == ident
    sso.end(store, token)
    assert sso.session_identity(store, token) is None
    assert sso.session_ended(store, token)


def test_deactivation_ends_the_session_and_a_demotion_shows_at_the_next_check(store: Store) -> None:
    """Revocation on the server: a demoted person's next check has the new roles; a deactivated one has none."""
    token = "e" * 64
    sso.start(store, config(), claims(roles=["helpdesk-admins"]), token)
    Accounts(store).create("boss", "boss-password-1", ["admin"])
    Accounts(store).set_roles("ana.lima", ["agent"], actor="boss")
    demoted = sso.session_identity(store, token)
    assert demoted is not None
    assert demoted.roles == ("agent",)
    Accounts(store).deactivate("ana.lima", actor="boss")
    assert sso.session_identity(store, token) is None
    assert sso.session_ended(store, token)


def test_the_staff_time_outs_apply(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A single sign-on session idle longer than TRIAGE_STAFF_IDLE_MINUTES has ended."""
    token = "d" * 64
    sso.start(store, config(), claims(), token)
    monkeypatch.setenv("TRIAGE_STAFF_IDLE_MINUTES", "1")
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert staff.identity_for_token(store, token, now=later) is None
    assert staff.identity_for_token(store, token) is not None
