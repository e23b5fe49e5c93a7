"""Single sign-on (OpenID Connect through ``st.login``) beside local accounts: being built (issue #11).

The contract the rest of the UI relies on; until SSO is configured every function says "not configured".
"""

from __future__ import annotations

from typing import Any

from triage.desk.staff import Identity

__all__ = ["auth_secrets", "configured", "current_identity", "sign_in_button", "sign_out"]


def auth_secrets() -> dict[str, Any] | None:
    """The ``[auth]`` secrets for ``st.App(secrets=...)`` from the environment, or ``None`` without SSO."""
    return None


def configured() -> bool:
    """Whether a single sign-on provider is configured."""
    return False


def current_identity() -> Identity | None:
    """The staff identity of the person signed in through SSO in this browser, if any (re-checked every run)."""
    return None


def sign_in_button(next_path: str) -> None:
    """Draw "Sign in with <provider>" (nothing without SSO); after sign-in the person returns to ``next_path``."""
    return None


def sign_out() -> None:
    """End the SSO sign-in of this browser (nothing without SSO)."""
    return None
